"""The login journey in a real browser."""

from __future__ import annotations

from tests.web.conftest import log_in


def test_caseworker_logs_in_and_sees_name_role_and_region(page, live_server):
    log_in(page, live_server, "window_cc")
    header = page.locator("header .whoami").inner_text()
    assert "长春市" in header and "经办人" in header
    assert page.url.rstrip("/") == live_server


def test_wrong_password_keeps_the_username_and_says_why(page, live_server):
    log_in(page, live_server, "window_cc", "not-the-password")
    assert "用户名或密码错误" in page.locator(".flash.error").inner_text()
    assert page.input_value("input[name=username]") == "window_cc"


def test_logout_returns_to_the_login_page(page, live_server):
    log_in(page, live_server, "window_cc")
    page.click("header button:has-text('退出')")
    page.wait_for_load_state("networkidle")
    assert "/login" in page.url
    page.goto(f"{live_server}/")
    assert "/login" in page.url
