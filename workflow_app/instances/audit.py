"""Appending to a case's audit trail; events are never updated or deleted."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_app.instances.models import AuditEvent


def record(session: Session, instance_id: str, *, action: str, actor: str | None,
           task_id: str | None = None, task_name: str | None = None, opinion: str | None = None,
           details: dict[str, Any] | None = None) -> AuditEvent:
    """Add one event to the current transaction (it commits or rolls back with the change it describes)."""
    event = AuditEvent(instance_id=instance_id, action=action, actor=actor, task_id=task_id,
                       task_name=task_name, opinion=opinion, details=details or {})
    session.add(event)
    return event


def history(session: Session, instance_id: str) -> list[AuditEvent]:
    """Every event of the case, oldest first."""
    return list(session.scalars(
        select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id)
    ))
