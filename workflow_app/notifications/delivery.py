"""Delivering the outbox: SMTP e-mail and signed webhooks, with retries, backoff and a dead letter.

Claiming: a batch of due ``pending`` rows is claimed in one short transaction — on PostgreSQL
the rows are picked ``FOR UPDATE SKIP LOCKED``; on both databases each is taken by a
conditional ``UPDATE … SET attempts = attempts + 1, next_attempt_at = <lease end>
WHERE id = ? AND status = 'pending' AND attempts = ?``, so of two schedulers exactly one gets
a row. A claim is the pair (attempts, lease end) its holder last wrote: another deliverer can
only take the row once the lease has ended, and taking it changes both.

Sending happens outside any transaction (a slow mail server never holds a lock), one message
after another. Right before each send the deliverer re-checks its claim and extends it with a
conditional ``UPDATE`` (a message whose claim is no longer ours is skipped: another deliverer
has it), and it renews the leases of the rest of its batch whenever less than half is left, so
a batch may take far longer than one lease (``OUTBOX_LEASE_SECONDS``) without any message being
claimed twice. Each outcome is recorded in its own transaction: ``sent``; or ``pending`` again
after an exponential backoff; or ``dead`` after the last attempt. A deliverer that dies stops
renewing: its rows come due again when their lease ends, so delivery is at-least-once in that
case (a message the server had already accepted goes again) and webhook receivers should dedupe
on ``X-Socorg-Message-Id``. The one other way to send twice is a single send outlasting a whole
lease, which the SMTP and webhook timeouts keep far below the default lease.

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
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from workflow_app import clock
from workflow_app.db import unit_of_work
from workflow_app.notifications.models import Channel, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Socorg-Signature"
TIMESTAMP_HEADER = "X-Socorg-Timestamp"
MESSAGE_ID_HEADER = "X-Socorg-Message-Id"
SIGNATURE_TOLERANCE_SECONDS = 300
NO_SMTP = "SMTP is not configured: set SOCORG_SMTP_HOST (and SOCORG_SMTP_PORT/_USER/_PASSWORD/_FROM) to send mail"


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


def webhook_urls(config: Mapping[str, Any]) -> tuple[str, ...]:
    """The configured webhook endpoints: ``WEBHOOK_URLS`` (a list, or comma-separated), else
    ``$SOCORG_WEBHOOK_URLS``; every alert and ``notify.send`` message is posted to each."""
    urls = _setting(config, "WEBHOOK_URLS", "")
    if isinstance(urls, str):
        urls = urls.split(",")
    return tuple(dict.fromkeys(u.strip() for u in urls if u and u.strip()))


@dataclass(frozen=True)
class DeliverySettings:
    """Where and how messages go; read from the app config or ``SOCORG_*`` environment variables."""

    smtp_host: str = "localhost"
    # False when no SMTP_HOST is set (from_config): e-mails then wait in the outbox, said once per run.
    smtp_configured: bool = True
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
    # How long a claim holds without renewal: well above one message's send (a few SMTP round trips,
    # each bounded by smtp_timeout); also how long a message waits after its deliverer died.
    lease_seconds: int = 300
    batch: int = 100
    max_batches: int = 20

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> DeliverySettings:
        """Build from ``SMTP_HOST``/``SMTP_PORT``/``SMTP_USER``/``SMTP_PASSWORD``/``SMTP_FROM``/``SMTP_STARTTLS``,
        ``WEBHOOK_URLS`` (comma-separated)/``WEBHOOK_SECRET``, ``OUTBOX_MAX_ATTEMPTS``/``OUTBOX_BACKOFF_SECONDS``/
        ``OUTBOX_LEASE_SECONDS``."""
        d = cls()
        return cls(
            smtp_host=_setting(config, "SMTP_HOST", d.smtp_host),
            smtp_configured=bool(_setting(config, "SMTP_HOST", "")),
            smtp_port=_setting(config, "SMTP_PORT", d.smtp_port),
            smtp_user=_setting(config, "SMTP_USER", d.smtp_user),
            smtp_password=_setting(config, "SMTP_PASSWORD", d.smtp_password),
            smtp_from=_setting(config, "SMTP_FROM", d.smtp_from),
            smtp_starttls=_setting(config, "SMTP_STARTTLS", d.smtp_starttls),
            smtp_timeout=_setting(config, "SMTP_TIMEOUT", d.smtp_timeout),
            webhook_urls=webhook_urls(config),
            webhook_secret=_setting(config, "WEBHOOK_SECRET", d.webhook_secret),
            webhook_timeout=_setting(config, "WEBHOOK_TIMEOUT", d.webhook_timeout),
            max_attempts=max(1, _setting(config, "OUTBOX_MAX_ATTEMPTS", d.max_attempts)),
            backoff_seconds=max(1, _setting(config, "OUTBOX_BACKOFF_SECONDS", d.backoff_seconds)),
            lease_seconds=max(2, _setting(config, "OUTBOX_LEASE_SECONDS", d.lease_seconds)),
        )

    @property
    def lease(self) -> timedelta:
        """How long a claim holds unless its deliverer renews it."""
        return timedelta(seconds=self.lease_seconds)

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
class _Batch:
    """The claimed messages a run has not started to send yet, all leased until ``lease_until``."""

    waiting: deque[_Claimed]
    lease_until: datetime  # exactly as written to their next_attempt_at: half of each claim's identity
    size: int


@dataclass
class DeliveryResult:
    """What one delivery run did."""

    sent: int = 0
    retrying: int = 0
    dead: int = 0
    lost: int = 0  # claims that lapsed and were taken over by another deliverer before this one got to them
    held_mail: int = 0  # e-mails left in the outbox because no SMTP server is configured
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"{self.sent} sent, {self.retrying} to retry, {self.dead} dead"
        if self.lost:
            text += f", {self.lost} taken over by another deliverer"
        if self.held_mail:
            text += f", {self.held_mail} e-mails held ({NO_SMTP})"
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
        if not self.settings.smtp_configured:
            # Unclaimed, so they keep all their attempts for when a server is configured.
            with unit_of_work(self.session):
                result.held_mail = self.session.scalar(select(func.count()).select_from(OutboxMessage).where(
                    OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.channel == Channel.EMAIL)) or 0
            if result.held_mail:
                log.warning("%s e-mails wait in the outbox: %s", result.held_mail, NO_SMTP)
        for _ in range(self.settings.max_batches):
            batch = self._claim()
            if batch is None:
                break
            self._send_batch(batch, result)
            if batch.size < self.settings.batch:
                break
        return result

    # -- claiming, holding and recording ----------------------------------------------------------

    def _claim(self) -> _Batch | None:
        now = clock.now()
        lease_until = now + self.settings.lease
        with unit_of_work(self.session):
            query = (select(OutboxMessage.id, OutboxMessage.attempts)
                     .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
                     .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(self.settings.batch))
            if not self.settings.smtp_configured:
                query = query.where(OutboxMessage.channel != Channel.EMAIL)
            if self.session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = []
            for message_id, attempts in self.session.execute(query).all():
                if attempts >= self.settings.max_attempts:
                    # Claimed for its last attempt by a process that died before recording the outcome.
                    self._set(message_id, {"status": OutboxStatus.DEAD,
                                           "last_error": "no outcome recorded for the last attempt"}, attempts=attempts)
                    continue
                if self._set(message_id, {"attempts": attempts + 1, "next_attempt_at": lease_until}, attempts=attempts):
                    ids.append(message_id)
            if not ids:
                return None
            rows = self.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))
                                        .order_by(OutboxMessage.id)).all()
            claimed = [_Claimed(r.id, r.channel, r.recipient, r.subject, r.body, dict(r.payload or {}), r.attempts)
                       for r in rows]
        return _Batch(deque(claimed), lease_until, len(claimed))

    def _set(self, message_id: int, values: dict[str, Any], *, attempts: int | None = None,
             lease_until: datetime | None = None) -> bool:
        """Write ``values`` to the row if it is still pending — at ``attempts`` and leased until ``lease_until``
        when given, that is while the claim they identify still holds it; say whether it was."""
        where = [OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.PENDING]
        if attempts is not None:
            where.append(OutboxMessage.attempts == attempts)
        if lease_until is not None:
            where.append(OutboxMessage.next_attempt_at == lease_until)
        return bool(self.session.execute(update(OutboxMessage).where(*where).values(**values),
                                         execution_options={"synchronize_session": False}).rowcount)

    def _hold(self, batch: _Batch, message: _Claimed, result: DeliveryResult) -> datetime | None:
        """Right before sending ``message`` (just taken off ``batch``): check the claim is still ours and extend it
        to a full lease; return the new lease end, or None when another deliverer took the message over.

        The rest of the batch is renewed whenever less than half its lease is left, so it stays ours for
        as long as this run keeps going; a row whose lease lapsed anyway and was taken is dropped."""
        now = clock.now()
        renewed = now + self.settings.lease
        held = batch.lease_until
        with unit_of_work(self.session):
            if batch.lease_until - now < self.settings.lease / 2:
                kept = [m for m in batch.waiting
                        if self._set(m.id, {"next_attempt_at": renewed}, attempts=m.attempts,
                                     lease_until=batch.lease_until)]
                result.lost += len(batch.waiting) - len(kept)
                batch.waiting, batch.lease_until = deque(kept), renewed
            ours = self._set(message.id, {"next_attempt_at": renewed}, attempts=message.attempts, lease_until=held)
        if not ours:
            result.lost += 1
            log.info("outbox message %s was taken over by another deliverer (its lease ran out)", message.id)
            return None
        return renewed

    def _record(self, message: _Claimed, lease_until: datetime, error: str | None, result: DeliveryResult) -> None:
        if error is not None:
            result.errors.append(error)
        with unit_of_work(self.session):
            if error is None:
                # It went out: record that even if the lease ran out during the send, so that a deliverer
                # that took the row over in the meantime skips it instead of sending it again.
                recorded = self._set(message.id, {"status": OutboxStatus.SENT, "last_error": None,
                                                  "sent_at": clock.now()})
                result.sent += 1
            elif message.attempts >= self.settings.max_attempts:
                recorded = self._set(message.id, {"status": OutboxStatus.DEAD, "last_error": error[:2000]},
                                     attempts=message.attempts, lease_until=lease_until)
            else:
                retry_at = clock.now() + self.settings.backoff(message.attempts)
                recorded = self._set(message.id, {"last_error": error[:2000], "next_attempt_at": retry_at},
                                     attempts=message.attempts, lease_until=lease_until)
        if not recorded:
            # The send outlasted the whole lease and another deliverer took the row over: its outcome counts.
            log.warning("outbox message %s: the lease ran out during the send (%s) and another deliverer has it",
                        message.id, "sent anyway" if error is None else error)
            if error is not None:
                result.lost += 1
        elif error is not None and message.attempts >= self.settings.max_attempts:
            result.dead += 1
            log.error("outbox message %s is dead after %s attempts: %s", message.id, message.attempts, error)
        elif error is not None:
            result.retrying += 1

    # -- sending -------------------------------------------------------------------------------

    def _send_batch(self, batch: _Batch, result: DeliveryResult) -> None:
        smtp: smtplib.SMTP | None = None
        smtp_error: str | None = None
        try:
            while batch.waiting:
                message = batch.waiting.popleft()
                lease_until = self._hold(batch, message, result)
                if lease_until is None:
                    continue
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
                self._record(message, lease_until, error, result)
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
