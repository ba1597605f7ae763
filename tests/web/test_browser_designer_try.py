"""试运行 in a real browser: the path the draft took is marked on the diagram."""

from __future__ import annotations

import json

from tests.web.conftest import log_in


def test_a_trial_driven_from_the_task_forms_marks_its_path(page, live_server, deployed_sample):
    log_in(page, live_server, "designer")
    page.goto(f"{live_server}/designer/sample_review/try")
    submit = page.locator("details.trial-task[data-task=submit]")
    assert "填写申请" in submit.locator("summary").inner_text()  # the task's Chinese name
    assert submit.locator("input[name='sample-submit.amount']").input_value() != ""  # prefilled with defaults
    submit.locator("input[name='sample-submit.title']").fill("甲")
    submit.locator("input[name='sample-submit.amount']").fill("5")
    review = page.locator("details.trial-task[data-task=review]")
    review.locator("summary").click()
    assert review.locator("input[name='sample-review.decision']").count() == 2  # the real form: its radios
    review.locator("input[name=leave-open]").check()
    page.click("#trial-form button[type=submit]")
    page.wait_for_selector("#diagram[data-ready=true]")
    assert page.locator("#trial-result").get_attribute("data-status") == "completed"
    for element in ("submit", "classify", "end_timed_out"):
        assert page.locator(f'g[data-element-id="{element}"].step-completed').count() == 1, element
    assert page.locator('g[data-element-id="note_approval"].step-completed').count() == 0
    steps = page.locator("#trial-steps").inner_text()
    assert "时钟拨到" in steps and '"amount": 5' in steps and '"title": "甲"' in steps
    assert page.locator("input[name='sample-submit.title']").input_value() == "甲"  # kept for the next try
    assert page.locator("details.trial-task[data-task=review] input[name=leave-open]").is_checked()


def test_the_json_fallback_still_drives_a_trial(page, live_server, deployed_sample):
    log_in(page, live_server, "designer")
    page.goto(f"{live_server}/designer/sample_review/try")
    page.click("#trial-json summary")
    page.check("input[name=use_json]")
    page.fill("textarea[name=samples]", json.dumps({"submit": {"title": "甲", "amount": 5}, "review": [None]}))
    page.click("#trial-form button[type=submit]")
    page.wait_for_selector("#diagram[data-ready=true]")
    assert page.locator("#trial-result").get_attribute("data-status") == "completed"
    assert page.locator('g[data-element-id="end_timed_out"].step-completed').count() == 1


def test_the_modeler_sends_its_unsaved_draft_to_the_trial(page, live_server, deployed_sample):
    log_in(page, live_server, "designer")
    page.goto(f"{live_server}/designer/sample_review/edit")
    page.wait_for_selector("#status:has-text('已载入')")
    page.evaluate("""() => {
        const modeler = window.socorgModeler;
        const element = modeler.get('elementRegistry').get('review');
        modeler.get('modeling').updateLabel(element, '草稿复核');
    }""")
    with page.context.expect_page() as opened:
        page.click("#try-draft button")
    trial = opened.value
    trial.wait_for_selector("#diagram[data-ready=true]")
    assert "草稿（基于 v1）" in trial.locator("h1").inner_text()
    assert "草稿复核（review）" in trial.locator("#trial-steps").inner_text()
    assert trial.locator('g[data-element-id="review"].step-completed').count() == 1
