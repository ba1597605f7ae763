"""The working day's pages without a browser: 首页 per role, 消息 (owner only, CSRF), the alerts page
(one row per task and scan, bulk 确认, 催办 from an alert)."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.web.support import Pages, text
from workflow_app.alerts.models import Alert, AlertStatus
from workflow_app.messages.models import UserMessage


def test_home_shows_a_caseworkers_counts_recent_cases_and_what_they_may_start(web, flow):
    case, _review = flow.to("review")
    html = text(Pages(web, "window_cc").get("/"))
    assert 'id="fig-todo"' in html and 'id="fig-overdue"' in html and 'id="fig-due-today"' in html
    assert re.search(r'id="fig-done"[^>]*><strong>1</strong>', html)  # the 窗口受理 it completed
    assert f"/cases/{case}" in html and "CC-2026-001" in html
    assert 'id="start-shortcuts"' in html and "流程标识" not in html
    assert 'id="fig-alerts"' not in html


def test_home_shows_a_supervisor_the_open_alerts_and_the_dashboard(web, far_overdue):
    html = text(Pages(web, "supervisor_cc").get("/"))
    assert re.search(r'id="fig-alerts"[^>]*><strong>2</strong>', html)  # two tasks, two levels each: two rows
    assert 'id="to-dashboard"' in html


def test_a_designer_lands_on_the_designer_link_not_task_counts(web):
    html = text(Pages(web, "designer").get("/"))
    assert 'id="fig-todo"' not in html and "/designer" in html


def test_messages_page_is_the_owners_only_and_its_forms_need_csrf(web, flow, session, client, auth):
    _case, review = flow.to("review")
    client.post(f"/api/v1/tasks/{review.id}/urge", json={}, headers=auth("applicant"))
    session.rollback()
    [message] = session.scalars(select(UserMessage).where(UserMessage.username == "reviewer_cc")).all()
    reviewer, other = Pages(web, "reviewer_cc"), Pages(web, "approver_cc")
    assert 'id="unread-badge">1<' in text(reviewer.get("/tasks"))  # the bell, on any page
    assert "催办" in text(reviewer.get("/messages"))
    assert "催办" not in text(other.get("/messages")).split('id="messages"')[1]
    assert other.post(f"/messages/{message.id}/read").status_code == 404
    assert other.post("/messages/read-all").status_code == 303
    assert reviewer.web.post(f"/messages/{message.id}/read").status_code == 400  # no CSRF token
    session.rollback()
    assert session.get(UserMessage, message.id).read_at is None
    opened = reviewer.post(f"/messages/{message.id}/read", {"open": "1"})
    assert opened.status_code == 303 and opened.headers["Location"].endswith(f"/tasks/{review.id}")
    session.rollback()
    assert session.get(UserMessage, message.id).read_at is not None
    assert 'id="unread-badge"' not in text(reviewer.get("/messages"))


def test_alerts_of_one_scan_are_one_row_at_the_highest_level_and_acknowledged_together(web, far_overdue, session):
    review = far_overdue[0]
    levels = sorted(session.scalars(select(Alert.level).where(Alert.task_id == review.id)))
    assert levels == [2, 3]
    html = text(Pages(web, "supervisor_cc").get("/supervisor/alerts"))
    rows = re.findall(r'data-alert="(\d+)" data-level="(\d)"', html)
    assert [level for _id, level in rows] == ["3", "3"]
    supervisor = Pages(web, "supervisor_cc")
    [top] = session.scalars(select(Alert.id).where(Alert.task_id == review.id, Alert.level == 3))
    done = supervisor.post("/supervisor/alerts/acknowledge", {"alert_id": [str(top)]})
    assert done.status_code == 303
    session.rollback()
    assert set(session.scalars(select(Alert.status).where(Alert.task_id == review.id))) == {AlertStatus.ACKNOWLEDGED}
    assert "已确认 2 条预警" in text(supervisor.get(done.headers["Location"]))
    other = far_overdue[1]
    assert set(session.scalars(select(Alert.status).where(Alert.task_id == other.id))) == {AlertStatus.OPEN}
    # One row's own 确认 takes its scan's other level with it, too.
    [other_top] = session.scalars(select(Alert.id).where(Alert.task_id == other.id, Alert.level == 3))
    assert supervisor.post(f"/supervisor/alerts/{other_top}/acknowledge").status_code == 302
    session.rollback()
    assert set(session.scalars(select(Alert.status).where(Alert.task_id == other.id))) == {AlertStatus.ACKNOWLEDGED}


def test_bulk_acknowledge_ignores_alerts_the_supervisor_cannot_see(web, far_overdue, session):
    review = far_overdue[0]
    [top] = session.scalars(select(Alert.id).where(Alert.task_id == review.id, Alert.level == 3))
    from workflow_app.directory.models import User

    supervisor_elsewhere = session.scalars(select(User).where(User.username == "supervisor_cc")).one()
    supervisor_elsewhere.region_code = "220200"  # now 吉林市's supervisor
    session.commit()
    stranger = Pages(web, "window_cc")  # not a supervisor: the page is refused
    assert stranger.post("/supervisor/alerts/acknowledge", {"alert_id": [str(top)]}).status_code == 403
    assert Pages(web, "supervisor_cc").post("/supervisor/alerts/acknowledge",
                                            {"alert_id": [str(top)]}).status_code == 404
    session.rollback()
    assert set(session.scalars(select(Alert.status).where(Alert.task_id == review.id))) == {AlertStatus.OPEN}


def test_a_supervisor_urges_the_holder_from_an_alert(web, far_overdue, session):
    review = far_overdue[0]
    [top] = session.scalars(select(Alert.id).where(Alert.task_id == review.id, Alert.level == 3))
    supervisor = Pages(web, "supervisor_cc")
    urged = supervisor.post(f"/supervisor/alerts/{top}/urge")
    assert urged.status_code == 303
    assert "已催办" in text(supervisor.get(urged.headers["Location"]))
    session.rollback()
    pool = session.scalars(select(UserMessage.username).where(UserMessage.kind == "urge")).all()
    assert "reviewer_cc" in pool
    again = supervisor.post(f"/supervisor/alerts/{top}/urge")  # once an hour
    assert "一小时内已催办过" in text(supervisor.get(again.headers["Location"]))


def test_a_returned_task_is_marked_in_the_inbox_and_shows_the_reason(web, flow, client, auth):
    case, review = flow.to("review")
    client.post(f"/api/v1/tasks/{review.id}/claim", headers=auth("reviewer_cc"))
    assert client.post(f"/api/v1/tasks/{review.id}/return", json={"opinion": "章程缺少第三章"},
                       headers=auth("reviewer_cc")).status_code == 200
    accept = flow.open(case, "accept")
    window = Pages(web, "window_cc")
    inbox = text(window.get("/tasks"))
    row = re.search(r'<tr data-task="' + accept.id + r'".*?</tr>', inbox, re.S).group(0)
    assert "被退回" in row
    page = text(window.get(f"/tasks/{accept.id}"))
    assert 'id="sent-back"' in page and "章程缺少第三章" in page.split('id="sent-back"')[1].split("</section>")[0]
    # A task never sent back carries no mark.
    fresh = flow.to("accept")[1]
    assert "被退回" not in re.search(r'<tr data-task="' + fresh.id + r'".*?</tr>', text(window.get("/tasks")),
                                   re.S).group(0)
    assert 'id="sent-back"' not in text(window.get(f"/tasks/{fresh.id}"))


def test_an_organization_reads_the_reason_of_a_return_to_it_from_the_office(web, flow, client, auth):
    case, accept = flow.to("accept")
    client.post(f"/api/v1/tasks/{accept.id}/claim", headers=auth("window_cc"))
    assert client.post(f"/api/v1/tasks/{accept.id}/return", json={"opinion": "请补充会员名单"},
                       headers=auth("window_cc")).status_code == 200
    apply = flow.open(case, "apply")
    applicant = Pages(web, "applicant")
    assert "被退回" in text(applicant.get("/tasks"))
    notice = text(applicant.get(f"/tasks/{apply.id}")).split('id="sent-back"')[1].split("</section>")[0]
    from tests.web.support import user

    assert "请补充会员名单" in notice and "民政" in notice and user("window_cc").display_name not in notice


def test_the_home_page_runs_the_same_few_statements_however_many_cases(web, flow):
    from tests.tasks.test_forms import statements_during

    window = Pages(web, "window_cc")
    flow.to("review")
    window.get("/")  # the form and definition caches warm
    few = statements_during(lambda: window.get("/"))
    for _ in range(4):
        flow.to("review")
    many = statements_during(lambda: window.get("/"))
    assert len(many) == len(few) <= 12, [s.split("\n")[0][:80] for s in many]
