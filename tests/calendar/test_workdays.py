"""Working-day arithmetic over 2026's State Council schedule, and what happens past the library's data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from workflow_app.calendar.workdays import (
    LIBRARY_YEARS,
    DayKind,
    LimitKind,
    TimeLimit,
    WorkCalendar,
    due_at,
    library_days,
    parse_time_limit,
    working_days_between,
)
from workflow_app.clock import LOCAL_TZ


def local(text: str) -> datetime:
    """An aware Asia/Shanghai moment from 'YYYY-MM-DD HH:MM'."""
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


def end_of(day: str) -> datetime:
    """23:59:59 Asia/Shanghai on ``day``, in UTC (how due moments are returned)."""
    return datetime.fromisoformat(f"{day} 23:59:59").replace(tzinfo=LOCAL_TZ).astimezone(UTC)


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


# (accepted at, Asia/Shanghai) + limit -> due day; the due moment is that day's 23:59:59.
DUE_2026 = [
    pytest.param("2026-09-28 10:00", "15wd", "2026-10-23", id="国庆-15wd-the-reference-case"),
    pytest.param("2025-12-31 09:00", "1wd", "2026-01-04", id="元旦-holiday-skipped-调休-sunday-works"),
    pytest.param("2026-02-13 09:00", "1wd", "2026-02-14", id="春节-调休-saturday-before-counts"),
    pytest.param("2026-02-13 09:00", "2wd", "2026-02-24", id="春节-nine-days-off-skipped"),
    pytest.param("2026-02-27 09:00", "1wd", "2026-02-28", id="春节-调休-saturday-after-counts"),
    pytest.param("2026-04-03 09:00", "1wd", "2026-04-07", id="清明-monday-off"),
    pytest.param("2026-04-30 09:00", "3wd", "2026-05-08", id="劳动节-five-days-off"),
    pytest.param("2026-04-30 09:00", "4wd", "2026-05-09", id="劳动节-调休-saturday-counts"),
    pytest.param("2026-06-18 09:00", "1wd", "2026-06-22", id="端午-friday-off"),
    pytest.param("2026-09-18 09:00", "1wd", "2026-09-20", id="国庆-调休-sunday-counts"),
    pytest.param("2026-09-24 09:00", "1wd", "2026-09-28", id="中秋-friday-off"),
    pytest.param("2026-10-09 16:00", "1wd", "2026-10-10", id="国庆-调休-saturday-counts"),
    pytest.param("2026-10-05 11:00", "5wd", "2026-10-13", id="limit-starting-on-a-holiday"),
    pytest.param("2026-09-01 09:00", "30d", "2026-10-08", id="30d-landing-on-国庆-moves-to-next-workday"),
    pytest.param("2026-09-10 09:00", "30d", "2026-10-10", id="30d-landing-on-调休-saturday-stays"),
    pytest.param("2026-03-04 09:00", "10d", "2026-03-16", id="10d-landing-on-plain-saturday-moves-to-monday"),
    pytest.param("2026-03-02 09:00", "10d", "2026-03-12", id="10d-on-a-plain-weekday"),
]


@pytest.mark.parametrize(("accepted", "limit", "due_day"), DUE_2026)
def test_due_date_over_2026_holidays(cal: WorkCalendar, accepted: str, limit: str, due_day: str) -> None:
    due = due_at(local(accepted), limit, cal)
    assert due.at == end_of(due_day)
    assert due.at.tzinfo is UTC
    assert due.uncovered_years == frozenset()


def test_accepted_0928_plus_15_working_days_is_due_at_end_of_1023_shanghai(cal: WorkCalendar) -> None:
    due = due_at(local("2026-09-28 10:00"), "15wd", cal)
    assert due.at == datetime(2026, 10, 23, 15, 59, 59, tzinfo=UTC)
    assert due.at.astimezone(LOCAL_TZ).isoformat() == "2026-10-23T23:59:59+08:00"


def test_counting_starts_from_the_shanghai_date_not_the_utc_date(cal: WorkCalendar) -> None:
    # 2026-09-28 17:00 UTC is already the 29th in Shanghai, so the count starts a day later.
    assert due_at(datetime(2026, 9, 27, 20, 0, tzinfo=UTC), "15wd", cal).at == end_of("2026-10-23")
    assert due_at(datetime(2026, 9, 28, 17, 0, tzinfo=UTC), "15wd", cal).at == end_of("2026-10-26")


def test_naive_start_is_taken_as_utc(cal: WorkCalendar) -> None:
    assert due_at(datetime(2026, 9, 28, 2, 0), "15wd", cal).at == end_of("2026-10-23")


@pytest.mark.parametrize(
    ("limit", "expected"),
    [("PT4H", timedelta(hours=4)), ("PT30M", timedelta(minutes=30)), ("P2D", timedelta(days=2)),
     ("P1DT2H", timedelta(days=1, hours=2))],
)
def test_iso_spans_are_exact_even_over_a_holiday(cal: WorkCalendar, limit: str, expected: timedelta) -> None:
    start = local("2026-10-01 10:00")  # 国庆: a span ignores the calendar
    due = due_at(start, limit, cal)
    assert due.at == start.astimezone(UTC) + expected
    assert due.uncovered_years == frozenset()


def test_pt4h_from_a_utc_start_is_four_hours_later(cal: WorkCalendar) -> None:
    due = due_at(datetime(2026, 10, 1, 2, 0, tzinfo=UTC), "PT4H", cal)
    assert due.at == datetime(2026, 10, 1, 6, 0, tzinfo=UTC)


def test_2027_keeps_its_statutory_holidays_and_is_flagged_as_uncovered(cal: WorkCalendar) -> None:
    due = due_at(local("2026-12-28 09:00"), "10wd", cal)
    # 2027-01-01 (元旦) is a Friday: a statutory day off even before the notice is published.
    assert due.at == end_of("2027-01-12")
    assert due.uncovered_years == frozenset({2027})


def test_2027_covered_by_overrides_and_completion_is_not_flagged() -> None:
    cal = WorkCalendar({date(2027, 1, 1): DayKind.HOLIDAY}, covered_years={2027})
    due = due_at(local("2026-12-28 09:00"), "10wd", cal)
    assert due.at == end_of("2027-01-12")
    assert due.uncovered_years == frozenset()


def test_30d_landing_in_2027_flags_2027_but_one_within_2026_does_not(cal: WorkCalendar) -> None:
    assert due_at(local("2026-12-20 09:00"), "30d", cal).uncovered_years == frozenset({2027})
    assert due_at(local("2026-11-20 09:00"), "30d", cal).uncovered_years == frozenset()


def test_override_turning_a_weekday_into_a_holiday_shifts_the_due_date() -> None:
    cal = WorkCalendar({date(2026, 10, 16): DayKind.HOLIDAY})
    assert due_at(local("2026-09-28 10:00"), "15wd", cal).at == end_of("2026-10-26")


def test_override_wins_over_the_library() -> None:
    cal = WorkCalendar({date(2026, 10, 10): DayKind.HOLIDAY, date(2026, 10, 7): DayKind.WORKDAY})
    assert not cal.is_workday(date(2026, 10, 10))
    assert cal.is_workday(date(2026, 10, 7))
    assert WorkCalendar().is_workday(date(2026, 10, 10))


def test_covers_library_years_and_admin_completed_years_only() -> None:
    cal = WorkCalendar(covered_years={2028})
    assert cal.covers(2026) and cal.covers(2004)
    assert not cal.covers(2027)
    assert cal.covers(2028)
    assert cal.uncovered_years(date(2026, 6, 1), date(2029, 1, 1)) == {2027, 2029}


def test_library_knows_2026() -> None:
    assert 2026 in LIBRARY_YEARS


def test_add_workdays_matches_day_by_day_stepping_across_years() -> None:
    cal = WorkCalendar({date(2027, 2, 1): DayKind.HOLIDAY, date(2027, 2, 6): DayKind.WORKDAY})
    for start in (date(2025, 12, 20) + timedelta(days=k) for k in range(0, 800, 7)):
        for n in (1, 2, 15, 60, 300):
            day, left = start, n
            while left:
                day += timedelta(days=1)
                left -= cal.is_workday(day)
            assert cal.add_workdays(start, n) == day, (start, n)


def test_add_workdays_needs_at_least_one_day(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        cal.add_workdays(date(2026, 1, 5), 0)


def test_working_days_between_counts_left_and_overdue(cal: WorkCalendar) -> None:
    accepted, due = local("2026-09-28 10:00"), end_of("2026-10-23")
    assert working_days_between(accepted, due, cal) == 15
    assert working_days_between(due, accepted, cal) == -15
    assert working_days_between(accepted, local("2026-09-28 18:00"), cal) == 0
    # On the Monday after a Friday due date the task is one working day overdue; the weekend is not counted.
    assert working_days_between(local("2026-10-26 09:00"), due, cal) == -1
    assert working_days_between(local("2026-10-24 09:00"), due, cal) == 0


def test_library_days_list_only_departures_from_the_plain_week_with_chinese_names() -> None:
    days = {d: (kind, name) for d, kind, name in library_days(2026)}
    assert days[date(2026, 10, 1)] == (DayKind.HOLIDAY, "国庆节")
    assert days[date(2026, 10, 10)] == (DayKind.WORKDAY, "国庆节")
    assert days[date(2026, 2, 14)] == (DayKind.WORKDAY, "春节")
    assert date(2026, 1, 3) not in days  # a Saturday inside 元旦 is off anyway
    assert library_days(2027) == []


@pytest.mark.parametrize(
    ("text", "kind", "days"),
    [("5wd", LimitKind.WORKDAYS, 5), ("30d", LimitKind.DAYS, 30), (" 15WD ", LimitKind.WORKDAYS, 15)],
)
def test_parse_day_limits(text: str, kind: LimitKind, days: int) -> None:
    limit = parse_time_limit(text)
    assert (limit.kind, limit.days) == (kind, days)


def test_parse_iso_span() -> None:
    assert parse_time_limit("P1DT2H") == TimeLimit(LimitKind.SPAN, span=timedelta(days=1, hours=2))


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "not understood"), ("5", "not understood"), ("5 wd", "not understood"), ("-5wd", "not understood"),
     ("0wd", "between 1 and"), ("99999d", "between 1 and"), ("5w", "not understood"), ("P", "not understood"),
     ("PT", "not understood"), ("P1DT", "not understood"), ("PT0H", "longer than zero"), ("P1.5D", "not understood"),
     ("P1M", "months are not exact"), ("P1Y", "months are not exact"), ("五个工作日", "not understood")],
)
def test_bad_limits_raise_value_error(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_time_limit(text)


def test_bad_limit_given_to_due_at_raises_value_error(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="'3 days' not understood"):
        due_at(local("2026-09-28 10:00"), "3 days", cal)


def test_non_text_limit_raises_value_error() -> None:
    with pytest.raises(ValueError, match="must be text"):
        parse_time_limit(5)  # type: ignore[arg-type]
