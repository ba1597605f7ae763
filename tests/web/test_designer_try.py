"""流程设计 · 试运行 page: a draft runs against sample data and shows its path; designers only; nothing stored."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from tests.web.test_session import csrf_from, login
from workflow_app.models import Base

URL = "/designer/sample_review/try"


def row_counts(session) -> dict[str, int]:
    session.rollback()
    return {t.name: session.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def test_a_designer_runs_a_draft_and_sees_its_path_and_nothing_is_stored(web, deployed_sample, sample_files,
                                                                        session):
    login(web, "designer")
    page = web.get(URL).get_data(as_text=True)
    assert "试运行" in page and "&#34;submit&#34;" in page  # form defaults per user task
    before = row_counts(session)
    draft = sample_files["sample_review.bpmn"].decode().replace('name="审核申请"', 'name="复核"')
    samples = {"submit": {"title": "甲", "amount": 20}, "review": {"decision": "reject"}}
    response = web.post(URL, data={"csrf_token": csrf_from(page), "base_version": "1", "xml": draft,
                                   "samples": json.dumps(samples), "start_variables": "{}"})
    assert response.status_code == 200
    result = response.get_data(as_text=True)
    assert 'data-status="completed"' in result and "流程已走到结束事件" in result
    assert "复核（review）" in result and "草稿（基于 v1）" in result
    assert row_counts(session) == before


def test_a_bad_draft_or_bad_samples_are_listed_in_chinese(web, deployed_sample, sample_files):
    login(web, "designer")
    token = csrf_from(web.get(URL).get_data(as_text=True))
    bad = sample_files["sample_review.bpmn"].decode().replace('priority = "high"', "priority = (")
    response = web.post(URL, data={"csrf_token": token, "base_version": "1", "xml": bad, "samples": "{}"})
    assert response.status_code == 422 and "脚本无法编译" in response.get_data(as_text=True)
    response = web.post(URL, data={"csrf_token": token, "base_version": "1", "samples": "[1,"})
    assert response.status_code == 422 and "样例数据不是有效的 JSON" in response.get_data(as_text=True)


def test_the_trial_is_for_designers_and_needs_csrf(web, deployed_sample):
    login(web, "window_cc")
    assert web.get(URL).status_code == 403
    assert web.post(URL, data={"base_version": "1"}).status_code in (400, 403)
    web.delete_cookie("session")
    login(web, "designer")
    assert web.post(URL, data={"base_version": "1", "samples": "{}"}).status_code == 400


def test_a_draft_from_the_modeler_with_lanes_named_in_chinese_runs(web, deployed_sample, sample_files):
    """The modeler shows (and posts) lanes by their Chinese names; the trial reads them as deploy does."""
    from workflow_app.web.labels import chinese_lanes

    login(web, "designer")
    token = csrf_from(web.get(URL).get_data(as_text=True))
    draft = chinese_lanes(sample_files["sample_review.bpmn"].decode())
    assert 'name="reviewer"' not in draft
    samples = {"submit": {"title": "甲", "amount": 20}, "review": {"decision": "approve"}}
    response = web.post(URL, data={"csrf_token": token, "base_version": "1", "xml": draft,
                                   "samples": json.dumps(samples), "start_variables": "{}"})
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]
    assert 'data-status="completed"' in response.get_data(as_text=True)


def test_the_task_forms_post_as_samples_and_a_value_the_form_refuses_stops_the_run(web, deployed_sample):
    login(web, "designer")
    page = web.get(URL).get_data(as_text=True)
    assert 'name="sample-submit.amount"' in page and 'name="leave-open" value="review"' in page
    token = csrf_from(page)
    form = {"csrf_token": token, "base_version": "1", "source": "forms", "sample-submit.title": "乙",
            "sample-submit.amount": "20", "sample-review.decision": "reject", "samples": "[1,"}
    done = web.post(URL, data=form).get_data(as_text=True)  # the JSON box is ignored unless chosen
    assert 'data-status="completed"' in done and "&#34;amount&#34;: 20" in done and "&#34;decision&#34;: &#34;reject&#34;" in done
    stopped = web.post(URL, data={**form, "sample-submit.amount": "很多"}).get_data(as_text=True)
    assert 'data-status="stopped"' in stopped and "环节「填写申请」的样例数据未通过表单校验：金额（元）：请输入数字" in stopped
    assert 'value="很多"' in stopped and '<span class="field-error">请输入数字</span>' in stopped  # beside the field
    assert "is not of type" not in stopped
    refused = web.post(URL, data={**form, "use_json": "1"})
    assert refused.status_code == 422 and "样例数据不是有效的 JSON" in refused.get_data(as_text=True)
