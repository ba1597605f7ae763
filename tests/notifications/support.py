"""A real SMTP server process (aiosmtpd) and a webhook receiver thread, both on loopback; a movable app clock."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
import mailbox
import socket
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from workflow_app import clock


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, up: bool, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            listening = sock.connect_ex(("127.0.0.1", port)) == 0
        if listening == up:
            return
        time.sleep(0.1)
    raise TimeoutError(f"port {port} did not come {'up' if up else 'down'}")


class SmtpServer:
    """``python -m aiosmtpd`` writing into a maildir; start() and stop() it like the mail server going down."""

    def __init__(self, port: int, maildir: Path) -> None:
        self.port, self.maildir = port, maildir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> SmtpServer:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}",
             "-c", "aiosmtpd.handlers.Mailbox", str(self.maildir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_port(self.port, up=True)
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def messages(self) -> list[email.message.EmailMessage]:
        """Every message received so far, parsed."""
        if not self.maildir.exists():
            return []
        box = mailbox.Maildir(str(self.maildir), create=False)
        return [email.message_from_bytes(box.get_bytes(key), policy=email.policy.default) for key in box.keys()]


class WebhookReceiver:
    """An HTTP server thread that checks each POST's signature the way the docs tell receivers to."""

    def __init__(self, secret: str, status: int = 204) -> None:
        self.secret, self.status = secret, status
        self.received: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                timestamp = self.headers.get("X-Socorg-Timestamp", "")
                signature = self.headers.get("X-Socorg-Signature", "")
                # Independent of the app's code: HMAC-SHA256(secret, timestamp + "." + body).
                expected = "sha256=" + hmac.new(receiver.secret.encode(), timestamp.encode() + b"." + body,
                                                hashlib.sha256).hexdigest()
                fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) <= 300
                valid = fresh and hmac.compare_digest(expected, signature)
                receiver.received.append({"valid": valid, "body": json.loads(body), "headers": dict(self.headers)})
                self.send_response(receiver.status if valid else 401)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/socorg"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


class Timeline:
    """The app clock of the running thread, frozen at a moment the test moves forward (a slow send)."""

    def __init__(self, start: datetime) -> None:
        self._stack = ExitStack()
        self.now = start
        self.go(start)

    def go(self, moment: datetime) -> None:
        """Freeze the clock at ``moment``."""
        self._stack.close()
        self._stack = ExitStack()
        self._stack.enter_context(clock.frozen(moment))
        self.now = moment

    def advance(self, seconds: float) -> None:
        """Move the clock ``seconds`` forward."""
        self.go(self.now + timedelta(seconds=seconds))

    def close(self) -> None:
        """Give the clock back."""
        self._stack.close()
