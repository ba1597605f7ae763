"""Starting and advancing cases: persistence, task rows, audit, locking, failures."""

from __future__ import annotations

import threading
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from workflow_app import clock
from workflow_app.errors import Conflict
from workflow_app.instances import audit
from workflow_app.instances.errors import InstanceNotRunning, TaskNotReady
from workflow_app.instances.models import AuditEvent, InstanceStatus, ProcessInstance
from workflow_app.services import definition_service, instance_service
from workflow_app.tasks.models import HumanTask, TaskStatus


def open_tasks(session: Session, instance_id: str) -> list[HumanTask]:
    return list(session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.status == TaskStatus.READY)))


def start_and_submit(amount: int = 2000) -> tuple[str, str]:
    """Start the sample case and complete its first task; return (instance id, review task id)."""
    advance = instance_service().start("sample_review", started_by="applicant", region_code=None)
    [submit] = advance.new_tasks
    advance = instance_service().complete_task(submit.id, {"title": "年会", "amount": amount}, actor="applicant")
    [review] = advance.new_tasks
    return advance.instance.id, review.id


def test_sample_case_runs_from_start_to_end_with_task_rows(deployed_sample, session):
    advance = instance_service().start("sample_review", {"source": "test"}, started_by="applicant")
    instance = advance.instance
    assert instance.status is InstanceStatus.RUNNING
    [submit] = open_tasks(session, instance.id)
    assert (submit.name, submit.title, submit.candidate_group, submit.form) == ("submit", "填写申请", "applicant",
                                                                               "submit.json")

    advance = instance_service().complete_task(submit.id, {"title": "年会", "amount": 2000}, actor="applicant")
    [review] = advance.new_tasks
    assert review.candidate_group == "reviewer"
    assert session.get(HumanTask, submit.id).status is TaskStatus.COMPLETED
    assert session.get(HumanTask, submit.id).completed_by == "applicant"

    advance = instance_service().complete_task(review.id, {"decision": "approve"}, actor="reviewer_prov",
                                               opinion="同意")
    assert advance.instance.status is InstanceStatus.COMPLETED
    assert advance.instance.ended_at is not None
    assert open_tasks(session, instance.id) == []
    data = instance_service().variables(advance.instance)
    assert data["priority"] == "high" and data["note_result"] == {"recorded": True}
    actions = [(e.action, e.opinion) for e in audit.history(session, instance.id)]
    assert actions == [("start", None), ("complete", None), ("complete", "同意"), ("note", None), ("end", None)]


def test_state_is_saved_without_the_spec(deployed_sample, session):
    instance = instance_service().start("sample_review", started_by="applicant").instance
    assert '"task_specs"' not in instance.state_json
    assert len(instance.state_json) < len(instance.definition.spec_json)


def test_completed_task_cannot_be_completed_again(deployed_sample):
    instance_id, review_id = start_and_submit()
    instance_service().complete_task(review_id, {"decision": "reject"}, actor="reviewer")
    with pytest.raises(InstanceNotRunning):
        instance_service().complete_task(review_id, {"decision": "approve"}, actor="reviewer")


def test_completing_a_cancelled_task_is_refused(deployed_sample, session):
    instance_id, review_id = start_and_submit()
    with clock.frozen(clock.now() + timedelta(hours=73)):
        instance_service().fire_timers(instance_id)
    assert session.get(HumanTask, review_id).status is TaskStatus.CANCELLED
    before = session.get(ProcessInstance, instance_id).version
    with pytest.raises((TaskNotReady, InstanceNotRunning)):
        instance_service().complete_task(review_id, {"decision": "approve"}, actor="reviewer")
    assert session.get(ProcessInstance, instance_id).version == before


def test_second_save_of_stale_instance_conflicts(deployed_sample, new_session):
    instance_id, _ = start_and_submit()
    first, second = new_session(), new_session()
    mine = first.get(ProcessInstance, instance_id)
    theirs = second.get(ProcessInstance, instance_id)
    second.commit()  # the second reader's transaction ends (a form was shown); its object stays in memory
    mine.business_key = "第一次保存"
    first.commit()
    theirs.business_key = "第二次保存"
    with pytest.raises(StaleDataError):
        second.commit()
    second.rollback()
    check = new_session()
    assert check.get(ProcessInstance, instance_id).business_key == "第一次保存"


def test_concurrent_completions_apply_once(deployed_sample, app, session):
    instance_id, review_id = start_and_submit()
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def work() -> None:
        with app.app_context():
            barrier.wait()
            try:
                instance_service().complete_task(review_id, {"decision": "approve"}, actor="reviewer")
                outcomes.append("ok")
            except Conflict:
                outcomes.append("conflict")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "ok"]
    session.expire_all()
    completions = session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.instance_id == instance_id, AuditEvent.task_id == review_id, AuditEvent.action == "complete"))
    assert completions == 1


def test_exception_mid_completion_leaves_everything_as_before(deployed_sample, session, new_session, monkeypatch):
    instance_id, review_id = start_and_submit()
    check = new_session()
    before = check.get(ProcessInstance, instance_id)
    snapshot = (before.version, before.state_json, before.status)
    events_before = check.scalar(select(func.count()).select_from(AuditEvent))
    check.close()

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("workflow_app.instances.service.sync_tasks", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        instance_service().complete_task(review_id, {"decision": "approve"}, actor="reviewer")

    check = new_session()
    after = check.get(ProcessInstance, instance_id)
    assert (after.version, after.state_json, after.status) == snapshot
    assert check.get(HumanTask, review_id).status is TaskStatus.READY
    assert check.scalar(select(func.count()).select_from(AuditEvent)) == events_before


def test_failing_script_puts_the_case_in_error_with_a_readable_detail(deploy_scripted, session):
    deploy_scripted("ratio = 100 / divisor")
    advance = instance_service().start("scripted", started_by="window_prov")
    [enter] = advance.new_tasks
    advance = instance_service().complete_task(enter.id, {"divisor": 0}, actor="window_prov")
    instance = advance.instance
    assert instance.status is InstanceStatus.ERROR
    assert "ZeroDivisionError" in instance.error["message"]
    assert instance.error["task"] == "compute"
    assert [e.action for e in audit.history(session, instance.id)][-1] == "error"


def test_endless_loop_is_stopped_and_the_case_goes_to_error(deploy_scripted):
    deploy_scripted("while True:\n    pass")
    [enter] = instance_service().start("scripted", started_by="window_prov").new_tasks
    advance = instance_service().complete_task(enter.id, {}, actor="window_prov")
    assert advance.instance.status is InstanceStatus.ERROR
    assert "time" in advance.instance.error["message"].lower()


def test_script_cannot_write_files(deploy_scripted, tmp_path: Path):
    target = tmp_path / "pwned.txt"
    deploy_scripted("handle = open(target, 'w')\nhandle.write('x')")
    [enter] = instance_service().start("scripted", started_by="window_prov").new_tasks
    advance = instance_service().complete_task(enter.id, {"target": str(target)}, actor="window_prov")
    assert advance.instance.status is InstanceStatus.ERROR
    assert "open" in advance.instance.error["message"]
    assert not target.exists()



def test_failing_handler_sets_error_and_retry_recovers(deploy_scripted, flaky_handler, session):
    deploy_scripted("ratio = 1", operator="test.flaky")
    [enter] = instance_service().start("scripted", started_by="window_prov").new_tasks
    advance = instance_service().complete_task(enter.id, {}, actor="window_prov")
    assert advance.instance.status is InstanceStatus.ERROR
    assert "registry service unavailable" in advance.instance.error["message"]
    assert advance.instance.error["task"] == "call_handler"

    flaky_handler["up"] = True
    advance = instance_service().retry(advance.instance.id, actor="admin")
    assert advance.instance.status is InstanceStatus.COMPLETED
    assert advance.instance.error is None
    assert flaky_handler["calls"] == 2


def test_timer_fires_only_when_due_by_the_application_clock(deployed_sample, session):
    instance_id, review_id = start_and_submit()
    instance = session.get(ProcessInstance, instance_id)
    due = instance.next_timer_at
    assert due is not None and timedelta(hours=71) < due - clock.now() <= timedelta(hours=72)

    with clock.frozen(due - timedelta(minutes=1)):
        instance_service().fire_timers(instance_id)
    assert session.get(HumanTask, review_id).status is TaskStatus.READY

    with clock.frozen(due + timedelta(minutes=1)):
        advance = instance_service().fire_timers(instance_id)
    assert advance.instance.status is InstanceStatus.COMPLETED
    assert session.get(HumanTask, review_id).status is TaskStatus.CANCELLED
    assert advance.instance.next_timer_at is None


def test_cancel_closes_every_open_task(deployed_sample, session):
    instance_id, review_id = start_and_submit()
    advance = instance_service().cancel(instance_id, actor="applicant", reason="撤回申请")
    assert advance.instance.status is InstanceStatus.CANCELLED
    assert session.get(HumanTask, review_id).status is TaskStatus.CANCELLED
    with pytest.raises(InstanceNotRunning):
        instance_service().cancel(instance_id, actor="applicant", reason="again")


def test_running_case_finishes_on_its_version_after_a_new_deploy(deployed_sample, sample_files, session):
    instance_id, review_id = start_and_submit()
    changed = dict(sample_files)
    changed["sample_review.bpmn"] = changed["sample_review.bpmn"].replace("审核申请".encode(), "复核申请".encode())
    [result] = definition_service().deploy(changed, deployed_by="designer")
    assert (result.version, result.created) == (2, True)

    new = instance_service().start("sample_review", started_by="applicant").instance
    assert new.definition.version == 2
    advance = instance_service().complete_task(review_id, {"decision": "approve"}, actor="reviewer")
    assert advance.instance.status is InstanceStatus.COMPLETED
    assert advance.instance.definition.version == 1
    assert session.get(HumanTask, review_id).title == "审核申请"


def test_variables_must_be_json_with_identifier_names(deployed_sample):
    from workflow_app.instances.errors import InvalidVariables

    with pytest.raises(InvalidVariables):
        instance_service().start("sample_review", {"__class__": 1}, started_by="applicant")
    with pytest.raises(InvalidVariables):
        instance_service().start("sample_review", {"x": object()}, started_by="applicant")


def test_datetimes_a_handler_passes_as_variables_are_kept_and_dates_refused(deployed_sample, session):
    """The engine keeps datetimes, durations and UUIDs natively; the submission row stores them as text.
    A date or a Decimal, which the engine cannot store, is refused before anything is written."""
    import uuid
    from datetime import date, datetime
    from decimal import Decimal

    from workflow_app.casefile.models import Submission
    from workflow_app.instances.errors import InvalidVariables

    when = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    ref = uuid.UUID("12345678-1234-5678-1234-567812345678")
    variables = {"received_at": when, "allowed": timedelta(days=20), "ref": ref}
    instance_id = instance_service().start("sample_review", variables, started_by="cli").instance.id
    session.expire_all()
    [start] = session.scalars(select(Submission).where(Submission.instance_id == instance_id)).all()
    assert start.data == {"received_at": when.isoformat(), "allowed": "20 days, 0:00:00", "ref": str(ref)}
    assert session.get(ProcessInstance, instance_id).status is InstanceStatus.RUNNING
    cases = session.scalar(select(func.count()).select_from(ProcessInstance))
    for value in (date(2026, 12, 7), Decimal("12.50")):
        with pytest.raises(InvalidVariables):
            instance_service().start("sample_review", {"v": value}, started_by="cli")
    assert session.scalar(select(func.count()).select_from(ProcessInstance)) == cases


def test_script_error_with_a_non_string_argument_keeps_its_real_message(deploy_scripted):
    deploy_scripted("lookup = {}\nvalue = lookup[5]")
    [enter] = instance_service().start("scripted", started_by="window_prov").new_tasks
    advance = instance_service().complete_task(enter.id, {}, actor="window_prov")
    assert advance.instance.status is InstanceStatus.ERROR
    assert "KeyError" in advance.instance.error["message"] and "5" in advance.instance.error["message"]
    assert "concatenate" not in advance.instance.error["message"]
