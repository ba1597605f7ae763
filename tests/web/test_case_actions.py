"""Acting on a case from its page: 撤销 with a reason, an admin's 重新执行 of a case in error, and a
document's 送达 record or 作废 — with who may, and refusals shown in Chinese."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.web.support import Pages, accept, deploy_registration, registration_at_accept, text, user
from workflow_app import clock, db
from workflow_app.documents.models import Document, DocumentStatus, ServiceMethod
from workflow_app.instances.models import InstanceStatus, ProcessInstance
from workflow_app.instances.queries import InstanceAccess
from workflow_app.services import instance_service


def case_status(case_id: str) -> InstanceStatus:
    db.session().commit()  # a fresh snapshot: the pages changed the case in their own sessions
    db.session().expire_all()
    return db.session().get(ProcessInstance, case_id).status


def acceptance_notice(case_id: str) -> Document:
    db.session().commit()
    db.session().expire_all()
    return db.session().scalars(select(Document).where(Document.instance_id == case_id,
                                                       Document.title == "受理通知书")).one()


@pytest.fixture
def accepted(web):
    """A registration accepted by the 长春市 window: (case id, 受理通知书 id)."""
    deploy_registration()
    case_id, task_id = registration_at_accept()
    accept(task_id)
    return case_id, acceptance_notice(case_id).id


def test_the_starter_cancels_from_the_case_page_with_a_reason(web, accepted):
    case_id, _ = accepted
    applicant = Pages(web, "applicant")
    assert 'id="cancel-case"' in text(applicant.get(f"/cases/{case_id}"))
    response = applicant.post(f"/cases/{case_id}/cancel", {"reason": ""})
    assert response.status_code == 302 and case_status(case_id) is InstanceStatus.RUNNING
    assert "撤销案件须填写理由" in text(applicant.get(f"/cases/{case_id}"))
    response = applicant.post(f"/cases/{case_id}/cancel", {"reason": "不再申请登记"})
    assert response.status_code == 302 and case_status(case_id) is InstanceStatus.CANCELLED
    assert "案件已撤销" in text(applicant.get(f"/cases/{case_id}"))


def test_a_caseworker_who_did_not_start_it_cannot_cancel(web, accepted):
    case_id, _ = accepted
    reviewer = Pages(web, "reviewer_cc")
    assert 'id="cancel-case"' not in text(reviewer.get(f"/cases/{case_id}"))
    assert reviewer.post(f"/cases/{case_id}/cancel", {"reason": "无权"}).status_code == 403
    assert case_status(case_id) is InstanceStatus.RUNNING


def test_the_window_records_service_and_a_supervisor_voids_a_document(web, accepted):
    case_id, notice_id = accepted
    window = Pages(web, "window_cc")
    page = text(window.get(f"/cases/{case_id}"))
    assert "已出具，待送达" in page and "记录送达" in page and "作废此文书" not in page
    today = clock.local_now().date().isoformat()
    response = window.post(f"/documents/{notice_id}/service", {"method": "electronic", "served_at": today})
    assert response.status_code == 302
    refused = text(window.get(f"/cases/{case_id}"))
    assert "电子送达须经受送达人同意" in refused and "electronic service needs" not in refused
    assert acceptance_notice(case_id).status is DocumentStatus.ISSUED
    window.post(f"/documents/{notice_id}/service", {"method": "direct", "served_at": today, "note": "窗口当面交付"})
    served = acceptance_notice(case_id)
    assert (served.status, served.service_method, served.served_on.isoformat()) == (
        DocumentStatus.SERVED, ServiceMethod.DIRECT, today)
    assert "已送达" in text(window.get(f"/cases/{case_id}"))

    assert window.post(f"/documents/{notice_id}/void", {"reason": "错误"}).status_code == 403
    supervisor = Pages(web, "supervisor_cc")
    supervisor.post(f"/documents/{notice_id}/void", {"reason": "受理通知书事项有误，重新出具"})
    assert acceptance_notice(case_id).status is DocumentStatus.VOID
    assert "受理通知书事项有误，重新出具" in text(supervisor.get(f"/cases/{case_id}"))



def test_an_admin_retries_a_case_in_error_from_its_page(web, deploy_scripted, flaky_handler):
    deploy_scripted("ratio = 1", operator="test.flaky")
    started = InstanceAccess(db.session(), user("admin"), instance_service()).start("scripted")
    case_id = started["id"]
    instance_service().complete_task(started["active_tasks"][0]["id"], {}, actor="admin")
    assert case_status(case_id) is InstanceStatus.ERROR

    supervisor = Pages(web, "supervisor_prov")
    assert 'id="retry-form"' not in text(supervisor.get(f"/cases/{case_id}"))
    assert supervisor.post(f"/cases/{case_id}/retry").status_code == 403
    admin = Pages(web, "admin")
    assert 'id="retry-form"' in text(admin.get(f"/cases/{case_id}"))
    admin.post(f"/cases/{case_id}/retry")
    assert "重新执行后仍然出错" in text(admin.get(f"/cases/{case_id}"))
    flaky_handler["up"] = True
    admin.post(f"/cases/{case_id}/retry")
    assert case_status(case_id) is InstanceStatus.COMPLETED


def test_an_admin_moves_a_case_in_error_to_the_fixed_version_from_its_page(web, deploy_scripted):
    deploy_scripted("ratio = 1 / 0")
    started = InstanceAccess(db.session(), user("admin"), instance_service()).start("scripted")
    instance_service().complete_task(started["active_tasks"][0]["id"], {}, actor="admin")
    deploy_scripted("ratio = 1")
    admin = Pages(web, "admin")
    assert "先迁移到该流程的最新版本" in text(admin.get(f"/cases/{started['id']}"))
    admin.post(f"/cases/{started['id']}/retry", {"latest_version": "on"})
    assert case_status(started["id"]) is InstanceStatus.COMPLETED
