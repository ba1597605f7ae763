"""The human-task table: a plain, indexed mirror of every user task for inboxes and scans."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from workflow_app import clock
from workflow_app.db import Base, enum_column


class TaskStatus(enum.StrEnum):
    """Where a human task stands; only ready and claimed tasks can be worked."""

    READY = "ready"
    CLAIMED = "claimed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        """True while someone still has to act on the task."""
        return self in (TaskStatus.READY, TaskStatus.CLAIMED)


OPEN_STATUSES = (TaskStatus.READY, TaskStatus.CLAIMED)


class HumanTask(Base):
    """A user task of a case; ``id`` is SpiffWorkflow's task id."""

    __tablename__ = "human_tasks"
    __table_args__ = (
        # Group inbox: open tasks of a lane in a region, soonest due first.
        Index("ix_human_tasks_inbox", "candidate_group", "region_code", "status", "due_at"),
        Index("ix_human_tasks_assignee", "assignee", "status", "due_at"),
        # Overdue scan: open tasks by due time.
        Index("ix_human_tasks_status_due", "status", "due_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    process_key: Mapped[str] = mapped_column(String(64))
    business_key: Mapped[str | None] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(128))  # the BPMN element id
    title: Mapped[str] = mapped_column(String(255))
    candidate_group: Mapped[str | None] = mapped_column(String(64))
    region_code: Mapped[str | None] = mapped_column(String(12))
    organization_id: Mapped[int | None] = mapped_column(index=True)  # the case's organization: applicants see its tasks
    assignee: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[TaskStatus] = mapped_column(enum_column(TaskStatus))
    form: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    due_at: Mapped[datetime | None]
    # Set when the due date was counted over a year the calendar does not cover (plain weekdays were
    # used): shown on the task and the admin page instead of being silently wrong.
    due_warning: Mapped[str | None] = mapped_column(String(255))
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(64))
    escalation_level: Mapped[int] = mapped_column(default=0)
