"""Reading and editing the working-day calendar; builds the :class:`WorkCalendar` due dates use."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow_app import clock
from workflow_app.calendar.models import CalendarDay, CalendarYear
from workflow_app.calendar.notice import Notice, parse_notice
from workflow_app.calendar.workdays import DayKind, WorkCalendar, library_days, provisional_days
from workflow_app.db import unit_of_work
from workflow_app.errors import Conflict, InvalidInput

MIN_YEAR, MAX_YEAR = 1990, 2199  # wider than any schedule anyone will enter; catches typos like 20267
MAX_NAME = 64
_KINDS = frozenset(k.value for k in DayKind)

# One built calendar per engine, with the change key it was built at. Keyed by engine because
# tests (and tools) open several databases in one process.
_cache: weakref.WeakKeyDictionary[Engine, tuple[tuple[Any, ...], WorkCalendar]] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


# Built once: this runs for every new task with a time limit, and building the statement cost more
# than running it.
_CHANGE_KEY = select(
    select(func.count()).select_from(CalendarDay).scalar_subquery(),
    select(func.max(CalendarDay.updated_at)).scalar_subquery(),
    select(func.count()).select_from(CalendarYear).scalar_subquery(),
    select(func.coalesce(func.sum(CalendarYear.revision), 0)).scalar_subquery(),
)


class CalendarService:
    """Reads and edits the admin calendar; owns its transactions."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def calendar(self) -> WorkCalendar:
        """Return the working-day calendar of the database, rebuilt only when the tables changed."""
        engine = self._engine()
        key = self._change_key()
        with _cache_lock:
            cached = _cache.get(engine)
        if cached is not None and cached[0] == key:
            return cached[1]
        built = self._build()
        with _cache_lock:
            _cache[engine] = (key, built)
        return built

    def year(self, year: int) -> list[dict[str, Any]]:
        """Return the days of ``year`` that differ from the plain week, from the library and the overrides."""
        _check_year(year)
        entries = {
            day: {"date": day, "kind": kind, "name": name, "source": "library"}
            for day, kind, name in library_days(year)
        }
        if not self.is_complete(year):
            # A year nobody has entered still has its statutory days; flagged as provisional.
            entries.update({day: {"date": day, "kind": kind, "name": name, "source": "statutory"}
                            for day, kind, name in provisional_days(year)})
        first, last = date(year, 1, 1), date(year, 12, 31)
        rows = self.session.execute(
            select(CalendarDay.day, CalendarDay.kind, CalendarDay.name).where(CalendarDay.day.between(first, last))
        )
        for day, kind, name in rows:
            entries[day] = {"date": day, "kind": kind, "name": name, "source": "override"}
        return [entries[day] for day in sorted(entries)]

    def is_complete(self, year: int) -> bool:
        """True when an admin marked ``year``'s schedule as entered."""
        return bool(self.session.scalar(select(CalendarYear.complete).where(CalendarYear.year == year)))

    def set_days(
        self, year: int, days: Sequence[Mapping[str, Any]], actor: str, complete: bool | None = None
    ) -> list[dict[str, Any]]:
        """Replace ``year``'s overrides with ``days`` in one transaction; return the year's listing."""
        _check_year(year)
        wanted = _validate_days(year, days)
        first, last = date(year, 1, 1), date(year, 12, 31)
        try:
            with unit_of_work(self.session) as sess:
                _touch_year(sess, year, actor, complete)
                sess.execute(delete(CalendarDay).where(CalendarDay.day.between(first, last)))
                now = clock.now()
                sess.add_all(
                    CalendarDay(day=day, kind=kind, name=name, updated_by=actor, updated_at=now)
                    for day, (kind, name) in sorted(wanted.items())
                )
        except IntegrityError as exc:
            raise Conflict(f"the calendar for {year} was changed at the same time; reload and try again") from exc
        self._forget()
        return self.year(year)

    def preview_notice(self, text: str, year: int | None = None) -> Notice:
        """Parse a State Council notice without storing it; raise ``NoticeError`` naming the bad line."""
        notice = parse_notice(text, year)
        _check_year(notice.year)
        return notice

    def import_notice(self, text: str, actor: str, year: int | None = None) -> Notice:
        """Store a notice's days off and make-up days as ``year``'s overrides and mark the year complete."""
        notice = self.preview_notice(text, year)
        days = [{"date": d.day, "kind": d.kind, "name": d.name[:MAX_NAME]}
                for d in notice.holidays() + notice.workdays()]
        self.set_days(notice.year, days, actor=actor, complete=True)
        return notice

    def mark_complete(self, year: int, complete: bool = True, actor: str | None = None) -> None:
        """Mark ``year``'s schedule as entered (or not), which stops due dates in it being flagged."""
        _check_year(year)
        try:
            with unit_of_work(self.session) as sess:
                _touch_year(sess, year, actor, complete)
        except IntegrityError as exc:
            raise Conflict(f"the calendar for {year} was changed at the same time; reload and try again") from exc
        self._forget()

    def _engine(self) -> Engine:
        bind = self.session.get_bind()
        return bind.engine if isinstance(bind, Connection) else bind

    def _change_key(self) -> tuple[Any, ...]:
        # Row counts catch deletions; max(updated_at) catches edits made outside this service; the
        # revision sum moves on every change made through it, even under a frozen clock.
        return tuple(self.session.connection().execute(_CHANGE_KEY).one())  # Core: no ORM layer to pass

    def _build(self) -> WorkCalendar:
        overrides = {day: kind for day, kind in self.session.execute(select(CalendarDay.day, CalendarDay.kind))}
        completed = self.session.scalars(select(CalendarYear.year).where(CalendarYear.complete.is_(True)))
        return WorkCalendar(overrides, completed)

    def _forget(self) -> None:
        # A rolled-back test transaction can bring back an old key with different rows; our own writes
        # therefore drop the cache outright instead of trusting the key.
        with _cache_lock:
            _cache.pop(self._engine(), None)


def _check_year(year: int) -> None:
    if isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(
            f"year must be a whole number from {MIN_YEAR} to {MAX_YEAR}", details={"year": [f"got {year!r}"]}
        )


def _touch_year(sess: Session, year: int, actor: str | None, complete: bool | None) -> CalendarYear:
    # Locking the year row first makes two admins editing the same year queue instead of interleaving.
    row = sess.scalars(select(CalendarYear).where(CalendarYear.year == year).with_for_update()).one_or_none()
    if row is None:
        row = CalendarYear(year=year, complete=False, revision=0)
        sess.add(row)
    if complete is not None:
        row.complete = bool(complete)
    row.revision += 1
    row.updated_by = actor
    row.updated_at = clock.now()
    return row


def _as_date(value: Any) -> date | None:
    # datetime is a date subclass, but a time of day here means the caller sent the wrong thing.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _validate_days(year: int, days: Sequence[Mapping[str, Any]]) -> dict[date, tuple[DayKind, str | None]]:
    """Check every entry; raise one ``InvalidInput`` naming each bad entry by index and date."""
    if isinstance(days, (str, bytes, Mapping)) or not isinstance(days, Sequence):
        raise InvalidInput("days must be a list of {date, kind, name}", details={"days": ["not a list"]})
    errors: dict[str, list[str]] = {}
    seen: dict[date, int] = {}
    wanted: dict[date, tuple[DayKind, str | None]] = {}
    for index, entry in enumerate(days):
        if not isinstance(entry, Mapping):
            errors[str(index)] = ["must be an object with date, kind and name"]
            continue
        problems: list[str] = []
        raw_day = entry.get("date")
        day = _as_date(raw_day)
        if day is None:
            problems.append(f"date {raw_day!r} is not a date (YYYY-MM-DD)")
        elif day.year != year:
            problems.append(f"{day.isoformat()} is not in {year}")
        elif day in seen:
            problems.append(f"{day.isoformat()} is listed twice (also entry {seen[day]})")
        else:
            seen[day] = index
        raw_kind = entry.get("kind")
        kind = DayKind(raw_kind) if isinstance(raw_kind, str) and raw_kind in _KINDS else None
        if kind is None:
            problems.append(f"kind {raw_kind!r} must be 'holiday' or 'workday'")
        name = entry.get("name")
        if isinstance(name, str):
            name = name.strip() or None
        if name is not None and not isinstance(name, str):
            problems.append("name must be text")
        elif name is not None and len(name) > MAX_NAME:
            problems.append(f"name is longer than {MAX_NAME} characters")
        if problems:
            errors[str(index)] = problems
        elif day is not None and kind is not None:
            wanted[day] = (kind, name)
    if errors:
        bad = ", ".join(f"#{i}" for i in errors)
        raise InvalidInput(f"{len(errors)} day(s) for {year} not accepted ({bad}); nothing was saved",
                           details={"days": errors})
    return wanted
