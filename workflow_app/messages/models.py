"""The user_messages table: one row per message to one user, unread until they mark it read."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflow_app import clock
from workflow_app.db import Base, enum_column


class MessageKind(enum.StrEnum):
    """What happened that the user is told about."""

    URGE = "urge"  # 催办 of a task they hold (or may claim)
    CC = "cc"  # a task copied to them
    DELEGATE = "delegate"  # 委派 to them
    DELEGATE_DONE = "delegate_done"  # their delegate completed the task they delegated
    TRANSFER = "transfer"  # 转办 to them
    RETURNED = "returned"  # a step of theirs was sent back to them (退回)
    ALERT = "alert"  # an escalation alert addressed to them
    CASE_MOVED = "case_moved"  # a case they started moved on (a step done, or the case finished)


class UserMessage(Base):
    """A message to one user; ``read_at`` is set when they mark it read."""

    __tablename__ = "user_messages"
    __table_args__ = (
        # The bell: a user's unread count; the 消息 page: a user's messages, newest first.
        Index("ix_user_messages_unread", "username", "read_at"),
        Index("ix_user_messages_username_id", "username", "id"),
        # Retention (workflow_app/retention.py): read ones by read_at, unread ones (read_at NULL) by created_at.
        Index("ix_user_messages_retention", "read_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    kind: Mapped[MessageKind] = mapped_column(enum_column(MessageKind, 24))
    title: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text, default="")
    instance_id: Mapped[str | None] = mapped_column(String(36))
    task_id: Mapped[str | None] = mapped_column(String(36))
    alert_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    read_at: Mapped[datetime | None]
