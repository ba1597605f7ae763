"""The pages a caseworker and a supervisor use on the road, at a phone's 390 × 844: the header folds into a
菜单 button, the inbox is a list of cards, the task form is one column, and no page is wider than the
screen. Screenshots go to test-output/screenshots/phone_*.png."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.web.conftest import SCREENSHOTS, log_in
from tests.web.support import deploy_registration, registration_at_accept

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser) -> Iterator[object]:
    """A browser tab the size of a phone, touch enabled, in Chinese."""
    context = browser.new_context(locale="zh-CN", viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def shot(tab, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / f"phone_{name}.png"), full_page=True)


def fits(tab) -> None:
    """Nothing on the page is wider than the phone's screen (no sideways scrolling)."""
    width = tab.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{tab.url} is {width}px wide"


def test_inbox_task_and_case_pages_work_on_a_phone(live_server, phone, app):
    with app.app_context():
        deploy_registration()
        case_id, task_id = registration_at_accept()
    log_in(phone, live_server, "window_cc")

    phone.goto(f"{live_server}/tasks")
    assert not phone.locator("#mainnav").is_visible()
    fits(phone)
    row = phone.locator(f"tr[data-task='{task_id}']")
    assert row.evaluate("r => getComputedStyle(r).display") == "block"  # a card, not a table row
    assert not phone.locator("#tasks thead").is_visible()
    shot(phone, "inbox")

    phone.click("button.menu-toggle")
    assert phone.locator("#mainnav").is_visible()
    assert phone.locator("button.menu-toggle").get_attribute("aria-expanded") == "true"
    shot(phone, "menu")
    phone.click("#mainnav a:has-text('我的任务')")
    phone.wait_for_load_state("networkidle")

    row = phone.locator(f"tr[data-task='{task_id}']")
    row.locator("a").first.click()
    phone.wait_for_load_state("networkidle")
    assert "/tasks/" in phone.url
    fits(phone)
    fields = phone.locator(".task-form .form-grid .field:visible")  # conditional fields may be hidden
    assert fields.count() >= 2
    lefts = {round(fields.nth(n).bounding_box()["x"]) for n in range(min(fields.count(), 4))}
    assert len(lefts) == 1, lefts  # one column: every field starts at the same left edge
    shot(phone, "task")

    phone.goto(f"{live_server}/cases/{case_id}")
    phone.wait_for_load_state("networkidle")
    fits(phone)
    shot(phone, "case")


def test_alerts_and_case_search_fit_a_phone(live_server, phone, app):
    with app.app_context():
        deploy_registration()
        registration_at_accept()
    log_in(phone, live_server, "supervisor_cc")
    for path, name in (("/supervisor/alerts", "alerts"), ("/cases", "cases"), ("/", "home")):
        phone.goto(f"{live_server}{path}")
        phone.wait_for_load_state("networkidle")
        fits(phone)
        shot(phone, name)
