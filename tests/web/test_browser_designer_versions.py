"""The version diff in a real browser: the added task carries the 新增 marker on the new version's diagram."""

from __future__ import annotations

from tests.versions_support import sample_v2
from tests.web.conftest import log_in
from workflow_app.services import definition_service


def test_the_diff_page_marks_the_added_task_on_the_new_diagram(page, live_server, deployed_sample, sample_files):
    definition_service().deploy(sample_v2(sample_files), deployed_by="designer")
    log_in(page, live_server, "designer")
    page.goto(f"{live_server}/designer/sample_review/diff?from=1&to=2")
    page.wait_for_selector("#diagram-new[data-ready=true]")
    page.wait_for_selector("#diagram-old[data-ready=true]")
    assert page.locator('#diagram-new g[data-element-id="recheck"].diff-added').count() == 1
    assert page.locator('#diagram-old g[data-element-id="review"].diff-removed').count() == 1
    assert page.locator('#diagram-new g[data-element-id="submit"].diff-changed').count() == 1
    assert page.locator('#diagram-new g[data-element-id="classify"].diff-added').count() == 0
    assert "新增" in page.locator(".legend").inner_text()
