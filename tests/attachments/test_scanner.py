"""The clamd hook against a small local server that speaks INSTREAM (chunked, length-prefixed, NUL-ended)."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator

import pytest

from tests.attachments import samples
from tests.attachments.conftest import attachment_count, stored_files


def _read_exactly(conn: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        part = conn.recv(count - len(data))
        if not part:
            raise ConnectionError("client went away")
        data += part
    return data


class FakeClamd:
    """Answers INSTREAM like clamd: ``stream: Eicar-Test-Signature FOUND`` for EICAR, else ``stream: OK``."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(10)
        self.address = f"127.0.0.1:{self.server.getsockname()[1]}"
        self.received: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                command = b""
                while not command.endswith(b"\0"):
                    command += _read_exactly(conn, 1)
                assert command == b"zINSTREAM\0"
                body = b""
                while size := struct.unpack("!I", _read_exactly(conn, 4))[0]:
                    body += _read_exactly(conn, size)
                self.received.append(body)
                verdict = b"Eicar-Test-Signature FOUND" if samples.EICAR in body else b"OK"
                conn.sendall(b"stream: " + verdict + b"\0")

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def clamd(app) -> Iterator[FakeClamd]:
    server = FakeClamd()
    app.config["CLAMD_ADDRESS"] = server.address
    yield server
    server.close()


def test_clean_files_pass_the_scan_with_every_byte_sent(app, session, clamd, start_registration, upload):
    _case, task = start_registration()
    big = samples.pdf("scan") + b"%" + b"y" * 200_000  # several INSTREAM chunks
    assert upload(task, big).status_code == 201
    assert clamd.received == [big]


def test_an_infected_file_is_refused_and_not_stored(app, session, clamd, start_registration, upload):
    _case, task = start_registration()
    infected = samples.pdf("x") + b"%" + samples.EICAR + b"\n"
    answer = upload(task, infected)
    assert answer.status_code == 422
    assert answer.get_json()["error"]["message"].startswith("病毒扫描未通过")
    assert "Eicar-Test-Signature" in answer.get_json()["error"]["details"]["fields"]["charter_files"][0]
    assert stored_files(app) == [] and attachment_count(session) == 0


def test_an_unreachable_scanner_fails_closed_with_503(app, session, start_registration, upload):
    _case, task = start_registration()
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    app.config["CLAMD_ADDRESS"] = f"127.0.0.1:{port}"
    answer = upload(task, samples.pdf())
    assert answer.status_code == 503 and answer.get_json()["error"]["code"] == "scanner_unavailable"
    assert stored_files(app) == [] and attachment_count(session) == 0
