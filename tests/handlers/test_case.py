"""case.set_region and case.start_process, called directly on a started sample case."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import DATA, read_bundle
from workflow_app.db import unit_of_work
from workflow_app.instances import audit
from workflow_app.instances.models import InstanceStatus, ProcessInstance
from workflow_app.services import definition_service
from workflow_app.tasks.models import HumanTask


def test_set_region_moves_the_case_and_its_open_tasks(call, case, session):
    assert call("case.set_region", {"region_code": "220100"}) == {"region_code": "220100"}
    session.expire_all()
    assert session.get(ProcessInstance, case.id).region_code == "220100"
    regions = session.scalars(select(HumanTask.region_code).where(HumanTask.instance_id == case.id)).all()
    assert regions == ["220100"]
    assert ("set_region", "window_prov") in [(e.action, e.actor) for e in audit.history(session, case.id)]


def test_set_region_to_the_same_region_changes_nothing(call, case, session):
    call("case.set_region", {"region_code": "220000"})
    assert "set_region" not in [e.action for e in audit.history(session, case.id)]


@pytest.mark.parametrize("code", ["999999", "", None, "22010", "长春市"])
def test_set_region_refuses_an_unknown_region_in_both_languages(call, code):
    with pytest.raises(ValueError, match="不存在.*no region"):
        call("case.set_region", {"region_code": code})


@pytest.fixture
def followup(app):
    definition_service().deploy(read_bundle(DATA / "handlers"), deployed_by="test")


def test_start_process_starts_a_follow_up_case_for_the_same_organization(followup, call, case, session):
    result = call("case.start_process", {"process_key": "followup", "variables": {"source": "registration"}},
                  actor="approver_prov")
    child = session.get(ProcessInstance, result["instance_id"])
    assert child.status is InstanceStatus.RUNNING
    assert (child.organization_id, child.region_code, child.started_by) == (
        case.organization_id, "220000", "approver_prov")
    assert session.scalars(select(HumanTask.name).where(HumanTask.instance_id == child.id)).all() == ["verify"]
    details = [e.details for e in audit.history(session, case.id) if e.action == "start_process"]
    assert details == [{"process_key": "followup", "instance_id": child.id, "status": "running"}]


def test_start_process_takes_region_and_organization_when_given(followup, call, case, session):
    from workflow_app.organizations.models import Organization

    other = session.scalar(select(Organization.id).where(Organization.id != case.organization_id).limit(1))
    result = call("case.start_process", {"process_key": "followup", "region_code": "220100",
                                         "organization_id": other})
    child = session.get(ProcessInstance, result["instance_id"])
    assert (child.region_code, child.organization_id) == ("220100", other)


def test_start_process_rolls_back_with_the_starting_change(followup, case, session):
    import handlers
    from handlers import HandlerContext

    with pytest.raises(RuntimeError), unit_of_work(session):
        context = HandlerContext(session=session, instance=session.get(ProcessInstance, case.id), actor="x")
        handlers.load_builtin().call("case.start_process", context, {"process_key": "followup"})
        raise RuntimeError("the change that reached the handler fails later")
    assert session.scalar(select(ProcessInstance.id).where(ProcessInstance.process_key == "followup")) is None


@pytest.mark.parametrize(("params", "message"), [
    ({"process_key": "no_such_process"}, "无法启动流程.*no process definition"),
    ({}, "缺少参数 process_key"),
    ({"process_key": "followup", "variables": ["not", "a", "dict"]}, "应为字典"),
    ({"process_key": "followup", "organization_id": 999999}, "社会组织 999999 不存在"),
    ({"process_key": "followup", "region_code": "000000"}, "no region"),
    ({"process_key": "followup", "variables": {"_private": 1}}, "无法启动流程.*identifiers"),
])
def test_start_process_refuses_bad_parameters(followup, call, params, message):
    with pytest.raises(ValueError, match=message):
        call("case.start_process", params)


def test_cases_starting_cases_cannot_nest_without_end(followup, call):
    from handlers import case as case_handlers

    token = case_handlers._depth.set(case_handlers.MAX_START_DEPTH)
    try:
        with pytest.raises(ValueError, match="层数过多.*nested deeper"):
            call("case.start_process", {"process_key": "followup"})
    finally:
        case_handlers._depth.reset(token)


# -- case.deadline: a named deadline whose warning reaches every open step ----------------------------

def _deadlines(session, case):
    from workflow_app.alerts.deadlines import CaseDeadline

    session.expire_all()
    return [(d.name, d.label, d.warn_at.isoformat(), d.warned_at)
            for d in session.query(CaseDeadline).filter_by(instance_id=case.id)]


def test_a_deadline_is_set_moved_kept_and_cleared(call, case, session):
    params = {"name": "penalty_decision", "label": "行政处罚决定期限", "due_at": "2026-06-01T23:59:59+08:00",
              "warn_at": "2026-05-21T23:59:59+08:00"}
    assert call("case.deadline", params)["warn_at"] == "2026-05-21T15:59:59+00:00"
    assert _deadlines(session, case) == [("penalty_decision", "行政处罚决定期限", "2026-05-21T15:59:59+00:00", None)]
    call("case.deadline", {**params, "warn_at": "2026-06-20T23:59:59+08:00", "due_at": "2026-06-30T23:59:59+08:00"})
    assert [d[2] for d in _deadlines(session, case)] == ["2026-06-20T15:59:59+00:00"]  # moved, one row
    assert call("case.deadline", {"name": "penalty_decision", "warn_at": None, "due_at": None}) == {"kept": True}
    assert len(_deadlines(session, case)) == 1
    assert call("case.deadline", {"name": "penalty_decision", "clear": True}) == {"cleared": True}
    assert _deadlines(session, case) == []
    assert call("case.deadline", {"name": "penalty_decision", "clear": True}) == {"cleared": False}


@pytest.mark.parametrize(("params", "message"), [
    ({"warn_at": "next week"}, "warn_at"),
    ({"warn_at": "2026-06-02T00:00:00+08:00"}, "提醒时间不能晚于期限"),
    ({"label": ""}, "label"),
    ({"name": "x" * 65}, "name"),
])
def test_a_bad_deadline_is_refused(call, params, message):
    base = {"name": "penalty_decision", "label": "行政处罚决定期限", "due_at": "2026-06-01T23:59:59+08:00",
            "warn_at": "2026-05-21T23:59:59+08:00"}
    with pytest.raises(ValueError, match=message):
        call("case.deadline", {**base, **params})
