"""The organization's pages follow the disclosure rule (workflow_app/instances/disclosure.py): the case page
and its own task page show its submissions, the status, the reasons given to it and the office — never
staff comments, internal opinions or form data, or staff names. 抄送 goes only to staff who could see the
case anyway."""

from __future__ import annotations

import io

import pytest

from tests.attachments import samples
from tests.web.support import (
    Pages,
    accept,
    deploy_registration,
    open_task,
    refused,
    registration_at_accept,
    text,
    user,
)
from workflow_app.attachments.service import attachment_service
from workflow_app.tasks.service import task_service

COMMENT = "内部批注：请核实法定代表人的背景"
INTERNAL = "内部意见：此人背景可疑，请窗口重新核对住所"
FINDINGS = "实地核查：住所与申报不符，疑似挂靠"
REASON = "章程未载明党建工作内容，请修改章程后重新提交。"
STAFF_NAMES = ("孙磊", "赵丽", "reviewer_cc", "window_cc")


@pytest.fixture
def returned(web) -> str:
    """A registration returned to the organization for a charter amendment after an internal back-and-forth."""
    deploy_registration()
    case_id, accept_id = registration_at_accept()
    accept(accept_id)
    tasks, reviewer = task_service(), user("reviewer_cc")
    review = open_task(case_id, "review")
    tasks.comment(reviewer, review.id, COMMENT)
    tasks.return_to(reviewer, review.id, INTERNAL)
    accept(open_task(case_id, "accept").id)
    review = open_task(case_id, "review")
    photo = attachment_service().upload(reviewer, review.id, "site_photos", "现场.png", io.BytesIO(samples.png()))
    tasks.complete(reviewer, review.id, {
        "decision": "amend_charter", "opinion": REASON, "materials_verified": True,
        "charter_has_party_clause": False, "site_check": True, "site_check_on": "2026-10-12",
        "site_check_findings": FINDINGS, "site_photos": [photo.id]}, None)
    return case_id


def test_the_organizations_case_page_shows_the_reason_and_the_office_only(web, returned):
    html = text(Pages(web, "applicant").get(f"/cases/{returned}"))
    assert REASON in html and "长春市民政局" in html
    for secret in (COMMENT, INTERNAL, FINDINGS, *STAFF_NAMES):
        assert secret not in html
    staff = text(Pages(web, "supervisor_cc").get(f"/cases/{returned}"))
    assert INTERNAL in staff and COMMENT in staff and "孙磊" in staff


def test_the_organizations_task_page_shows_no_internal_data(web, returned):
    amend = open_task(returned, "amend_charter")
    task_service().comment(user("supervisor_cc"), amend.id, "监督：注意时限，内部掌握")
    response = Pages(web, "applicant").get(f"/tasks/{amend.id}")
    assert response.status_code == 200
    html = text(response)
    assert REASON in html and "修改章程" in html
    for secret in (COMMENT, INTERNAL, FINDINGS, "内部掌握", "吴国庆", *STAFF_NAMES):
        assert secret not in html


@pytest.mark.parametrize("to", ["applicant", "reviewer_prov"])
def test_a_copy_to_someone_who_could_not_see_the_case_is_refused_in_chinese(web, to):
    deploy_registration()
    _case, task_id = registration_at_accept()
    window = Pages(web, "window_cc")
    response = refused(window, window.post(f"/tasks/{task_id}/cc", {"to": f"supervisor_cc，{to}"}))
    assert f"只能抄送给本案件所在区划的工作人员或上级监督人，以下用户不能接收：{to}" in text(response)
    assert open_task(_case, "accept").id == task_id
    assert Pages(web, to).get(f"/tasks/{task_id}").status_code == 404


def test_a_task_the_window_holds_for_the_organization_shows_the_office(web):
    from workflow_app import db
    from workflow_app.instances.queries import InstanceAccess
    from workflow_app.services import instance_service

    deploy_registration()
    started = InstanceAccess(db.session(), user("window_cc"), instance_service()).start(
        "registration", organization_id=user("applicant").organization_id)
    [form] = started["active_tasks"]
    db.session().commit()
    applicant = Pages(web, "applicant")
    html = text(applicant.get(f"/tasks/{form['id']}"))
    assert "此任务已由 长春市民政局 签收办理" in html
    case = text(applicant.get(f"/cases/{started['id']}"))
    assert "长春市民政局" in case
    inbox = text(applicant.get("/inbox?tab=todo"))
    for page in (html, case, inbox):
        assert "赵丽" not in page and "window_cc" not in page
