"""Deployed process definitions: immutable, one row per (key, version)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workflow_app import clock
from workflow_app.db import Base


class ProcessDefinition(Base):
    """A version of a process: its files, its parsed spec and what the inbox needs to know of its tasks."""

    __tablename__ = "process_definitions"
    __table_args__ = (
        UniqueConstraint("key", "version"),
        UniqueConstraint("key", "sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(128))
    sha256: Mapped[str] = mapped_column(String(64))
    # The file the process lives in, and every file it needs ({name: text}). Deferred, like the spec:
    # both are hundreds of KB, read once into in-process caches, and every case load joins this row.
    bpmn_file: Mapped[str] = mapped_column(String(255))
    files: Mapped[dict[str, Any]] = mapped_column(deferred=True)
    # The spec serialized once at deploy; instances store their state without it.
    spec_json: Mapped[str] = mapped_column(Text, deferred=True)
    # {bpmn_id: {"title", "lane", "form", "time_limit", "documentation"}} for every human task.
    task_meta: Mapped[dict[str, Any]]
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    deployed_at: Mapped[datetime] = mapped_column(default=clock.now)
    deployed_by: Mapped[str | None] = mapped_column(String(64))

    @property
    def bpmn_xml(self) -> str:
        """The XML of the process's own BPMN file."""
        return self.files[self.bpmn_file]
