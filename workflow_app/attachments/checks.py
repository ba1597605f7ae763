"""Checks of an upload that need no database: its file name, its size and its type (from the bytes)."""

from __future__ import annotations

import hashlib
import tempfile
import unicodedata
from dataclasses import dataclass
from typing import BinaryIO

import filetype

from workflow_app.attachments.fields import AttachmentField
from workflow_app.errors import InvalidInput

MAX_NAME_BYTES = 255
HEAD_BYTES = 8192  # what filetype reads to tell a type
SPOOL_BYTES = 1024 * 1024
_BIDI = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class AttachmentRefused(InvalidInput):
    """An upload is refused: its name, size, type or count; details name the field and the problem."""

    code = "attachment_refused"

    def __init__(self, field: str, problem: str, english: str) -> None:
        super().__init__(f"{problem}（{english}）", details={"fields": {field: [problem]}})


def filename_problem(name: str) -> str | None:
    """Why ``name`` cannot be kept as an attachment's name (None: it can, unchanged)."""
    if not name or not name.strip():
        return "文件名为空"
    if "/" in name or "\\" in name:
        return "文件名不能包含路径（/ 或 \\）"
    if ".." in name:
        return "文件名不能包含“..”"
    if any(unicodedata.category(c) == "Cc" or c in _BIDI for c in name):
        return "文件名不能包含控制字符"
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        return f"文件名过长（最多 {MAX_NAME_BYTES} 字节）"
    return None


def check_filename(field: str, name: str | None) -> str:
    """The file name exactly as given, or 422 naming the problem (nothing is stripped silently)."""
    problem = filename_problem(name or "")
    if problem:
        raise AttachmentRefused(field, f"{problem}：请改名后重新上传", "unsafe file name")
    return name or ""


@dataclass
class Received:
    """An upload read into a temporary file: its digest, size and sniffed type."""

    body: BinaryIO
    sha256: str
    size: int
    extension: str | None
    mime: str | None

    def rewind(self) -> BinaryIO:
        """The bytes from the start."""
        self.body.seek(0)
        return self.body


def receive(field: str, source: BinaryIO, max_bytes: int) -> Received:
    """Copy the upload to a temporary file, hashing it; 422 once it passes ``max_bytes`` (read no further)."""
    body = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # closed by the caller (Received.body)
    digest, size, head = hashlib.sha256(), 0, b""
    while chunk := source.read(64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            body.close()
            raise AttachmentRefused(field, f"文件过大：每个附件最大 {megabytes(max_bytes)}", "file too large")
        if len(head) < HEAD_BYTES:
            head += chunk[:HEAD_BYTES - len(head)]
        digest.update(chunk)
        body.write(chunk)
    if size == 0:
        body.close()
        raise AttachmentRefused(field, "文件为空", "empty file")
    kind = filetype.guess(head)
    body.seek(0)
    return Received(body, digest.hexdigest(), size, kind.extension if kind else None, kind.mime if kind else None)


def check_type(spec: AttachmentField, received: Received) -> None:
    """422 unless the bytes are of a type the field accepts (the name's extension is not believed)."""
    if spec.accepts(received.extension):
        return
    found = f"{received.extension.upper()} 文件" if received.extension else "无法识别的类型"
    raise AttachmentRefused(spec.name, f"文件内容是{found}，不是「{spec.title}」接受的类型（{spec.accept_text}）",
                            "the bytes are not an accepted type")


def megabytes(count: int) -> str:
    """A byte limit as people say it: 20 MiB → '20 MB'."""
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):g} MB"
    return f"{count} 字节"
