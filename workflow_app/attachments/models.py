"""The attachments table: one row per file uploaded to a field of a task; the bytes live in the store."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from workflow_app import clock
from workflow_app.db import Base


def _new_id() -> str:
    return str(uuid.uuid4())


class Attachment(Base):
    """A file uploaded to an attachment field of a task. Never changed; the bytes are found by ``sha256``."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_task_field", "task_id", "field"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_new_id)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("human_tasks.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(128))  # the form field it was uploaded to
    filename: Mapped[str] = mapped_column(String(255))  # as uploaded, checked (never rewritten)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # the store's key
    content_type: Mapped[str] = mapped_column(String(127))  # sniffed from the bytes, not the name
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(default=clock.now)
