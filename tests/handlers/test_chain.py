"""One case through a small BPMN (tests/data/handlers) that calls every shipped handler in turn."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from tests.conftest import DATA, read_bundle
from workflow_app import clock
from workflow_app.announcements.models import Announcement
from workflow_app.documents.models import Document
from workflow_app.instances import audit
from workflow_app.instances.models import InstanceStatus, ProcessInstance
from workflow_app.notifications.models import OutboxMessage
from workflow_app.organizations import uscc
from workflow_app.organizations.models import Organization, OrgStatus
from workflow_app.services import definition_service, instance_service
from workflow_app.tasks.models import HumanTask, TaskStatus

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=clock.LOCAL_TZ)
NEXT_MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=clock.LOCAL_TZ)
APPLICATION = {
    "org_name": "长春市测试行业协会", "org_type": "社会团体", "category": "行业协会商会", "region_code": "220100",
    "residence": "吉林省长春市朝阳区人民大街1号", "legal_representative": "李测试", "charter_party_clause": True,
    "party_members": 4,
}


@pytest.fixture
def chain(app, demo):
    """Deploy the handler chain and its follow-up process."""
    definition_service().deploy(read_bundle(DATA / "handlers"), deployed_by="test")


def open_task(session, instance_id: str, name: str) -> HumanTask:
    session.expire_all()
    return session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.name == name,
                                                   HumanTask.status == TaskStatus.READY)).one()


def test_a_case_runs_every_handler_and_leaves_their_traces(chain, session):
    with clock.frozen(MONDAY):
        case = instance_service().start("handler_chain", started_by="applicant", region_code="220000").instance
        apply = open_task(session, case.id, "apply")
        instance_service().complete_task(apply.id, APPLICATION, actor="applicant")
        session.expire_all()
        case = session.get(ProcessInstance, case.id)
        assert case.status is InstanceStatus.RUNNING, case.error
        # set_region moved the case (and the next task) to the city; the clock started, then paused.
        assert case.region_code == "220100"
        correct = open_task(session, case.id, "correct")
        assert correct.region_code == "220100"
        assert case.clock_paused and case.due_at is None and case.clock_remaining_wd == 15
        variables = instance_service().variables(case)
        assert variables["statutory_clock"] == {"due_at": "2026-12-14T15:59:59+00:00"}
        assert variables["decision_no"] == {"number": "吉民测字〔2026〕1号", "seq": 1, "year": 2026}
        assert variables["paused"] == {"remaining_workdays": 15}
        [document] = session.scalars(select(Document).where(Document.instance_id == case.id)).all()
        assert variables["notice"] == {"document_id": document.id, "number": "〔2026〕1号", "title": "测试告知书"}
        assert "长春市测试行业协会" in document.html and "长春市民政局" in document.html
        assert "二〇二六年十一月二十三日" in document.html and "二〇二六年十二月一日" in document.html
        assert "2026年11月23日" in document.html  # case.started_at | date_text

    with clock.frozen(NEXT_MONDAY):
        instance_service().complete_task(correct.id, {"note": "已补正"}, actor="applicant")
    session.expire_all()
    case = session.get(ProcessInstance, case.id)
    assert case.status is InstanceStatus.COMPLETED, case.error
    variables = instance_service().variables(case)
    assert variables["resumed"] == {"due_at": "2026-12-21T15:59:59+00:00"}
    assert variables["clock_used"] == {"used_workdays": 0}
    assert case.due_at is None and not case.clock_paused

    org = session.get(Organization, variables["organization"]["organization_id"])
    assert case.organization_id == org.id
    assert (org.name, org.status, org.region_code, org.charter_party_clause) == (
        "长春市测试行业协会", OrgStatus.ACTIVE, "220100", True)
    assert org.uscc == variables["organization"]["uscc"] and uscc.is_valid(org.uscc)
    assert org.uscc.startswith("51220100MJ000001")
    assert org.flags["party_members"] == 4 and org.flags["checked"] is True
    assert variables["org_update"] == {"organization_id": org.id, "changed": ["flags"]}

    announcement = session.get(Announcement, variables["announcement"]["announcement_id"])
    assert announcement.kind == "成立登记" and org.uscc in announcement.html

    messages = session.scalars(select(OutboxMessage).where(OutboxMessage.instance_id == case.id)).all()
    # The organization's users: none in the demo for a new organization; the window group of 长春市: window_cc.
    assert [m.recipient for m in messages] == ["window_cc@demo.socorg.local"]
    assert variables["notified"]["queued"] == 1

    child = session.get(ProcessInstance, variables["child"]["instance_id"])
    assert (child.process_key, child.organization_id, child.region_code) == ("followup", org.id, "220100")
    assert instance_service().variables(child)["organization_name"] == "长春市测试行业协会"

    actions = [e.action for e in audit.history(session, case.id)]
    for action in ("set_region", "clock_start", "clock_pause", "clock_resume", "registry_create",
                   "registry_update", "start_process", "clock_stop"):
        assert action in actions
