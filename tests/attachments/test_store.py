"""The content-addressed store: ab/abcdef… paths, written whole or not at all, the same bytes once."""

from __future__ import annotations

import hashlib
import io

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
