"""A designer edits a diagram in the bpmn-js modeler and deploys version 2, in a real browser."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.conftest import log_in

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules" / "bpmn-js" / "dist"


@pytest.fixture(autouse=True)
def _needs_bpmn_js():
    if not NODE_MODULES.is_dir():
        pytest.fail("bpmn-js is not installed: make install runs npm ci")


def test_designer_edits_a_label_and_deploys_version_2(page, live_server, deployed_sample, session):
    from workflow_app.definitions.models import ProcessDefinition

    log_in(page, live_server, "designer")
    page.goto(f"{live_server}/designer/sample_review/edit")
    page.wait_for_selector("#status:has-text('已载入')")
    page.dblclick('g[data-element-id="review"]')
    editor = page.locator(".djs-direct-editing-parent")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("复核申请")
    page.click("#canvas", position={"x": 20, "y": 20})
    page.wait_for_selector("#status:has-text('有未部署的修改')")
    page.click("#deploy")
    page.wait_for_selector("#status:has-text('已部署为 v2')")

    session.expire_all()
    latest = session.query(ProcessDefinition).filter_by(key="sample_review", version=2).one()
    assert 'name="复核申请"' in latest.bpmn_xml
    assert latest.deployed_by == "designer"


def test_invalid_edit_shows_problems_on_the_element_and_keeps_the_edit(page, live_server, deployed_sample):
    log_in(page, live_server, "designer")
    page.goto(f"{live_server}/designer/sample_review/edit")
    page.wait_for_selector("#status:has-text('已载入')")
    page.evaluate("""() => {
        const modeler = window.socorgModeler;
        const element = modeler.get('elementRegistry').get('classify');
        modeler.get('modeling').updateProperties(element, { script: 'x = __import__("os")' });
    }""")
    page.click("#deploy")
    page.wait_for_selector("#status:has-text('修改已保留')")
    assert "[classify]" in page.locator("#problems").inner_text()
    assert page.locator('g[data-element-id="classify"].lint-error').count() == 1
    xml = page.evaluate("() => window.socorgModeler.saveXML().then(r => r.xml)")
    assert "__import__" in xml


def test_the_modeler_speaks_chinese_palette_context_pad_and_problems(page, live_server, deployed_sample):
    log_in(page, live_server, "designer")
    page.goto(f"{live_server}/designer/sample_review/edit")
    page.wait_for_selector("#status:has-text('已载入')")
    titles = page.eval_on_selector_all(".djs-palette .entry",
                                       "es => es.map(e => e.getAttribute('aria-label') || e.title)")
    assert "创建开始事件" in titles and "创建任务" in titles and "抓手工具（拖动画布）" in titles
    assert not [t for t in titles if any(c.isascii() and c.isalpha() for c in t)], titles
    page.click('g[data-element-id="review"]')
    pad = page.eval_on_selector_all(".djs-context-pad .entry",
                                    "es => es.map(e => e.getAttribute('aria-label') || e.title)")
    assert "追加任务" in pad and "删除" in pad and "更改元素类型" in pad, pad
    # A lint problem is listed in Chinese (the JSON keeps the English message for developers).
    page.evaluate("""() => {
        const modeler = window.socorgModeler;
        const element = modeler.get('elementRegistry').get('classify');
        modeler.get('modeling').updateProperties(element, { script: 'x = (' });
    }""")
    page.click("#deploy")
    page.wait_for_selector("#status:has-text('修改已保留')")
    text = page.locator("#problems").inner_text()
    assert "脚本无法编译" in text and "does not compile" not in text
