"""Month-by-month figures of the supervisor dashboard, within one scope and one period of months.

- on-time rate: tasks with a due time completed in the month (local calendar, Asia/Shanghai), and of them
  those completed by their due time;
- registration working days: decided registrations by the month of their decision (the statutory clock's
  last ``clock_stop``), with the mean and median working days the clock counted and how many kept the limit.

Definitions in docs/reports.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from statistics import median
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from workflow_app import clock
from workflow_app.instances.models import AuditEvent, ProcessInstance
from workflow_app.reports.scope import Scope
from workflow_app.tasks.models import HumanTask, TaskStatus

DEFAULT_MONTHS = 12
MAX_MONTHS = 36
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class PeriodError(ValueError):
    """A period the user typed that is no period (the message is shown as is)."""


def _month_start(year: int, month: int) -> datetime:
    return clock.as_utc(datetime(year, month, 1, tzinfo=clock.LOCAL_TZ))


def _next(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


@dataclass(frozen=True)
class Period:
    """Whole local months ``first`` to ``last`` (``YYYY-MM``), both included."""

    first: str
    last: str

    def months(self) -> list[tuple[str, datetime, datetime]]:
        """Each month with its start and end as UTC moments."""
        year, month = int(self.first[:4]), int(self.first[5:])
        result = []
        while f"{year:04d}-{month:02d}" <= self.last:
            following = _next(year, month)
            result.append((f"{year:04d}-{month:02d}", _month_start(year, month), _month_start(*following)))
            year, month = following
        return result

    @property
    def start(self) -> datetime:
        return self.months()[0][1]

    @property
    def end(self) -> datetime:
        return self.months()[-1][2]

    def holds(self, month: str) -> bool:
        return self.first <= month <= self.last


def default_period(today: date | None = None) -> Period:
    """The last DEFAULT_MONTHS local months, this one included."""
    today = today or clock.local_now().date()
    year, month = today.year, today.month - (DEFAULT_MONTHS - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return Period(f"{year:04d}-{month:02d}", f"{today.year:04d}-{today.month:02d}")


def _month(text: str, label: str) -> str:
    found = MONTH.match(text)
    if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 2000:
        raise PeriodError(f"{label}应为形如 2026-01 的月份")
    return text


def parse_period(first: str | None, last: str | None, today: date | None = None) -> Period:
    """The period of ``?from=&to=`` (either may be empty: the default's end); PeriodError when malformed,
    reversed or longer than MAX_MONTHS."""
    default = default_period(today)
    if not first and not last:
        return default
    end = _month(last.strip(), "截止月份") if last else default.last
    start = _month(first.strip(), "起始月份") if first else None
    if start is None:
        year, month = int(end[:4]), int(end[5:]) - (DEFAULT_MONTHS - 1)
        while month < 1:
            year, month = year - 1, month + 12
        start = f"{year:04d}-{month:02d}"
    if start > end:
        raise PeriodError("起始月份不能晚于截止月份")
    span = (int(end[:4]) - int(start[:4])) * 12 + int(end[5:]) - int(start[5:]) + 1
    if span > MAX_MONTHS:
        raise PeriodError(f"统计期间最长 {MAX_MONTHS} 个月")
    return Period(start, end)


@dataclass(frozen=True)
class MonthRate:
    """Tasks with a due time completed in one month, and those completed by it."""

    month: str
    completed: int
    on_time: int

    @property
    def rate(self) -> float | None:
        return self.on_time / self.completed if self.completed else None


@dataclass(frozen=True)
class MonthWorkdays:
    """Registrations decided in one month: how many, the working days the clock counted, within the limit."""

    month: str
    decided: int
    mean_workdays: float | None
    median_workdays: float | None
    within_limit: int


def _month_bucket(column: Any, period: Period) -> Any:
    return case(*[(and_(column >= start, column < end), month) for month, start, end in period.months()],
                else_=None)


def on_time_by_month(session: Session, scope: Scope, period: Period) -> list[MonthRate]:
    """Every month of ``period`` (zero rows included) with its completed tasks and those on time."""
    inner = select(_month_bucket(HumanTask.completed_at, period).label("month"),
                   case((HumanTask.completed_at <= HumanTask.due_at, 1), else_=0).label("on_time")).where(
        HumanTask.status == TaskStatus.COMPLETED, HumanTask.due_at.is_not(None),
        HumanTask.completed_at >= period.start, HumanTask.completed_at < period.end,
        scope.covers(HumanTask.region_code)).subquery()
    counted = {month: (n, int(on_time or 0)) for month, n, on_time in session.execute(
        select(inner.c.month, func.count(), func.sum(inner.c.on_time)).group_by(inner.c.month))}
    return [MonthRate(month, *counted.get(month, (0, 0))) for month, _start, _end in period.months()]


def decided_registrations(session: Session, scope: Scope) -> list[tuple[datetime, dict[str, Any]]]:
    """(decision time, details) of the last ``clock_stop`` of each registration in the scope."""
    last_stop = select(func.max(AuditEvent.id)).join(ProcessInstance, ProcessInstance.id == AuditEvent.instance_id) \
        .where(AuditEvent.action == "clock_stop", ProcessInstance.process_key == "registration",
               scope.covers(ProcessInstance.region_code)).group_by(AuditEvent.instance_id)
    return [(at, details) for at, details in session.execute(
        select(AuditEvent.at, AuditEvent.details).where(AuditEvent.id.in_(last_stop)))]


def workdays_of(details: dict[str, Any]) -> tuple[int, bool] | None:
    """(working days used, within the limit) of a ``clock_stop``, None when it counted none."""
    days, limit = details.get("used_workdays"), details.get("limit_workdays")
    if not isinstance(days, int):
        return None
    return days, isinstance(limit, int) and days <= limit


def registration_by_month(session: Session, scope: Scope, period: Period) -> list[MonthWorkdays]:
    """Every month of ``period`` with the registrations decided in it."""
    used: dict[str, list[tuple[int, bool]]] = {month: [] for month, _s, _e in period.months()}
    for at, details in decided_registrations(session, scope):
        month = clock.as_utc(at).astimezone(clock.LOCAL_TZ).strftime("%Y-%m")
        counted = workdays_of(details)
        if counted is not None and month in used:
            used[month].append(counted)
    return [MonthWorkdays(month, len(rows), round(sum(d for d, _ in rows) / len(rows), 1) if rows else None,
                          float(median(d for d, _ in rows)) if rows else None, sum(ok for _, ok in rows))
            for month, rows in used.items()]
