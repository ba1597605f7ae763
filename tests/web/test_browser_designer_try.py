"""试运行 in a real browser: the path the draft took is marked on the diagram."""

from __future__ import annotations

import json

from tests.web.conftest import log_in


def test_the_trial_marks_the_path_taken_on_the_diagram(page, live_server, deployed_sample):
    log_in(page, live_server, "designer")
    page.goto(f"{live_server}/designer/sample_review/try")
    page.fill("textarea[name=samples]", json.dumps({"submit": {"title": "甲", "amount": 5}, "review": [None]}))
    page.click("#trial-form button[type=submit]")
    page.wait_for_selector("#diagram[data-ready=true]")
    assert page.locator("#trial-result").get_attribute("data-status") == "completed"
    for element in ("submit", "classify", "end_timed_out"):
        assert page.locator(f'g[data-element-id="{element}"].step-completed').count() == 1, element
    assert page.locator('g[data-element-id="note_approval"].step-completed').count() == 0
    assert "时钟拨到" in page.locator("#trial-steps").inner_text()


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
