"""Who sees and works on which task: a role × endpoint matrix, and regions kept apart."""

from __future__ import annotations

import pytest

from tests.tasks.conftest import JILIN_CITY
from workflow_app.instances import audit

ROLES = ["applicant", "window_cc", "reviewer_cc", "approver_cc", "supervisor_cc", "window_prov",
         "supervisor_prov", "designer", "admin"]

# The case stands at 长春市's unclaimed 审核 (reviewer lane) task. 200/201: allowed; 403: the role sees
# the task but may not do this; 404: the task does not exist for the role.
SEES = {"reviewer_cc": 200, "supervisor_cc": 200, "supervisor_prov": 200, "admin": 200}
WORKS = {"reviewer_cc": 200, "supervisor_cc": 403, "supervisor_prov": 403, "admin": 200}
OPERATIONS = {
    "get": SEES,
    "claim": WORKS,
    "unclaim": {**WORKS, "reviewer_cc": 200},  # the task is first claimed by reviewer_cc
    "complete": WORKS,
    "delegate": WORKS,
    "transfer": WORKS,
    "return": WORKS,
    "cc": WORKS,
    "comments": {role: 201 for role in SEES},
    "list_comments": SEES,
    # The case's starter (the applicant, though it cannot see the task), the supervisors who see the task
    # (督办) or an admin urges.
    "urge": {"applicant": 200, "reviewer_cc": 403, "supervisor_cc": 200, "supervisor_prov": 200, "admin": 200},
}
BODIES = {
    "complete": {"data": {"decision": "approve", "opinion": "同意报批"}},
    "delegate": {"to": "approver_cc"},
    "transfer": {"to": "reviewer_cc"},
    "return": {"opinion": "材料不全，退回受理"},
    "cc": {"to": ["approver_cc"]},
    "comments": {"text": "已阅"},
}
# Withdrawing the completed 窗口受理 step: its completer and admins may; those who see it may not.
WITHDRAW = {"window_cc": 200, "admin": 200, "supervisor_cc": 403, "supervisor_prov": 403}


def trail(session, instance_id: str) -> list[tuple[str, str | None]]:
    session.rollback()
    return [(e.action, e.actor) for e in audit.history(session, instance_id)]


@pytest.mark.parametrize("role", ROLES)
def test_role_endpoint_matrix(flow, get, post, session, role):
    """Each operation on a fresh case; a refusal leaves no trace in the case's history."""
    outcome = {}
    for operation in OPERATIONS:
        instance_id, review = flow.to("review")
        if operation == "unclaim":
            assert post("reviewer_cc", f"{review.id}/claim").status_code == 200
        before = trail(session, instance_id)
        if operation == "get":
            response = get(role, f"/{review.id}")
        elif operation == "list_comments":
            response = get(role, f"/{review.id}/comments")
        else:
            response = post(role, f"{review.id}/{operation}", BODIES.get(operation, {}))
        outcome[operation] = response.status_code
        if response.status_code >= 400:
            assert response.get_json()["error"]["code"]
            assert trail(session, instance_id) == before, operation
    assert outcome == {operation: allowed.get(role, 404) for operation, allowed in OPERATIONS.items()}


@pytest.mark.parametrize("role", ROLES)
def test_withdraw_matrix(flow, post, role):
    instance_id, accept = flow.to("accept")
    flow.complete(instance_id, "accept", {"received": True}, "window_cc")
    response = post(role, f"{accept.id}/withdraw")
    assert response.status_code == WITHDRAW.get(role, 404), response.get_json()


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_the_review_task_only_where_it_should(flow, get, role):
    _, review = flow.to("review")
    listed = [t["id"] for t in get(role, scope="all").get_json()["items"]]
    assert (review.id in listed) == (role in SEES)
    inbox = [t["id"] for t in get(role).get_json()["items"]]
    assert (review.id in inbox) == (role == "reviewer_cc")


@pytest.mark.parametrize("role", ["reviewer_cc", "window_cc", "supervisor_cc", "approver_cc"])
def test_a_changchun_caseworker_never_sees_a_jilin_city_task(flow, get, post, role):
    _, jilin_review = flow.to("review", region=JILIN_CITY)
    _, jilin_accept = flow.to("accept", region=JILIN_CITY)
    for task in (jilin_review, jilin_accept):
        assert task.region_code == JILIN_CITY
        for scope in (None, "mine", "group", "all", "cc"):
            params = {"scope": scope} if scope else {}
            assert get(role, **params).get_json()["total"] == 0
        counts = get(role, "/counts").get_json()
        # 已办 may hold the Jilin steps the test drove as this user; no open tab counts a Jilin task.
        assert {tab: n for tab, n in counts.items() if tab != "done"} == \
            {"mine": 0, "group": 0, "all": 0, "overdue": 0, "cc": 0, "capped": []}
        assert get(role, f"/{task.id}").status_code == 404
        assert post(role, f"{task.id}/claim").status_code == 404
        assert post(role, f"{task.id}/complete", {"data": {}}).status_code == 404


def test_the_province_supervisor_oversees_jilin_city_without_working_on_it(flow, get, post):
    _, jilin_review = flow.to("review", region=JILIN_CITY)
    assert [t["id"] for t in get("supervisor_prov", scope="all").get_json()["items"]] == [jilin_review.id]
    assert get("supervisor_prov", "/counts").get_json()["all"] == 1
    assert get("supervisor_prov", f"/{jilin_review.id}").status_code == 200
    assert post("supervisor_prov", f"{jilin_review.id}/claim").status_code == 403
    assert get("supervisor_cc", f"/{jilin_review.id}").status_code == 404
