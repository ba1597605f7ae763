"""Importing the State Council's holiday notice on the admin calendar page, in a real browser."""

from __future__ import annotations

from pathlib import Path

from tests.web.conftest import log_in

NOTICE_2026 = Path(__file__).resolve().parents[1] / "data" / "calendar" / "notice_2026.txt"


def test_admin_pastes_a_notice_checks_the_preview_and_confirms(page, live_server):
    log_in(page, live_server, "admin")
    page.goto(f"{live_server}/admin/calendar/2026")
    page.fill("#notice-import textarea[name=notice]", NOTICE_2026.read_text(encoding="utf-8"))
    page.click("#notice-import button")
    preview = page.locator("#notice-preview").inner_text()
    assert "33 天放假、6 天调休上班" in preview and "2026-02-28" in preview
    page.click("#confirm-notice")
    assert "已按通知保存" in page.locator(".flash.success").inner_text()
    assert "/admin/calendar/2026" in page.url


def test_a_bad_notice_shows_the_line_and_keeps_the_text(page, live_server):
    log_in(page, live_server, "admin")
    page.goto(f"{live_server}/admin/calendar/2026")
    text = NOTICE_2026.read_text(encoding="utf-8").replace("共9天", "共10天")
    page.fill("#notice-import textarea[name=notice]", text)
    page.click("#notice-import button")
    assert "第 6 行" in page.locator(".flash.error").first.inner_text()
    assert "共10天" in page.input_value("#notice-import textarea[name=notice]")
