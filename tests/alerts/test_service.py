"""The escalation scan: each (task, level) once, the right people, the ladder's settings, closing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.alerts.support import (
    DUE,
    ESCALATE,
    REMIND,
    T0,
    alert_levels,
    count,
    deploy_escalation,
    start_case,
    task_level,
)
from workflow_app import clock
from workflow_app.alerts.ladder import LadderConfig
from workflow_app.alerts.models import Alert, AlertStatus
from workflow_app.alerts.service import EscalationService
from workflow_app.directory.models import User
from workflow_app.instances.models import AuditEvent
from workflow_app.notifications.models import Channel, OutboxMessage
from workflow_app.services import instance_service

SECOND = timedelta(seconds=1)


@pytest.fixture
def case(demo, session):
    deploy_escalation()
    return start_case()


def scan(session, moment, **kwargs):
    return EscalationService(session, **kwargs).scan(moment)


def recipients(session, level):
    session.expire_all()
    return sorted(m.recipient for m in session.scalars(
        select(OutboxMessage).where(OutboxMessage.dedupe_key.like(f"%:{level}:%"))))


def test_the_ladder_climbs_once_per_level_across_repeated_scans(session, case):
    instance_id, task_id = case
    assert sum(scan(session, REMIND - SECOND).raised.values()) == 0
    assert alert_levels(session) == []

    result = scan(session, REMIND)
    assert result.raised["reminder"] == 1
    # Unassigned task in the window lane of 长春市: the reminder goes to window_cc.
    assert recipients(session, 1) == ["window_cc@demo.socorg.local"]
    assert task_level(session, task_id) == 1
    assert sum(scan(session, REMIND + timedelta(hours=5)).raised.values()) == 0

    scan(session, DUE + SECOND)
    scan(session, DUE + timedelta(hours=2))
    assert alert_levels(session) == [(1, "reminder"), (2, "overdue")]
    assert recipients(session, 2) == ["supervisor_cc@demo.socorg.local"]
    assert task_level(session, task_id) == 2

    scan(session, ESCALATE - SECOND)
    assert len(alert_levels(session)) == 2
    scan(session, ESCALATE)
    scan(session, ESCALATE + timedelta(days=30))
    assert alert_levels(session) == [(1, "reminder"), (2, "overdue"), (3, "escalated")]
    # The parent region of 长春市 is the province: its supervisor hears of it.
    assert recipients(session, 3) == ["supervisor_prov@demo.socorg.local"]
    escalated = session.scalars(select(Alert).where(Alert.level == 3)).one()
    assert (escalated.region_code, escalated.task_region_code) == ("220000", "220100")
    assert task_level(session, task_id) == 3
    assert count(session, AuditEvent, AuditEvent.action == "alert", AuditEvent.instance_id == instance_id) == 3
    assert count(session, OutboxMessage) == 3


def test_a_task_found_already_overdue_skips_the_reminder(session, case):
    _, task_id = case
    scan(session, ESCALATE + timedelta(days=1))
    assert alert_levels(session, task_id) == [(2, "overdue"), (3, "escalated")]
    assert task_level(session, task_id) == 3


def test_assigned_task_reminds_its_assignee_and_webhooks_are_queued(session, case):
    _, task_id = case
    from workflow_app.tasks.models import HumanTask

    with session.begin():
        session.get(HumanTask, task_id).assignee = "window_prov"
    scan(session, REMIND, webhook_urls=["http://127.0.0.1:9/hook"])
    alert = session.scalars(select(Alert)).one()
    assert alert.assignee == "window_prov"
    messages = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    messages.sort(key=lambda m: m.channel.value)
    assert [(m.channel, m.recipient) for m in messages] == [
        (Channel.EMAIL, "window_prov@demo.socorg.local"), (Channel.WEBHOOK, "http://127.0.0.1:9/hook")]
    hook = messages[1].payload
    assert hook["alert"]["kind"] == "reminder" and hook["task"]["id"] == task_id
    assert "到期提醒" in messages[0].subject and "受理材料" in messages[0].body


@pytest.mark.parametrize(("county_supervisor_active", "first_rung"), [
    (True, "supervisor_220102"),  # 南关区 has a supervisor of its own
    (False, "supervisor_cc"),  # a region without an active supervisor is skipped up the ladder
])
def test_a_county_task_goes_to_the_county_then_the_city(session, demo, county_supervisor_active, first_rung):
    session.scalars(select(User).where(User.username == "supervisor_220102")).one().active = county_supervisor_active
    session.commit()
    deploy_escalation()
    _, task_id = start_case(region_code="220102")
    scan(session, ESCALATE)
    assert recipients(session, 2) == [f"{first_rung}@demo.socorg.local"]
    escalated = session.scalars(select(Alert).where(Alert.level == 3)).one()
    assert escalated.region_code == "220100"
    assert recipients(session, 3) == ["supervisor_cc@demo.socorg.local"]


def test_process_properties_set_the_ladder(session, demo):
    deploy_escalation({"escalationReminderBefore": "off", "escalationParentAfter": "5wd"})
    _, task_id = start_case()
    scan(session, DUE)  # no reminder rung
    assert alert_levels(session) == []
    scan(session, ESCALATE)  # 2 working days late: still only overdue
    assert alert_levels(session) == [(2, "overdue")]
    # Five working days after 10-08: 10-09, 10-10, 10-12, 10-13, 10-14.
    scan(session, DUE.replace(day=14) - SECOND)
    assert len(alert_levels(session)) == 1
    scan(session, DUE.replace(day=14))
    assert alert_levels(session) == [(2, "overdue"), (3, "escalated")]


def test_the_config_file_overrides_the_process(session, demo, tmp_path):
    deploy_escalation({"escalationReminderBefore": "off"})
    _, task_id = start_case()
    path = tmp_path / "ladder.json"
    path.write_text(json.dumps({"processes": {"escalation_case": {"reminder_before": "PT1H"}}}))
    config = LadderConfig.load(path)
    scan(session, DUE - timedelta(hours=2), config=config)
    assert alert_levels(session) == []
    scan(session, DUE - timedelta(hours=1), config=config)
    assert alert_levels(session) == [(1, "reminder")]


def test_completing_the_task_closes_its_open_alerts(session, case):
    instance_id, task_id = case
    scan(session, REMIND)
    scan(session, DUE + SECOND)
    with session.begin():
        reminder = session.scalars(select(Alert).where(Alert.level == 1)).one()
        reminder.status = AlertStatus.ACKNOWLEDGED
    with clock.frozen(DUE + timedelta(hours=1)):
        instance_service().complete_task(task_id, {}, actor="window_cc")
    session.expire_all()
    statuses = {a.level: (a.status, a.closed_at is not None) for a in session.scalars(select(Alert))}
    assert statuses == {1: (AlertStatus.ACKNOWLEDGED, False), 2: (AlertStatus.CLOSED, True)}
    # A completed task climbs no further.
    assert sum(scan(session, ESCALATE + timedelta(days=3)).raised.values()) == 0
    assert len(alert_levels(session)) == 2


def test_cancelling_the_case_closes_its_alerts(session, case):
    instance_id, _ = case
    scan(session, DUE + SECOND)
    instance_service().cancel(instance_id, actor="admin", reason="撤回")
    assert count(session, Alert, Alert.status == AlertStatus.OPEN) == 0


def test_the_scan_closes_alerts_of_tasks_closed_behind_its_back(session, case):
    _, task_id = case
    from workflow_app.tasks.models import HumanTask, TaskStatus

    scan(session, REMIND)
    scan(session, DUE + SECOND)
    with session.begin():
        session.get(HumanTask, task_id).status = TaskStatus.CANCELLED
    assert scan(session, DUE + timedelta(hours=1)).closed == 2


def test_tasks_without_due_time_or_region_are_handled(session, demo):
    deploy_escalation()
    _, task_id = start_case(region_code=None)  # no region: nobody to mail, the alert still exists
    scan(session, ESCALATE)
    assert alert_levels(session) == [(2, "overdue"), (3, "escalated")]
    assert count(session, OutboxMessage) == 0
    _, timer_task = start_case("timer_case", business_key="T-1")  # no timeLimit: never escalated
    scan(session, T0 + timedelta(days=400))
    assert alert_levels(session, timer_task) == []


def test_many_overdue_tasks_are_scanned_without_a_query_per_task(session, case, app):
    from sqlalchemy import event

    from workflow_app import db

    for n in range(2, 40):
        start_case(business_key=f"ESC-{n}")
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine(), "before_cursor_execute", listener)
    try:
        result = EscalationService(session).scan(ESCALATE)
    finally:
        event.remove(db.engine(), "before_cursor_execute", listener)
    assert result.raised["overdue"] == 39 and result.raised["escalated"] == 39
    assert count(session, Alert) == 78
    assert len(statements) < 50, len(statements)  # a handful per rung, none per task (39 tasks here)
    # A backlog is reported as one digest per recipient and rung, not one e-mail per task.
    digests = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(m.recipient, m.payload["alerts"]) for m in digests] == [
        ("supervisor_cc@demo.socorg.local", 39), ("supervisor_prov@demo.socorg.local", 39)]
    assert digests[0].subject == "【超期预警】本辖区39项待办已超过办理期限"
    assert "受理材料（ESC-" in digests[0].body


def test_a_task_closed_while_the_scan_runs_keeps_a_level_matching_its_alerts(session, case, new_session,
                                                                             monkeypatch):
    """PostgreSQL reads each statement at its own snapshot: a completion committed between the scan's
    INSERT of the alerts and its UPDATE of the levels must not leave the two apart."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite's BEGIN IMMEDIATE keeps every other writer out of the scan's transaction")
    from workflow_app.tasks.models import HumanTask, TaskStatus

    _, task_id = case
    original = EscalationService._insert_alerts

    def insert_then_someone_completes(self, level, due, now):
        inserted = original(self, level, due, now)
        if inserted:
            other = new_session()
            with other.begin():  # another server completes the task meanwhile (a plain column update)
                other.get(HumanTask, task_id).status = TaskStatus.COMPLETED
        return inserted

    monkeypatch.setattr(EscalationService, "_insert_alerts", insert_then_someone_completes)
    scan(session, DUE + SECOND)
    assert alert_levels(session) == [(2, "overdue")]
    assert task_level(session, task_id) == 2
