"""The task page through the Flask client: the form from the JSON Schema refusing bad input in place,
who may act and who may only look, and every operation (签收, 转办, 委派, 退回, 抄送, 批注, 撤回, 催办)."""

from __future__ import annotations

import re
import secrets

import pytest
from sqlalchemy import select

from tests.processes.conftest import process_files
from tests.web.support import (
    Pages,
    accept,
    deploy_registration,
    errors_of,
    open_task,
    refused,
    registration_at_accept,
    text,
    user,
)
from workflow_app import db
from workflow_app.instances.models import ProcessInstance
from workflow_app.instances.queries import InstanceAccess
from workflow_app.organizations.models import Organization
from workflow_app.services import definition_service, instance_service
from workflow_app.tasks.models import HumanTask, TaskStatus

OPINION = "材料齐全，符合法定形式，予以受理。"


@pytest.fixture
def at_accept(web):
    """A registration waiting for the 长春市 window: (case id, 受理 task id)."""
    deploy_registration()
    return registration_at_accept()


def task_row(task_id: str) -> HumanTask:
    """The task row as committed now."""
    db.session().commit()
    return db.session().get(HumanTask, task_id)


def test_application_form_refuses_bad_input_in_place_and_keeps_what_was_typed(web):
    deploy_registration()
    applicant = Pages(web, "applicant")
    started = InstanceAccess(db.session(), user("applicant"), instance_service()).start("registration")
    task_id = started["active_tasks"][0]["id"]
    form = text(applicant.get(f"/tasks/{task_id}"))
    assert 'placeholder="0431-88888888"' in form and 'name="founders.0.name"' in form
    assert re.search(r'name="is_remote_chamber" value="false" checked', form)  # the schema's default

    response = applicant.post(f"/tasks/{task_id}/complete", {
        "org_name": "ab", "org_type": "social_group", "category": "科技类", "contact_phone": "电话",
        "party_members": "三", "founders.0.name": "李", "founders.0.founder_kind": "individual",
        "materials": ["charter_draft", "application_form"], "registered_funds": "50000",
    })
    html = text(refused(applicant, response))
    assert errors_of(html, "org_name") == ["至少填写 4 个字"]
    assert errors_of(html, "contact_phone") == ["格式不正确，例如：0431-88888888"]
    assert errors_of(html, "party_members") == ["请输入整数"]
    assert "至少填写 2 个字" in html  # founders.0.name, in its table cell
    assert errors_of(html, "residence") == ["此项必填"]
    for typed in ('value="ab"', 'value="电话"', 'value="三"', 'value="李"', 'value="50000"'):
        assert typed in html, typed
    assert 'value="charter_draft" checked' in html and 'value="application_form" checked' in html
    assert 'value="social_group" checked' in html and '<option value="科技类" selected>' in html
    assert task_row(task_id).status is TaskStatus.READY  # nothing was completed


def test_decision_needs_an_opinion_and_keeps_the_decision(web, at_accept):
    _case, task_id = at_accept
    window = Pages(web, "window_cc")
    response = window.post(f"/tasks/{task_id}/complete", {"decision": "accept"})
    html = text(refused(window, response))
    assert errors_of(html, "opinion") == ["此项必填"]
    assert 'value="accept" checked' in html
    response = window.post(f"/tasks/{task_id}/complete", {"decision": "incomplete", "opinion": "材料不齐"})
    assert errors_of(text(refused(window, response)), "missing_items") == ["此项必填"]


def test_the_acceptance_page_shows_the_application_as_entered_with_the_forms_titles(web, at_accept):
    _case, task_id = at_accept
    html = text(Pages(web, "window_cc").get(f"/tasks/{task_id}"))
    section = html[html.index('id="submissions"'):html.index('id="task-form"')]
    assert "申请及前序环节提交内容" in section
    assert 'data-task="apply"' in section and 'data-task="acknowledge"' in section
    assert "吉林省长春市南关区人民大街2号" in section and "李明" in section and "吉林大学" in section
    assert "住所" in section  # the form's title of `residence`, not the field name
    assert "社会团体" in section  # an enum value shown by its label


def test_the_case_page_shows_the_application_first_and_the_organization_only_its_own(web, at_accept):
    case_id, task_id = at_accept
    accept(task_id)
    html = text(Pages(web, "reviewer_cc").get(f"/cases/{case_id}"))
    steps = re.findall(r'data-task="(\w+)"', html[html.index('id="submissions"'):])
    assert steps[:3] == ["apply", "acknowledge", "accept"]
    own = text(Pages(web, "applicant").get(f"/cases/{case_id}"))
    section = own[own.index('id="submissions"'):]
    assert 'data-task="apply"' in section and 'data-task="accept"' not in section


def test_a_later_page_does_not_repeat_the_steps_own_submission(web, at_accept):
    case_id, task_id = at_accept
    accept(task_id)
    review = open_task(case_id, "review")
    html = text(Pages(web, "reviewer_cc").get(f"/tasks/{review.id}"))
    assert 'data-task="accept"' in html and "材料齐全，予以受理。" in html
    done = text(Pages(web, "window_cc").get(f"/tasks/{task_id}"))
    assert 'data-task="accept"' not in done[:done.index('id="task-form"')]


def test_a_posted_field_the_form_does_not_declare_is_refused_by_name(web, at_accept):
    case_id, task_id = at_accept
    window = Pages(web, "window_cc")
    before = instance_service().variables(db.session().get(ProcessInstance, case_id))["org_name"]
    response = window.post(f"/tasks/{task_id}/complete", {"decision": "accept", "opinion": OPINION,
                                                         "org_name": "被改掉的名称", "founders.0.name": "张三"})
    assert "提交的内容含有本表单没有的字段：org_name、founders.0.name" in text(refused(window, response))
    assert task_row(task_id).status is TaskStatus.READY
    db.session().expire_all()
    assert instance_service().variables(db.session().get(ProcessInstance, case_id))["org_name"] == before


def test_window_accepts_and_the_flash_says_where_the_case_went(web, at_accept):
    _case, task_id = at_accept
    window = Pages(web, "window_cc")
    response = window.post(f"/tasks/{task_id}/complete", {"decision": "accept", "opinion": OPINION})
    assert response.status_code == 302 and response.headers["Location"].endswith("/tasks")
    assert "已提交「受理审查」。案件当前环节：审查（审查）" in text(window.get("/tasks"))
    done = text(window.get(f"/tasks/{task_id}"))  # the completed step shows what was submitted, read-only
    assert "此环节已办理" in done and OPINION in done and 'id="submit-task"' not in done


def test_a_supervisor_sees_the_task_but_cannot_act_and_other_groups_do_not_see_it(web, at_accept):
    _case, task_id = at_accept
    supervisor = Pages(web, "supervisor_cc")
    html = text(supervisor.get(f"/tasks/{task_id}"))
    assert "您可以查看此任务，但不能办理" in html and 'id="submit-task"' not in html and "disabled" in html
    response = supervisor.post(f"/tasks/{task_id}/complete", {"decision": "accept", "opinion": OPINION})
    assert response.status_code == 403
    assert Pages(web, "reviewer_cc").get(f"/tasks/{task_id}").status_code == 404
    assert Pages(web, "window_prov").get(f"/tasks/{task_id}").status_code == 404


def test_claim_and_release(web, at_accept):
    _case, task_id = at_accept
    window = Pages(web, "window_cc")
    assert window.post(f"/tasks/{task_id}/claim").status_code == 302
    assert task_row(task_id).assignee == "window_cc"
    assert "释放任务" in text(window.get(f"/tasks/{task_id}"))
    assert window.post(f"/tasks/{task_id}/unclaim").status_code == 302
    assert task_row(task_id).assignee is None


def test_transfer_and_delegate_refuse_unknown_or_ineligible_people_in_place(web, at_accept):
    _case, task_id = at_accept
    window = Pages(web, "window_cc")
    response = window.post(f"/tasks/{task_id}/transfer", {"to": "nobody", "opinion": "请代办"})
    html = text(refused(window, response))
    assert "没有这个在用账号：nobody" in html and 'id="op-transfer" open' in html
    assert 'value="nobody"' in html and "请代办" in html
    response = window.post(f"/tasks/{task_id}/transfer", {"to": "reviewer_cc"})
    assert "该用户不能接收此任务" in text(refused(window, response))
    response = window.post(f"/tasks/{task_id}/delegate", {"to": ""})
    assert "请填写接收人的用户名" in text(refused(window, response))
    assert task_row(task_id).assignee is None


def test_delegated_task_comes_back_to_the_delegator(web, at_accept):
    _case, task_id = at_accept
    window = Pages(web, "window_cc")
    assert window.post(f"/tasks/{task_id}/delegate", {"to": "reviewer_cc", "opinion": "请协助核对"}).status_code == 302
    reviewer = Pages(web, "reviewer_cc")
    assert "受理审查" in text(reviewer.get("/tasks"))
    assert "此任务由" in text(reviewer.get(f"/tasks/{task_id}"))
    response = reviewer.post(f"/tasks/{task_id}/complete", {"decision": "accept", "opinion": "已核对，可以受理"})
    assert response.status_code == 302
    row = task_row(task_id)
    assert row.assignee == "window_cc" and row.status is TaskStatus.CLAIMED
    inbox = text(reviewer.get("/tasks"))
    assert "已办理「受理审查」，任务已交回 赵丽（长春市民政局受理窗口） 确认" in inbox
    confirm = text(window.get(f"/tasks/{task_id}"))  # the delegator confirms the delegate's answer
    assert "已受托办理" in confirm and 'value="accept" checked' in confirm and "已核对，可以受理" in confirm


def test_return_needs_an_opinion_and_a_step_that_came_before(web, at_accept):
    case_id, task_id = at_accept
    accept(task_id)
    review = open_task(case_id, "review").id
    reviewer = Pages(web, "reviewer_cc")
    response = reviewer.post(f"/tasks/{review}/return", {"opinion": "  "})
    assert "请填写退回意见" in text(refused(reviewer, response))
    response = reviewer.post(f"/tasks/{review}/return", {"opinion": "退回补正", "to_task": "approve"})
    html = text(refused(reviewer, response))
    assert "只能退回至此前办理过的环节" in html and "受理审查" in html and "退回补正" in html
    response = reviewer.post(f"/tasks/{review}/return", {"opinion": "请核验住所证明原件"})
    assert response.status_code == 302
    assert open_task(case_id, "accept").assignee == "window_cc"
    assert "请核验住所证明原件" in text(Pages(web, "window_cc").get(f"/cases/{case_id}"))


def test_comments_copies_withdraw_and_urge(web, at_accept):
    case_id, task_id = at_accept
    window = Pages(web, "window_cc")
    response = window.post(f"/tasks/{task_id}/comment", {"text": ""})
    assert "请填写批注内容" in text(refused(window, response))
    assert window.post(f"/tasks/{task_id}/comment", {"text": "住所证明需核验原件"}).status_code == 302
    assert "住所证明需核验原件" in text(window.get(f"/tasks/{task_id}"))
    response = window.post(f"/tasks/{task_id}/cc", {"to": " , "})
    assert "请填写抄送对象" in text(refused(window, response))
    assert window.post(f"/tasks/{task_id}/cc", {"to": "supervisor_cc，approver_cc"}).status_code == 302
    assert "已抄送：吴国庆（长春市民政局监督）、周海燕（长春市民政局审批）" in text(window.get(f"/tasks/{task_id}"))

    window.post(f"/tasks/{task_id}/complete", {"decision": "accept", "opinion": OPINION})
    assert "撤回" in text(window.get(f"/tasks/{task_id}"))
    assert window.post(f"/tasks/{task_id}/withdraw", {"opinion": "受理意见有误"}).status_code == 302
    assert task_row(task_id).status is TaskStatus.CLAIMED and task_row(task_id).assignee == "window_cc"

    # The starter urges from the case page (the window's task itself is not theirs to open).
    applicant = Pages(web, "applicant")
    assert applicant.get(f"/tasks/{task_id}").status_code == 404
    case_page = text(applicant.get(f"/cases/{case_id}"))
    assert f"/tasks/{task_id}/urge" in case_page
    first = applicant.web.post(f"/tasks/{task_id}/urge", data={"message": "请尽快办理", "csrf_token": applicant.token},
                               headers={"Referer": f"/cases/{case_id}"})
    assert first.status_code == 302 and first.headers["Location"] == f"/cases/{case_id}"
    case_page = text(applicant.get(f"/cases/{case_id}"))
    assert "已催办「受理审查」" in case_page and "请尽快办理" in case_page
    second = applicant.post(f"/tasks/{task_id}/urge", {})  # within the hour: refused, flashed
    assert second.status_code == 302
    assert "一小时内已催办过，请 60 分钟后再试" in text(applicant.get(f"/cases/{case_id}"))


def test_acting_on_a_task_someone_else_holds_is_flashed_in_chinese(web, at_accept):
    case_id, task_id = at_accept
    accept(task_id)
    review = open_task(case_id, "review").id
    row = task_row(review)
    row.assignee, row.status = "approver_cc", TaskStatus.CLAIMED  # claimed meanwhile by someone else
    db.session().commit()
    reviewer = Pages(web, "reviewer_cc")
    response = reviewer.web.post(f"/tasks/{review}/claim", data={"csrf_token": reviewer.token},
                                 headers={"Referer": f"/tasks/{review}"})
    assert response.status_code == 302 and response.headers["Location"] == f"/tasks/{review}"
    assert "此任务已由 周海燕（长春市民政局审批） 签收办理" in text(reviewer.get(f"/tasks/{review}"))
    window = Pages(web, "window_cc")
    window.post(f"/tasks/{task_id}/withdraw", {})
    assert "下一环节已开始办理，无法撤回" in text(window.get("/tasks"))


def test_unknown_operation_is_404(web, at_accept):
    _case, task_id = at_accept
    assert Pages(web, "window_cc").post(f"/tasks/{task_id}/explode").status_code == 404


def test_case_list_can_show_only_the_cases_one_started(web):
    deploy_registration()
    case_id, _ = registration_at_accept()
    key = db.session().get(ProcessInstance, case_id).business_key
    window = Pages(web, "window_cc")
    assert key in text(window.get("/cases"))  # a case of the window's region, started by the applicant
    only_mine = window.get("/cases?mine=1")
    assert key not in text(only_mine) and 'name="mine" value="1" checked' in only_mine.get_data(as_text=True)
    assert key in text(Pages(web, "applicant").get("/cases?mine=1"))


def test_a_refused_submit_redirects_so_a_reload_is_a_get_and_the_messages_show_once(web, at_accept):
    _case, task_id = at_accept
    window = Pages(web, "window_cc")
    response = window.post(f"/tasks/{task_id}/complete", {"decision": "accept"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/tasks/{task_id}")
    first = text(window.get(f"/tasks/{task_id}"))
    assert errors_of(first, "opinion") == ["此项必填"] and 'value="accept" checked' in first
    again = text(window.get(f"/tasks/{task_id}"))  # the reload: the form as it stands, no stale messages
    assert errors_of(again, "opinion") == [] and 'value="accept" checked' not in again


def test_a_forms_address_opened_as_a_page_leads_to_its_task(web, at_accept):
    _case, task_id = at_accept
    window = Pages(web, "window_cc")
    for operation in ("complete", "transfer", "comment"):
        response = window.get(f"/tasks/{task_id}/{operation}")
        assert response.status_code == 303 and response.headers["Location"].endswith(f"/tasks/{task_id}")


def test_a_refused_post_too_large_for_the_session_cookie_is_answered_in_place(web, at_accept):
    _case, task_id = at_accept
    window = Pages(web, "window_cc")
    long = secrets.token_urlsafe(6000)  # 8 KB that do not compress: more than a cookie holds
    response = window.post(f"/tasks/{task_id}/transfer", {"to": "nobody", "opinion": long})
    assert response.status_code == 422 and "说明过长" in text(response) and long in text(response)
    assert window.get(f"/tasks/{task_id}").status_code == 200  # the session (login) survived


def test_read_only_fields_keep_the_cases_value_after_a_refused_post(web):
    # party_building's 摸排 form shows 案件来源 read-only; a refused post must not blank it.
    definition_service().deploy(process_files("party_building"), deployed_by="test")
    organization = db.session().scalars(select(Organization).where(Organization.region_code == "220100")).first()
    started = InstanceAccess(db.session(), user("party_officer"), instance_service()).start(
        "party_building", organization_id=organization.id)
    task_id = open_task(started["id"], "survey").id
    officer = Pages(web, "party_officer_cc")  # the pool: the lane in the case's region
    assert "党建工作人员发起" in text(officer.get(f"/tasks/{task_id}"))
    page = text(refused(officer, officer.post(f"/tasks/{task_id}/complete", {"party_members": "abc"})))
    assert errors_of(page, "party_members") and "党建工作人员发起" in page
