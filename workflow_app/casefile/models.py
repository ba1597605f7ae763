"""Submissions: each step's form data exactly as it was submitted, with the form version and who and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflow_app import clock
from workflow_app.db import Base


class Submission(Base):
    """One step's submission (or a staff start's variables): never updated; a resubmission is a new row."""

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))  # None: the variables a case was started with
    task_name: Mapped[str | None] = mapped_column(String(128))  # the BPMN element id
    title: Mapped[str] = mapped_column(String(255))
    candidate_group: Mapped[str | None] = mapped_column(String(64))  # the lane: whose submission it is
    form: Mapped[str | None] = mapped_column(String(255))  # the form file; its version is the definition's
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"))
    form_version: Mapped[int]
    # Plain JSON, not JSONB: form data may hold NUL characters (kept as submitted), which jsonb refuses.
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    opinion: Mapped[str | None] = mapped_column(Text)
    submitted_by: Mapped[str | None] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(default=clock.now)
