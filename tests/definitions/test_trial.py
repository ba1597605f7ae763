"""试运行: a draft runs on the engine against sample data (or form defaults), with real form checks and a moved
clock, and writes nothing to the database."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from workflow_app.definitions.errors import DefinitionInvalid
from workflow_app.definitions.trial import TrialInvalid, TrialRunner
from workflow_app.engine import get_engine
from workflow_app.models import Base
from workflow_app.services import definition_service


def runner() -> TrialRunner:
    return TrialRunner(definition_service(), get_engine())


def row_counts(session) -> dict[str, int]:
    session.rollback()
    return {t.name: session.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def test_a_draft_runs_to_its_end_with_sample_data_and_writes_nothing(app, session, sample_files):
    before = row_counts(session)
    run = runner().run(sample_files, "sample_review", {"submit": {"title": "甲", "amount": 5000},
                                                       "review": {"decision": "approve"}})
    assert (run.status, run.message) == ("completed", "流程已走到结束事件")
    assert run.states["submit"] == run.states["review"] == run.states["note_approval"] == "completed"
    assert "end_rejected" not in run.states and run.data["priority"] == "high"
    assert [(s.kind, s.element_id) for s in run.steps] == [("task", "submit"), ("task", "review"),
                                                           ("service", "note_approval")]
    assert run.steps[2].title == "case.note" and "text" in run.steps[2].data
    assert row_counts(session) == before


def test_without_samples_the_forms_give_defaults_and_a_null_sample_lets_the_timer_fire(app, sample_files):
    run = runner().run(sample_files, "sample_review", {})
    assert run.status == "completed" and run.steps[0].detail.endswith("按表单生成的默认数据")
    assert run.states["note_approval"] == "completed"  # 审核结论 defaults to its first option, approve
    timed = runner().run(sample_files, "sample_review", {"review": [None]})
    assert timed.status == "completed"
    assert timed.states["end_timed_out"] == "completed" and timed.states["review"] == "cancelled"
    assert [s.kind for s in timed.steps] == ["task", "timer"] and "时钟拨到" in timed.steps[1].detail


def test_sample_data_is_checked_by_the_real_form(app, sample_files):
    run = runner().run(sample_files, "sample_review", {"submit": {"title": "甲", "amount": -1}})
    assert run.status == "stopped" and "环节「填写申请」（submit）的样例数据未通过表单校验：amount" in run.message
    assert run.states["submit"] == "ready"
    with pytest.raises(TrialInvalid):
        runner().run(sample_files, "sample_review", {"submit": "not an object"})
    with pytest.raises(TrialInvalid):
        runner().run(sample_files, "sample_review", {}, {"__class__": 1})


def test_a_draft_that_does_not_lint_is_refused_as_a_deploy_would_be(app, sample_files):
    bad = dict(sample_files)
    bad["sample_review.bpmn"] = bad["sample_review.bpmn"].replace(b'priority = "high"', b"priority = (")
    with pytest.raises(DefinitionInvalid):
        runner().run(bad, "sample_review", {})


def test_a_loop_is_stopped_after_the_step_limit(app, sample_files):
    small = TrialRunner(definition_service(), get_engine(), max_steps=1)
    run = small.run(sample_files, "sample_review", {})
    assert run.status == "stopped" and "已执行 1 步" in run.message
