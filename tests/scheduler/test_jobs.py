"""The scheduler's jobs in-process: a working-day BPMN timer, claims, the annual reports, the runner."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import select

from scheduler import jobs, runner
from scheduler.annual_report import create_annual_reports
from tests.alerts.support import TIMER_DUE, alert_levels, count, deploy_escalation, start_case
from tests.processes.conftest import process_files
from tests.threads import at_once
from workflow_app import clock
from workflow_app.clock import LOCAL_TZ
from workflow_app.instances.models import AuditEvent, InstanceStatus, ProcessInstance
from workflow_app.services import definition_service
from workflow_app.tasks.models import HumanTask, TaskStatus


def tick(app, moment: datetime) -> str:
    result = CliRunner().invoke(__import__("workflow_app.cli").cli.main, ["tick", "--now", moment.isoformat()],
                                obj=ScriptInfo(create_app=lambda: app), catch_exceptions=False)
    clock.set_global(None)
    assert result.exit_code == 0, result.output
    return result.output


def test_a_15_working_day_timer_fires_once_at_the_right_moment(app, demo, session):
    deploy_escalation()
    instance_id, task_id = start_case("timer_case", business_key="BB-1")
    assert session.get(ProcessInstance, instance_id).next_timer_at == TIMER_DUE
    assert "fire_due_timers: 0 due" in tick(app, TIMER_DUE - timedelta(minutes=1))
    assert "fire_due_timers: 1 due, 1 fired" in tick(app, TIMER_DUE + timedelta(seconds=1))
    assert "fire_due_timers: 0 due" in tick(app, TIMER_DUE + timedelta(days=3))
    session.expire_all()
    assert session.get(ProcessInstance, instance_id).status is InstanceStatus.COMPLETED
    assert session.get(HumanTask, task_id).status is TaskStatus.CANCELLED
    assert count(session, AuditEvent, AuditEvent.action == "timer") == 1
    notes = [e.details["text"] for e in session.scalars(select(AuditEvent).where(AuditEvent.action == "note"))]
    assert notes == ["期限届满，视为无异议"]


def test_tick_runs_every_job_in_order(app, demo):
    deploy_escalation()
    start_case()
    output = tick(app, datetime(2026, 10, 12, 9, tzinfo=LOCAL_TZ))
    names = [line.split(":")[0] for line in output.strip().splitlines()]
    assert names == ["fire_due_timers", "create_annual_reports", "snapshot_party_coverage", "escalate",
                     "warn_case_deadlines", "report_abnormal_list", "deliver_outbox", "prune_retained"]
    assert "raised 0 reminder, 1 overdue, 1 escalated" in output
    assert "deliver_outbox: 0 sent, 0 to retry, 0 dead, 2 e-mails held (SMTP is not configured" in output


def test_threads_firing_timers_at_once_fire_each_case_once(app, demo, session):
    deploy_escalation()
    ids = [start_case("timer_case", business_key=f"BB-{n}")[0] for n in range(8)]

    def run() -> None:
        with clock.frozen(TIMER_DUE + timedelta(hours=1)):
            jobs.fire_due_timers(app)

    assert at_once(run) == []
    assert count(session, AuditEvent, AuditEvent.action == "timer") == 8
    assert count(session, AuditEvent, AuditEvent.action == "note") == 8
    session.expire_all()
    assert {session.get(ProcessInstance, i).status for i in ids} == {InstanceStatus.COMPLETED}


@pytest.fixture
def annual_report(app, demo):
    definition_service().deploy(process_files("annual_report"), deployed_by="test")


def test_annual_reports_start_on_december_first_once_per_reporting_unit(app, session, annual_report):
    with clock.frozen(datetime(2026, 11, 30, 23, 0, tzinfo=LOCAL_TZ)):
        assert create_annual_reports(app) == "not December: nothing to do"
    with clock.frozen(datetime(2026, 12, 1, 8, 0, tzinfo=LOCAL_TZ)):
        # 10 city-level regions and 60 counties (梅河口市 among them, reporting to the province).
        assert create_annual_reports(app) == "2026: 70 annual report cases created, 0 already there"
    with clock.frozen(datetime(2026, 12, 3, 8, 0, tzinfo=LOCAL_TZ)):
        assert create_annual_reports(app) == "2026: 0 annual report cases created, 70 already there"
    session.expire_all()
    changchun = session.scalars(select(ProcessInstance)
                                .where(ProcessInstance.business_key == "年度报告〔2026〕长春市")).one()
    assert changchun.region_code == "220100" and changchun.process_key == "annual_report"
    [task] = session.scalars(select(HumanTask).where(HumanTask.instance_id == changchun.id)).all()
    assert (task.candidate_group, task.region_code, task.name) == ("supervisor", "220100", "fill_report")
    assert task.due_at == datetime(2026, 12, 15, 23, 59, 59, tzinfo=LOCAL_TZ) and task.due_warning is None
    from workflow_app.services import instance_service

    data = instance_service().variables(changchun)
    assert data["report_year"] == 2026 and data["region_name"] == "长春市" and data["report_level"] == "city"
    assert data["org_total"] >= data["active_count"]
    assert data["active_count"] == data["social_group_count"] + data["private_non_enterprise_count"] \
        + data["foundation_count"]


def test_a_report_started_under_the_older_english_key_counts_as_already_there(app, session, annual_report):
    from sqlalchemy import update

    with clock.frozen(datetime(2026, 12, 1, 8, 0, tzinfo=LOCAL_TZ)):
        create_annual_reports(app)
    with session.begin():  # as an earlier version named it
        session.execute(update(ProcessInstance).where(ProcessInstance.business_key == "年度报告〔2026〕长春市")
                        .values(business_key="annual-report-2026-220100"))
    with clock.frozen(datetime(2026, 12, 2, 8, 0, tzinfo=LOCAL_TZ)):
        assert create_annual_reports(app) == "2026: 0 annual report cases created, 70 already there"


def test_a_report_in_an_uncovered_year_is_flagged_and_reminded_per_its_bpmn(app, session, annual_report):
    from workflow_app.alerts.service import EscalationService

    with clock.frozen(datetime(2027, 12, 1, 8, 0, tzinfo=LOCAL_TZ)):
        create_annual_reports(app)
    task = session.scalars(select(HumanTask).where(HumanTask.region_code == "220100")).one()
    assert task.due_warning and "2027" in task.due_warning
    # The process asks for reminders three working days ahead (escalationReminderBefore=3wd):
    # 12-15-2027 is a Wednesday, so from the end of Friday 12-10.
    EscalationService(session).scan(datetime(2027, 12, 10, 23, 59, 58, tzinfo=LOCAL_TZ))
    assert alert_levels(session, task.id) == []
    EscalationService(session).scan(datetime(2027, 12, 10, 23, 59, 59, tzinfo=LOCAL_TZ))
    assert alert_levels(session, task.id) == [(1, "reminder")]


def test_annual_reports_wait_for_their_process(app, demo):
    with clock.frozen(datetime(2026, 12, 1, 8, 0, tzinfo=LOCAL_TZ)):
        assert "not deployed" in create_annual_reports(app)


def test_the_runner_warns_about_uncovered_years(app, caplog):
    with clock.frozen(datetime(2026, 6, 1, tzinfo=LOCAL_TZ)), caplog.at_level(logging.WARNING):
        assert runner.warn_uncovered_years(app) == [2027]
    assert "schedule for 2027 is not entered" in caplog.text
