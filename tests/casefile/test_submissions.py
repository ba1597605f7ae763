"""Each step's submission is kept as submitted (task, form version, data, who, when), in the completion's
transaction: a refused or failed completion leaves none, a step done twice (退回) leaves two."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.tasks.conftest import APPLY, Flow
from workflow_app import clock
from workflow_app.casefile.models import Submission
from workflow_app.casefile.submissions import submissions_of
from workflow_app.services import instance_service


def count(session) -> int:
    return session.scalar(select(func.count()).select_from(Submission)) or 0


def test_a_completion_keeps_the_data_as_submitted_with_its_form_version(flow: Flow, post, session):
    instance_id = flow.start()
    apply = flow.open(instance_id)
    at = clock.now().replace(microsecond=0)
    with clock.frozen(at):
        response = post("applicant", f"{apply.id}/complete", {"data": APPLY})
    assert response.status_code == 200, response.get_json()
    [kept] = submissions_of(session, instance_id)
    assert (kept.task_id, kept.task_name, kept.title, kept.candidate_group) == (apply.id, "apply", apply.title,
                                                                                 "applicant")
    assert kept.form == "apply.json" and kept.form_version == 1 and kept.definition_id is not None
    assert kept.data == APPLY and kept.submitted_by == "applicant" and kept.submitted_at == at


def test_a_refused_submission_is_not_kept(flow: Flow, post, session):
    instance_id = flow.start()
    apply = flow.open(instance_id)
    response = post("applicant", f"{apply.id}/complete", {"data": {**APPLY, "decision": "approve"}})
    assert response.status_code == 422
    assert count(session) == 0


def test_a_failed_completion_rolls_its_submission_back(flow: Flow, session, monkeypatch):
    instance_id = flow.start()

    def boom(*_args, **_kwargs):
        raise RuntimeError("the database went away mid-change")

    service = instance_service()
    monkeypatch.setattr(service, "_save", boom)
    with pytest.raises(RuntimeError):
        service.complete_task(flow.open(instance_id).id, APPLY, actor="applicant")
    session.rollback()
    assert count(session) == 0


def test_a_step_sent_back_and_done_again_is_kept_twice_with_the_opinions(flow: Flow, post, session):
    instance_id, review = flow.to("review")
    response = post("reviewer_cc", f"{review.id}/return", {"opinion": "请补充材料"})
    assert response.status_code == 200, response.get_json()
    accept = flow.open(instance_id, "accept")
    flow.complete(instance_id, "accept", {"received": True}, "window_cc", opinion="已补齐")
    titles = [(s.task_name, s.opinion) for s in submissions_of(session, instance_id)]
    assert titles == [("apply", None), ("accept", None), ("accept", "已补齐")]
    assert accept.id == submissions_of(session, instance_id)[-1].task_id


def test_staff_start_variables_are_kept_as_the_first_submission(approval, session):
    advance = instance_service().start("approval_test", {"title": "年会"}, started_by="window_cc",
                                       region_code="220100")
    [kept] = submissions_of(session, advance.instance.id)
    assert (kept.task_id, kept.title, kept.data, kept.submitted_by) == (None, "发起", {"title": "年会"}, "window_cc")
