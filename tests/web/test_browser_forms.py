"""In a real browser: a refused submit lands on a GET page (a reload re-posts nothing), leaving a
half-filled task form asks first, and every page has a favicon."""

from __future__ import annotations

from tests.web.conftest import log_in
from tests.web.support import deploy_registration, registration_at_accept


def test_a_refused_submit_reloads_as_a_get_and_leaving_a_typed_form_asks(page, live_server, app):
    deploy_registration()
    _case, task_id = registration_at_accept()
    log_in(page, live_server, "window_cc")
    page.goto(f"{live_server}/tasks/{task_id}")
    assert page.evaluate("() => window.socorgFormGuard.isDirty()") is False
    page.check("input[name=decision][value=accept]")
    page.click("#submit-task")
    page.wait_for_selector(".form-errors")
    assert page.url == f"{live_server}/tasks/{task_id}"  # redirected: the address is the task page
    page.reload()  # a GET: no "resend the form?" and no Method Not Allowed
    assert "不支持此操作" not in page.content() and page.locator("#submit-task").count() == 1

    page.fill("#f-opinion", "材料齐全")
    assert page.evaluate("() => window.socorgFormGuard.isDirty()") is True
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.close(run_before_unload=True)
    page.wait_for_timeout(500)
    assert asked == ["beforeunload"]


def test_pages_link_a_favicon_that_is_served(page, live_server):
    log_in(page, live_server, "window_cc")
    href = page.get_attribute("link[rel=icon]", "href")
    response = page.request.get(f"{live_server}{href}")
    assert response.status == 200 and "svg" in response.headers["content-type"]
