"""The statutory clock: start, pause, resume and stop in working days (调休 and holidays respected)."""

from __future__ import annotations

from datetime import datetime

import pytest

from workflow_app import clock
from workflow_app.instances import audit
from workflow_app.instances.models import ProcessInstance


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=clock.LOCAL_TZ)


def instance(session, case) -> ProcessInstance:
    session.expire_all()
    return session.get(ProcessInstance, case.id)


def test_start_sets_due_at_to_the_end_of_the_last_working_day(call, case, session):
    with clock.frozen(at("2026-11-23")):  # a Monday
        assert call("case.clock_start", {"limit": "15wd"}) == {"due_at": "2026-12-14T15:59:59+00:00"}
    row = instance(session, case)
    assert row.due_at == datetime.fromisoformat("2026-12-14T23:59:59+08:00")
    assert (row.clock_paused, row.clock_limit_wd, row.clock_remaining_wd) == (False, 15, None)


def test_the_national_day_holiday_is_not_counted(call, case, session):
    with clock.frozen(at("2026-09-30")):
        result = call("case.clock_start", {"limit": "3wd"})
    # 2026: 10-01..10-07 off, 10-10 (Saturday) a make-up working day.
    assert result == {"due_at": "2026-10-10T15:59:59+00:00"}


def test_pause_keeps_the_days_left_and_resume_counts_them_from_the_resume_day(call, case, session):
    with clock.frozen(at("2026-11-23")):
        call("case.clock_start", {"limit": "15wd"})
    with clock.frozen(at("2026-11-25")):  # two working days used (24th, 25th)
        assert call("case.clock_pause", {"reason": "补正材料"}) == {"remaining_workdays": 13}
    row = instance(session, case)
    assert (row.clock_paused, row.due_at, row.clock_remaining_wd) == (True, None, 13)
    with clock.frozen(at("2026-12-07")):  # a Monday, 8 working days later: not counted
        assert call("case.clock_resume") == {"due_at": "2026-12-24T15:59:59+00:00"}
    row = instance(session, case)
    assert (row.clock_paused, row.clock_remaining_wd) == (False, None)
    with clock.frozen(at("2026-12-09")):
        assert call("case.clock_stop") == {"used_workdays": 4}  # 24, 25 Nov + 8, 9 Dec
    row = instance(session, case)
    assert (row.due_at, row.clock_paused) == (None, False)


def test_stopping_a_paused_clock_counts_up_to_the_pause(call, case):
    with clock.frozen(at("2026-11-23")):
        call("case.clock_start", {"limit": "15wd"})
    with clock.frozen(at("2026-11-27")):
        call("case.clock_pause")
    with clock.frozen(at("2026-12-31")):
        assert call("case.clock_stop") == {"used_workdays": 4}


def test_an_overdue_clock_reports_more_days_than_its_limit(call, case):
    with clock.frozen(at("2026-11-23")):
        call("case.clock_start", {"limit": 2})
    with clock.frozen(at("2026-11-30")):
        assert call("case.clock_stop") == {"used_workdays": 5}


def test_resuming_a_clock_paused_on_its_last_day_gives_the_rest_of_that_day(call, case):
    with clock.frozen(at("2026-11-23")):
        call("case.clock_start", {"limit": "1wd"})
    with clock.frozen(at("2026-11-24")):
        assert call("case.clock_pause") == {"remaining_workdays": 0}
    with clock.frozen(at("2026-11-26")):
        assert call("case.clock_resume") == {"due_at": "2026-11-26T15:59:59+00:00"}


def test_pausing_twice_and_resuming_a_running_clock_change_nothing(call, case, session):
    with clock.frozen(at("2026-11-23")):
        started = call("case.clock_start", {"limit": "15wd"})
        assert call("case.clock_resume") == started
        call("case.clock_pause")
    with clock.frozen(at("2026-11-26")):
        assert call("case.clock_pause") == {"remaining_workdays": 15}
    assert instance(session, case).clock_remaining_wd == 15


def test_without_a_started_clock_pause_resume_and_stop_do_nothing(call, case, session):
    assert call("case.clock_pause") == {"remaining_workdays": None}
    assert call("case.clock_resume") == {"due_at": None}
    assert call("case.clock_stop") == {"used_workdays": None}
    row = instance(session, case)
    assert (row.due_at, row.clock_paused, row.clock_limit_wd) == (None, False, None)


def test_a_limit_in_calendar_days_ends_on_a_working_day_and_pauses_in_working_days(call, case, session):
    # 社团条例 12: 60 days. From Mon 09-28, 60 days land on Fri 11-27; the clock keeps the working days up to it.
    with clock.frozen(at("2026-09-28")):
        assert call("case.clock_start", {"limit": "60d"}) == {"due_at": "2026-11-27T15:59:59+00:00"}
    assert instance(session, case).clock_limit_wd == 40  # 44 weekdays after 09-28, 5 of them National Day, 10-10 调休
    with clock.frozen(at("2026-10-16")):
        assert call("case.clock_stop") == {"used_workdays": 10}


def test_a_clock_deemed_started_on_receipt_counts_from_then_and_says_why(call, case, session):
    # 行政许可法 32: no 补正 notice within 5 working days — accepted from the day the materials came in.
    with clock.frozen(at("2026-11-30")):
        result = call("case.clock_start", {"limit": "15wd", "started_at": "2026-11-23T10:00:00+08:00",
                                           "reason": "逾期未告知补正，视为受理"})
    assert result == {"due_at": "2026-12-14T15:59:59+00:00"}
    [event] = [e for e in audit.history(session, case.id) if e.action == "clock_start"]
    assert event.details["reason"] == "逾期未告知补正，视为受理"
    assert event.details["started_at"] == "2026-11-23T02:00:00+00:00"


@pytest.mark.parametrize("limit", ["0d", "99999d", "PT4H", "", None, "0wd", "abc", True, "99999wd"])
def test_start_refuses_limits_that_are_not_working_days(call, limit):
    with pytest.raises(ValueError, match="case.clock_start: 时限"):
        call("case.clock_start", {"limit": limit})
