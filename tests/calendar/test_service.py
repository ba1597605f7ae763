"""The admin calendar service: listing, replacing a year's overrides, completion and the cached calendar."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import workflow_app.models  # noqa: F401  # every other table, so create_all builds the whole schema
from workflow_app import clock
from workflow_app.calendar.models import CalendarDay, CalendarYear, DayKind
from workflow_app.calendar.service import CalendarService
from workflow_app.calendar.workdays import due_at
from workflow_app.clock import LOCAL_TZ
from workflow_app.db import Base, build_engine
from workflow_app.errors import InvalidInput

ACCEPTED = datetime(2026, 12, 28, 9, 0, tzinfo=LOCAL_TZ)


def end_of(day: str) -> datetime:
    """23:59:59 Asia/Shanghai on ``day``, in UTC."""
    return datetime.fromisoformat(f"{day} 23:59:59").replace(tzinfo=LOCAL_TZ).astimezone(UTC)


@pytest.fixture
def session() -> Iterator[Session]:
    engine = build_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as sess, clock.frozen(datetime(2026, 11, 2, 1, 0, tzinfo=UTC)):
        yield sess
    engine.dispose()


@pytest.fixture
def service(session: Session) -> CalendarService:
    return CalendarService(session)


def day_rows(session: Session) -> list[tuple[date, DayKind, str | None]]:
    return [tuple(r) for r in session.execute(  # type: ignore[misc]
        select(CalendarDay.day, CalendarDay.kind, CalendarDay.name).order_by(CalendarDay.day))]


def test_year_lists_library_days_with_chinese_names(service: CalendarService) -> None:
    listing = {e["date"]: e for e in service.year(2026)}
    assert listing[date(2026, 10, 1)] == {"date": date(2026, 10, 1), "kind": DayKind.HOLIDAY, "name": "国庆节",
                                          "source": "library"}
    assert listing[date(2026, 10, 10)]["kind"] == DayKind.WORKDAY
    assert date(2026, 10, 3) not in listing  # a Saturday off anyway is no departure from the plain week
    # A year outside the library lists its statutory weekday holidays, marked as provisional.
    assert {e["source"] for e in service.year(2027)} == {"statutory"}
    assert date(2027, 1, 1) in {e["date"] for e in service.year(2027)}


def test_set_days_stores_overrides_listed_over_the_library(service: CalendarService, session: Session) -> None:
    listing = service.set_days(2026, [
        {"date": date(2026, 10, 16), "kind": "holiday", "name": "地方假日"},
        {"date": "2026-10-10", "kind": DayKind.HOLIDAY, "name": None},
    ], actor="admin")
    by_day = {e["date"]: e for e in listing}
    assert by_day[date(2026, 10, 16)] == {"date": date(2026, 10, 16), "kind": DayKind.HOLIDAY, "name": "地方假日",
                                          "source": "override"}
    assert by_day[date(2026, 10, 10)]["source"] == "override"
    assert by_day[date(2026, 10, 1)]["source"] == "library"
    assert session.scalar(select(CalendarDay.updated_by).where(CalendarDay.day == date(2026, 10, 16))) == "admin"


def test_set_days_replaces_the_years_overrides_and_leaves_other_years(service: CalendarService,
                                                                      session: Session) -> None:
    service.set_days(2027, [{"date": date(2027, 1, 1), "kind": "holiday", "name": "元旦"}], actor="admin")
    service.set_days(2026, [{"date": date(2026, 3, 2), "kind": "holiday"}], actor="admin")
    service.set_days(2026, [{"date": date(2026, 3, 3), "kind": "holiday"}], actor="admin")
    assert [r[0] for r in day_rows(session)] == [date(2026, 3, 3), date(2027, 1, 1)]
    assert not service.calendar().is_workday(date(2026, 3, 3))
    assert service.calendar().is_workday(date(2026, 3, 2))


def test_set_days_rejects_a_date_outside_the_year_and_writes_nothing(service: CalendarService,
                                                                    session: Session) -> None:
    service.set_days(2027, [{"date": date(2027, 1, 1), "kind": "holiday", "name": "元旦"}], actor="admin")
    before = day_rows(session)
    with pytest.raises(InvalidInput) as caught:
        service.set_days(2027, [
            {"date": date(2027, 2, 8), "kind": "holiday", "name": "春节"},
            {"date": date(2028, 1, 1), "kind": "holiday", "name": "元旦"},
        ], actor="admin", complete=True)
    assert caught.value.details == {"days": {"1": ["2028-01-01 is not in 2027"]}}
    assert day_rows(session) == before
    assert not service.is_complete(2027)
    assert session.scalar(select(func.count()).select_from(CalendarYear).where(CalendarYear.complete)) == 0


def test_set_days_names_every_bad_entry(service: CalendarService, session: Session) -> None:
    with pytest.raises(InvalidInput) as caught:
        service.set_days(2027, [
            {"date": date(2027, 10, 1), "kind": "holiday"},
            {"date": "2027-10-01", "kind": "workday"},
            {"date": "2027-13-01", "kind": "holiday"},
            {"date": date(2027, 10, 2), "kind": "vacation"},
            {"date": datetime(2027, 10, 3, 8, 0), "kind": "holiday"},
            "2027-10-04",
        ], actor="admin")
    errors = caught.value.details["days"]
    assert set(errors) == {"1", "2", "3", "4", "5"}
    assert "2027-10-01 is listed twice" in errors["1"][0]
    assert "'2027-13-01' is not a date" in errors["2"][0]
    assert "'vacation' must be 'holiday' or 'workday'" in errors["3"][0]
    assert day_rows(session) == []


def test_year_out_of_range_is_invalid_input(service: CalendarService) -> None:
    with pytest.raises(InvalidInput, match="year must be"):
        service.set_days(20267, [], actor="admin")


def test_2027_due_date_flagged_until_overrides_and_mark_complete(service: CalendarService) -> None:
    due = due_at(ACCEPTED, "10wd", service.calendar())
    assert (due.at, due.uncovered_years) == (end_of("2027-01-12"), frozenset({2027}))  # 元旦 is statutory

    service.set_days(2027, [{"date": date(2027, 1, 1), "kind": "holiday", "name": "元旦"}], actor="admin")
    due = due_at(ACCEPTED, "10wd", service.calendar())
    assert (due.at, due.uncovered_years) == (end_of("2027-01-12"), frozenset({2027}))  # entered, not yet complete

    service.mark_complete(2027, True, actor="admin")
    due = due_at(ACCEPTED, "10wd", service.calendar())
    assert (due.at, due.uncovered_years) == (end_of("2027-01-12"), frozenset())

    service.mark_complete(2027, False, actor="admin")
    assert due_at(ACCEPTED, "10wd", service.calendar()).uncovered_years == frozenset({2027})


def test_set_days_with_complete_marks_the_year_in_the_same_call(service: CalendarService) -> None:
    service.set_days(2027, [{"date": date(2027, 1, 1), "kind": "holiday"}], actor="admin", complete=True)
    assert service.is_complete(2027)
    assert service.calendar().covers(2027)


def test_override_weekday_holiday_shifts_a_due_date(service: CalendarService) -> None:
    accepted = datetime(2026, 9, 28, 10, 0, tzinfo=LOCAL_TZ)
    assert due_at(accepted, "15wd", service.calendar()).at == end_of("2026-10-23")
    service.set_days(2026, [{"date": date(2026, 10, 16), "kind": "holiday"}], actor="admin")
    assert due_at(accepted, "15wd", service.calendar()).at == end_of("2026-10-26")


def test_calendar_is_reused_until_the_tables_change(service: CalendarService, session: Session) -> None:
    first = service.calendar()
    assert service.calendar() is first
    assert CalendarService(session).calendar() is first
    # A change made behind the service's back (another process, a script) still invalidates it.
    session.add(CalendarDay(day=date(2026, 3, 2), kind=DayKind.HOLIDAY, updated_at=clock.now()))
    session.commit()
    second = service.calendar()
    assert second is not first
    assert not second.is_workday(date(2026, 3, 2))


def test_each_database_gets_its_own_calendar(service: CalendarService) -> None:
    service.set_days(2026, [{"date": date(2026, 3, 2), "kind": "holiday"}], actor="admin")
    other = build_engine("sqlite://")
    Base.metadata.create_all(other)
    with Session(other) as sess:
        assert CalendarService(sess).calendar().is_workday(date(2026, 3, 2))
    other.dispose()
    assert not service.calendar().is_workday(date(2026, 3, 2))
