"""The monthly party-coverage snapshot: one row per region per month, the trend the dashboard draws."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workflow_app import clock
from workflow_app.db import Base


class PartyCoverageSnapshot(Base):
    """Counts of the active organizations registered by one region (its own level, not below) in one month.

    Rows of a scope add up (a city's figure is the sum of its own row and its counties'), so the
    trend of any region is one SUM over the rows at or below it.
    """

    __tablename__ = "party_coverage_snapshots"
    __table_args__ = (UniqueConstraint("month", "region_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))  # "2026-12" (Beijing calendar month)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    active_count: Mapped[int]
    single_count: Mapped[int]  # 单独组建
    joint_count: Mapped[int]  # 联合组建
    temporary_count: Mapped[int]  # 临时组建
    instructor_count: Mapped[int]  # 党建工作指导员 only (工作覆盖)
    charter_clause_count: Mapped[int]  # 党建入章
    taken_at: Mapped[datetime] = mapped_column(default=clock.now)
