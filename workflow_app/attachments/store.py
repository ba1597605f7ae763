"""The content-addressed file store: the bytes of an attachment are kept once, under their SHA-256.

``LocalFileStore`` keeps them in a directory (``SOCORG_FILE_STORE``) as ``ab/abcdef…`` (the first
two hex digits name a subdirectory, so no directory grows past a few thousand entries). A file is
written to a temporary name in the store's own filesystem, flushed to disk and renamed into place:
a reader sees the whole file or none, and two servers writing the same bytes at once both end with
the same complete file. Several servers share the store by mounting one volume (NFS, CephFS…) at the
same path; another backend (an S3-compatible bucket) implements :class:`FileStore` the same way.

Bytes are never deleted by a request. :meth:`LocalFileStore.remove_unused` (``socorg attachments
sweep``) reclaims the bytes no attachment row refers to, only once they have not been written or
touched for a grace period: ``put`` of bytes already present touches them, so an upload in flight —
between its ``put`` and its commit — always has fresh bytes, and the sweep leaves them alone.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

DIGEST = re.compile(r"[0-9a-f]{64}")
CHUNK = 64 * 1024
INCOMING = ".incoming-"  # a write in progress (or one a crash left behind)
SWEEPING = ".sweeping-"  # bytes a sweep has set aside while it decides (``.sweeping-<digest>-<random>``)


class FileStore(Protocol):
    """What the attachment service needs of a store: put bytes under their digest, read them back."""

    def put(self, digest: str, source: BinaryIO) -> None:
        """Store the bytes of ``source`` (read from its current position) under ``digest``; no-op when present."""
        ...

    def open(self, digest: str) -> BinaryIO:
        """The stored bytes for reading (FileNotFoundError when absent)."""
        ...

    def exists(self, digest: str) -> bool:
        """True when bytes with that digest are stored."""
        ...


def checked_digest(digest: str) -> str:
    """The digest if it is 64 lowercase hex digits (anything else never names a path)."""
    if not isinstance(digest, str) or not DIGEST.fullmatch(digest):
        raise ValueError(f"not a SHA-256 hex digest: {digest!r}")
    return digest


class LocalFileStore:
    """A content-addressed store in a directory of this machine (or a shared volume mounted on each)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, digest: str) -> Path:
        """Where the bytes with that digest live: ``<root>/ab/abcdef…``."""
        checked_digest(digest)
        return self.root / digest[:2] / digest

    def exists(self, digest: str) -> bool:
        """True when bytes with that digest are stored."""
        return self.path(digest).is_file()

    def open(self, digest: str) -> BinaryIO:
        """The stored bytes for reading."""
        return self.path(digest).open("rb")

    def put(self, digest: str, source: BinaryIO) -> None:
        """Write ``source`` to a temporary file beside its final place, fsync it, then rename it there
        (bytes already stored are touched instead: a sweep spares them)."""
        target = self.path(digest)
        try:
            os.utime(target)
            return  # the same bytes are stored once
        except FileNotFoundError:
            pass  # not there (or set aside by a sweep this instant): write them
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=INCOMING, dir=target.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                shutil.copyfileobj(source, out, CHUNK)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o640)
            os.replace(temporary, target)  # atomic on one filesystem, NFS included
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def digests(self) -> Iterator[str]:
        """The digest of every stored file (temporary and set-aside files are not stored files)."""
        if not self.root.is_dir():
            return
        for folder in sorted(self.root.iterdir()):
            if folder.is_dir() and len(folder.name) == 2:
                for entry in sorted(folder.iterdir()):
                    if DIGEST.fullmatch(entry.name) and entry.name.startswith(folder.name):
                        yield entry.name

    def remove_unused(self, digest: str, cutoff: float, referenced: Callable[[str], bool]) -> bool:
        """Delete the bytes if nothing touched them since ``cutoff`` (a POSIX time) and ``referenced`` says
        no committed row names them, asked after they are set aside: an upload that touches them before
        that is seen by their time, one that comes after finds them gone and writes them anew. True when
        deleted. (Sound while an upload's ``put`` and commit lie less than the grace period apart.)"""
        target = self.path(digest)
        try:
            if target.stat().st_mtime > cutoff:
                return False
            aside = target.with_name(f"{SWEEPING}{digest}-{uuid.uuid4().hex}")
            os.rename(target, aside)  # from now on a put writes the bytes afresh
        except FileNotFoundError:
            return False
        return self._settle(aside, target, cutoff, referenced)

    def recover(self, cutoff: float, referenced: Callable[[str], bool]) -> list[str]:
        """Settle what an interrupted sweep set aside and delete writes a crash left half done (both only
        when older than ``cutoff``); the digests put back."""
        restored: list[str] = []
        if not self.root.is_dir():
            return restored
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir()):
            for entry in sorted(folder.iterdir()):
                try:
                    if entry.name.startswith(INCOMING) and entry.stat().st_mtime <= cutoff:
                        entry.unlink()
                    elif entry.name.startswith(SWEEPING) and entry.stat().st_ctime <= cutoff:  # not a live sweep's
                        digest = entry.name[len(SWEEPING):len(SWEEPING) + 64]
                        if DIGEST.fullmatch(digest) and not self._settle(entry, self.path(digest), cutoff, referenced):
                            restored.append(digest)
                except FileNotFoundError:
                    continue  # another sweep got there first
        return restored

    @staticmethod
    def _settle(aside: Path, target: Path, cutoff: float, referenced: Callable[[str], bool]) -> bool:
        """Delete set-aside bytes, or put them back when touched meanwhile or referenced; True when deleted."""
        if aside.stat().st_mtime > cutoff or referenced(target.name):
            try:
                os.link(aside, target)  # never over a copy a put wrote meanwhile (the same bytes, fresher)
            except FileExistsError:
                pass
            except OSError:  # a filesystem without hard links: the same bytes, renamed back
                os.replace(aside, target)
                return False
            aside.unlink()
            return False
        aside.unlink()
        return True
