"""The DMN editor in a real browser: dmn-js shows the table; a failing row test refuses the deploy on the page."""

from __future__ import annotations

import json

from tests.web.conftest import log_in
from tests.web.test_designer_dmn import deployed_dmn  # noqa: F401 - the fixture


def test_the_dmn_editor_shows_the_table_and_refuses_a_failing_row_test(page, live_server, deployed_dmn,  # noqa: F811
                                                                      session):
    from workflow_app.definitions.models import ProcessDefinition

    log_in(page, live_server, "designer")
    page.goto(f"{live_server}/designer/isolation_dmn/dmn/classify.dmn")
    page.wait_for_selector("#dmn-canvas[data-ready=true]")
    assert page.locator("#dmn-canvas .tjs-table").count() == 1  # the decision table view, not the DRD
    assert "命中策略" in page.locator("#dmn-canvas").inner_text()  # dmn-js speaks Chinese
    assert "首个命中" in page.locator("#dmn-canvas .hit-policy").inner_text()
    rows = [{"name": "中等数量", "inputs": {"n": 12}, "expected": {"size": "small"}}]
    page.fill("#row-tests", json.dumps(rows, ensure_ascii=False))
    page.click("#deploy")
    page.wait_for_selector("#status:has-text('未部署')")
    assert "第 1 条行测试（中等数量）未通过" in page.locator("#problems").inner_text()
    session.rollback()
    assert session.query(ProcessDefinition).count() == 1

    page.fill("#row-tests", json.dumps([{**rows[0], "expected": {"size": "big"}}], ensure_ascii=False))
    page.click("#check")
    page.wait_for_selector("#status:has-text('全部通过')")
    page.click("#deploy")
    page.wait_for_selector("#status:has-text('已部署为 v2')")
