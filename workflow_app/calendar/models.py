"""The admin-editable calendar: per-day overrides of the built-in schedule and which years are entered."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from workflow_app import clock
from workflow_app.calendar.workdays import DayKind
from workflow_app.db import Base, enum_column

__all__ = ["CalendarDay", "CalendarYear", "DayKind"]


class CalendarDay(Base):
    """One day whose status an admin set: a holiday on a weekday or a 调休 working weekend day."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    kind: Mapped[DayKind] = mapped_column(enum_column(DayKind))
    name: Mapped[str | None] = mapped_column(String(64))  # e.g. 国庆节
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


class CalendarYear(Base):
    """A year whose schedule an admin has entered completely, so due dates in it are no longer flagged."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    complete: Mapped[bool] = mapped_column(default=False)
    # Bumped by every change to the year's days or flag: the in-process calendar cache keys on the sum,
    # which (unlike max(updated_at) under a frozen clock) always moves.
    revision: Mapped[int] = mapped_column(default=0)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
