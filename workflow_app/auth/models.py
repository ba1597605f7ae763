"""Login attempts (the password-guessing throttle counts them) and security events (lockouts) an admin reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from workflow_app import clock
from workflow_app.db import Base


class LoginAttempt(Base):
    """One try at a password, kept for the throttle window only (older rows are pruned)."""

    __tablename__ = "login_attempts"
    # The throttle asks "failures of this account / this address since T": one index for each.
    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_remote_addr_at", "remote_addr", "at"),
        Index("ix_login_attempts_at", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    remote_addr: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=clock.now)
    success: Mapped[bool]


class SecurityEvent(Base):
    """An append-only record of something security-relevant outside any case (e.g. a login lockout)."""

    __tablename__ = "security_events"
    __table_args__ = (Index("ix_security_events_at", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=clock.now)
    action: Mapped[str] = mapped_column(String(32))
    username: Mapped[str | None] = mapped_column(String(64))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
