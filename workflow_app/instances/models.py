"""Running cases: the instance row with its saved engine state, and its audit trail."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow_app import clock
from workflow_app.db import Base, enum_column
from workflow_app.definitions.models import ProcessDefinition


class InstanceStatus(enum.StrEnum):
    """Lifecycle of a case."""

    RUNNING = "running"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    ERROR = "error"


def new_id() -> str:
    """A random identifier that does not reveal how many cases exist."""
    return str(uuid.uuid4())


class ProcessInstance(Base):
    """One case. ``version`` is the optimistic lock: a save that finds another version fails."""

    __tablename__ = "process_instances"
    __table_args__ = (
        Index("ix_process_instances_status_next_timer", "status", "next_timer_at"),
        Index("ix_process_instances_key_status", "process_key", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(64))
    business_key: Mapped[str | None] = mapped_column(String(128), index=True)
    status: Mapped[InstanceStatus] = mapped_column(enum_column(InstanceStatus))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    started_by: Mapped[str | None] = mapped_column(String(64), index=True)  # "my cases" and visibility filter on it
    started_at: Mapped[datetime] = mapped_column(default=clock.now)
    ended_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    clock_paused: Mapped[bool] = mapped_column(default=False)
    # The statutory clock (handlers/clock.py): its limit, and the working days left while paused.
    clock_limit_wd: Mapped[int | None]
    clock_remaining_wd: Mapped[int | None]
    next_timer_at: Mapped[datetime | None]
    state_json: Mapped[str] = mapped_column(Text)
    error: Mapped[dict[str, Any] | None]
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    definition: Mapped[ProcessDefinition] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class AuditEvent(Base):
    """An append-only record of something that happened to a case (审批记录)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    task_name: Mapped[str | None] = mapped_column(String(128))
    actor: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    opinion: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=clock.now)
