"""The DMN editor in a real browser: dmn-js shows the table; row tests are written in a table whose columns
are the decision table's own, and a failing row refuses the deploy, marked on its row."""

from __future__ import annotations

import pytest

from tests.web.conftest import log_in
from tests.web.test_designer_dmn import deployed_dmn  # noqa: F401 - the fixture


def open_editor(page, live_server) -> None:
    log_in(page, live_server, "designer")
    page.goto(f"{live_server}/designer/isolation_dmn/dmn/classify.dmn")
    page.wait_for_selector("#dmn-canvas[data-ready=true]")


def add_row(page, name: str, n: str, size: str) -> None:
    page.click("#add-row-test")
    row = page.locator("#row-tests-table tbody tr").last
    row.locator("input[aria-label='测试名称']").fill(name)
    row.locator("input[aria-label='输入：数量']").fill(n)
    row.locator("input[aria-label='期望：规模']").fill(size)


def test_the_dmn_editor_shows_the_table_and_refuses_a_failing_row_test(page, live_server, deployed_dmn,  # noqa: F811
                                                                      session):
    from workflow_app.definitions.models import ProcessDefinition

    open_editor(page, live_server)
    assert page.locator("#dmn-canvas .tjs-table").count() == 1  # the decision table view, not the DRD
    assert "命中策略" in page.locator("#dmn-canvas").inner_text()  # dmn-js speaks Chinese
    assert "首个命中" in page.locator("#dmn-canvas .hit-policy").inner_text()
    headers = page.locator("#row-tests-table thead").inner_text()
    assert "数量" in headers and "期望：规模" in headers  # the table's own labels
    add_row(page, "中等数量", "12", "small")
    page.click("#deploy")
    page.wait_for_selector("#status:has-text('未部署')")
    assert "第 1 条行测试（中等数量）未通过" in page.locator("#problems").inner_text()
    result = page.locator("#row-tests-table tbody tr").first.locator(".row-result").inner_text()
    assert result.startswith("未通过") and "期望" in result and "实际" in result and '"big"' in result
    session.rollback()
    assert session.query(ProcessDefinition).count() == 1

    page.locator("#row-tests-table input[aria-label='期望：规模']").fill("big")
    add_row(page, "小数量", "3", "small")
    page.click("#check")
    page.wait_for_selector("#status:has-text('全部通过')")
    assert page.locator("#row-tests-table .row-result.passed").count() == 2
    page.click("#deploy")
    page.wait_for_selector("#status:has-text('已部署为 v2')")
    session.rollback()
    v2 = session.query(ProcessDefinition).filter_by(version=2).one()
    assert '"n": 12' in v2.files["dmn-tests/classify.dmn.json"] and '"size": "small"' in v2.files[
        "dmn-tests/classify.dmn.json"]


def test_a_value_that_does_not_fit_its_column_is_named_in_chinese(page, live_server, deployed_dmn):  # noqa: F811
    open_editor(page, live_server)
    add_row(page, "写错", "十二", "big")
    page.click("#check")
    page.wait_for_selector("#status:has-text('标红')")
    assert "第 1 行「输入：数量」：「十二」不是数字" in page.locator("#row-tests-errors").inner_text()
    assert page.locator("#row-tests-table input[aria-invalid=true]").count() == 1


@pytest.mark.parametrize(("text", "type_ref", "expected"), [
    ("12", "number", {"value": 12}), (" 1,200.5 ", "number", {"value": 1200.5}), ("-3", "integer", {"value": -3}),
    ("abc", "number", {"error": "「abc」不是数字"}), ("1.5", "integer", {"error": "「1.5」不是整数"}),
    ("是", "boolean", {"value": True}), ("false", "boolean", {"value": False}),
    ("也许", "boolean", {"error": "「也许」不是“是”或“否”"}), ("big", "string", {"value": "big"}),
    ('"big"', "string", {"value": "big"}), ("12", "string", {"value": "12"}), ("  ", "number", {"empty": True}),
    ("x", None, {"value": "x"}),
])
def test_typed_text_is_converted_by_the_column_type(page, live_server, text, type_ref, expected):
    page.goto(f"{live_server}/static/js/dmn-row-tests.js")  # a page of our origin; the script runs on it
    page.set_content("<html><body></body></html>")
    page.add_script_tag(url=f"{live_server}/static/js/dmn-row-tests.js")
    assert page.evaluate("([t, r]) => window.socorgRowTests.convert(t, r)", [text, type_ref]) == expected


# The editor's own words: its visible text and tooltips, minus what the designer wrote (the rule cells and
# every editable field: labels, expressions, names) and the bpmn.io logo dmn-js must show.
_EDITOR_WORDS = """() => {
  const own = el => el.closest('td.cell, [contenteditable], input, textarea, .bjs-powered-by');
  const inEditor = el => el.closest('#dmn-canvas, .context-menu, .dms-select-options');
  const found = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const el = walk.currentNode.parentElement;
    if (el && inEditor(el) && !own(el) && el.getClientRects().length) { found.push(walk.currentNode.textContent); }
  }
  document.querySelectorAll('[title], [aria-label], [placeholder]').forEach(el => {
    if (!inEditor(el) || own(el) && !el.matches('[contenteditable], input')) { return; }
    ['title', 'aria-label', 'placeholder'].forEach(a => { if (el.getAttribute(a)) { found.push(el.getAttribute(a)); } });
  });
  return found.join(' ');
}"""


def english_in_editor(page) -> set[str]:
    import re

    return set(re.findall(r"[A-Za-z]{2,}", page.evaluate(_EDITOR_WORDS))) - {"FEEL", "DMN"}


def test_the_dmn_editor_shows_no_english_of_its_own(page, live_server, deployed_dmn):  # noqa: F811
    open_editor(page, live_server)
    seen = {"table": english_in_editor(page)}
    assert "数值" in page.locator("#dmn-canvas th.input-cell").inner_text()  # the type, not "number"
    opening = {"input": lambda: page.locator("#dmn-canvas th.input-cell .input-label").dblclick(),
               "output": lambda: page.locator("#dmn-canvas th.output-cell .output-label").dblclick(),
               "hit policy": lambda: page.click("#dmn-canvas .hit-policy .dms-input"),
               "rule menu": lambda: page.click("#dmn-canvas td.cell.input-cell >> nth=0", button="right"),
               "cell": lambda: page.click("#dmn-canvas td.cell.output-cell >> nth=0")}
    for what, open_it in opening.items():
        open_it()
        page.wait_for_timeout(200)
        if what in ("input", "output"):
            assert page.locator(".context-menu").count() == 1, what  # the popup did open
            box = page.locator(".context-menu .type-ref-edit-select")  # shows the type's Chinese name
            assert box.get_attribute("data-zh") == ("数值" if what == "input" else "字符串")
            assert box.locator("input").evaluate("e => getComputedStyle(e).color") == "rgba(0, 0, 0, 0)"
            page.click(".context-menu .type-ref-edit-select .dms-input")  # and its type list
            page.wait_for_timeout(200)
            assert "字符串" in page.locator(".dms-select-options").inner_text()
        seen[what] = english_in_editor(page)
        page.keyboard.press("Escape")
        page.mouse.click(5, 5)
    assert not any(seen.values()), seen
