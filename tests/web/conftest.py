"""Real-browser fixtures: the app served on a loopback port, driven by Playwright in Debian's chromium."""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.tasks.conftest import approval, flow  # noqa: F401 - fixtures, registered by import

CHROMIUM = os.environ.get("SOCORG_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
# As root, headless, and with a closed network: no sandbox, no background connections.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless chromium for the run (CI installs it; a developer without it skips these tests)."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def live_server(app: Flask, demo: None, database_url: str) -> Iterator[str]:
    """The app served by a real threaded WSGI server on a free loopback port; yields its base URL."""
    if not database_url.startswith("sqlite"):
        pytest.skip("browser journeys run on SQLite (the services are tested on PostgreSQL elsewhere)")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def page(browser, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh browser page (own cookies) in Chinese; a screenshot is saved when the test ends."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    try:
        tab.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    finally:
        context.close()


def log_in(page, base_url: str, username: str, password: str = "demo12345") -> None:
    """Log in through the form like a person would."""
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.fixture
def far_overdue(request: pytest.FixtureRequest, session) -> list:
    """Two 长春市 审核 tasks a month past due, found by one scan: 超期预警 and 超期上报 raised together."""
    from datetime import timedelta

    from workflow_app.alerts.service import EscalationService

    cases = request.getfixturevalue("flow")
    tasks = [cases.to("review")[1] for _ in range(2)]
    EscalationService(session).scan(max(t.due_at for t in tasks) + timedelta(days=30))
    session.commit()
    return tasks
