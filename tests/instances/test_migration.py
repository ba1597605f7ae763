"""Moving running cases to a newer version: the dry run changes nothing, movable cases move and go on on the
new version, a case at a removed step stays where it is; explicit step mapping; roles and stale dry runs."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.versions_support import sample_v2
from workflow_app.instances.models import AuditEvent, ProcessInstance
from workflow_app.services import definition_service, instance_service
from workflow_app.tasks.models import HumanTask, TaskStatus

URL = "/api/v1/process-definitions/sample_review/migrations"
BODY = {"from_version": 1, "to_version": 2}


def open_task(session, instance_id: str) -> HumanTask:
    session.expire_all()
    return session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                   HumanTask.status.in_([TaskStatus.READY, TaskStatus.CLAIMED]))).one()


def two_cases(session) -> tuple[str, str]:
    """Case A waits at 填写申请 (kept in v2), case B at 审核申请 (removed in v2)."""
    a = instance_service().start("sample_review", started_by="applicant").instance.id
    b = instance_service().start("sample_review", started_by="applicant").instance.id
    instance_service().complete_task(open_task(session, b).id, {"title": "乙", "amount": 10}, actor="applicant")
    return a, b


def snapshot(session) -> tuple:
    session.expire_all()
    rows = session.execute(select(ProcessInstance.id, ProcessInstance.definition_id, ProcessInstance.version,
                                  ProcessInstance.state_json).order_by(ProcessInstance.id)).all()
    return (tuple(rows), session.scalar(select(func.count()).select_from(AuditEvent)),
            session.scalar(select(func.count()).select_from(HumanTask)))


def test_dry_run_lists_movable_and_blocked_cases_and_changes_nothing(client, auth, deployed_sample,
                                                                     sample_files, session):
    a, b = two_cases(session)
    definition_service().deploy(sample_v2(sample_files), deployed_by="designer")
    before = snapshot(session)
    response = client.post(f"{URL}/dry-run", json=BODY, headers=auth("designer"))
    assert response.status_code == 200, response.get_json()
    plan = {c["instance_id"]: c for c in response.get_json()["cases"]}
    assert response.get_json()["movable"] == 1
    assert plan[a]["movable"] and plan[a]["waiting_at"] == [{"element_id": "submit", "name": "填写申请"}]
    assert not plan[b]["movable"]
    assert plan[b]["reasons"] == ["当前所在环节「审核申请」（review）在第 2 版中不存在，且未指定对应环节"]
    assert snapshot(session) == before


def test_movable_cases_move_and_continue_on_v2_while_a_case_at_a_removed_step_stays(client, auth, deployed_sample,
                                                                                    sample_files, session):
    a, b = two_cases(session)
    definition_service().deploy(sample_v2(sample_files), deployed_by="designer")
    plan = client.post(f"{URL}/dry-run", json=BODY, headers=auth("designer")).get_json()
    locks = {c["instance_id"]: c["lock"] for c in plan["cases"]}
    response = client.post(URL, json={**BODY, "cases": locks}, headers=auth("admin"))
    assert response.status_code == 200, response.get_json()
    outcomes = {o["instance_id"]: o for o in response.get_json()["outcomes"]}
    assert outcomes[a]["moved"] and not outcomes[b]["moved"] and "审核申请" in outcomes[b]["reason"]

    session.expire_all()
    assert session.get(ProcessInstance, a).definition.version == 2
    assert session.get(ProcessInstance, b).definition.version == 1
    event = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == a,
                                                     AuditEvent.action == "migrate")).one()
    assert event.details == {"from_version": 1, "to_version": 2} and event.actor == "admin"
    assert event.opinion == "由第 1 版迁移到第 2 版"
    assert not session.scalars(select(AuditEvent).where(AuditEvent.instance_id == b,
                                                        AuditEvent.action == "migrate")).all()
    # The moved case's open step now counts the new time limit (7 working days, not 5).
    submit = open_task(session, a)
    assert submit.due_at is not None
    # It goes on along version 2: after 填写申请 comes the new step 复核申请.
    instance_service().complete_task(submit.id, {"title": "甲", "amount": 5}, actor="applicant")
    nxt = open_task(session, a)
    assert (nxt.name, nxt.title) == ("recheck", "复核申请")
    instance_service().complete_task(nxt.id, {"decision": "reject"}, actor="reviewer_cc")
    session.expire_all()
    assert session.get(ProcessInstance, a).status.value == "completed"
    # The unmoved case still works on version 1.
    assert open_task(session, b).name == "review"


def test_a_renamed_step_moves_when_mapped_and_keeps_its_task(client, auth, deployed_sample, sample_files, session):
    _, b = two_cases(session)
    definition_service().deploy(sample_v2(sample_files), deployed_by="designer")
    task_id = open_task(session, b).id
    body = {**BODY, "renames": {"review": "recheck"}}
    plan = client.post(f"{URL}/dry-run", json=body, headers=auth("designer")).get_json()
    assert all(c["movable"] for c in plan["cases"])
    response = client.post(URL, json=body, headers=auth("admin"))
    assert response.get_json()["moved"] == 2
    row = open_task(session, b)
    assert (row.id, row.name, row.title) == (task_id, "recheck", "复核申请")
    instance_service().complete_task(row.id, {"decision": "approve"}, actor="reviewer_cc")
    session.expire_all()
    assert session.get(ProcessInstance, b).status.value == "completed"


def test_a_case_changed_after_the_dry_run_is_not_moved(client, auth, deployed_sample, sample_files, session):
    a, _ = two_cases(session)
    definition_service().deploy(sample_v2(sample_files), deployed_by="designer")
    plan = client.post(f"{URL}/dry-run", json=BODY, headers=auth("designer")).get_json()
    locks = {c["instance_id"]: c["lock"] for c in plan["cases"] if c["instance_id"] == a}
    instance_service().complete_task(open_task(session, a).id, {"title": "甲", "amount": 5}, actor="applicant")
    outcome = client.post(URL, json={**BODY, "cases": locks}, headers=auth("admin")).get_json()["outcomes"]
    assert outcome == [{"instance_id": a, "moved": False, "reason": "案件在试算后已有变动，请重新试算"}]
    session.expire_all()
    assert session.get(ProcessInstance, a).definition.version == 1


def test_only_designers_and_admins_dry_run_and_only_admins_move(client, auth, deployed_sample, sample_files):
    definition_service().deploy(sample_v2(sample_files), deployed_by="designer")
    for user in ("window_cc", "supervisor_cc", "applicant"):
        assert client.post(f"{URL}/dry-run", json=BODY, headers=auth(user)).status_code == 403
        assert client.post(URL, json=BODY, headers=auth(user)).status_code == 403
    assert client.post(URL, json=BODY, headers=auth("designer")).status_code == 403
    assert client.post(f"{URL}/dry-run", json=BODY).status_code == 401
    assert client.post(f"{URL}/dry-run", json={"from_version": 2, "to_version": 1},
                       headers=auth("designer")).status_code == 422
    assert client.post(f"{URL}/dry-run", json={"from_version": 1, "to_version": 9},
                       headers=auth("designer")).status_code == 404
    assert client.post(f"{URL}/dry-run", json={**BODY, "renames": {"x" * 200: "y"}},
                       headers=auth("designer")).status_code == 422


def test_a_registration_moves_to_a_version_with_a_corrected_time_limit_and_goes_on(app, demo, session):
    """The province fixes 受理审查's time limit: the waiting case takes the new limit and continues on v2."""
    from tests.web.support import accept, open_task, process_files, registration_at_accept
    from workflow_app.instances.migration import MigrationService

    definition_service().deploy(process_files("registration"), deployed_by="test")
    case_id, task_id = registration_at_accept()
    before = session.get(HumanTask, task_id).due_at
    fixed = process_files("registration")
    xml = fixed["registration.bpmn"].decode()
    marker = '<spiffworkflow:property name="timeLimit" value="5wd" />'
    start = xml.index('<bpmn:userTask id="accept"')
    fixed["registration.bpmn"] = (xml[:start] + xml[start:].replace(marker, marker.replace("5wd", "10wd"), 1)).encode()
    definition_service().deploy(fixed, deployed_by="designer")

    service = instance_service()
    plan = MigrationService(session, service).plan("registration", 1, 2)
    assert [c.movable for c in plan.cases] == [True], plan.cases
    [outcome] = MigrationService(session, service).execute("registration", 1, 2, actor="admin")
    assert outcome.moved, outcome.reason
    row = open_task(case_id, "accept")
    assert row.id == task_id and row.due_at > before  # 10 working days instead of 5
    accept(task_id)
    session.rollback()
    assert session.get(ProcessInstance, case_id).status.value == "running"
    assert session.get(ProcessInstance, case_id).definition.version == 2
