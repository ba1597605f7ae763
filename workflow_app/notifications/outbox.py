"""Queueing messages in the caller's transaction: they are delivered only if the change commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_app.notifications.models import Channel, OutboxMessage


def enqueue(session: Session, *, channel: Channel, recipient: str, subject: str, body: str,
            payload: dict[str, Any] | None = None, dedupe_key: str | None = None,
            instance_id: str | None = None) -> OutboxMessage:
    """Add a message to the outbox (no commit). With a ``dedupe_key`` already queued, return that message."""
    if dedupe_key is not None:
        existing = session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)).first()
        if existing is not None:
            return existing
    message = OutboxMessage(channel=channel, recipient=recipient, subject=subject[:255], body=body,
                            payload=payload or {}, dedupe_key=dedupe_key, instance_id=instance_id)
    session.add(message)
    return message
