"""The optional virus scan: clamd's INSTREAM protocol over TCP (``host:port``) or a unix socket (a path).

The bytes are sent in chunks (``zINSTREAM\\0``, then per chunk a 4-byte big-endian length and the
bytes, then a zero length); clamd answers ``stream: OK`` or ``stream: <signature> FOUND``. Anything
else — clamd unreachable, a timeout, an ``ERROR`` answer — fails closed: the upload is refused.
"""

from __future__ import annotations

import socket
import struct
from typing import BinaryIO

from workflow_app.errors import DomainError, InvalidInput

CHUNK = 64 * 1024
TIMEOUT_SECONDS = 30.0


class VirusFound(InvalidInput):
    """clamd found a signature in the file."""

    code = "virus_found"


class ScannerUnavailable(DomainError):
    """clamd is configured but could not scan the file: nothing is accepted unscanned (fail closed)."""

    status = 503
    code = "scanner_unavailable"


class ClamdScanner:
    """Scans bytes with a clamd daemon at ``address`` (``host:port``, or a unix socket path)."""

    def __init__(self, address: str, timeout: float = TIMEOUT_SECONDS) -> None:
        self.address = address
        self.timeout = timeout

    def _connect(self) -> socket.socket:
        if "/" in self.address:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(self.timeout)
            sock.connect(self.address)
            return sock
        host, _, port = self.address.rpartition(":")
        return socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=self.timeout)

    def verdict(self, source: BinaryIO) -> str:
        """clamd's answer for the bytes of ``source`` (read from its current position), e.g. ``stream: OK``."""
        try:
            with self._connect() as sock:
                sock.sendall(b"zINSTREAM\0")
                while chunk := source.read(CHUNK):
                    sock.sendall(struct.pack("!I", len(chunk)) + chunk)
                sock.sendall(struct.pack("!I", 0))
                answer = b""
                while not answer.endswith(b"\0"):
                    part = sock.recv(4096)
                    if not part:
                        break
                    answer += part
        except (OSError, ValueError) as exc:
            raise ScannerUnavailable("病毒扫描服务不可用，暂不能接收附件，请稍后再试（virus scanner unreachable）",
                                     details={"scanner": str(exc)}) from exc
        return answer.rstrip(b"\0").decode("utf-8", "replace").strip()

    def scan(self, source: BinaryIO, field: str) -> None:
        """Pass when clamd says OK; 422 naming the field when it finds something; 503 on anything else."""
        answer = self.verdict(source)
        if answer.endswith("FOUND"):
            signature = answer.removeprefix("stream:").removesuffix("FOUND").strip()
            raise VirusFound(f"病毒扫描未通过：{signature}（virus found）",
                             details={"fields": {field: [f"病毒扫描未通过：{signature}"]}})
        if not answer.endswith("OK"):
            raise ScannerUnavailable("病毒扫描未能完成，附件未接收，请稍后再试（virus scan failed）",
                                     details={"scanner": answer[:200]})
