"""批量办理 page: pool tasks claimed in one go, a decision-only step completed in one go, each refusal named,
post/redirect/get, CSRF, and no page for organizations or designers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import DATA, read_bundle
from tests.tasks.conftest import Flow
from tests.web.support import Pages, text, user
from workflow_app import db
from workflow_app.services import definition_service
from workflow_app.tasks.models import HumanTask, TaskStatus
from workflow_app.tasks.service import task_service


@pytest.fixture
def flow(web):
    definition_service().deploy(read_bundle(DATA / "approval"), deployed_by="test")
    return Flow(db.session())


def _row(task_id: str) -> HumanTask:
    db.session().commit()
    return db.session().get(HumanTask, task_id)


def test_claim_several_then_complete_them_together(web, flow):
    ids = [flow.to("review")[1].id for _ in range(3)]
    reviewer = Pages(web, "reviewer_cc")
    page = text(reviewer.get("/tasks/batch"))
    assert all(f'value="{t}"' in page for t in ids) and "批量签收" in page
    response = reviewer.post("/tasks/batch/claim", {"task_ids": ids[:2]})
    assert response.status_code == 303 and response.headers["Location"].endswith("/tasks/batch")
    page = text(reviewer.get(response.headers["Location"]))
    assert "已签收 2 件" in page
    assert {_row(t).assignee for t in ids[:2]} == {"reviewer_cc"} and _row(ids[2]).assignee is None
    assert 'data-step="approval_test:review"' in page and "通过" in page  # the step's decisions, in Chinese
    response = reviewer.post("/tasks/batch/complete", {"task_ids": ids[:2], "decision": "approve",
                                                       "opinion": "同意报批"})
    assert response.status_code == 303
    assert "已办理 2 件" in text(reviewer.get("/tasks/batch"))
    assert {_row(t).status for t in ids[:2]} == {TaskStatus.COMPLETED}


def test_each_refusal_is_named_in_chinese_and_the_rest_go_through(web, flow):
    ids = [flow.to("review")[1].id for _ in range(2)]
    task_service().claim(user("admin"), ids[1])
    reviewer = Pages(web, "reviewer_cc")
    response = reviewer.post("/tasks/batch/claim", {"task_ids": ids})
    page = text(reviewer.get(response.headers["Location"]))
    assert "已签收 1 件" in page
    title = db.session().scalars(select(HumanTask.title).where(HumanTask.id == ids[1])).one()
    assert f"「{title}」未能签收：已被他人签收" in page
    response = reviewer.post("/tasks/batch/complete", {"task_ids": [ids[0]], "decision": "approve", "opinion": "x"})
    page = text(reviewer.get(response.headers["Location"]))
    assert "未能办理" in page and _row(ids[0]).status is TaskStatus.CLAIMED  # opinion too short for the form
    assert "Method Not Allowed" not in page


def test_nothing_ticked_or_no_decision_is_said_and_changes_nothing(web, flow):
    reviewer = Pages(web, "reviewer_cc")
    page = text(reviewer.get(reviewer.post("/tasks/batch/claim", {}).headers["Location"]))
    assert "请至少选择一件任务" in page
    page = text(reviewer.get(reviewer.post("/tasks/batch/complete", {"task_ids": ["x"]}).headers["Location"]))
    assert "请选择办理结论" in page


def test_batch_pages_refuse_forgery_organizations_and_designers(web, flow):
    task_id = flow.to("review")[1].id
    assert Pages(web, "applicant").get("/tasks/batch").status_code == 403
    assert Pages(web, "designer").get("/tasks/batch").status_code == 403
    assert Pages(web, "applicant").post("/tasks/batch/claim", {"task_ids": [task_id]}).status_code == 403
    reviewer = Pages(web, "reviewer_cc")
    forged = reviewer.web.post("/tasks/batch/claim", data={"task_ids": [task_id]})  # no CSRF token
    assert forged.status_code == 400
    assert _row(task_id).assignee is None
