"""The inbox endpoints: lists, counts, detail, claim, complete, and how bad input is answered."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from tests.tasks.conftest import APPLY
from workflow_app import clock
from workflow_app.directory.models import User
from workflow_app.instances.models import AuditEvent, ProcessInstance
from workflow_app.tasks.models import HumanTask, TaskStatus

DECIDE = {"data": {"decision": "approve"}, "opinion": "同意，报请审批"}


def history(session, instance_id: str) -> list[tuple[str, str | None]]:
    session.rollback()  # end the read snapshot: other threads committed
    events = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id)
                             .order_by(AuditEvent.id)).all()
    return [(e.action, e.actor) for e in events]


# -- lists ---------------------------------------------------------------------------------------


def test_applicant_inbox_holds_the_application_form(flow, get):
    instance_id = flow.start()
    body = get("applicant").get_json()
    assert body["total"] == 1 and body["page"] == 1 and body["per_page"] == 50
    [task] = body["items"]
    assert task["instance_id"] == instance_id and task["name"] == "apply" and task["status"] == "ready"
    assert task["form"]["schema"]["title"] == "填写申请"
    assert set(task) >= {"id", "instance_id", "process_key", "business_key", "name", "title", "candidate_group",
                         "region", "assignee", "status", "created_at", "due_at", "escalation_level", "form"}


def test_group_task_waits_in_the_group_tab_until_claimed_then_moves_to_mine(flow, get, post):
    _, accept = flow.to("accept")
    assert [t["id"] for t in get("window_cc", scope="group").get_json()["items"]] == [accept.id]
    assert get("window_cc", scope="mine").get_json()["total"] == 0

    response = post("window_cc", f"{accept.id}/claim")
    assert response.status_code == 200
    assert response.get_json()["assignee"] == "window_cc" and response.get_json()["status"] == "claimed"
    assert get("window_cc", scope="group").get_json()["total"] == 0
    assert [t["id"] for t in get("window_cc", scope="mine").get_json()["items"]] == [accept.id]
    assert [t["id"] for t in get("window_cc").get_json()["items"]] == [accept.id]


def test_claim_twice_is_harmless_and_unclaim_gives_the_task_back_to_the_group(flow, get, post, session):
    instance_id, accept = flow.to("accept")
    assert post("window_cc", f"{accept.id}/claim").status_code == 200
    assert post("window_cc", f"{accept.id}/claim").status_code == 200
    response = post("window_cc", f"{accept.id}/unclaim")
    assert response.status_code == 200
    assert response.get_json()["assignee"] is None and response.get_json()["status"] == "ready"
    assert get("window_cc", scope="group").get_json()["total"] == 1
    assert [a for a, _ in history(session, instance_id)][-2:] == ["claim", "unclaim"]


def test_claiming_a_task_someone_else_holds_conflicts(flow, post):
    _, accept = flow.to("accept")
    assert post("admin", f"{accept.id}/claim").status_code == 200
    response = post("window_cc", f"{accept.id}/claim")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "task_claimed"
    assert post("window_cc", f"{accept.id}/complete", {"data": {"received": True}}).status_code == 409
    assert post("window_cc", f"{accept.id}/unclaim").status_code == 403


def test_filters_narrow_the_list_in_sql(flow, get, session):
    first, _ = flow.to("accept")
    second, _ = flow.to("accept")
    session.get(ProcessInstance, second)
    session.execute(HumanTask.__table__.update().where(HumanTask.instance_id == second)
                    .values(business_key="JL-XYZ-77"))
    session.commit()
    assert get("window_cc", q="xyz").get_json()["total"] == 1
    assert get("window_cc", q="窗口").get_json()["total"] == 2
    assert get("window_cc", q="50%_").get_json()["total"] == 0  # wildcards are literal
    assert get("window_cc", process_key="approval_test").get_json()["total"] == 2
    assert get("window_cc", process_key="other").get_json()["total"] == 0
    assert get("window_cc", status="completed").get_json()["total"] == 0
    assert get("applicant", scope="mine", status="completed").get_json()["total"] == 2  # 已办
    assert get("window_cc", overdue="true").get_json()["total"] == 0
    with clock.frozen(clock.now() + timedelta(days=30)):
        assert get("window_cc", overdue="true").get_json()["total"] == 2


def test_sort_and_pages_are_stable(flow, get):
    ids = []
    for hours in (0, 1, 2):
        with clock.frozen(clock.now() + timedelta(hours=hours)):
            ids.append(flow.to("accept")[1].id)
    newest_first = get("window_cc", sort="-created_at").get_json()["items"]
    assert [t["id"] for t in newest_first] == ids[::-1]
    page1 = get("window_cc", sort="created_at", per_page=2, page=1).get_json()
    page2 = get("window_cc", sort="created_at", per_page=2, page=2).get_json()
    assert page1["total"] == page2["total"] == 3
    assert [t["id"] for t in page1["items"] + page2["items"]] == ids
    assert [t["id"] for t in get("window_cc", sort="due_at").get_json()["items"]] == ids


def test_counts_per_tab_follow_the_lists(flow, get, post):
    _, accept = flow.to("accept")
    flow.to("accept")
    counts = get("window_cc", "/counts").get_json()
    assert counts == {"mine": 0, "group": 2, "all": 2, "overdue": 0, "cc": 0, "done": 0, "capped": []}
    post("window_cc", f"{accept.id}/claim")
    assert get("window_cc", "/counts").get_json() == {"mine": 1, "group": 1, "all": 2, "overdue": 0, "cc": 0, "done": 0,
                                                      "capped": []}
    with clock.frozen(clock.now() + timedelta(days=30)):
        assert get("window_cc", "/counts").get_json()["overdue"] == 2
    assert get("supervisor_cc", "/counts").get_json() == {"mine": 0, "group": 0, "all": 2, "overdue": 0, "cc": 0,
                                                          "done": 0, "capped": []}
    for tab in ("mine", "group", "all"):
        page = get("window_cc", scope=tab).get_json()
        assert page["total"] == get("window_cc", "/counts").get_json()[tab] and page["total_capped"] is False


def test_a_page_dumps_each_task_as_the_task_schema_does(flow, session):
    """The list's items are built directly (schemas.task_body), not field by field: the same dict, in order."""
    from workflow_app.directory.models import User
    from workflow_app.tasks.forms import Form
    from workflow_app.tasks.inbox import InboxQuery
    from workflow_app.tasks.schemas import TaskSchema, task_body
    from workflow_app.tasks.service import task_service
    from workflow_app.tasks.views import TaskView

    flow.to("review")
    _, accept = flow.to("accept")
    accept.due_warning = "2027 年节假日安排未录入"
    accept.organization_id = None
    session.commit()
    views = []
    for username in ("window_cc", "applicant", "supervisor_prov"):
        person = session.scalars(select(User).where(User.username == username)).one()
        views += task_service().inbox(person, InboxQuery(scope="all", status="any")).items
    assert {view.task.status for view in views} >= {TaskStatus.READY, TaskStatus.COMPLETED}
    views.append(TaskView(views[0].task, Form({"type": "object"}, ui={"order": ["decision"]})))  # UI hints too
    for view in views:
        expected = TaskSchema().dump(view)
        assert task_body(view) == expected and list(task_body(view)) == list(expected)


def test_counts_and_totals_past_the_cap_say_so(app, flow, get):
    """Counts read at most cap + 1 rows: exact up to the cap, then the cap, named in ``capped``; a list's
    total is capped likewise (or at the end of the page asked for) and flagged, and a full page still
    has a next one."""
    for _ in range(4):
        flow.to("accept")
    app.config["INBOX_COUNT_CAP"] = 4  # exactly at the cap: exact, not capped
    assert get("window_cc", "/counts").get_json() == {"mine": 0, "group": 4, "all": 4, "overdue": 0, "cc": 0,
                                                      "done": 0, "capped": []}
    assert get("window_cc", scope="all").get_json()["total_capped"] is False
    app.config["INBOX_COUNT_CAP"] = 3
    counts = get("window_cc", "/counts").get_json()
    assert counts == {"mine": 0, "group": 3, "all": 3, "overdue": 0, "cc": 0, "done": 0, "capped": ["group", "all"]}
    with clock.frozen(clock.now() + timedelta(days=30)):
        assert get("window_cc", "/counts").get_json()["capped"] == ["group", "all", "overdue"]
    first = get("window_cc", scope="all", per_page=2).get_json()
    assert (first["total"], first["total_capped"], len(first["items"])) == (3, True, 2)
    # Page 2 of 2 per page reaches 4 rows, past the cap of 3: counted to the page's end + 1, exactly.
    second = get("window_cc", scope="all", per_page=2, page=2).get_json()
    assert (second["total"], second["total_capped"], len(second["items"])) == (4, False, 2)
    assert get("window_cc", scope="all", per_page=2, page=3).get_json()["items"] == []
    app.config["INBOX_COUNT_CAP"] = 1
    whole = get("window_cc", scope="all", per_page=4).get_json()  # the page asked for holds every row
    assert (whole["total"], whole["total_capped"], len(whole["items"])) == (4, False, 4)
    # Every status of a supervisor's regions: the regions-below part alone names no table (it once had no FROM).
    every = get("supervisor_cc", scope="all", status="any").get_json()["total"]
    assert every == 4 + get("supervisor_cc", scope="all", status="completed").get_json()["total"] > 4
    # The page bounds are unchanged: the cap is not a page size.
    assert get("window_cc", scope="all", per_page=201).status_code == 422
    assert get("window_cc", scope="all", page=0).status_code == 422


# -- detail --------------------------------------------------------------------------------------


def test_detail_has_the_case_summary_form_data_and_allowed_actions(flow, get):
    instance_id, accept = flow.to("accept")
    body = get("window_cc", f"/{accept.id}").get_json()
    assert body["id"] == accept.id and body["form"]["schema"]["title"] == "窗口受理"
    assert body["instance"]["id"] == instance_id and body["instance"]["business_key"] == "CC-2026-001"
    assert body["instance"]["started_by"] == "applicant" and body["instance"]["version"] == 1
    assert body["variables"]["title"] == APPLY["title"] and body["variables"]["amount"] == APPLY["amount"]
    assert {"claim", "complete", "delegate", "transfer", "return", "cc"} <= set(body["actions"])
    assert body["cc"] == [] and body["delegation"] is None
    assert "complete" not in get("supervisor_cc", f"/{accept.id}").get_json()["actions"]


# -- complete ------------------------------------------------------------------------------------


def test_complete_moves_the_case_on_and_names_the_visible_next_tasks(flow, post, session):
    instance_id, accept = flow.to("accept")
    response = post("window_cc", f"{accept.id}/complete", {"data": {"received": True}})
    assert response.status_code == 200
    body = response.get_json()
    assert body["task"]["id"] == accept.id and body["task"]["status"] == "completed"
    assert body["task"]["completed_by"] == "window_cc"
    assert body["next_tasks"] == []  # the review task is the reviewers', not the window's
    review = flow.open(instance_id, "review")
    response = post("admin", f"{review.id}/complete", {"data": {"decision": "approve"}, "opinion": "同意"})
    assert [t["name"] for t in response.get_json()["next_tasks"]] == ["approve"]
    events = session.scalars(select(AuditEvent).where(AuditEvent.task_id == review.id)).all()
    assert [(e.action, e.actor, e.opinion) for e in events] == [("complete", "admin", "同意")]


def test_form_data_is_checked_against_the_schema_with_field_details(flow, post, session):
    instance_id = flow.start()
    apply = flow.open(instance_id)
    bad = {"title": "", "amount": "很多", "surprise": 1, "contact": {"phone": "12"}}
    response = post("applicant", f"{apply.id}/complete", {"data": bad})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "form_invalid"
    assert set(error["details"]["fields"]) == {"title", "amount", "surprise", "contact.phone"}
    assert error["details"]["fields"]["surprise"] == ["此字段不属于本表单，不能提交（not a field of this form）"]
    response = post("applicant", f"{apply.id}/complete", {"data": {"amount": 5, "contact": {}}})
    assert set(response.get_json()["error"]["details"]["fields"]) == {"title", "contact.phone"}
    assert flow.open(instance_id).id == apply.id
    assert history(session, instance_id) == [("start", "applicant")]


def test_a_decision_needs_an_opinion(flow, post):
    instance_id, approve = flow.to("approve")
    response = post("approver_cc", f"{approve.id}/complete", {"data": {"decision": "approve"}})
    assert response.status_code == 422
    assert list(response.get_json()["error"]["details"]["fields"]) == ["opinion"]
    response = post("approver_cc", f"{approve.id}/complete", {"data": {"decision": "approve"}, "opinion": "   "})
    assert response.status_code == 422
    assert post("approver_cc", f"{approve.id}/complete", {"data": {"decision": "approve"},
                                                           "opinion": "准予登记"}).status_code == 200


def test_an_opinion_given_beside_the_data_fills_the_forms_own_opinion_field(flow, post, session):
    instance_id, review = flow.to("review")
    response = post("reviewer_cc", f"{review.id}/complete", {"data": {"decision": "approve"}, "opinion": "材料齐全"})
    assert response.status_code == 200
    event = session.scalars(select(AuditEvent).where(AuditEvent.task_id == review.id)).one()
    assert event.opinion == "材料齐全" and event.details["data"]["opinion"] == "材料齐全"


def test_completing_a_completed_task_conflicts(flow, post):
    _, accept = flow.to("accept")
    assert post("window_cc", f"{accept.id}/complete", {"data": {"received": True}}).status_code == 200
    response = post("window_cc", f"{accept.id}/complete", {"data": {"received": True}})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "task_not_ready"


def test_four_concurrent_completions_apply_once(app, flow, auth, session):
    instance_id, review = flow.to("review")
    headers = [auth("reviewer_cc"), auth("reviewer_cc"), auth("admin"), auth("admin")]
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def work(header: dict) -> None:
        with app.app_context():
            client = app.test_client()
            barrier.wait()
            response = client.post(f"/api/v1/tasks/{review.id}/complete", json=DECIDE, headers=header)
            statuses.append(response.status_code)

    threads = [threading.Thread(target=work, args=(h,)) for h in headers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409, 409, 409]
    session.rollback()  # end the read snapshot: other threads committed
    completes = session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.task_id == review.id, AuditEvent.action == "complete"))
    assert completes == 1
    assert flow.open(instance_id).name == "approve"


# -- bad input -----------------------------------------------------------------------------------


def test_bad_bodies_are_clear_4xx_and_change_nothing(flow, client, auth, post, session):
    instance_id, accept = flow.to("accept")
    headers = auth("window_cc")
    url = f"/api/v1/tasks/{accept.id}/complete"
    before = history(session, instance_id)

    response = client.post(url, data="{not json", content_type="application/json", headers=headers)
    assert response.status_code == 400 and "error" in response.get_json()
    response = post("window_cc", f"{accept.id}/complete", {"data": "received"})
    assert response.status_code == 422 and "data" in response.get_json()["error"]["details"]["fields"]
    response = post("window_cc", f"{accept.id}/complete", {"data": {"received": True}, "opinion": 5})
    assert response.status_code == 422 and "opinion" in response.get_json()["error"]["details"]["fields"]
    response = post("window_cc", f"{accept.id}/complete", {"data": {"received": True}, "unknown": 1})
    assert response.status_code == 422 and "unknown" in response.get_json()["error"]["details"]["fields"]
    response = post("window_cc", f"{accept.id}/complete", {"data": {"received": True, "x": "\x00"}})
    assert response.status_code == 422
    huge = b'{"data": {"received": true, "pad": "' + b"x" * (6 * 1024 * 1024) + b'"}}'
    response = client.post(url, data=huge, content_type="application/json", headers=headers)
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "payload_too_large"
    big = {"data": {"received": True, "pad": "x" * (300 * 1024)}}
    response = post("window_cc", f"{accept.id}/complete", big)
    assert response.status_code == 422

    assert history(session, instance_id) == before
    assert flow.open(instance_id).id == accept.id


def test_unknown_ids_and_bad_query_strings_are_clear_4xx(flow, get, post):
    flow.to("accept")
    for path in ("/nope", "/" + "x" * 300, "/%00"):
        response = get("window_cc", path)
        assert response.status_code == 404, path
        assert response.get_json()["error"]["code"] == "task_not_found"
    for op in ("claim", "unclaim", "withdraw", "urge"):
        assert post("window_cc", f"no-such-task/{op}").status_code == 404
    assert post("window_cc", "no-such-task/complete", {"data": {}}).status_code == 404
    for params in ({"per_page": 500}, {"page": 0}, {"scope": "everything"}, {"sort": "title"},
                   {"status": "done"}, {"overdue": "maybe"}, {"q": "a\x00b"}):
        response = get("window_cc", **params)
        assert response.status_code == 422, params
        assert set(response.get_json()["error"]["details"]["fields"]) == set(params)


def test_the_inbox_needs_a_token(client, flow):
    assert client.get("/api/v1/tasks").status_code == 401
    assert client.get("/api/v1/tasks/counts").status_code == 401


def test_only_candidates_may_release_or_claim_an_unclaimed_task(flow, post):
    _, accept = flow.to("accept")
    assert post("supervisor_cc", f"{accept.id}/unclaim").status_code == 403
    assert post("supervisor_cc", f"{accept.id}/claim").status_code == 403
    assert post("window_cc", f"{accept.id}/unclaim").status_code == 200  # nothing to release: harmless


def test_claim_refuses_a_closed_task(flow, post):
    instance_id, accept = flow.to("accept")
    flow.complete(instance_id, "accept", {"received": True}, "window_cc")
    response = post("window_cc", f"{accept.id}/claim")
    assert response.status_code == 409
    assert post("window_cc", f"{accept.id}/unclaim").status_code == 409


def test_completed_tasks_stay_readable_by_whoever_completed_them(flow, get, session):
    instance_id, accept = flow.to("accept")
    flow.complete(instance_id, "accept", {"received": True}, "window_cc")
    body = get("window_cc", f"/{accept.id}").get_json()
    assert body["status"] == "completed" and "withdraw" in body["actions"]
    assert session.get(HumanTask, accept.id).status is TaskStatus.COMPLETED


def test_a_users_changed_groups_apply_at_once_to_the_reads_built_per_viewer(flow, post, session):
    """A task operation's reads are built once per viewer (tasks/rules.py): a user whose groups changed
    is another viewer, so what they may see and work on changes with the next request."""
    instance_id, accept = flow.to("accept")
    assert post("window_cc", f"{accept.id}/claim").status_code == 200  # builds and caches window_cc's reads
    assert post("window_cc", f"{accept.id}/unclaim").status_code == 200
    clerk = session.scalar(select(User).where(User.username == "window_cc"))
    clerk.groups = []
    session.commit()
    response = post("window_cc", f"{accept.id}/complete", {"data": {"received": True}})
    assert response.status_code == 404
    assert flow.open(instance_id, "accept").status is TaskStatus.READY
