"""Working-day arithmetic over the State Council's schedule: pure functions, no database.

Built-in data comes from the ``chinesecalendar`` library for the years it knows; admin
overrides win over it and cover later years. A later year the admin has not entered still keeps
its statutory holidays (:mod:`workflow_app.calendar.statutory`); only its 调休 shifts are unknown. Days are handled as proleptic ordinals and
each year's working days are kept as a sorted list, so a due date is a couple of bisects.
"""

from __future__ import annotations

import enum
import functools
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import chinese_calendar

from workflow_app.calendar.statutory import statutory_days
from workflow_app.clock import LOCAL_TZ, as_utc


class DayKind(enum.StrEnum):
    """How a day departs from the plain Mon–Fri week."""

    HOLIDAY = "holiday"  # off although a weekday
    WORKDAY = "workday"  # a 调休 make-up working day although Saturday/Sunday


_LIB_OFF: dict[date, str] = dict(chinese_calendar.holidays)
_LIB_ON: dict[date, str] = dict(chinese_calendar.workdays)
_LIB_OFF_ORD = frozenset(d.toordinal() for d in _LIB_OFF)
_LIB_ON_ORD = frozenset(d.toordinal() for d in _LIB_ON)
# The library names its days in English; the admin page shows 国庆节, not "National Day".
_CHINESE_NAMES = {h.value: h.chinese for h in chinese_calendar.Holiday}
LIBRARY_YEARS = range(min(d.year for d in _LIB_OFF), max(d.year for d in _LIB_OFF) + 1)
END_OF_DAY = time(23, 59, 59)
MAX_LIMIT_DAYS = 3660  # about ten years: anything longer is a typo in a BPMN file, not a statutory clock


def library_days(year: int) -> list[tuple[date, DayKind, str]]:
    """Return the library's days of ``year`` that differ from the plain week, with their Chinese names."""
    if year not in LIBRARY_YEARS:
        return []
    days = [(d, DayKind.HOLIDAY, n) for d, n in _LIB_OFF.items() if d.year == year and d.weekday() < 5]
    days += [(d, DayKind.WORKDAY, n) for d, n in _LIB_ON.items() if d.year == year and d.weekday() >= 5]
    return sorted((d, kind, _CHINESE_NAMES.get(n, n)) for d, kind, n in days)


def provisional_days(year: int) -> list[tuple[date, DayKind, str]]:
    """Return the statutory holidays on weekdays of a year outside the library (its 调休 are not known yet)."""
    if year in LIBRARY_YEARS:
        return []
    return [(d, DayKind.HOLIDAY, n) for d, n in statutory_days(year).items() if d.weekday() < 5]


def uncovered_warning(years: Iterable[int]) -> str:
    """The ``due_warning`` of a due date counted through years whose State Council notice is not entered."""
    listed = ", ".join(str(y) for y in sorted(years))
    return f"{listed} 年放假调休安排尚未公布，期限暂按法定节假日计算（未计调休）"


class WorkCalendar:
    """Which days are working days: overrides, else the library for its years, else Mon–Fri."""

    def __init__(self, overrides: Mapping[date, DayKind] | None = None, covered_years: Iterable[int] = ()) -> None:
        self._overrides = {d.toordinal(): DayKind(k) is DayKind.WORKDAY for d, k in (overrides or {}).items()}
        self._completed = frozenset(covered_years)
        self._years: dict[int, list[int]] = {}
        self._uncovered: dict[tuple[int, int], frozenset[int]] = {}
        self._statutory: dict[int, frozenset[int]] = {}

    def _is_work(self, ordinal: int) -> bool:
        override = self._overrides.get(ordinal)
        if override is not None:
            return override
        # Outside the library's years these sets simply contain nothing, so no year check is needed.
        if ordinal in _LIB_ON_ORD:
            return True
        if ordinal in _LIB_OFF_ORD:
            return False
        if (ordinal - 1) % 7 >= 5:  # ordinal 1 (0001-01-01) is a Monday
            return False
        year = date.fromordinal(ordinal).year
        if year in LIBRARY_YEARS:
            return True
        statutory = self._statutory.get(year)
        if statutory is None:
            statutory = frozenset(d.toordinal() for d in statutory_days(year))
            self._statutory[year] = statutory
        return ordinal not in statutory

    def _year(self, year: int) -> list[int]:
        days = self._years.get(year)
        if days is None:
            first, last = date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal()
            days = [o for o in range(first, last + 1) if self._is_work(o)]
            self._years[year] = days
        return days

    def is_workday(self, day: date) -> bool:
        """True when ``day`` is a working day."""
        return self._is_work(day.toordinal())

    def covers(self, year: int) -> bool:
        """True when ``year``'s schedule is known: built into the library or marked complete by an admin."""
        return year in LIBRARY_YEARS or year in self._completed

    def uncovered_years(self, start: date, end: date) -> set[int]:
        """Return the years from ``start`` to ``end`` (inclusive, either order) that nobody covers."""
        return set(self.uncovered_between(min(start.year, end.year), max(start.year, end.year)))

    def uncovered_between(self, first: int, last: int) -> frozenset[int]:
        """Return the uncovered years from ``first`` to ``last`` inclusive (cached: the scan asks often)."""
        found = self._uncovered.get((first, last))
        if found is None:
            found = frozenset(y for y in range(first, last + 1) if not self.covers(y))
            self._uncovered[(first, last)] = found
        return found

    def add_workdays(self, start: date, n: int) -> date:
        """Return the ``n``-th working day after ``start`` (``start`` itself is not counted; n ≥ 1)."""
        if n < 1:
            raise ValueError(f"working days to add must be at least 1, got {n}")
        year = start.year
        days = self._year(year)
        index = bisect_right(days, start.toordinal()) + n - 1
        while index >= len(days):
            index -= len(days)
            year += 1
            days = self._year(year)
        return date.fromordinal(days[index])

    def next_workday(self, day: date) -> date:
        """Return ``day`` if it is a working day, else the first working day after it."""
        return day if self.is_workday(day) else self.add_workdays(day, 1)

    def add_days(self, start: date, n: int) -> date:
        """Return ``start`` + ``n`` calendar days, moved to the next working day when that day is off."""
        if n < 0:
            raise ValueError(f"calendar days to add must not be negative, got {n}")
        return self.next_workday(start + timedelta(days=n))

    def count_workdays(self, after: date, through: date) -> int:
        """Count the working days later than ``after`` up to and including ``through`` (0 if none)."""
        low, high = after.toordinal(), through.toordinal()
        total = 0
        for year in range(after.year, through.year + 1):
            days = self._year(year)
            lo = bisect_right(days, low) if year == after.year else 0
            hi = bisect_right(days, high) if year == through.year else len(days)
            total += max(hi - lo, 0)
        return total


class LimitKind(enum.StrEnum):
    """How a time limit counts."""

    WORKDAYS = "wd"
    DAYS = "d"
    SPAN = "span"  # an exact ISO 8601 duration


@dataclass(frozen=True, slots=True)
class TimeLimit:
    """A parsed ``timeLimit``: N working days, N calendar days, or an exact span."""

    kind: LimitKind
    days: int = 0
    span: timedelta = timedelta(0)
    text: str = field(default="", compare=False)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Due:
    """A due moment (aware, UTC) and the years it was counted through without a known schedule."""

    at: datetime
    uncovered_years: frozenset[int] = frozenset()


_DAYS_RE = re.compile(r"(\d+)(wd|d)", re.IGNORECASE | re.ASCII)
_ISO_RE = re.compile(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", re.ASCII)
_ISO_CALENDAR_RE = re.compile(r"P[^T]*\d[YM]")


def parse_time_limit(text: str) -> TimeLimit:
    """Parse ``5wd``, ``30d`` or an ISO 8601 duration such as ``PT4H``/``P1DT2H``; raise ``ValueError`` otherwise."""
    if not isinstance(text, str):
        raise ValueError(f"time limit must be text such as '5wd', '30d' or 'PT4H', got {text!r}")
    return _parse(text)


@functools.lru_cache(maxsize=512)  # a handful of distinct limits, parsed again for every task of a scan
def _parse(text: str) -> TimeLimit:
    raw = text.strip()
    match = _DAYS_RE.fullmatch(raw)
    if match:
        n, unit = int(match.group(1)), match.group(2).lower()
        if not 1 <= n <= MAX_LIMIT_DAYS:
            raise ValueError(f"time limit {text!r}: the number of days must be between 1 and {MAX_LIMIT_DAYS}")
        kind = LimitKind.WORKDAYS if unit == "wd" else LimitKind.DAYS
        return TimeLimit(kind, days=n, text=f"{n}{unit}")
    iso = raw.upper()
    match = _ISO_RE.fullmatch(iso)
    if match and iso not in ("P", "PT"):
        weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
        span = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
        if span <= timedelta(0):
            raise ValueError(f"time limit {text!r} must be longer than zero")
        if span > timedelta(days=MAX_LIMIT_DAYS):
            raise ValueError(f"time limit {text!r} is longer than {MAX_LIMIT_DAYS} days")
        return TimeLimit(LimitKind.SPAN, span=span, text=iso)
    if _ISO_CALENDAR_RE.match(iso):
        # A month has no fixed length: say what to write instead of guessing one.
        raise ValueError(f"time limit {text!r}: years and months are not exact spans; use '30d' or '22wd'")
    raise ValueError(
        f"time limit {text!r} not understood: use '5wd' (working days), '30d' (calendar days) "
        "or an ISO 8601 duration such as 'PT4H', 'P2D', 'P1DT2H'"
    )


# Module-level constants: due_at runs for every open task of an escalation scan.
_SPAN, _WORKDAYS = LimitKind.SPAN, LimitKind.WORKDAYS
_ONE_DAY = timedelta(days=1)
_NONE: frozenset[int] = frozenset()


def end_of_local_day(day: date) -> datetime:
    """Return 23:59:59 Asia/Shanghai on ``day``, as an aware UTC datetime."""
    return datetime.combine(day, END_OF_DAY, LOCAL_TZ).astimezone(UTC)


def due_at(start: datetime, limit: TimeLimit | str, calendar: WorkCalendar) -> Due:
    """Return when a limit running from ``start`` ends, and the uncovered years it was counted through."""
    if isinstance(limit, str):
        limit = parse_time_limit(limit)
    start = as_utc(start)
    kind = limit.kind
    if kind is _SPAN:
        return Due(start + limit.span, _NONE)
    local_day = start.astimezone(LOCAL_TZ).date()
    if kind is _WORKDAYS:
        day = calendar.add_workdays(local_day, limit.days)
        first_year = (local_day + _ONE_DAY).year
    else:
        # Calendar days count regardless of the schedule; only the landing day's status matters.
        landing = local_day + timedelta(days=limit.days)
        day = calendar.next_workday(landing)
        first_year = landing.year
    return Due(end_of_local_day(day), calendar.uncovered_between(first_year, day.year))


def working_days_between(start: datetime, end: datetime, calendar: WorkCalendar) -> int:
    """Working days after ``start``'s local date up to and including ``end``'s; negative when ``end`` is earlier."""
    a = as_utc(start).astimezone(LOCAL_TZ).date()
    b = as_utc(end).astimezone(LOCAL_TZ).date()
    if b >= a:
        return calendar.count_workdays(a, b)
    return -calendar.count_workdays(b, a)
