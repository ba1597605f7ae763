"""The alerts table: one row per (task, level) of the escalation ladder, never two."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workflow_app import clock
from workflow_app.db import Base, enum_column


class AlertKind(enum.StrEnum):
    """The rung of the ladder; the level number is its position."""

    REMINDER = "reminder"  # level 1: to the assignee (or the group) before the due time
    OVERDUE = "overdue"  # level 2: to the supervisors of the task's region, once past due
    ESCALATED = "escalated"  # level 3: to the supervisors of the parent region, still overdue later


LEVELS: dict[int, AlertKind] = {1: AlertKind.REMINDER, 2: AlertKind.OVERDUE, 3: AlertKind.ESCALATED}


class AlertStatus(enum.StrEnum):
    """Open until someone acknowledges it; closed when its task is no longer open."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


class Alert(Base):
    """An alert raised for a task at one level; the unique (task_id, cycle, level) makes each fire once per
    round of work on the task (a task sent back to, 退回/撤回, starts a new cycle with a new time limit)."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("task_id", "cycle", "level"),
        Index("ix_alerts_status_region", "status", "region_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("human_tasks.id", ondelete="CASCADE"))
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    level: Mapped[int]
    cycle: Mapped[int] = mapped_column(default=0, server_default="0")  # the task's cycle when raised
    kind: Mapped[AlertKind] = mapped_column(enum_column(AlertKind))
    # The region whose people the alert addresses (the parent region for ``escalated``), and the task's own.
    region_code: Mapped[str | None] = mapped_column(String(12))
    task_region_code: Mapped[str | None] = mapped_column(String(12), index=True)
    # A reminder's addressee when the task was assigned; None means the task's group in its region.
    assignee: Mapped[str | None] = mapped_column(String(64))
    due_at: Mapped[datetime | None]  # the task's due time when the alert was raised
    status: Mapped[AlertStatus] = mapped_column(enum_column(AlertStatus), default=AlertStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None]
