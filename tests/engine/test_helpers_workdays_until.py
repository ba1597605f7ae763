"""workdays_until: the working days after today and before a day (the lead time of a major-event report)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from workflow_app.calendar.workdays import WorkCalendar
from workflow_app.engine.helpers import CALENDAR_HELPERS, build_helpers

REPORTED = datetime(2026, 9, 28, 2, 0, tzinfo=UTC)  # Monday 10:00 in Beijing, before the National Day holiday


@pytest.mark.parametrize(("day", "expected"), [
    ("2026-10-16", 9),  # 09-29, 09-30, 10-08, 10-09, Saturday 10-10 (调休), 10-12…10-15
    ("2026-10-24", 15),  # the 15th working day (10-23) is the last before the event
    ("2026-11-20", 34),
    ("2026-09-29", 0),  # tomorrow: nothing in between
    ("2026-09-20", 0),  # already past
])
def test_counts_working_days_strictly_between_today_and_the_day(day: str, expected: int) -> None:
    helpers = build_helpers(lambda: REPORTED, WorkCalendar)
    assert helpers["workdays_until"](day) == expected


def test_it_is_a_calendar_helper() -> None:
    assert "workdays_until" in CALENDAR_HELPERS  # a script worker gets the calendar snapshot for it
