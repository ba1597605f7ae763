"""The inbox, starting a case and the case pages, through the Flask client: who may see what, the tab
counts and filters, deadlines in working days, and the start form refusing bad input in place."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from tests.web.support import Pages, deploy_registration, open_task, registration_at_accept, text
from workflow_app import clock, db
from workflow_app.documents.models import Document
from workflow_app.tasks.models import HumanTask

CASE_PAGES = ["/tasks", "/tasks?tab=done", "/tasks?tab=cc", "/cases", "/cases/new"]


@pytest.fixture
def registration(web):
    """The shipped registration process, deployed."""
    deploy_registration()


def test_designers_have_no_inbox_or_case_pages(web, registration):
    case_id, task_id = registration_at_accept()
    document = db.session().query(Document).filter_by(instance_id=case_id).first()
    designer = Pages(web, "designer")
    for url in [*CASE_PAGES, f"/tasks/{task_id}", f"/cases/{case_id}", f"/documents/{document.id}/print"]:
        assert designer.get(url).status_code == 403, url
    assert designer.post("/cases/new", {"process_key": "registration"}).status_code == 403
    assert designer.post(f"/tasks/{task_id}/complete", {}).status_code == 403


@pytest.mark.parametrize("username", ["applicant", "window_cc", "supervisor_cc", "admin"])
def test_workers_reach_their_pages(web, registration, username):
    pages = Pages(web, username)
    for url in CASE_PAGES:
        assert pages.get(url).status_code == 200, url


def test_a_changchun_caseworker_never_sees_a_jilin_city_case(web, registration):
    case_id, task_id = registration_at_accept("220200")
    document = db.session().query(Document).filter_by(instance_id=case_id).first()
    window = Pages(web, "window_cc")
    assert task_id not in text(window.get("/tasks?tab=todo"))
    for url in (f"/tasks/{task_id}", f"/cases/{case_id}", f"/documents/{document.id}/print"):
        response = window.get(url)
        assert response.status_code == 404, url
        assert "页面不存在" in text(response)
    assert window.post(f"/tasks/{task_id}/claim").status_code == 404
    assert window.post(f"/tasks/{task_id}/complete", {"decision": "accept", "opinion": "受理"}).status_code == 404
    assert window.post(f"/tasks/{task_id}/comment", {"text": "看看"}).status_code == 404
    assert open_task(case_id, "accept").assignee is None  # nothing happened


def test_inbox_counts_tabs_and_time_left_in_working_days(web, registration):
    with clock.frozen(datetime(2026, 9, 28, 10, 0, tzinfo=clock.LOCAL_TZ)):  # Monday before National Day
        _case, task_id = registration_at_accept()
        window = Pages(web, "window_cc")
        html = text(window.get("/tasks"))
        assert 'data-tab="todo"' in html and "待办 <span class=\"count\">1</span>" in html
        # 5 working days: 29 and 30 Sep, 8 and 9 Oct, and Saturday 10 Oct (调休), holidays skipped.
        assert "受理审查" in html and "2026-10-10" in html and "剩余 5 个工作日" in html
    with clock.frozen(datetime(2026, 10, 13, 10, 0, tzinfo=clock.LOCAL_TZ)):
        html = text(window.get("/tasks"))
        assert "已超期 2 个工作日" in html and 'class="overdue"' in html
        assert "超期 1" in html
        assert "受理审查" in text(window.get("/tasks?overdue=1"))


def test_inbox_filters_by_text_and_process_and_shows_the_due_warning(web, registration):
    _case, task_id = registration_at_accept()
    row = db.session().get(HumanTask, task_id)
    row.due_warning = "2027 年节假日安排未录入，期限按普通工作日计算"
    db.session().commit()
    window = Pages(web, "window_cc")
    assert "2027 年节假日安排未录入" in text(window.get("/tasks"))
    assert "受理审查" in text(window.get("/tasks?q=登申"))
    assert "没有待办任务" in text(window.get("/tasks?q=不存在的编号"))
    assert "没有待办任务" in text(window.get("/tasks?process_key=major_event"))
    assert "受理审查" in text(window.get("/tasks?process_key=registration"))


def test_inbox_pages_through_long_lists(web, registration):
    applicant = Pages(web, "applicant")
    for _ in range(21):
        applicant.post("/cases/new", {"process_key": "registration"})
    first = text(applicant.get("/tasks"))
    assert "第 1 / 2 页，共 21 条" in first and first.count("填写成立登记申请</a>") == 20
    second = text(applicant.get("/tasks?page=2"))
    assert second.count("填写成立登记申请</a>") == 1 and 'rel="prev"' in second


def test_capped_counts_show_a_plus_and_the_pager_goes_on(web, registration):
    """Past the inbox's count cap a tab shows "N+", and the pager still offers the next page of a full one."""
    applicant = Pages(web, "applicant")
    for _ in range(22):
        applicant.post("/cases/new", {"process_key": "registration"})
    web.application.config["INBOX_COUNT_CAP"] = 5
    first = text(applicant.get("/tasks"))
    assert "待办 <span class=\"count\">5+</span>" in first and first.count("填写成立登记申请</a>") == 20
    # Page 1 of 20 rows counts to 21: more than a page, so a next page, its count a lower bound.
    assert "第 1 / 2+ 页，共 20+ 条" in first and 'rel="next"' in first
    second = text(applicant.get("/tasks?page=2"))  # the end of page 2 (40) covers every row: exact again
    assert second.count("填写成立登记申请</a>") == 2 and "第 2 / 2 页，共 22 条" in second
    home = text(applicant.get("/"))
    assert re.search(r'id="fig-todo"[^>]*><strong>5\+</strong>', home), home


def test_done_and_copied_tabs(web, registration):
    _case, task_id = registration_at_accept()
    window = Pages(web, "window_cc")
    assert window.post(f"/tasks/{task_id}/cc", {"to": "supervisor_cc"}).status_code == 302
    assert window.post(f"/tasks/{task_id}/complete",
                       {"decision": "accept", "opinion": "材料齐全，予以受理。"}).status_code == 302
    done = text(window.get("/tasks?tab=done"))
    assert "受理审查" in done and "已办 <span class=\"count\">1</span>" in done
    supervisor = Pages(web, "supervisor_cc")
    copied = text(supervisor.get("/tasks?tab=cc"))
    assert "受理审查" in copied and "抄送我的 <span class=\"count\">1</span>" in copied


def test_applicant_starts_a_registration_and_lands_on_the_application_form(web, registration):
    applicant = Pages(web, "applicant")
    page = text(applicant.get("/cases/new"))
    assert 'value="registration"' in page and 'value="major_event"' not in page  # not deployed here
    response = applicant.post("/cases/new", {"process_key": "registration"})
    assert response.status_code == 302 and "/tasks/" in response.headers["Location"]
    form = text(applicant.get(response.headers["Location"]))
    assert "填写成立登记申请" in form and 'name="org_name"' in form
    mine = text(applicant.get("/cases"))
    assert "我发起的" in mine and "填写成立登记申请" in mine and "办理中" in mine


def test_start_form_refuses_bad_input_in_place(web, registration):
    applicant = Pages(web, "applicant")
    response = applicant.post("/cases/new", {})
    assert response.status_code == 422 and "请选择要发起的业务" in text(response)
    assert applicant.post("/cases/new", {"process_key": "zombie_cleanup"}).status_code == 422
    window = Pages(web, "window_cc")
    response = window.post("/cases/new", {"process_key": "registration", "region": "220200"})
    assert response.status_code == 422
    html = text(response)
    assert "所选区划不在您的管辖范围内" in html and 'value="registration" checked' in html


def test_case_page_shows_summary_clock_history_documents_and_diagram_states(web, registration):
    case_id, task_id = registration_at_accept("220000")  # the province: its 15-working-day promise
    window = Pages(web, "window_prov")
    window.post(f"/tasks/{task_id}/complete", {"decision": "accept", "opinion": "材料齐全，予以受理。"})
    html = text(window.get(f"/cases/{case_id}"))
    assert "社会组织成立登记" in html and "长春市南关区人工智能学会" in html
    assert "剩余 15 个工作日" in html or "剩余 14 个工作日" in html
    assert "材料齐全，予以受理。" in html and "结论：予以受理" in html
    assert "受理通知书" in html and "成立登记事先告知书" in html
    assert '"accept": "completed"' in html and '"review": "ready"' in html
    assert "审查" in html and "待签收" in html
    reviewer = Pages(web, "reviewer_prov")
    assert f'/tasks/{open_task(case_id, "review").id}"' in text(reviewer.get(f"/cases/{case_id}"))


def test_print_view_is_the_stored_document_with_a_strict_policy(web, registration):
    case_id, _task = registration_at_accept()
    document = db.session().query(Document).filter_by(instance_id=case_id, title="成立登记事先告知书").one()
    response = Pages(web, "applicant").get(f"/documents/{document.id}/print")
    assert response.status_code == 200
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    # The stored page, with a way back to the case above it (hidden in print) and no script.
    page = text(response)
    bar = re.search(r'<div class="socorg-print-bar".*?</style>', page, re.S).group(0)
    assert page.replace(bar, "") == document.html
    assert f'href="/cases/{case_id}"' in bar and "返回案件" in bar and "<script" not in bar
    assert "@media print" in bar and page.index(bar) > page.index("<body")


def test_time_left_wording():
    from workflow_app.calendar.workdays import WorkCalendar
    from workflow_app.web.case_context import time_left

    calendar = WorkCalendar()
    now = datetime(2026, 9, 30, 10, 0, tzinfo=clock.LOCAL_TZ)
    end_of = lambda d: datetime(2026, 10, d, 23, 59, 59, tzinfo=clock.LOCAL_TZ)  # noqa: E731
    assert time_left(end_of(9), calendar, now).text == "剩余 2 个工作日"  # 10-08, 10-09 (holiday week skipped)
    assert time_left(now + timedelta(hours=2), calendar, now).text == "今日到期"
    late = datetime(2026, 10, 12, 9, tzinfo=clock.LOCAL_TZ)  # Saturday 10-10 (调休) and Monday 10-12 passed
    assert time_left(end_of(9), calendar, late).text == "已超期 2 个工作日"
    assert time_left(None, calendar, now) is None


def test_absurd_page_numbers_and_filters_do_not_break_the_lists(web, registration):
    window = Pages(web, "window_cc")
    for url in ("/tasks?page=99999999999999999999999", "/tasks?page=-3&tab=nope", "/cases?page=99999999999999999999",
                "/cases?status=bogus&process_key=" + "x" * 500, "/tasks?q=%00%01", "/cases?process_key=%00"):
        assert window.get(url).status_code == 200, url
    assert window.get("/documents/%00/print").status_code == 404
    response = window.post("/cases/new", {"process_key": "registration", "region": "22\x0000"})
    assert response.status_code == 422 and "所选区划不在您的管辖范围内" in text(response)
