"""批量签收 / 批量办理 over the API: every task is done or refused on its own (one refusal neither stops nor
undoes the others), bulk completion only for steps whose form needs just a decision and an opinion."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from tests.tasks.conftest import JILIN_CITY
from workflow_app.directory.models import User
from workflow_app.instances.models import AuditEvent
from workflow_app.tasks.models import HumanTask, TaskStatus
from workflow_app.tasks.service import task_service


def _user(session: Any, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def _reviews(flow: Any, count: int) -> list[str]:
    """``count`` cases at 审核 in 长春, unclaimed; their task ids."""
    return [flow.to("review")[1].id for _ in range(count)]


def test_batch_claim_reports_each_task_and_keeps_the_ones_that_went_through(flow, post, session):
    free = _reviews(flow, 3)
    taken = _reviews(flow, 1)[0]
    task_service().claim(_user(session, "admin"), taken)  # a colleague was quicker
    elsewhere = flow.to("review", region=JILIN_CITY)[1].id  # not in 长春's pool: does not exist for them
    response = post("reviewer_cc", "batch/claim", {"task_ids": [*free, taken, elsewhere, free[0]]})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["succeeded"], body["failed"]) == (3, 2)
    by_id = {item["task_id"]: item for item in body["items"]}
    assert len(body["items"]) == 5  # a repeated id counts once
    assert all(by_id[t]["ok"] and by_id[t]["title"] for t in free)
    assert by_id[taken]["error"]["code"] == "task_claimed"
    assert by_id[elsewhere]["error"]["code"] == "task_not_found"
    session.expire_all()
    assert {session.get(HumanTask, t).assignee for t in free} == {"reviewer_cc"}
    assert session.get(HumanTask, taken).assignee == "admin"
    assert session.get(HumanTask, elsewhere).assignee is None


def test_batch_complete_moves_each_case_on_and_refuses_steps_that_need_more(flow, post, session):
    reviews = _reviews(flow, 3)
    for task_id in reviews:
        post("reviewer_cc", f"{task_id}/claim")
    accept = flow.to("accept")[1].id  # its form asks for more than a decision
    post("window_cc", f"{accept}/claim")
    body = post("reviewer_cc", "batch/complete", {"task_ids": reviews, "decision": "approve",
                                                  "opinion": "同意报批"}).get_json()
    assert body["succeeded"] == 3
    session.expire_all()
    assert {session.get(HumanTask, t).status for t in reviews} == {TaskStatus.COMPLETED}
    approvals = session.scalar(select(func.count()).select_from(HumanTask).where(
        HumanTask.name == "approve", HumanTask.status == TaskStatus.READY))
    assert approvals == 3
    completed = session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "complete", AuditEvent.task_id.in_(reviews), AuditEvent.opinion == "同意报批"))
    assert completed == 3  # the same audit as one at a time
    body = post("window_cc", "batch/complete", {"task_ids": [accept], "decision": "approve",
                                                "opinion": "同意"}).get_json()
    assert body["items"][0]["error"]["code"] == "not_batchable"
    session.expire_all()
    assert session.get(HumanTask, accept).status is TaskStatus.CLAIMED


def test_a_decision_or_opinion_the_form_refuses_fails_that_task_alone(flow, post, session):
    reviews = _reviews(flow, 2)
    for task_id in reviews:
        post("reviewer_cc", f"{task_id}/claim")
    body = post("reviewer_cc", "batch/complete", {"task_ids": reviews, "decision": "bogus",
                                                  "opinion": "同意报批"}).get_json()
    assert body["failed"] == 2
    assert {item["error"]["code"] for item in body["items"]} == {"form_invalid"}
    assert "decision" in body["items"][0]["error"]["details"]["fields"]
    body = post("reviewer_cc", "batch/complete", {"task_ids": reviews, "decision": "approve"}).get_json()
    assert body["failed"] == 2 and "opinion" in body["items"][0]["error"]["details"]["fields"]
    session.expire_all()
    assert {session.get(HumanTask, t).status for t in reviews} == {TaskStatus.CLAIMED}


def test_a_malformed_batch_is_refused_whole(flow, post, client):
    assert post("reviewer_cc", "batch/claim", {"task_ids": []}).status_code == 422
    assert post("reviewer_cc", "batch/claim", {"task_ids": [f"t{n}" for n in range(101)]}).status_code == 422
    assert post("reviewer_cc", "batch/claim", {"task_ids": ["a\x00b"]}).status_code == 422
    assert post("reviewer_cc", "batch/complete", {"task_ids": ["x"]}).status_code == 422  # no decision
    assert client.post("/api/v1/tasks/batch/claim", json={"task_ids": ["x"]}).status_code == 401
