"""A published announcement (公告)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflow_app import clock
from workflow_app.db import Base


class Announcement(Base):
    """One 公告: what was decided about which organization, by which authority, and its printable page."""

    __tablename__ = "announcements"
    __table_args__ = (Index("ix_announcements_published", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)  # 成立登记, 注销登记, 撤销登记, 公告送达 …
    title: Mapped[str] = mapped_column(String(255))
    html: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    # The case that published it; kept (as plain text) even if the case is purged later.
    instance_id: Mapped[str | None] = mapped_column(String(36), index=True)
    template: Mapped[str] = mapped_column(String(255))
    published_at: Mapped[datetime] = mapped_column(default=clock.now)
    published_by: Mapped[str | None] = mapped_column(String(64))
