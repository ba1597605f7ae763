"""Delivering the outbox: SMTP e-mail and signed webhooks, with retries, backoff and a dead letter.

Claiming: a batch of due ``pending`` rows is claimed in one short transaction — on PostgreSQL
the rows are picked ``FOR UPDATE SKIP LOCKED``; on both databases each is taken by a
conditional ``UPDATE … SET attempts = attempts + 1, next_attempt_at = <lease>
WHERE id = ? AND status = 'pending' AND attempts = ?``, so of two schedulers exactly one gets
a row. Sending happens outside any transaction (a slow mail server never holds a lock), and
each outcome is recorded in its own transaction: ``sent``; or ``pending`` again after an
exponential backoff; or ``dead`` after the last attempt. A process that dies between claim and
outcome leaves the row to come due again when its lease (the backoff) ends: delivery is
at-least-once in that case, so webhook receivers should dedupe on ``X-Socorg-Message-Id``.

Webhook signature: ``X-Socorg-Signature: sha256=<hex>`` is HMAC-SHA256 with the shared secret
(``SOCORG_WEBHOOK_SECRET``) over ``<X-Socorg-Timestamp> + "." + <raw body bytes>``; see
:func:`verify_signature` for what a receiver does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workflow_app import clock
from workflow_app.db import unit_of_work
from workflow_app.notifications.models import Channel, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Socorg-Signature"
TIMESTAMP_HEADER = "X-Socorg-Timestamp"
MESSAGE_ID_HEADER = "X-Socorg-Message-Id"
SIGNATURE_TOLERANCE_SECONDS = 300


def _setting(config: Mapping[str, Any], name: str, default: Any) -> Any:
    """``config[NAME]`` (the app config / test mapping), else ``$SOCORG_NAME``, else ``default``; typed like it."""
    raw = config.get(name)
    if raw is None:
        raw = os.environ.get(f"SOCORG_{name}")
    if raw is None or raw == "":
        return default
    if isinstance(default, bool):
        return raw if isinstance(raw, bool) else str(raw).strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, (int, float)):
        return type(default)(raw)
    return raw


@dataclass(frozen=True)
class DeliverySettings:
    """Where and how messages go; read from the app config or ``SOCORG_*`` environment variables."""

    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "socorg-workflow@localhost"
    smtp_starttls: bool = False
    smtp_timeout: float = 10.0
    webhook_urls: tuple[str, ...] = ()
    webhook_secret: str = ""
    webhook_timeout: float = 5.0
    max_attempts: int = 8
    backoff_seconds: int = 60
    backoff_max_seconds: int = 6 * 3600
    batch: int = 100
    max_batches: int = 20

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> DeliverySettings:
        """Build from ``SMTP_HOST``/``SMTP_PORT``/``SMTP_USER``/``SMTP_PASSWORD``/``SMTP_FROM``/``SMTP_STARTTLS``,
        ``WEBHOOK_URLS`` (comma-separated)/``WEBHOOK_SECRET``, ``OUTBOX_MAX_ATTEMPTS``/``OUTBOX_BACKOFF_SECONDS``."""
        d = cls()
        urls = _setting(config, "WEBHOOK_URLS", "")
        if isinstance(urls, str):
            urls = [u.strip() for u in urls.split(",")]
        return cls(
            smtp_host=_setting(config, "SMTP_HOST", d.smtp_host),
            smtp_port=_setting(config, "SMTP_PORT", d.smtp_port),
            smtp_user=_setting(config, "SMTP_USER", d.smtp_user),
            smtp_password=_setting(config, "SMTP_PASSWORD", d.smtp_password),
            smtp_from=_setting(config, "SMTP_FROM", d.smtp_from),
            smtp_starttls=_setting(config, "SMTP_STARTTLS", d.smtp_starttls),
            smtp_timeout=_setting(config, "SMTP_TIMEOUT", d.smtp_timeout),
            webhook_urls=tuple(u for u in urls if u),
            webhook_secret=_setting(config, "WEBHOOK_SECRET", d.webhook_secret),
            webhook_timeout=_setting(config, "WEBHOOK_TIMEOUT", d.webhook_timeout),
            max_attempts=max(1, _setting(config, "OUTBOX_MAX_ATTEMPTS", d.max_attempts)),
            backoff_seconds=max(1, _setting(config, "OUTBOX_BACKOFF_SECONDS", d.backoff_seconds)),
        )

    def backoff(self, attempts: int) -> timedelta:
        """Wait after the ``attempts``-th failed attempt: base · 2^(attempts−1), capped."""
        seconds = self.backoff_seconds * 2 ** max(attempts - 1, 0)
        return timedelta(seconds=min(seconds, self.backoff_max_seconds))


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Socorg-Signature`` value for ``body`` sent at ``timestamp`` (Unix seconds, as sent)."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify_signature(secret: str, timestamp: str, body: bytes, signature: str, *,
                     now: float | None = None, tolerance: int = SIGNATURE_TOLERANCE_SECONDS) -> bool:
    """What a receiver does: recompute the HMAC over timestamp + "." + raw body, compare in constant
    time, and refuse timestamps more than ``tolerance`` seconds away (replays)."""
    try:
        age = abs((time.time() if now is None else now) - int(timestamp))
    except (TypeError, ValueError):
        return False
    if age > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature or "")


@dataclass(frozen=True)
class _Claimed:
    """A claimed message, detached from the session while it is being sent."""

    id: int
    channel: Channel
    recipient: str
    subject: str
    body: str
    payload: dict[str, Any]
    attempts: int


@dataclass
class DeliveryResult:
    """What one delivery run did."""

    sent: int = 0
    retrying: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"{self.sent} sent, {self.retrying} to retry, {self.dead} dead"
        return text + (f" (last error: {self.errors[-1]})" if self.errors else "")


class DeliveryError(Exception):
    """One message could not be delivered (the outbox keeps it for a retry)."""


class OutboxDelivery:
    """Claims due outbox rows and sends them; owns its transactions."""

    def __init__(self, session: Session, settings: DeliverySettings,
                 smtp_factory: Callable[..., smtplib.SMTP] = smtplib.SMTP) -> None:
        self.session = session
        self.settings = settings
        self.smtp_factory = smtp_factory

    def deliver_due(self) -> DeliveryResult:
        """Send every message due by the clock, batch by batch (bounded per run)."""
        result = DeliveryResult()
        for _ in range(self.settings.max_batches):
            claimed = self._claim()
            if not claimed:
                break
            self._send_batch(claimed, result)
            if len(claimed) < self.settings.batch:
                break
        return result

    # -- claiming and recording ----------------------------------------------------------------

    def _claim(self) -> list[_Claimed]:
        now = clock.now()
        with unit_of_work(self.session):
            query = (select(OutboxMessage.id, OutboxMessage.attempts)
                     .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
                     .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(self.settings.batch))
            if self.session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = []
            for message_id, attempts in self.session.execute(query).all():
                if attempts >= self.settings.max_attempts:
                    # Claimed for its last attempt by a process that died before recording the outcome.
                    self._finish(message_id, attempts, OutboxStatus.DEAD, "no outcome recorded for the last attempt")
                    continue
                taken = self.session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.PENDING,
                           OutboxMessage.attempts == attempts)
                    .values(attempts=attempts + 1, next_attempt_at=now + self.settings.backoff(attempts + 1)),
                    execution_options={"synchronize_session": False},
                ).rowcount
                if taken:
                    ids.append(message_id)
            if not ids:
                return []
            rows = self.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))
                                        .order_by(OutboxMessage.id)).all()
            return [_Claimed(r.id, r.channel, r.recipient, r.subject, r.body, dict(r.payload or {}), r.attempts)
                    for r in rows]

    def _finish(self, message_id: int, attempts: int, status: OutboxStatus, error: str | None,
                retry_at: datetime | None = None) -> None:
        values: dict[str, Any] = {"status": status, "last_error": error}
        if status is OutboxStatus.SENT:
            values["sent_at"] = clock.now()
        if retry_at is not None:
            values["next_attempt_at"] = retry_at
        self.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.attempts == attempts)
            .values(**values),
            execution_options={"synchronize_session": False},
        )

    def _record(self, message: _Claimed, error: str | None, result: DeliveryResult) -> None:
        with unit_of_work(self.session):
            if error is None:
                self._finish(message.id, message.attempts, OutboxStatus.SENT, None)
                result.sent += 1
            elif message.attempts >= self.settings.max_attempts:
                self._finish(message.id, message.attempts, OutboxStatus.DEAD, error[:2000])
                result.dead += 1
                log.error("outbox message %s is dead after %s attempts: %s", message.id, message.attempts, error)
            else:
                retry_at = clock.now() + self.settings.backoff(message.attempts)
                self._finish(message.id, message.attempts, OutboxStatus.PENDING, error[:2000], retry_at)
                result.retrying += 1
        if error is not None:
            result.errors.append(error)

    # -- sending -------------------------------------------------------------------------------

    def _send_batch(self, claimed: list[_Claimed], result: DeliveryResult) -> None:
        smtp: smtplib.SMTP | None = None
        smtp_error: str | None = None
        try:
            for message in claimed:
                error: str | None = None
                if message.channel is Channel.EMAIL:
                    if smtp is None and smtp_error is None:
                        try:
                            smtp = self._connect()
                        except (OSError, smtplib.SMTPException) as exc:
                            smtp_error = f"SMTP {self.settings.smtp_host}:{self.settings.smtp_port}: {exc!r}"
                    error = smtp_error or self._send_email(smtp, message)
                elif message.channel is Channel.WEBHOOK:
                    error = self._post_webhook(message)
                else:
                    error = f"unknown channel {message.channel!r}"
                self._record(message, error, result)
        finally:
            if smtp is not None:
                try:
                    smtp.quit()
                except (OSError, smtplib.SMTPException):
                    pass

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        smtp = self.smtp_factory(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
        smtp.ehlo()
        if s.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if s.smtp_user:
            smtp.login(s.smtp_user, s.smtp_password)
        return smtp

    def _send_email(self, smtp: smtplib.SMTP | None, message: _Claimed) -> str | None:
        email = EmailMessage()
        email["Subject"] = message.subject
        email["From"] = self.settings.smtp_from
        email["To"] = message.recipient
        email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}")
        email[MESSAGE_ID_HEADER] = str(message.id)
        email.set_content(message.body or message.subject)
        try:
            assert smtp is not None
            smtp.send_message(email)
        except (OSError, smtplib.SMTPException) as exc:
            return f"SMTP send to {message.recipient}: {exc!r}"
        return None

    def _post_webhook(self, message: _Claimed) -> str | None:
        secret = self.settings.webhook_secret
        if not secret:
            return "SOCORG_WEBHOOK_SECRET is not set: webhooks are only sent signed"
        body = json.dumps(message.payload, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
        timestamp = str(int(time.time()))  # transport time (receivers check it), not the business clock
        request = urllib.request.Request(message.recipient, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "socorg-workflow",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(secret, timestamp, body),
            MESSAGE_ID_HEADER: str(message.id),
        })
        try:
            with urllib.request.urlopen(request, timeout=self.settings.webhook_timeout) as response:
                if not 200 <= response.status < 300:
                    return f"webhook {message.recipient}: HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            return f"webhook {message.recipient}: HTTP {exc.code}"
        except (OSError, ValueError) as exc:
            return f"webhook {message.recipient}: {exc!r}"
        return None
