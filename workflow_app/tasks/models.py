"""The human-task table: a plain, indexed mirror of every user task for inboxes and scans."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
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
        # Overdue scan: open tasks by due time; a supervisor's 'all' tab: a status's tasks in due order
        # (created_at and id break ties as the inbox's sort does).
        Index("ix_human_tasks_status_order", "status", "due_at", "created_at", "id"),
        # Supervisors' oversight: every task of the regions below theirs, by status.
        Index("ix_human_tasks_region_status", "region_code", "status", "due_at"),
        # 已办: what a user completed (visibility and the "mine" tab of closed tasks). The
        # visibility branches each lead with their own column then status, so that on SQLite (no
        # statistics) each wins over the (status, due_at) index that a status filter also matches.
        Index("ix_human_tasks_completed_by", "completed_by", "status", "due_at"),
        Index("ix_human_tasks_delegated_from", "delegated_from", "status", "due_at"),
        # Applicants: the applicant-lane tasks of their organization's cases.
        Index("ix_human_tasks_organization", "organization_id", "status", "due_at"),
        # A case's open tasks: what the sync after each step reads (not the case's whole history).
        Index("ix_human_tasks_instance_status", "instance_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"))
    process_key: Mapped[str] = mapped_column(String(64))
    business_key: Mapped[str | None] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(128))  # the BPMN element id
    title: Mapped[str] = mapped_column(String(255))
    candidate_group: Mapped[str | None] = mapped_column(String(64))
    region_code: Mapped[str | None] = mapped_column(String(12))
    organization_id: Mapped[int | None]  # the case's organization: applicants see its tasks
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
    escalation_level: Mapped[int] = mapped_column(default=0)  # the highest alert level of this cycle
    # Rounds of work on this task: a task sent back to (退回/撤回) reopens with a new time limit and
    # climbs the escalation ladder afresh, so its alerts are unique per (task, cycle, level).
    cycle: Mapped[int] = mapped_column(default=0, server_default="0")
    # 委派: who handed the task to the current assignee; the delegate's completion returns it to them.
    delegated_from: Mapped[str | None] = mapped_column(String(64))


def _big_id() -> Mapped[int]:
    return mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)


class TaskCopy(Base):
    """抄送: a task copied to a user, who may then read it (never act on it)."""

    __tablename__ = "task_copies"
    __table_args__ = (
        UniqueConstraint("task_id", "username"),
        # 抄送我的: a user's copies, newest first; also the visibility subquery.
        Index("ix_task_copies_username", "username", "created_at"),
    )

    id: Mapped[int] = _big_id()
    task_id: Mapped[str] = mapped_column(ForeignKey("human_tasks.id", ondelete="CASCADE"))
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    username: Mapped[str] = mapped_column(String(64))
    copied_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class TaskComment(Base):
    """A remark on a task by anyone who can see it (批注); also written to the case's audit trail."""

    __tablename__ = "task_comments"
    __table_args__ = (Index("ix_task_comments_task", "task_id", "id"),)

    id: Mapped[int] = _big_id()
    task_id: Mapped[str] = mapped_column(ForeignKey("human_tasks.id", ondelete="CASCADE"))
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class TaskUrge(Base):
    """催办: one reminder the case's starter sent about a task (the rate limit reads these)."""

    __tablename__ = "task_urges"
    __table_args__ = (Index("ix_task_urges_task_at", "task_id", "at"),)

    id: Mapped[int] = _big_id()
    task_id: Mapped[str] = mapped_column(ForeignKey("human_tasks.id", ondelete="CASCADE"))
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    urged_by: Mapped[str] = mapped_column(String(64))
    recipients: Mapped[int] = mapped_column(default=0)
    at: Mapped[datetime] = mapped_column(default=clock.now)
