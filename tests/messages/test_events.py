"""Which events leave a 消息 for whom, in the transaction of the event; and the 消息 API's owner rule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.tasks.conftest import APPLY
from workflow_app.db import unit_of_work
from workflow_app.instances import audit
from workflow_app.messages.models import MessageKind, UserMessage


def inbox_of(session, username: str) -> list[UserMessage]:
    session.rollback()
    return list(session.scalars(select(UserMessage).where(UserMessage.username == username)
                                .order_by(UserMessage.id)))


def kinds(session, username: str) -> list[str]:
    return [m.kind.value for m in inbox_of(session, username)]


def test_urge_cc_delegate_and_transfer_reach_their_people(flow, post, session):
    _case, review = flow.to("review")
    assert post("applicant", f"{review.id}/urge", {"message": "请尽快审核"}).status_code == 200
    [urged] = [m for m in inbox_of(session, "reviewer_cc") if m.kind is MessageKind.URGE]
    assert urged.task_id == review.id and "请尽快审核" in urged.body and "审核" in urged.title
    assert post("reviewer_cc", f"{review.id}/claim").status_code == 200
    assert post("reviewer_cc", f"{review.id}/cc", {"to": ["approver_cc"]}).status_code == 200
    assert "cc" in kinds(session, "approver_cc")
    assert post("reviewer_cc", f"{review.id}/delegate", {"to": "approver_cc"}).status_code == 200
    assert "delegate" in kinds(session, "approver_cc")
    assert post("approver_cc", f"{review.id}/complete",
                {"data": {"decision": "approve", "opinion": "同意"}}).status_code == 200
    assert "delegate_done" in kinds(session, "reviewer_cc")
    # Nobody is told of what they did themselves.
    assert "cc" not in kinds(session, "reviewer_cc") and "delegate_done" not in kinds(session, "approver_cc")


def test_a_return_tells_whoever_did_the_step_with_the_reason(flow, post, session):
    case, review = flow.to("review")
    assert post("reviewer_cc", f"{review.id}/claim").status_code == 200
    assert post("reviewer_cc", f"{review.id}/return", {"opinion": "材料不全"}).status_code == 200
    [returned] = [m for m in inbox_of(session, "window_cc") if m.kind is MessageKind.RETURNED]
    assert "材料不全" in returned.body and returned.instance_id == case
    assert returned.task_id == flow.open(case, "accept").id


def test_the_starter_hears_their_case_move_on_but_an_organization_reads_no_staff_name(flow, session):
    case = flow.start()
    flow.complete(case, "apply", APPLY, "applicant")
    assert kinds(session, "applicant") == []  # their own step
    flow.complete(case, "accept", {"received": True}, "window_cc")
    [moved] = inbox_of(session, "applicant")
    assert moved.kind is MessageKind.CASE_MOVED and moved.instance_id == case
    from tests.web.support import user

    assert user("window_cc").display_name not in moved.body + moved.title


def test_the_starters_message_reads_their_username_and_role_only(flow, session):
    """One statement for the reader, not an ORM user with its groups: a completion's cost (issue 16 §3)."""
    from sqlalchemy import event

    from workflow_app import db

    case = flow.start()
    flow.complete(case, "apply", APPLY, "applicant")
    seen: list[str] = []

    def capture(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(db.engine(), "before_cursor_execute", capture)
    try:
        flow.complete(case, "accept", {"received": True}, "window_cc")
    finally:
        event.remove(db.engine(), "before_cursor_execute", capture)
    assert [m.kind for m in inbox_of(session, "applicant")] == [MessageKind.CASE_MOVED]
    assert [s for s in seen if "FROM users" in s] and not [s for s in seen if "user_groups" in s]


def test_a_message_commits_or_rolls_back_with_the_event_that_causes_it(flow, session):
    case, review = flow.to("review")

    def urge() -> None:
        audit.record(session, case, action="urge", actor="applicant", task_id=review.id, task_name=review.title,
                     details={"to": ["reviewer_cc"]})

    with pytest.raises(RuntimeError), unit_of_work(session):
        urge()
        raise RuntimeError("the change fails after its event was recorded")
    assert inbox_of(session, "reviewer_cc") == []
    with unit_of_work(session):
        urge()
    assert kinds(session, "reviewer_cc") == ["urge"]


def test_an_alert_reaches_the_supervisors_inbox(flow, session):
    from workflow_app.alerts.service import EscalationService

    _case, review = flow.to("review")
    EscalationService(session).scan(review.due_at + timedelta(days=30))
    session.commit()
    alerts = [m for m in inbox_of(session, "supervisor_cc") if m.kind is MessageKind.ALERT]
    assert alerts and all("超期" in m.title for m in alerts)
    assert {m.task_id for m in alerts} == {review.id}  # one alert each: its message opens the task


def test_the_api_lists_and_marks_only_the_callers_messages(flow, post, client, auth, session):
    _case, review = flow.to("review")
    post("applicant", f"{review.id}/urge")
    [mine] = inbox_of(session, "reviewer_cc")
    listed = client.get("/api/v1/messages?unread=true", headers=auth("reviewer_cc")).get_json()
    assert listed["unread"] == 1 and [m["id"] for m in listed["items"]] == [mine.id]
    # Another user: sees none of it, cannot mark it read, and read-all marks only their own.
    assert client.get("/api/v1/messages", headers=auth("approver_cc")).get_json()["total"] == 0
    assert client.post(f"/api/v1/messages/{mine.id}/read", headers=auth("approver_cc")).status_code == 404
    assert client.post("/api/v1/messages/read-all", headers=auth("approver_cc")).get_json() == {"marked": 0}
    assert inbox_of(session, "reviewer_cc")[0].read_at is None
    assert client.post(f"/api/v1/messages/{mine.id}/read", headers=auth("reviewer_cc")).get_json()["read_at"]
    assert client.get("/api/v1/messages", headers=auth("reviewer_cc")).get_json()["unread"] == 0
    assert client.post(f"/api/v1/messages/{2**70}/read", headers=auth("reviewer_cc")).status_code == 404
    assert client.get("/api/v1/messages").status_code == 401
