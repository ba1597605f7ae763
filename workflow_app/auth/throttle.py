"""The password-guessing throttle, counted in the database so every gunicorn worker (and host) sees one count.

- An account is locked while it has ``account_limit`` failures (default 10) within the window (15 minutes)
  since its last successful login; an address while it has ``address_limit`` failures (default 50) in the
  window, whatever the usernames. A locked login is refused (429) even with the right password, and the
  refused try is not counted, so the lock ends when the oldest counted failure leaves the window.
- A success clears the account's count (a person who mistyped and then got in starts again) but never the
  address's: otherwise an attacker could reset their address by logging into an account of their own.
- The failure that starts a lock writes a ``login_locked`` security event (the admin's 安全事件 page).
- Rows older than the window are deleted whenever an attempt is recorded.
Two workers checking at the same instant may each let one more guess through; the count stays exact.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from workflow_app import clock
from workflow_app.auth.models import LoginAttempt, SecurityEvent
from workflow_app.db import unit_of_work
from workflow_app.errors import DomainError

log = logging.getLogger(__name__)
KEY_LENGTH = 64  # the username / remote_addr columns


class TooManyAttempts(DomainError):
    """Too many failed logins for this account or from this address: wait ``retry_after`` seconds."""

    status = 429
    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details=details)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Standing:
    """Where an account and an address stand: their counted failures and when each lock (if any) ends."""

    account_failures: int
    address_failures: int
    account_locked_until: datetime | None
    address_locked_until: datetime | None

    @property
    def locked_until(self) -> datetime | None:
        """The later of the two lock ends, or None when neither is locked."""
        ends = [t for t in (self.account_locked_until, self.address_locked_until) if t is not None]
        return max(ends) if ends else None


def storable(value: str) -> str:
    """``value`` as the key column keeps it: at most 64 characters, valid UTF-8 (a lone surrogate escaped)."""
    return value[:KEY_LENGTH].encode("utf-8", "backslashreplace").decode("utf-8")[:KEY_LENGTH]


class LoginThrottle:
    """Counts login attempts per account and per address in one database session."""

    def __init__(self, session: Session, *, window_seconds: int = 900, account_limit: int = 10,
                 address_limit: int = 50) -> None:
        self.session = session
        self.window = timedelta(seconds=window_seconds)
        self.account_limit = account_limit
        self.address_limit = address_limit

    @classmethod
    def from_config(cls, session: Session, config: Any) -> LoginThrottle:
        """A throttle with the app's ``LOGIN_*`` settings."""
        return cls(session, window_seconds=config["LOGIN_WINDOW_SECONDS"],
                   account_limit=config["LOGIN_ACCOUNT_LIMIT"], address_limit=config["LOGIN_ADDRESS_LIMIT"])

    def check(self, username: str, remote_addr: str) -> Standing:
        """Return the standing, or raise TooManyAttempts while the account or the address is locked."""
        now = clock.now()
        standing = self.standing(username, remote_addr, now)
        until = standing.locked_until
        if until is not None:
            seconds = max(1, math.ceil((until - now).total_seconds()))
            minutes = max(1, math.ceil(seconds / 60))
            raise TooManyAttempts(
                f"登录失败次数过多，请 {minutes} 分钟后再试（too many failed logins: retry in {seconds} s）",
                retry_after=seconds, details={"retry_after": seconds})
        return standing

    def record(self, username: str, remote_addr: str, *, success: bool, before: Standing) -> None:
        """Store one attempt (its own transaction), prune expired rows, and log a lock this failure starts."""
        username, remote_addr = storable(username), storable(remote_addr)
        now = clock.now()
        with unit_of_work(self.session):
            self.session.add(LoginAttempt(username=username, remote_addr=remote_addr, at=now, success=success))
            self.session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - self.window))
            if success:
                return
            self.session.flush()
            after = self.standing(username, remote_addr, now)
            for scope, was, now_until, count in (
                ("account", before.account_locked_until, after.account_locked_until, after.account_failures),
                ("address", before.address_locked_until, after.address_locked_until, after.address_failures),
            ):
                if now_until is not None and was is None:
                    self._lockout(scope, username, remote_addr, count, now_until)

    def standing(self, username: str, remote_addr: str, now: datetime | None = None) -> Standing:
        """Count the failures that matter now (each query reads at most ``limit`` rows off its index)."""
        now = now or clock.now()
        since = now - self.window
        username, remote_addr = storable(username), storable(remote_addr)
        # Newest first: the account's failures up to its last success; the address's failures only.
        recent = self.session.execute(
            select(LoginAttempt.at, LoginAttempt.success)
            .where(LoginAttempt.username == username, LoginAttempt.at > since)
            .order_by(LoginAttempt.at.desc(), LoginAttempt.id.desc()).limit(self.account_limit)).all()
        account: list[datetime] = []
        for at, success in recent:
            if success:
                break
            account.append(at)
        address = self.session.scalars(
            select(LoginAttempt.at)
            .where(LoginAttempt.remote_addr == remote_addr, LoginAttempt.at > since, LoginAttempt.success.is_(False))
            .order_by(LoginAttempt.at.desc()).limit(self.address_limit)).all()
        return Standing(
            account_failures=len(account), address_failures=len(address),
            account_locked_until=self._until(account, self.account_limit),
            address_locked_until=self._until(list(address), self.address_limit))

    def _until(self, failures: list[datetime], limit: int) -> datetime | None:
        # Locked while ``limit`` failures are in the window: until the limit-th newest one leaves it.
        if len(failures) < limit:
            return None
        return clock.as_utc(failures[limit - 1]) + self.window

    def _lockout(self, scope: str, username: str, remote_addr: str, failures: int, until: datetime) -> None:
        log.warning("login locked (%s): username=%r remote_addr=%s until %s", scope, username, remote_addr,
                    until.isoformat())
        self.session.add(SecurityEvent(
            action="login_locked", username=username, remote_addr=remote_addr,
            details={"scope": scope, "failures": failures, "locked_until": until.isoformat(),
                     "window_seconds": int(self.window.total_seconds())}))


    def is_locked(self, scope: str, username: str, remote_addr: str) -> bool:
        """Whether the account (scope "account") or the address (scope "address") is locked now."""
        standing = self.standing(username, remote_addr)
        until = standing.account_locked_until if scope == "account" else standing.address_locked_until
        return until is not None

    def unlock(self, scope: str, key: str, *, by: str) -> int:
        """An admin lifts a lock: forget the account's (or address's) failures; return how many were dropped."""
        if scope not in ("account", "address"):
            raise ValueError(f"unknown lock scope {scope!r}")
        column = LoginAttempt.username if scope == "account" else LoginAttempt.remote_addr
        key = storable(key)
        with unit_of_work(self.session):
            dropped = self.session.execute(
                delete(LoginAttempt).where(column == key, LoginAttempt.success.is_(False))).rowcount
            self.session.add(SecurityEvent(
                action="login_unlocked", username=key if scope == "account" else None,
                remote_addr=key if scope == "address" else None,
                details={"scope": scope, "by": by, "failures_dropped": dropped}))
        log.warning("login unlocked (%s) %r by %s", scope, key, by)
        return dropped


def security_events(session: Session, limit: int = 200) -> list[SecurityEvent]:
    """The most recent security events (lockouts and unlocks), newest first: the admin's 安全事件 page."""
    return list(session.scalars(select(SecurityEvent).order_by(SecurityEvent.id.desc()).limit(limit)))
