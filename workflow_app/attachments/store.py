"""The content-addressed file store: the bytes of an attachment are kept once, under their SHA-256.

``LocalFileStore`` keeps them in a directory (``SOCORG_FILE_STORE``) as ``ab/abcdef…`` (the first
two hex digits name a subdirectory, so no directory grows past a few thousand entries). A file is
written to a temporary name in the store's own filesystem, flushed to disk and renamed into place:
a reader sees the whole file or none, and two servers writing the same bytes at once both end with
the same complete file. Several servers share the store by mounting one volume (NFS, CephFS…) at the
same path; another backend (an S3-compatible bucket) implements :class:`FileStore` the same way.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

DIGEST = re.compile(r"[0-9a-f]{64}")
CHUNK = 64 * 1024


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
        """Write ``source`` to a temporary file beside its final place, fsync it, then rename it there."""
        target = self.path(digest)
        if target.is_file():
            return  # the same bytes are stored once
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".incoming-", dir=target.parent)
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
