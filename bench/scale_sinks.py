"""Loopback sinks for the outbox: an SMTP server and a webhook endpoint that count each delivered message
by its outbox id (``X-Socorg-Message-Id``), so the run can tell a lost or a twice-sent message."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import Counter
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.scale_services import free_port

MESSAGE_ID = "X-Socorg-Message-Id"


class MailSink:
    """An SMTP server on loopback counting messages by their outbox id (aiosmtpd)."""

    def __init__(self, received: Counter[str], lock: threading.Lock) -> None:
        from aiosmtpd.controller import Controller

        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                mid = message_from_bytes(envelope.original_content or envelope.content).get(MESSAGE_ID)
                with lock:
                    received[f"email:{mid}"] += 1
                    sink.log.append((time.time(), f"email:{mid}"))
                sink.count += 1
                return "250 OK"

        self.count = 0
        self.log: list[tuple[float, str]] = []
        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        """Stop listening."""
        self.controller.stop()


class WebhookSink:
    """An HTTP endpoint on loopback that checks each webhook's signature and counts it by outbox id."""

    def __init__(self, secret: str, received: Counter[str], lock: threading.Lock) -> None:
        self.bad_signatures = 0
        self.log: list[tuple[float, str]] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                stamp = self.headers.get("X-Socorg-Timestamp", "")
                expected = "sha256=" + hmac.new(secret.encode(), stamp.encode() + b"." + body,
                                                hashlib.sha256).hexdigest()
                if not hmac.compare_digest(expected, self.headers.get("X-Socorg-Signature", "")):
                    sink.bad_signatures += 1
                with lock:
                    received[f"webhook:{self.headers.get(MESSAGE_ID)}"] += 1
                    sink.log.append((time.time(), f"webhook:{self.headers.get(MESSAGE_ID)}"))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop listening."""
        self.server.shutdown()
        self.server.server_close()
