"""The outbox: one row per message to deliver (e-mail or webhook)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflow_app import clock
from workflow_app.db import Base, enum_column


class Channel(enum.StrEnum):
    """How a message travels."""

    EMAIL = "email"
    WEBHOOK = "webhook"


class OutboxStatus(enum.StrEnum):
    """Delivery state; ``dead`` after the last retry failed (visible to admins)."""

    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"


class OutboxMessage(Base):
    """A message waiting for (or done with) delivery."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    recipient: Mapped[str] = mapped_column(String(512))  # an e-mail address or a webhook URL
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Makes enqueueing idempotent: the same alert is never queued twice for the same recipient.
    dedupe_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    instance_id: Mapped[str | None] = mapped_column(String(36), index=True)
    status: Mapped[OutboxStatus] = mapped_column(enum_column(OutboxStatus), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=clock.now)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    sent_at: Mapped[datetime | None]
