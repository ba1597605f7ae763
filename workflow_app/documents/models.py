"""A rendered document, stored with its case exactly as it was issued."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflow_app import clock
from workflow_app.db import Base


def _new_id() -> str:
    return str(uuid.uuid4())


class Document(Base):
    """One issued document. Never re-rendered: the stored HTML is what was issued."""

    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_instance_created", "instance_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_new_id)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"))
    # The template path under bpmn/documents/ ("registration/prior_notice.html") and its kind
    # (the path without ".html": "registration/prior_notice").
    template: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(255), index=True)
    title: Mapped[str] = mapped_column(String(255))
    number: Mapped[str | None] = mapped_column(String(128), index=True)  # 文号 / certificate number
    html: Mapped[str] = mapped_column(Text)
    task_name: Mapped[str | None] = mapped_column(String(128))  # the service task that issued it
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by: Mapped[str | None] = mapped_column(String(64))
