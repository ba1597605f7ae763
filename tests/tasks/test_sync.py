"""The human_tasks table follows the engine: rows, due dates and warnings."""

from __future__ import annotations

from datetime import datetime

from workflow_app import clock
from workflow_app.services import instance_service


def test_task_due_date_counts_working_days_with_the_holiday_schedule(deployed_sample):
    with clock.frozen(datetime(2026, 9, 28, 10, 0, tzinfo=clock.LOCAL_TZ)):
        [submit] = instance_service().start("sample_review", started_by="applicant").new_tasks
    # 5wd after Mon 2026-09-28: 9-29, 9-30, (10-01…10-07 National Day), 10-08, 10-09, 10-10 (调休 Saturday).
    assert submit.due_at == datetime(2026, 10, 10, 23, 59, 59, tzinfo=clock.LOCAL_TZ)
    assert submit.due_warning is None


def test_due_date_in_an_uncovered_year_is_flagged_on_the_task(deployed_sample):
    with clock.frozen(datetime(2031, 3, 3, 10, 0, tzinfo=clock.LOCAL_TZ)):
        [submit] = instance_service().start("sample_review", started_by="applicant").new_tasks
    assert submit.due_at == datetime(2031, 3, 10, 23, 59, 59, tzinfo=clock.LOCAL_TZ)
    assert submit.due_warning is not None and "2031" in submit.due_warning
