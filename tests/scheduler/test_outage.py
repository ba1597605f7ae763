"""A database outage is survived in good order: a real closed port, real `tick` and `scheduler run` processes."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from flask import Flask

from scheduler import jobs, runner
from tests.notifications.support import free_port
from workflow_app import create_app, db

ROOT = Path(__file__).resolve().parents[2]
SOCORG = [sys.executable, "-m", "workflow_app.cli"]


@pytest.fixture
def closed_url() -> str:
    """A PostgreSQL URL on a local port nothing listens on."""
    return f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/socorg"


@pytest.fixture
def down_app(closed_url: str, tmp_path: Path) -> Flask:
    """The app configured against the closed port."""
    app = create_app({"DATABASE_URL": closed_url, "SECRET_KEY": "test", "TESTING": True,
                      "FILE_STORE": str(tmp_path / "files")})
    yield app
    app.extensions["socorg.db"].dispose()


def _env(url: str, **extra: str) -> dict[str, str]:
    return dict(os.environ, SOCORG_DATABASE_URL=url, SOCORG_SECRET_KEY="test", **extra)


def test_tick_against_an_unreachable_database_returns_nonzero_at_once(closed_url):
    started = time.monotonic()
    proc = subprocess.run([*SOCORG, "tick"], env=_env(closed_url), cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert time.monotonic() - started < 30
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "数据库无法连接" in proc.stderr and "database unreachable" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.splitlines()) <= 3


def test_scheduler_run_logs_one_line_per_outage_and_stops_promptly_on_sigterm(closed_url):
    proc = subprocess.Popen([*SOCORG, "scheduler", "run"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            env=_env(closed_url, SOCORG_SCHEDULER_INTERVAL_SECONDS="1"))
    try:
        time.sleep(6)  # a few job intervals while the database stays down
        proc.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        out, _ = proc.communicate(timeout=20)
        stopped_in = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert stopped_in < 8, out
    assert out.count("database unreachable") == 1, out
    assert "Traceback" not in out
    ours = [line for line in out.splitlines() if "apscheduler" not in line]
    assert len(ours) <= 6, out
    assert "scheduler stopped" in out


def test_fire_due_timers_gives_up_its_pass_instead_of_spinning(down_app):
    raised: list[BaseException] = []

    def run() -> None:
        try:
            jobs.fire_due_timers(down_app)
        except Exception as exc:
            raised.append(exc)

    worker = threading.Thread(target=run, daemon=True)  # the old loop spun forever: never join it blind
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "fire_due_timers kept retrying against the unreachable database"
    [exc] = raised
    assert db.is_unreachable(exc)
    with pytest.raises(jobs.DatabaseUnreachable):
        jobs.run_all(down_app)


def test_outage_backs_off_and_logs_its_start_and_end_once(down_app, caplog):
    outage = runner.Outage(max_backoff=60)
    with caplog.at_level(logging.INFO, logger="scheduler.runner"):
        runner._logged("fire_due_timers", down_app, outage)
        assert outage.since is not None
        runner._logged("fire_due_timers", down_app, outage)  # within the back-off: skipped, silent
        outage._retry_at = 0  # back-off over: tries again, fails again, stays silent
        runner._logged("fire_due_timers", down_app, outage)
        outage.succeeded()
    lines = [r.getMessage() for r in caplog.records]
    assert sum("database unreachable" in line for line in lines) == 1
    assert sum("reachable again" in line for line in lines) == 1
    assert not any(r.exc_info for r in caplog.records)


def test_requests_answer_503_with_retry_after_while_the_database_is_unreachable(down_app):
    client = down_app.test_client()
    health = client.get("/api/v1/health")
    assert health.status_code == 503
    assert health.headers["Retry-After"] == "10"
    assert health.get_json()["error"]["code"] == "database_unavailable"
    login = client.post("/api/v1/auth/token", json={"username": "x", "password": "y"})
    assert login.status_code == 503 and "Retry-After" in login.headers
    from tests.web.test_session import login

    page = login(client, "window_cc")  # the login form reads the users table
    assert page.status_code == 503 and page.headers["Retry-After"] == "10"
    assert "系统暂时不可用" in page.get_data(as_text=True)


def test_a_sqlite_file_that_cannot_be_opened_is_unreachable_too(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/x.sqlite3", "SECRET_KEY": "test",
                      "TESTING": True, "FILE_STORE": str(tmp_path / "files")})
    response = app.test_client().get("/api/v1/health")
    assert response.status_code == 503 and response.headers["Retry-After"]


def test_a_query_error_is_not_an_outage(app, session):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError) as caught:
        session.execute(text("SELECT * FROM no_such_table"))
    session.rollback()
    assert not db.is_unreachable(caught.value)
