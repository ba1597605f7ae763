"""A database locked past its busy timeout is a 503 with Retry-After (API) or a Chinese page (web), not a 500.

The lock is real: a second SQLite connection holds ``BEGIN IMMEDIATE`` on the test's own file
while a request tries to write; the app's busy timeout is cut to 0.2 s for these tests.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.exc import OperationalError

from tests.conftest import DATA, read_bundle
from tests.tasks.conftest import Flow
from tests.web.support import Pages, text
from workflow_app import create_app
from workflow_app.api.errors import is_database_busy
from workflow_app.services import definition_service

INSTANCES = "/api/v1/process-instances"


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    """The app with a 0.2 s SQLite busy timeout (SQLite only: the lock below is SQLite's)."""
    if not database_url.startswith("sqlite"):
        pytest.skip("the held write lock is SQLite's; PostgreSQL's lock_not_available maps the same way")
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test-secret", "TESTING": True,
                      "SQLITE_BUSY_TIMEOUT": 0.2})
    with app.app_context():
        yield app
    app.extensions["socorg.db"].dispose()


@contextmanager
def write_lock(database_url: str) -> Iterator[None]:
    """Another process's writer: hold SQLite's write lock on the database file for the block."""
    other = sqlite3.connect(Path(database_url.removeprefix("sqlite:///")), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_a_write_while_another_writer_holds_the_lock_is_503_with_retry_after(
        client, auth, session, deployed_sample, database_url):
    headers = auth("window_cc")  # logging in writes too: before the lock
    with write_lock(database_url):
        response = client.post(INSTANCES, json={"process_key": deployed_sample}, headers=headers)
        assert response.status_code == 503, response.get_data(as_text=True)
        assert response.headers["Retry-After"] == "1"
        error = response.get_json()["error"]
        assert error["code"] == "database_busy" and "稍后重试" in error["message"]
        # Reads are not blocked by a writer (WAL): the API keeps answering them.
        assert client.get(INSTANCES, headers=headers).status_code == 200
    retried = client.post(INSTANCES, json={"process_key": deployed_sample}, headers=headers)
    assert retried.status_code == 201, retried.get_json()


def test_a_page_post_while_the_database_is_locked_shows_a_chinese_busy_page(web, session, database_url):
    definition_service().deploy(read_bundle(DATA / "approval"), deployed_by="test")
    _case, accept = Flow(session).to("accept")
    window = Pages(web, "window_cc")
    with write_lock(database_url):
        response = window.post(f"/tasks/{accept.id}/claim")
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "1"
        assert "系统繁忙，请稍后重试" in text(response)
    assert window.post(f"/tasks/{accept.id}/claim").status_code == 302


def test_only_lock_errors_count_as_busy():
    def error(message: str, sqlstate: str | None = None) -> OperationalError:
        orig = sqlite3.OperationalError(message)
        if sqlstate:
            orig.sqlstate = sqlstate
        return OperationalError("UPDATE t SET x = 1", {}, orig)

    assert is_database_busy(error("database is locked"))
    assert is_database_busy(error("canceling statement due to lock timeout", "55P03"))
    assert is_database_busy(error("deadlock detected", "40P01"))
    assert not is_database_busy(error("no such table: human_tasks"))
    assert not is_database_busy(error("disk I/O error"))
