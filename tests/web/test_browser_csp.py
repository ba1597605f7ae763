"""Under the real CSP, in a real browser: pages, the case diagram viewer and the modeler work and the
browser reports no CSP violation (every blocked inline style or script fires ``securitypolicyviolation``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.conftest import log_in

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules" / "bpmn-js" / "dist"

# Installed before any page script runs: keeps every violation the document reports.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


@pytest.fixture(autouse=True)
def _needs_bpmn_js():
    if not NODE_MODULES.is_dir():
        pytest.fail("bpmn-js is not installed: make install runs npm ci")


@pytest.fixture
def watched(page):
    """The page with violation and console watchers; yields a function returning what was reported so far."""
    console: list[str] = []
    page.add_init_script(WATCH)
    page.on("console", lambda message: console.append(message.text))

    def reported() -> list[str]:
        seen = list(page.evaluate("window.__csp || []"))
        return seen + [text for text in console if "Content Security Policy" in text]

    return reported


def test_the_watcher_sees_a_blocked_inline_style(page, live_server, watched):
    """Control: an inline style set through markup is refused and reported, so silence below means something."""
    page.goto(f"{live_server}/login")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    page.wait_for_function("window.__csp.length > 0")
    assert any("style-src" in v for v in watched())


def test_pages_and_the_case_diagram_report_no_csp_violation(page, live_server, deployed_sample, watched):
    from workflow_app.services import instance_service

    case = instance_service().start("sample_review", started_by="applicant").instance.id
    log_in(page, live_server, "applicant")
    for path in ["/", "/tasks", "/cases", "/cases/new", f"/cases/{case}"]:
        assert page.goto(f"{live_server}{path}").status == 200, path
        page.wait_for_load_state("networkidle")
    page.wait_for_selector("#diagram[data-ready=true]")
    page.mouse.move(300, 500)
    page.mouse.wheel(0, -200)  # zoom: the viewer moves its viewport through the DOM
    assert page.locator("#diagram svg").count() >= 1
    page.click(".bjs-powered-by")  # bpmn-js's own lightbox, built with styles
    page.wait_for_selector(".bjs-powered-by-lightbox")
    assert watched() == []


def test_dashboard_bars_and_admin_pages_report_no_csp_violation(page, live_server, deployed_sample, session,
                                                                 watched):
    from datetime import UTC, datetime

    from workflow_app.services import instance_service
    from workflow_app.tasks.models import HumanTask

    instance_service().start("sample_review", started_by="applicant")
    session.execute(HumanTask.__table__.update().values(due_at=datetime(2020, 1, 1, tzinfo=UTC)))
    session.commit()  # an overdue task: the dashboard draws its bars
    log_in(page, live_server, "admin")
    for path in ["/supervisor/alerts", "/admin/users", "/admin/calendar", "/designer", "/supervisor/dashboard"]:
        assert page.goto(f"{live_server}{path}").status == 200, path
        page.wait_for_load_state("networkidle")
    assert page.locator(".bar-fill").count() >= 1
    assert watched() == []


def test_the_modeler_edits_under_the_csp_without_violations(page, live_server, deployed_sample, watched):
    log_in(page, live_server, "designer")
    page.goto(f"{live_server}/designer/sample_review/edit")
    page.wait_for_selector("#status:has-text('已载入')")
    page.dblclick('g[data-element-id="review"]')  # direct editing: diagram-js positions its editor box
    page.locator(".djs-direct-editing-parent").click()
    page.keyboard.press("Control+A")
    page.keyboard.type("复核")
    page.click("#canvas", position={"x": 20, "y": 20})
    page.wait_for_selector("#status:has-text('有未部署的修改')")
    page.click('g[data-element-id="review"]')  # the context pad and its popup menu
    page.wait_for_selector(".djs-context-pad")
    assert watched() == []
