"""委派, 转办, 退回, 撤回, 抄送, 催办 and comments over HTTP, with the engine's state checked after each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.tasks.conftest import APPLY
from workflow_app import clock
from workflow_app.definitions.service import compiled
from workflow_app.directory.models import Group, Role, User
from workflow_app.directory.passwords import hash_password
from workflow_app.engine import get_engine
from workflow_app.instances.models import AuditEvent, ProcessInstance
from workflow_app.notifications.models import OutboxMessage
from workflow_app.tasks.models import HumanTask, TaskCopy, TaskStatus


def engine_ready(session, instance_id: str) -> list[tuple[str, str]]:
    """(task id, BPMN id) of the READY human tasks, read from the saved engine state itself."""
    session.rollback()
    instance = session.get(ProcessInstance, instance_id)
    engine = get_engine()
    workflow = engine.load(compiled(instance.definition, engine), instance.state_json)
    return [(t.id, t.name) for t in engine.ready_human_tasks(workflow)]


def events(session, task_id: str) -> list[tuple[str, str | None, str | None]]:
    session.rollback()
    rows = session.scalars(select(AuditEvent).where(AuditEvent.task_id == task_id).order_by(AuditEvent.id))
    return [(e.action, e.actor, e.opinion) for e in rows]


@pytest.fixture
def second_window_clerk(session, demo) -> str:
    """Another 长春市 window clerk, so a task can be transferred within its group."""
    window = session.get(Group, "window")
    session.add(User(username="window_cc2", display_name="钱程（长春市受理窗口）", role=Role.CASEWORKER,
                     password_hash=hash_password("demo12345"), region_code="220100", email="w2@example.org",
                     groups=[window]))
    session.commit()
    return "window_cc2"


# -- 委派 delegate -------------------------------------------------------------------------------


def test_delegated_task_comes_back_to_the_delegator_with_the_delegates_answer(flow, post, get, session):
    instance_id, review = flow.to("review")
    response = post("reviewer_cc", f"{review.id}/delegate", {"to": "approver_cc", "opinion": "请协助审核"})
    assert response.status_code == 200
    assert response.get_json()["assignee"] == "approver_cc" and response.get_json()["delegated_from"] == "reviewer_cc"
    assert [t["id"] for t in get("approver_cc", scope="mine").get_json()["items"]] == [review.id]

    response = post("approver_cc", f"{review.id}/complete",
                    {"data": {"decision": "approve"}, "opinion": "材料齐全，建议通过"})
    assert response.status_code == 200
    assert response.get_json()["task"]["assignee"] == "reviewer_cc" and response.get_json()["next_tasks"] == []
    assert engine_ready(session, instance_id) == [(review.id, "review")]  # the engine did not move
    detail = get("reviewer_cc", f"/{review.id}").get_json()
    assert detail["delegation"]["result"]["opinion"] == "材料齐全，建议通过"
    assert detail["delegation"]["result"]["data"]["decision"] == "approve"

    response = post("reviewer_cc", f"{review.id}/complete", {"data": {"decision": "approve"}, "opinion": "同意"})
    assert response.status_code == 200
    assert [name for _, name in engine_ready(session, instance_id)] == ["approve"]
    assert [(a, who) for a, who, _ in events(session, review.id)] == [
        ("delegate", "reviewer_cc"), ("delegate_complete", "approver_cc"), ("complete", "reviewer_cc")]


def test_a_delegate_can_decline_and_cannot_hand_the_task_on(flow, post, get):
    _, review = flow.to("review")
    post("reviewer_cc", f"{review.id}/delegate", {"to": "approver_cc"})
    for op, body in (("delegate", {"to": "window_cc"}), ("transfer", {"to": "reviewer_cc"}),
                     ("return", {"opinion": "退回"})):
        response = post("approver_cc", f"{review.id}/{op}", body)
        assert response.status_code == 409, op
        assert response.get_json()["error"]["code"] == "task_delegated"
    response = post("approver_cc", f"{review.id}/unclaim")
    assert response.status_code == 200 and response.get_json()["assignee"] == "reviewer_cc"
    assert response.get_json()["delegated_from"] is None
    assert get("reviewer_cc", f"/{review.id}").get_json()["delegation"] is None
    assert post("approver_cc", f"{review.id}/complete", {"data": {"decision": "approve"},
                                                          "opinion": "x"}).status_code == 404


@pytest.mark.parametrize("to,code", [("nobody", "unknown_user"), ("applicant", "user_not_eligible"),
                                     ("window_prov", "user_not_eligible"), ("reviewer_cc", "user_not_eligible")])
def test_delegation_needs_a_colleague_of_the_tasks_region(flow, post, to, code):
    _, review = flow.to("review")
    response = post("reviewer_cc", f"{review.id}/delegate", {"to": to})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == code
    assert "to" in response.get_json()["error"]["details"]["fields"]


# -- 转办 transfer -------------------------------------------------------------------------------


def test_transfer_hands_the_task_over_for_good(flow, post, get, second_window_clerk, session):
    instance_id, accept = flow.to("accept")
    response = post("window_cc", f"{accept.id}/transfer", {"to": second_window_clerk, "opinion": "出差，转交"})
    assert response.status_code == 200
    assert response.get_json()["assignee"] == "window_cc2" and response.get_json()["status"] == "claimed"
    assert get("window_cc", scope="group").get_json()["total"] == 0
    assert post("window_cc", f"{accept.id}/complete", {"data": {"received": True}}).status_code == 409
    assert events(session, accept.id) == [("transfer", "window_cc", "出差，转交")]
    message = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "w2@example.org")).one()
    assert "转办" in message.subject


@pytest.mark.parametrize("to", ["reviewer_cc", "window_prov", "applicant"])
def test_transfer_target_must_be_of_the_tasks_group_and_region(flow, post, to):
    _, accept = flow.to("accept")
    response = post("window_cc", f"{accept.id}/transfer", {"to": to})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["fields"]["to"]


def test_transfer_to_an_unknown_user_names_the_field(flow, post):
    _, accept = flow.to("accept")
    response = post("window_cc", f"{accept.id}/transfer", {"to": "ghost"})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["fields"] == {"to": ["unknown user: ghost"]}
    assert post("window_cc", f"{accept.id}/transfer", {}).status_code == 422


# -- 退回 return ---------------------------------------------------------------------------------


def test_return_reopens_the_previous_step_for_whoever_did_it_with_its_data(flow, post, get, session):
    instance_id, review = flow.to("review")
    accept_id = session.scalars(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                           HumanTask.name == "accept")).one()
    response = post("reviewer_cc", f"{review.id}/return", {"opinion": "受理材料不全"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["task"]["status"] == "cancelled"
    assert engine_ready(session, instance_id) == [(accept_id, "accept")]
    accept = session.get(HumanTask, accept_id)
    assert (accept.status, accept.assignee, accept.completed_at) == (TaskStatus.CLAIMED, "window_cc", None)
    assert accept.due_at is not None and accept.due_at > clock.now()
    detail = get("window_cc", f"/{accept_id}").get_json()
    assert detail["variables"]["received"] is True  # the form reopens as it was submitted
    assert ("return", "reviewer_cc", "受理材料不全") in events(session, review.id)

    # The case runs on normally from the reopened step.
    assert post("window_cc", f"{accept_id}/complete", {"data": {"received": True}}).status_code == 200
    assert [name for _, name in engine_ready(session, instance_id)] == ["review"]


def test_return_to_the_applicant_by_bpmn_id(flow, post, get, session):
    instance_id, approve = flow.to("approve")
    response = post("approver_cc", f"{approve.id}/return", {"to_task": "apply", "opinion": "请补正材料"})
    assert response.status_code == 200
    [(apply_id, name)] = engine_ready(session, instance_id)
    assert name == "apply"
    [mine] = get("applicant", scope="mine").get_json()["items"]
    assert mine["id"] == apply_id and mine["status"] == "claimed"
    assert get("applicant", f"/{apply_id}").get_json()["variables"]["title"] == APPLY["title"]
    open_rows = session.scalars(select(HumanTask.name).where(HumanTask.instance_id == instance_id,
                                                             HumanTask.status.in_(["ready", "claimed"]))).all()
    assert open_rows == ["apply"]


def test_return_to_a_step_with_a_boundary_timer_rearms_it(flow, post, session):
    instance_id, approve = flow.to("approve")
    review_id = session.scalars(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                           HumanTask.name == "review")).one()
    assert session.get(ProcessInstance, instance_id).next_timer_at is None
    assert post("approver_cc", f"{approve.id}/return", {"to_task": review_id, "opinion": "请复核"}).status_code == 200
    assert engine_ready(session, instance_id) == [(review_id, "review")]
    assert session.get(ProcessInstance, instance_id).next_timer_at is not None
    assert post("reviewer_cc", f"{review_id}/complete",
                {"data": {"decision": "approve", "opinion": "已复核"}}).status_code == 200
    assert [name for _, name in engine_ready(session, instance_id)] == ["approve"]


def test_return_refuses_targets_that_are_not_earlier_steps(flow, post, session):
    instance_id, review = flow.to("review")
    response = post("reviewer_cc", f"{review.id}/return", {"to_task": "approve", "opinion": "x"})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["fields"]["to_task"] == ["accept", "apply"]
    assert post("reviewer_cc", f"{review.id}/return", {"opinion": "  "}).status_code == 422
    assert post("reviewer_cc", f"{review.id}/return", {}).status_code == 422
    assert engine_ready(session, instance_id) == [(review.id, "review")]
    apply_case = flow.start()
    apply = flow.open(apply_case)
    response = post("applicant", f"{apply.id}/return", {"opinion": "退回"})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "no_earlier_step"


# -- 撤回 withdraw -------------------------------------------------------------------------------


def test_withdraw_takes_the_step_back_while_the_next_one_is_untouched(flow, post, get, session):
    instance_id, accept = flow.to("accept")
    flow.complete(instance_id, "accept", {"received": False}, "window_cc")
    review = flow.open(instance_id, "review")
    response = post("window_cc", f"{accept.id}/withdraw", {"opinion": "填错了"})
    assert response.status_code == 200
    assert response.get_json()["task"]["id"] == accept.id and response.get_json()["task"]["assignee"] == "window_cc"
    assert engine_ready(session, instance_id) == [(accept.id, "accept")]
    assert session.get(HumanTask, review.id).status is TaskStatus.CANCELLED
    assert get("reviewer_cc").get_json()["total"] == 0
    assert ("withdraw", "window_cc", "填错了") in events(session, accept.id)
    assert post("window_cc", f"{accept.id}/complete", {"data": {"received": True}}).status_code == 200
    assert [name for _, name in engine_ready(session, instance_id)] == ["review"]


def test_withdraw_is_refused_once_the_next_step_took_the_case_up(flow, post):
    instance_id, accept = flow.to("accept")
    flow.complete(instance_id, "accept", {"received": True}, "window_cc")
    review = flow.open(instance_id, "review")
    assert post("reviewer_cc", f"{review.id}/claim").status_code == 200
    response = post("window_cc", f"{accept.id}/withdraw")
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "not_withdrawable"
    post("reviewer_cc", f"{review.id}/unclaim")  # claimed once: it was touched
    assert post("window_cc", f"{accept.id}/withdraw").status_code == 409


def test_only_whoever_completed_a_step_can_withdraw_it(flow, post):
    instance_id, accept = flow.to("accept")
    assert post("window_cc", f"{accept.id}/withdraw").status_code == 409  # not completed yet
    flow.complete(instance_id, "accept", {"received": True}, "window_cc")
    assert post("supervisor_cc", f"{accept.id}/withdraw").status_code == 403
    assert post("reviewer_cc", f"{accept.id}/withdraw").status_code == 404


# -- 抄送 cc -------------------------------------------------------------------------------------


def test_copies_are_read_only_and_listed_as_cc(flow, post, get):
    _, review = flow.to("review")
    assert get("approver_cc", f"/{review.id}").status_code == 404
    response = post("reviewer_cc", f"{review.id}/cc", {"to": ["approver_cc", "approver_cc", "window_cc"]})
    assert response.status_code == 200 and response.get_json()["cc"] == ["approver_cc", "window_cc"]
    detail = get("approver_cc", f"/{review.id}").get_json()
    assert detail["cc"] == ["approver_cc", "window_cc"] and detail["actions"] == ["comment"]
    assert [t["id"] for t in get("approver_cc", scope="cc").get_json()["items"]] == [review.id]
    assert get("approver_cc", "/counts").get_json()["cc"] == 1
    assert get("approver_cc").get_json()["total"] == 0  # not in the working inbox
    assert post("approver_cc", f"{review.id}/claim").status_code == 403
    assert post("approver_cc", f"{review.id}/complete", {"data": {"decision": "approve"}, "opinion": "x"}).status_code == 403
    assert post("approver_cc", f"{review.id}/cc", {"to": ["supervisor_cc"]}).status_code == 403
    assert post("approver_cc", f"{review.id}/comments", {"text": "已阅"}).status_code == 201


def test_copy_targets_are_checked(flow, post):
    _, review = flow.to("review")
    response = post("reviewer_cc", f"{review.id}/cc", {"to": ["approver_cc", "ghost"]})
    assert response.status_code == 422 and response.get_json()["error"]["details"]["fields"]["to"]
    assert post("reviewer_cc", f"{review.id}/cc", {"to": []}).status_code == 422
    assert post("reviewer_cc", f"{review.id}/cc", {"to": "approver_cc"}).status_code == 422


@pytest.fixture
def jilin_reviewer(session, demo) -> str:
    """A reviewer of 吉林市 (a demo user), a sibling of the cases' 长春市."""
    user = session.scalar(select(User).where(User.username == "reviewer_jl"))
    assert (user.region_code, user.group_names) == ("220200", ["reviewer"])
    return "reviewer_jl"


@pytest.mark.parametrize("to", ["reviewer_prov", "applicant", "reviewer_jl", "designer"])
def test_a_copy_goes_only_to_staff_who_could_see_the_case_anyway(flow, post, get, session, jilin_reviewer, to):
    # A 省厅 reviewer (a caseworker sees its own region's cases), the organization, a sibling city, a designer.
    _, review = flow.to("review")
    response = post("reviewer_cc", f"{review.id}/cc", {"to": ["approver_cc", to]})
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "user_not_eligible" and error["details"]["to"] == [to]
    assert to in error["message"]
    session.rollback()
    assert session.scalars(select(TaskCopy).where(TaskCopy.task_id == review.id)).all() == []  # none copied
    assert get(to, f"/{review.id}").status_code == 404


def test_a_copy_reaches_the_regions_staff_and_supervisors_above(flow, post):
    _, review = flow.to("review")
    response = post("reviewer_cc", f"{review.id}/cc", {"to": ["approver_cc", "supervisor_cc", "supervisor_prov",
                                                                "admin"]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["cc"] == ["admin", "approver_cc", "supervisor_cc", "supervisor_prov"]


# -- 催办 urge -----------------------------------------------------------------------------------


def test_the_starter_urges_the_group_once_an_hour(flow, post, session):
    _, accept = flow.to("accept")
    response = post("applicant", f"{accept.id}/urge", {"message": "请尽快受理"})
    assert response.status_code == 200
    assert response.get_json()["recipients"] == ["window_cc"]
    message = session.scalars(select(OutboxMessage).where(OutboxMessage.subject.like("催办%"))).one()
    assert message.recipient.startswith("window_cc@") and "请尽快受理" in message.body

    response = post("applicant", f"{accept.id}/urge")
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "urge_rate_limited"
    assert 3500 <= int(response.headers["Retry-After"]) <= 3600
    with clock.frozen(clock.now() + timedelta(minutes=61)):
        assert post("applicant", f"{accept.id}/urge").status_code == 200


def test_an_urge_to_the_organization_names_the_office_not_the_staff_member(flow, post, session):
    instance_id = flow.start()
    apply = flow.open(instance_id, "apply")
    response = post("admin", f"{apply.id}/urge", {"message": "请尽快提交"})
    assert response.status_code == 200 and "applicant" in response.get_json()["recipients"]
    message = session.scalars(select(OutboxMessage).where(OutboxMessage.subject.like("催办%"))).one()
    assert message.body.startswith("长春市民政局 催办任务") and "马晓东" not in message.body


def test_a_transfer_to_the_organization_names_the_office_not_the_staff_member(flow, post, session):
    apply = flow.open(flow.start(), "apply")
    assert post("admin", f"{apply.id}/claim").status_code == 200
    assert post("admin", f"{apply.id}/transfer", {"to": "applicant"}).status_code == 200
    message = session.scalars(select(OutboxMessage).where(OutboxMessage.subject.like("转办%"))).one()
    assert message.body.startswith("长春市民政局 将任务") and "马晓东" not in message.body


def test_urging_reaches_the_holder_and_only_the_starter_may_urge(flow, post):
    _, accept = flow.to("accept")
    post("window_cc", f"{accept.id}/claim")
    assert post("window_cc", f"{accept.id}/urge").status_code == 403
    assert post("reviewer_cc", f"{accept.id}/urge").status_code == 404
    assert post("admin", f"{accept.id}/urge").get_json()["recipients"] == ["window_cc"]


# -- comments ------------------------------------------------------------------------------------


def test_comments_are_listed_oldest_first_and_go_to_the_history(flow, post, get, session):
    _, accept = flow.to("accept")
    assert post("window_cc", f"{accept.id}/comments", {"text": "原件已核对"}).status_code == 201
    assert post("supervisor_cc", f"{accept.id}/comments", {"text": "请加快"}).status_code == 201
    body = get("window_cc", f"/{accept.id}/comments").get_json()
    assert body["total"] == 2 and [c["author"] for c in body["items"]] == ["window_cc", "supervisor_cc"]
    assert ("comment", "window_cc", "原件已核对") in events(session, accept.id)
    assert post("window_cc", f"{accept.id}/comments", {"text": " "}).status_code == 422
    assert post("reviewer_cc", f"{accept.id}/comments", {"text": "看看"}).status_code == 404
    assert get("reviewer_cc", f"/{accept.id}/comments").status_code == 404
