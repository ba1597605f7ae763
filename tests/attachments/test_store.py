"""The content-addressed store: ab/abcdef… paths, written whole or not at all, the same bytes once."""

from __future__ import annotations

import hashlib
import io
import os
import time

import pytest

from workflow_app.attachments.store import LocalFileStore


class Breaks(io.BytesIO):
    """A source that fails after its first chunk (a client gone mid-upload, a full disk)."""

    def read(self, size: int = -1) -> bytes:
        if self.tell() > 0:
            raise OSError("connection reset")
        return super().read(size)


def test_bytes_live_under_their_digest_and_are_written_once(tmp_path):
    store = LocalFileStore(tmp_path)
    data = b"%PDF-1.4 hello"
    digest = hashlib.sha256(data).hexdigest()
    store.put(digest, io.BytesIO(data))
    store.put(digest, io.BytesIO(b"never read: the digest is stored already"))
    assert [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()] == [
        f"{digest[:2]}/{digest}"]
    with store.open(digest) as stored:
        assert stored.read() == data
    assert store.exists(digest) and not store.exists("0" * 64)


def test_a_failed_write_leaves_no_file_behind(tmp_path):
    store = LocalFileStore(tmp_path)
    digest = "ab" + "0" * 62
    with pytest.raises(OSError):
        store.put(digest, Breaks(b"x" * 200_000))
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize("digest", ["../../etc/passwd", "AB" + "0" * 62, "ab" * 31, ""])
def test_only_a_hex_digest_names_a_path(tmp_path, digest):
    with pytest.raises(ValueError):
        LocalFileStore(tmp_path).path(digest)


# -- reclaiming unused bytes (the sweep's protocol) ------------------------------------------------------

DAY = 24 * 3600


def _stored(tmp_path, data: bytes = b"%PDF-1.4 swept", age: float = 2 * DAY) -> tuple[LocalFileStore, str]:
    store = LocalFileStore(tmp_path)
    digest = hashlib.sha256(data).hexdigest()
    store.put(digest, io.BytesIO(data))
    then = time.time() - age
    os.utime(store.path(digest), (then, then))
    return store, digest


def _files(tmp_path) -> list[str]:
    return sorted(p.name for p in tmp_path.rglob("*") if p.is_file())


def test_putting_bytes_already_stored_touches_them(tmp_path):
    store, digest = _stored(tmp_path)
    store.put(digest, io.BytesIO(b"never read"))
    assert store.path(digest).stat().st_mtime > time.time() - 60


def test_old_unreferenced_bytes_go_and_fresh_or_referenced_ones_stay(tmp_path):
    store, digest = _stored(tmp_path)
    cutoff = time.time() - DAY
    assert not store.remove_unused(digest, cutoff, lambda d: True)  # a row names them: put back
    assert store.exists(digest) and _files(tmp_path) == [digest]
    store.put(digest, io.BytesIO(b""))  # an upload of the same bytes touched them
    assert not store.remove_unused(digest, cutoff, lambda d: False)
    assert store.exists(digest)
    os.utime(store.path(digest), (cutoff - 10, cutoff - 10))
    assert store.remove_unused(digest, cutoff, lambda d: False)
    assert _files(tmp_path) == [] and list(store.digests()) == []


def test_an_upload_while_the_bytes_are_set_aside_writes_them_anew(tmp_path):
    """The sweep has set the bytes aside; an upload of them comes now: it must end with its bytes stored."""
    data = b"%PDF-1.4 swept"
    store, digest = _stored(tmp_path, data)

    def upload_meanwhile(_digest: str) -> bool:
        store.put(digest, io.BytesIO(data))  # not there any more: written afresh
        return False  # not committed yet when the sweep asks

    assert store.remove_unused(digest, time.time() - DAY, upload_meanwhile)
    with store.open(digest) as stored:
        assert stored.read() == data
    assert _files(tmp_path) == [digest]


def test_recovery_puts_back_what_an_interrupted_sweep_set_aside_and_clears_dead_writes(tmp_path):
    store, kept = _stored(tmp_path, b"%PDF kept")
    _store, dropped = _stored(tmp_path, b"%PDF dropped")
    for digest in (kept, dropped):
        os.rename(store.path(digest), store.path(digest).with_name(f".sweeping-{digest}-0123"))
    dead = store.path(kept).with_name(".incoming-abc")
    dead.write_bytes(b"half")
    now = time.time()
    assert store.recover(now - DAY, lambda d: d == kept) == []  # set aside just now: a live sweep's
    assert store.recover(now + 1, lambda d: d == kept) == [kept]
    assert _files(tmp_path) == [kept]
