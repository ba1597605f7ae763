"""A rendered document, stored with its case exactly as it was issued, and its life: issued → served
(送达: method, date, 回证) or void (作废, with the reason; its number is never reused)."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflow_app import clock
from workflow_app.db import Base, enum_column


class DocumentStatus(enum.StrEnum):
    """Where a document stands: issued (出具), served on the party (已送达), or void (已作废)."""

    ISSUED = "issued"
    SERVED = "served"
    VOID = "void"


class ServiceMethod(enum.StrEnum):
    """How a document was served (送达方式, 民事诉讼法 87–95 as 行政处罚法 61 refers to them)."""

    DIRECT = "direct"  # 直接送达 (incl. 留置送达)
    MAIL = "mail"  # 邮寄送达
    ELECTRONIC = "electronic"  # 电子送达: only with the party's consent
    ANNOUNCEMENT = "announcement"  # 公告送达


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
    task_id: Mapped[str | None] = mapped_column(String(36))  # that task's engine id: 退回 past it voids the document
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[DocumentStatus] = mapped_column(enum_column(DocumentStatus), default=DocumentStatus.ISSUED,
                                                   server_default=DocumentStatus.ISSUED.value)
    served_on: Mapped[date | None]  # the day the party received it (deadlines "from service" count from here)
    service_method: Mapped[ServiceMethod | None] = mapped_column(enum_column(ServiceMethod), nullable=True)
    service_receipt: Mapped[str | None] = mapped_column(String(36))  # the 送达回证 scan (an attachment id)
    service_note: Mapped[str | None] = mapped_column(Text)
    served_recorded_by: Mapped[str | None] = mapped_column(String(64))
    voided_at: Mapped[datetime | None]
    void_reason: Mapped[str | None] = mapped_column(Text)
