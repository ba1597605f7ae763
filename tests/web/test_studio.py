"""The studio's endpoints: the live lint of a draft, the deploy of a draft with its forms, the timer and form
previews, the form designer page; who may use them, CSRF, and bad input refused in Chinese."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from tests.web.test_session import csrf_from, login
from workflow_app.calendar.workdays import WorkCalendar
from workflow_app.definitions.drafts import MAX_FORMS, read_draft
from workflow_app.definitions.errors import DefinitionInvalid
from workflow_app.definitions.timer_preview import preview_timer
from workflow_app.web.labels import chinese_lanes, group_codes

NEW_FORM = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "补充核查", "type": "object",
            "required": ["check_result"],
            "properties": {"check_result": {"type": "string", "title": "核查结果", "maxLength": 200},
                           "check_date": {"type": "string", "format": "date", "title": "核查日期"}}}
POSTS = ["/designer/sample_review/lint", "/designer/sample_review/deploy", "/designer/timer-preview",
         "/designer/form-preview"]


def _xml(sample_files: dict[str, bytes], old: str = "", new: str = "") -> str:
    return sample_files["sample_review.bpmn"].decode().replace(old, new)


def _designer(web) -> str:
    login(web, "designer")
    return csrf_from(web.get("/designer/").get_data(as_text=True))


def _script_json(page: str, element_id: str) -> object:
    return json.loads(page.split(f'id="{element_id}">', 1)[1].split("</script>", 1)[0])


def _post(web, url: str, body: object, token: str | None):
    headers = {"X-CSRFToken": token} if token else {}
    return web.post(url, data=json.dumps(body), content_type="application/json", headers=headers)


def test_studio_endpoints_are_the_designers(web, deployed_sample, sample_files):
    body = {"xml": _xml(sample_files), "base_version": 1}
    for url in POSTS:  # no session: to the login page
        assert web.post(url, json=body).status_code in (302, 400), url
    assert web.get("/designer/sample_review/forms/review.json").status_code == 302
    login(web, "window_cc")
    token = csrf_from(web.get("/").get_data(as_text=True))
    for url in POSTS:
        assert _post(web, url, body, token).status_code == 403, url
    assert web.get("/designer/sample_review/forms/review.json").status_code == 403


def test_studio_posts_need_the_csrf_header(web, deployed_sample, sample_files):
    _designer(web)
    for url in POSTS:
        assert _post(web, url, {"xml": _xml(sample_files), "base_version": 1}, None).status_code == 400, url


def test_lint_lists_a_drafts_problems_per_element_in_chinese_and_stores_nothing(web, deployed_sample, sample_files,
                                                                                 session):
    from workflow_app.definitions.models import ProcessDefinition

    token = _designer(web)
    good = _post(web, "/designer/sample_review/lint", {"xml": _xml(sample_files), "base_version": 1}, token)
    assert good.status_code == 200 and good.get_json() == {"problems": []}
    broken = _xml(sample_files, 'priority = "high"', 'priority = ("high"')
    answer = _post(web, "/designer/sample_review/lint", {"xml": broken, "base_version": 1}, token).get_json()
    [problem] = answer["problems"]
    assert problem["element_id"] == "classify"
    assert problem["message_zh"].startswith("脚本无法编译：第 1 行语法错误：“(”没有闭合")
    assert session.query(ProcessDefinition).count() == 1


def test_lint_sees_the_drafts_forms(web, deployed_sample, sample_files):
    token = _designer(web)
    xml = _xml(sample_files, 'value="review.json"', 'value="recheck.json"')
    alone = _post(web, "/designer/sample_review/lint", {"xml": xml, "base_version": 1}, token).get_json()
    assert any("表单 'recheck.json' 不在本次部署的表单中" in p["message_zh"] for p in alone["problems"])
    review = json.loads(sample_files["forms/review.json"])
    both = _post(web, "/designer/sample_review/lint",
                 {"xml": xml, "base_version": 1, "forms": {"recheck.json": review}}, token).get_json()
    assert both == {"problems": []}


def test_deploy_stores_the_drafts_new_form_with_the_bpmn(web, deployed_sample, sample_files, session):
    from workflow_app.definitions.models import ProcessDefinition

    token = _designer(web)
    xml = chinese_lanes(_xml(sample_files, 'value="review.json"', 'value="recheck.json"'))
    assert 'name="审查"' in xml  # as the modeler shows it
    response = _post(web, "/designer/sample_review/deploy",
                     {"xml": xml, "base_version": 1, "forms": {"recheck.json": NEW_FORM}}, token)
    assert response.status_code == 200 and response.get_json()["version"] == 2
    v2 = session.query(ProcessDefinition).filter_by(key="sample_review", version=2).one()
    assert json.loads(v2.files["forms/recheck.json"]) == NEW_FORM
    assert "forms/review.json" not in v2.files  # no task uses it any more
    assert v2.task_meta["review"]["lane"] == "reviewer"  # the group again, not its Chinese label


def test_deploy_refuses_a_bad_form_with_a_chinese_message(web, deployed_sample, sample_files, session):
    from workflow_app.definitions.models import ProcessDefinition

    token = _designer(web)
    xml = _xml(sample_files, 'value="review.json"', 'value="recheck.json"')
    bad = {**NEW_FORM, "type": "array"}
    answer = _post(web, "/designer/sample_review/deploy",
                   {"xml": xml, "base_version": 1, "forms": {"recheck.json": bad}}, token)
    assert answer.status_code == 422
    assert any('表单的最外层必须声明 "type": "object"' in p["message_zh"] for p in answer.get_json()["problems"])
    named = _post(web, "/designer/sample_review/deploy",
                  {"xml": xml, "base_version": 1, "forms": {"../etc/passwd.json": NEW_FORM}}, token)
    assert named.status_code == 422
    assert named.get_json()["problems"][0]["message_zh"].startswith("表单文件名只能含字母")
    assert session.query(ProcessDefinition).count() == 1


@pytest.mark.parametrize(("body", "expected"), [
    ({"xml": "<bpmn:definitions", "base_version": 1}, "XML 格式错误"),
    ({"xml": '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>', "base_version": 1}, "不允许 DOCTYPE"),
    ({"xml": "<x/>"}, "草稿缺少流程图"),
    ({"xml": "<x/>", "base_version": True}, "草稿缺少流程图"),
    ({"xml": "<x/>", "base_version": 1, "forms": ["a.json"]}, "表单应为"),
    ([1, 2], "草稿缺少流程图"),
])
def test_malformed_drafts_are_refused_in_chinese(web, deployed_sample, body, expected):
    token = _designer(web)
    for url in ("/designer/sample_review/lint", "/designer/sample_review/deploy"):
        response = _post(web, url, body, token)
        problems = response.get_json()["problems"]
        assert any(expected in p["message_zh"] for p in problems), (url, problems)


def test_a_huge_draft_is_refused_before_it_is_read(web, deployed_sample, app):
    token = _designer(web)
    huge = "<x>" + "a" * (app.config["MAX_CONTENT_LENGTH"] + 10) + "</x>"
    response = _post(web, "/designer/sample_review/deploy", {"xml": huge, "base_version": 1}, token)
    assert response.status_code == 413
    assert "超过了允许的大小" in response.get_data(as_text=True)


def test_an_xml_over_the_file_limit_is_refused_with_its_size(web, deployed_sample, app):
    token = _designer(web)
    app.config["MAX_UPLOAD_BYTES"] = 1000  # the file limit, below the request limit
    response = _post(web, "/designer/sample_review/lint", {"xml": "<x>" + "a" * 2000 + "</x>", "base_version": 1},
                     token)
    assert "超过上限 1000 字节" in response.get_json()["problems"][0]["message_zh"]


def test_a_draft_on_a_version_that_does_not_exist_is_a_404(web, deployed_sample, sample_files):
    token = _designer(web)
    assert _post(web, "/designer/sample_review/lint", {"xml": _xml(sample_files), "base_version": 7},
                 token).status_code == 404


def test_read_draft_bounds_the_forms():
    with pytest.raises(DefinitionInvalid) as caught:
        read_draft({"xml": "<x/>", "base_version": 1, "forms": {f"f{i}.json": {} for i in range(MAX_FORMS + 1)}})
    assert "at most" in caught.value.problems[0].message


def test_lane_names_go_back_to_their_groups():
    xml = '<bpmn:lane id="a" name="reviewer"/><bpmn:lane id="b" name="custom"/><bpmn:task name="审查"/>'
    shown = chinese_lanes(xml)
    assert 'id="a" name="审查"' in shown and 'name="custom"' in shown
    assert group_codes(shown) == xml


# -- timer preview -----------------------------------------------------------------------------------

NOW = datetime(2026, 9, 28, 2, 0, tzinfo=UTC)  # Monday 10:00 in Beijing, before the National Day holiday


def _calendar() -> WorkCalendar:
    from workflow_app.calendar.workdays import DayKind

    holiday = {date(2026, 10, d): DayKind.HOLIDAY for d in range(1, 8)}
    return WorkCalendar(holiday, covered_years=[2026])


def test_timer_preview_counts_working_days_over_holidays():
    preview = preview_timer("timeDate", "workdays_later(5)", _calendar(), NOW)
    assert preview.workdays == 5
    assert preview.due is not None and preview.due.astimezone().date() >= date(2026, 10, 9)
    assert "距今 5 个工作日" in preview.text


def test_timer_preview_of_a_quoted_duration_and_of_a_case_variable():
    preview = preview_timer("timeDuration", '"P2D"', _calendar(), NOW)
    assert preview.due == datetime(2026, 9, 30, 2, 0, tzinfo=UTC)
    variable = preview_timer("timeDuration", "review_deadline", _calendar(), NOW)
    assert variable.due is None and "案件变量 review_deadline" in variable.text
    broken = preview_timer("timeDate", "workdays_later(", _calendar(), NOW)
    assert broken.due is None and broken.text.startswith("表达式无法编译")
    assert preview_timer("timeDuration", '"15 days"', _calendar(), NOW).text.startswith("计算结果")


def test_timer_preview_endpoint(web, deployed_sample):
    token = _designer(web)
    answer = _post(web, "/designer/timer-preview", {"kind": "timeDate", "expression": "workdays_later(3)"},
                   token).get_json()
    assert answer["ok"] and answer["workdays"] == 3 and "个工作日" in answer["text"]
    assert _post(web, "/designer/timer-preview", {"kind": "timeDate"}, token).status_code == 422


# -- form preview and the form designer page -----------------------------------------------------------


def test_form_preview_renders_with_the_task_pages_renderer(web, deployed_sample):
    token = _designer(web)
    answer = _post(web, "/designer/form-preview", {"schema": NEW_FORM}, token).get_json()
    assert answer["problems"] == []
    assert 'data-field="check_date"' in answer["html"] and 'type="date"' in answer["html"]
    assert "核查结果" in answer["html"] and '<span class="req"' in answer["html"]
    bad = _post(web, "/designer/form-preview", {"schema": {"type": "object", "properties": {"date": {}}}},
                token).get_json()
    assert bad["html"] == "" and "字段 'date' 与同名脚本函数冲突" in bad["problems"][0]
    escaped = _post(web, "/designer/form-preview", {"schema": {"type": "object", "properties": {
        "x": {"type": "string", "title": "<script>alert(1)</script>"}}}}, token).get_json()
    assert "<script>" not in escaped["html"]


def test_form_designer_page_opens_an_existing_and_a_new_form(web, deployed_sample):
    _designer(web)
    page = web.get("/designer/sample_review/forms/review.json").get_data(as_text=True)
    assert "表单设计" in page
    data = _script_json(page, "form-data")
    assert data["schema"]["properties"]["decision"]["title"] == "审核结论"  # v1's form, for the editor
    new = web.get("/designer/sample_review/forms/sample_review_extra.json?task=Task_1")
    assert new.status_code == 200 and _script_json(new.get_data(as_text=True), "form-data")["schema"] is None
    assert web.get("/designer/sample_review/forms/bad%20name.json").status_code == 404


def test_the_modeler_page_offers_the_panels_choices(web, deployed_sample):
    _designer(web)
    page = web.get("/designer/sample_review/edit").get_data(as_text=True)
    studio = _script_json(page, "studio-data")
    assert studio["groups"]["reviewer"] == "审查"
    assert set(studio["forms"]) == {"submit.json", "review.json"}
    assert {"id": "case.note", "label": "记录案件历史", "params": ["text", "action"]} in studio["operators"]
    assert "经办人" in studio["starters"] and "申请人" not in studio["starters"]
    assert 'name="审查"' in _script_json(page, "diagram")  # lanes in Chinese


def test_timer_preview_of_a_cycle_and_of_a_deadline():
    cycle = preview_timer("timeCycle", '"R3/PT4H"', _calendar(), NOW)
    assert cycle.due == datetime(2026, 9, 28, 6, 0, tzinfo=UTC)
    deadline = preview_timer("timeDate", 'deadline("2wd")', _calendar(), NOW)
    assert deadline.workdays == 2  # Tuesday and Wednesday
    assert preview_timer("timeLimit", '"P1D"', _calendar(), NOW).due is None


def test_the_panel_offers_the_decisions_of_the_process(web, app):
    from tests.processes.conftest import process_files
    from workflow_app.services import definition_service

    definition_service().deploy(process_files("major_event"), deployed_by="test")
    _designer(web)
    studio = _script_json(web.get("/designer/major_event/edit").get_data(as_text=True), "studio-data")
    assert studio["decisions"] == ["major_event_classification"]
    assert "申请人" in studio["starters"]  # organizations start 重大事项报告 themselves
