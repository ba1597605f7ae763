"""The studio in a real browser: a designer builds a new step with the properties panel and the form designer,
deploys it, and a caseworker of its lane works it; a broken script is shown on its element before deploy."""

from __future__ import annotations

import json

from tests.web.conftest import SCREENSHOTS, log_in

NEW_TASK = """() => {
    const modeler = window.socorgModeler;
    const registry = modeler.get('elementRegistry');
    const modeling = modeler.get('modeling');
    const shape = modeling.createShape({ type: 'bpmn:UserTask' }, { x: 300, y: 200 }, registry.get('Lane_applicant'));
    modeling.reconnectEnd(registry.get('f_classify_review'), shape, { x: 300, y: 200 });
    modeling.connect(shape, registry.get('review'));
    return shape.id;
}"""


def test_designer_adds_a_task_with_lane_form_and_time_limit_and_a_caseworker_works_it(
        page, live_server, deployed_sample, session):
    from workflow_app.definitions.models import ProcessDefinition
    from workflow_app.services import instance_service

    log_in(page, live_server, "designer")
    page.goto(f"{live_server}/designer/sample_review/edit")
    page.wait_for_selector("#status:has-text('已载入')")
    # Lanes show in Chinese in the modeler (the file keeps the group codes).
    assert page.locator('g[data-element-id="Lane_reviewer"] text').first.text_content() == "审查"
    task_id = page.evaluate(NEW_TASK)
    # Before its properties are set the new task is refused, in Chinese, on the element.
    page.wait_for_selector(f'g[data-element-id="{task_id}"].lint-error')
    page.click(f'g[data-element-id="{task_id}"]')
    panel = page.locator("#properties")
    assert "人工任务没有表单" in panel.inner_text()
    panel.locator("input[name=element-name]").fill("补充核查")
    panel.locator("input[name=element-name]").press("Tab")
    panel.locator("select[name=task-lane]").select_option(label="审查")
    page.wait_for_function(f"""() => window.socorgModeler.get('elementRegistry').get('Lane_reviewer')
        .businessObject.flowNodeRef.some(n => n.id === '{task_id}')""")

    # 新建表单 → the form designer, with two fields → back to the modeler, the draft kept.
    page.click("#new-form")
    page.wait_for_url("**/forms/**")
    page.fill("#fd-title", "补充核查")
    page.click("#fd-add-field")
    field = page.locator(".fd-field").nth(0)
    field.locator("input[name=name]").fill("check_result")
    field.locator("input[name=title]").fill("核查结果")
    field.locator("input[name=required]").check()
    page.click("#fd-add-field")
    field = page.locator(".fd-field").nth(1)
    field.locator("input[name=name]").fill("check_date")
    field.locator("input[name=title]").fill("核查日期")
    field.locator("select[name=type]").select_option(label="日期")
    page.wait_for_selector("#fd-preview [data-field=check_date] input[type=date]")  # the task page's renderer
    assert "核查结果" in page.locator("#fd-preview").inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "studio_form_designer.png"), full_page=True)
    page.click("#fd-save")
    page.wait_for_url("**/edit?**")
    page.wait_for_selector("#status:has-text('恢复了未部署的草稿')")
    panel.locator("input[name=timeLimit]").fill("3wd")
    panel.locator("input[name=timeLimit]").press("Tab")
    page.wait_for_selector("#lint-status:has-text('校验通过')")
    assert page.locator(".lint-error").count() == 0
    page.screenshot(path=str(SCREENSHOTS / "studio_modeler_user_task_panel.png"), full_page=True)
    page.click("#deploy")
    page.wait_for_selector("#status:has-text('已部署为 v2')")

    session.expire_all()
    v2 = session.query(ProcessDefinition).filter_by(key="sample_review", version=2).one()
    form_file = f"forms/sample_review_{task_id}.json"
    assert v2.task_meta[task_id] == {**v2.task_meta[task_id], "lane": "reviewer", "title": "补充核查",
                                     "form": f"sample_review_{task_id}.json", "time_limit": "3wd"}
    schema = json.loads(v2.files[form_file])
    assert list(schema["properties"]) == ["check_result", "check_date"] and schema["required"] == ["check_result"]
    assert 'name="reviewer"' in v2.bpmn_xml and 'name="审查"' not in v2.bpmn_xml

    # A case on v2 reaches the new step; a caseworker of the reviewer lane sees it with its form.
    advance = instance_service().start("sample_review", started_by="applicant", region_code="220100")
    [submit] = advance.new_tasks
    [new_task] = instance_service().complete_task(submit.id, {"title": "新设备", "amount": 50},
                                                  actor="applicant").new_tasks
    session.commit()
    assert new_task.name == task_id and new_task.due_at is not None
    page.context.clear_cookies()
    log_in(page, live_server, "reviewer_cc")
    page.goto(f"{live_server}/tasks")
    assert "补充核查" in page.locator("main").inner_text()
    page.goto(f"{live_server}/tasks/{new_task.id}")
    form = page.locator("#task-form")
    assert "核查结果" in form.inner_text() and "核查日期" in form.inner_text()
    assert form.locator("input[name=check_date][type=date]").count() == 1


def test_a_script_syntax_error_shows_on_its_element_in_chinese_before_deploy(page, live_server, deployed_sample,
                                                                              session):
    from workflow_app.definitions.models import ProcessDefinition

    log_in(page, live_server, "designer")
    page.goto(f"{live_server}/designer/sample_review/edit")
    page.wait_for_selector("#status:has-text('已载入')")
    page.click('g[data-element-id="classify"]')
    script = page.locator("#properties textarea[name=script]")
    script.fill('priority = ("high"\n')
    script.press("Tab")  # the panel writes on change; the live lint follows
    page.wait_for_selector('g[data-element-id="classify"].lint-error')
    badge = page.locator('.lint-badge[data-element="classify"]')
    assert "脚本无法编译：第 1 行语法错误：“(”没有闭合" in badge.get_attribute("title")
    assert "脚本无法编译" in page.locator("#properties .panel-problems").inner_text()
    assert "does not compile" not in page.locator("#properties").inner_text()
    assert page.locator("#lint-status").inner_text().startswith("有 1 处问题")
    # Leaving with undeployed changes asks first (the draft is also kept in the browser).
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.close(run_before_unload=True)
    page.wait_for_timeout(300)
    assert asked == ["beforeunload"] and not page.is_closed()
    session.expire_all()
    assert session.query(ProcessDefinition).filter_by(key="sample_review").count() == 1  # nothing deployed


def test_timer_service_and_flow_properties_and_no_csp_violation(page, live_server, deployed_sample, session):
    from tests.web.test_browser_csp import WATCH

    page.add_init_script(WATCH)
    log_in(page, live_server, "designer")
    page.goto(f"{live_server}/designer/sample_review/edit")
    page.wait_for_selector("#status:has-text('已载入')")
    panel = page.locator("#properties")
    assert "可发起角色" in panel.inner_text() and "申请人" not in panel.locator("output").inner_text()
    # The process's own properties (nothing selected), and a lane's group.
    for name, value in (("startVariables", "title, amount"), ("escalationReminderBefore", "2wd")):
        panel.locator(f"input[name={name}]").fill(value)
        panel.locator(f"input[name={name}]").press("Tab")
    panel.locator("input[name=organizationBound]").check()
    page.evaluate("() => { const m = window.socorgModeler; m.get('selection').select(m.get('elementRegistry').get('Lane_applicant')); }")
    panel.locator("select[name=lane-group]").select_option(label="窗口受理（window）")

    # A timer: its expression, and when it would fire counted in working days.
    page.evaluate("() => { const m = window.socorgModeler; m.get('selection').select(m.get('elementRegistry').get('review_timeout')); }")
    assert panel.locator("select[name=timer-kind]").input_value() == "timeDuration"
    page.wait_for_selector("#timer-preview:has-text('案件变量 review_deadline')")
    panel.locator("select[name=timer-kind]").select_option("timeDate")
    panel.locator("textarea[name=timer-expression]").fill("workdays_later(10)")
    panel.locator("textarea[name=timer-expression]").press("Tab")
    page.wait_for_selector("#timer-preview:has-text('距今 10 个工作日')")

    # A service task: the operator from the registry, a parameter added.
    page.click('g[data-element-id="note_approval"]')
    assert panel.locator("select[name=operator]").input_value() == "case.note"
    panel.locator("#add-param").click()  # the operator's next documented parameter: action
    panel.locator("tbody tr").nth(1).locator("input[aria-label='参数值（Python 表达式）']").fill('"审核"')
    panel.locator("tbody tr").nth(1).locator("input[aria-label='参数值（Python 表达式）']").press("Tab")

    # A gateway's flow: its condition.
    page.evaluate("() => { const m = window.socorgModeler; m.get('selection').select(m.get('elementRegistry').get('f_gateway_approved')); }")
    panel.locator("textarea[name=condition]").fill('decision == "approve" and amount < 100000')
    panel.locator("textarea[name=condition]").press("Tab")
    page.wait_for_selector("#lint-status:has-text('校验通过')")
    page.click("#deploy")
    page.wait_for_selector("#status:has-text('已部署为 v2')")
    assert page.evaluate("window.__csp") == []

    from workflow_app.definitions.models import ProcessDefinition

    session.expire_all()
    xml = session.query(ProcessDefinition).filter_by(key="sample_review", version=2).one().bpmn_xml
    assert "<bpmn:timeDate" in xml and "workdays_later(10)" in xml and "timeDuration" not in xml
    assert '<spiffworkflow:parameter id="action" type="str" value="&#34;审核&#34;"' in xml \
        or '<spiffworkflow:parameter id="action" type="str" value="&quot;审核&quot;"' in xml
    assert "amount &lt; 100000" in xml
    v2 = session.query(ProcessDefinition).filter_by(key="sample_review", version=2).one()
    assert v2.properties == {"startVariables": "title, amount", "escalationReminderBefore": "2wd",
                             "organizationBound": "true"}
    assert v2.task_meta["submit"]["lane"] == "window"

    page.goto(f"{live_server}/designer/sample_review/forms/review.json")
    page.wait_for_selector("#fd-preview [data-field=decision]")
    assert page.evaluate("window.__csp") == []


def test_the_form_designer_keeps_every_shipped_form_and_writes_if_then_rules(page, live_server, deployed_sample):
    from pathlib import Path

    log_in(page, live_server, "designer")
    page.goto(f"{live_server}/designer/sample_review/forms/sample_review_check.json")
    page.wait_for_selector("#fd-add-field")
    shipped = Path(__file__).resolve().parents[2] / "bpmn" / "forms"
    for path in sorted(shipped.glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        again = page.evaluate("s => socorgFormSchema.toSchema(socorgFormSchema.fromSchema(s))", schema)
        assert again == {"required": [], **schema}, path.name  # opened and saved unchanged

    page.fill("#fd-title", "实地核查")
    page.click("#fd-add-field")
    page.locator(".fd-field").nth(0).locator("input[name=name]").fill("site_check")
    page.locator(".fd-field").nth(0).locator("input[name=title]").fill("是否实地核查")
    page.locator(".fd-field").nth(0).locator("select[name=type]").select_option(label="是/否")
    page.click("#fd-add-field")
    page.locator(".fd-field").nth(1).locator("input[name=name]").fill("photos")
    page.locator(".fd-field").nth(1).locator("input[name=title]").fill("现场照片")
    page.locator(".fd-field").nth(1).locator("select[name=type]").select_option(label="附件")
    page.click("#fd-add-rule")
    page.locator("select[name=rule-field]").select_option("site_check")
    page.locator("select[name=rule-value]").select_option(label="是")
    page.locator(".fd-rule input[value=photos]").check()
    page.wait_for_selector("#fd-preview [data-attachments=photos]")
    schema = page.evaluate("socorgFormSchema.toSchema(window.socorgFormModel)")
    assert schema["properties"]["photos"] == {"type": "array", "items": {"type": "string", "format": "attachment"},
                                              "x-accept": [".pdf", ".jpg", ".png"], "maxItems": 10,
                                              "title": "现场照片"}
    assert schema["allOf"] == [{"if": {"properties": {"site_check": {"const": True}}, "required": ["site_check"]},
                                "then": {"required": ["photos"]}}]
    page.click("#fd-save")
    page.wait_for_url("**/edit?**")
    saved = page.evaluate("JSON.parse(localStorage.getItem('socorg-studio-draft:sample_review')).forms")
    assert saved["sample_review_check.json"]["allOf"] == schema["allOf"]


def test_pre_and_post_scripts_are_checked_live_and_removed_when_emptied(page, live_server, deployed_sample, session):
    from workflow_app.definitions.models import ProcessDefinition

    log_in(page, live_server, "designer")
    page.goto(f"{live_server}/designer/sample_review/edit")
    page.wait_for_selector("#status:has-text('已载入')")
    page.click('g[data-element-id="review"]')
    pre = page.locator("#properties textarea[name=preScript]")
    pre.fill("x = (")
    pre.press("Tab")
    page.wait_for_selector('g[data-element-id="review"].lint-error')
    assert "preScript 脚本无法编译" in page.locator("#properties .panel-problems").inner_text()
    pre = page.locator("#properties textarea[name=preScript]")
    pre.fill("")
    pre.press("Tab")
    page.wait_for_selector("#lint-status:has-text('校验通过')")
    post = page.locator("#properties textarea[name=postScript]")
    post.fill("reviewed_title = title")
    post.press("Tab")
    page.wait_for_selector("#lint-status:has-text('校验通过')")
    page.click("#deploy")
    page.wait_for_selector("#status:has-text('已部署为 v2')")
    session.expire_all()
    xml = session.query(ProcessDefinition).filter_by(key="sample_review", version=2).one().bpmn_xml
    assert "<spiffworkflow:postScript>reviewed_title = title</spiffworkflow:postScript>" in xml
    assert "preScript" not in xml


def test_every_shipped_process_opens_lints_clean_and_keeps_its_extensions(page, live_server):
    import re
    from collections import Counter

    from tests.processes.conftest import process_files
    from workflow_app.services import definition_service

    keys = ["registration", "major_event", "party_building", "zombie_cleanup", "annual_report"]
    files = process_files(*keys)
    definition_service().deploy(files, deployed_by="test")
    log_in(page, live_server, "designer")
    for key in keys:
        page.goto(f"{live_server}/designer/{key}/edit")
        page.wait_for_selector("#status:has-text('已载入')")
        page.wait_for_selector("#lint-status:has-text('校验通过')", timeout=20_000)
        saved = page.evaluate("() => window.socorgModeler.saveXML().then(r => r.xml)")
        tags = re.compile(r"<spiffworkflow:(\w+)")
        assert Counter(tags.findall(saved)) == Counter(tags.findall(files[f"{key}.bpmn"].decode())), key
