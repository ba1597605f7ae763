"""The demo's case history: cases of every shipped process worked through the real services by the demo
staff of each step's lane and region, spread over past months, in several states; never twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.test_cli import invoke, runner  # noqa: F401 - the CLI fixture
from tests.web.test_browser_journeys import BPMN_DIR
from workflow_app import clock, db
from workflow_app.definitions.service import collect_files
from workflow_app.demo_history import DemoHistory, has_cases
from workflow_app.directory.models import User
from workflow_app.instances.models import AuditEvent, InstanceStatus, ProcessInstance
from workflow_app.services import definition_service
from workflow_app.tasks.models import HumanTask, TaskStatus
from workflow_app.tasks.visibility import APPLICANT_GROUP


@pytest.fixture
def shipped(app, demo) -> None:
    definition_service().deploy(collect_files([BPMN_DIR]), deployed_by="test")


def test_history_spreads_cases_of_every_process_over_the_past_months(app, shipped):
    session = db.session()
    summary = DemoHistory(session, seed=7).run(cases=36, months=4)
    assert sum(sum(by.values()) for by in summary.cases.values()) == 36
    assert summary.steps > 36
    keys = set(session.scalars(select(ProcessInstance.process_key).distinct()))
    assert {"registration", "major_event", "party_building", "zombie_cleanup"} <= keys
    statuses = set(session.scalars(select(ProcessInstance.status).distinct()))
    assert {InstanceStatus.COMPLETED, InstanceStatus.RUNNING} <= statuses
    oldest = session.scalar(select(func.min(ProcessInstance.started_at)))
    assert clock.as_utc(oldest) < clock.now() - timedelta(days=30)
    assert clock.as_utc(session.scalar(select(func.max(ProcessInstance.started_at)))) <= clock.now()


def test_each_step_was_done_by_someone_of_its_lane_and_region(app, shipped):
    session = db.session()
    DemoHistory(session, seed=11).run(cases=20, months=3)
    users = {u.username: u for u in session.scalars(select(User))}
    done = list(session.scalars(select(HumanTask).where(HumanTask.status == TaskStatus.COMPLETED)))
    assert done
    for task in done:
        worker = users[task.completed_by]
        if task.candidate_group == APPLICANT_GROUP:
            continue  # the organization itself, or the office entering a paper form
        assert task.candidate_group in worker.group_names, (task.name, worker.username)
        assert worker.region_code == task.region_code, (task.name, worker.username)
    # every case's history starts with its start and is in time order
    for case_id in session.scalars(select(ProcessInstance.id)):
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.instance_id == case_id)
                                      .order_by(AuditEvent.id)))
        assert events[0].action == "start"
        moments = [clock.as_utc(e.at) for e in events]
        assert moments == sorted(moments)


def test_the_command_makes_a_history_once(app, shipped, runner):  # noqa: F811 - the CLI fixture
    first = invoke(app, runner, "demo", "--cases", "6", "--months", "2")
    assert first.exit_code == 0, first.output
    assert "demo history: 6 cases" in first.output and "escalation scan" in first.output
    assert has_cases(db.session())
    count = db.session().scalar(select(func.count()).select_from(ProcessInstance))
    again = invoke(app, runner, "demo", "--cases", "6")
    assert "demo history skipped" in again.output
    assert db.session().scalar(select(func.count()).select_from(ProcessInstance)) == count
