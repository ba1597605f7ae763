"""Pooled PostgreSQL connections: one that sat idle is checked before use; one in steady use is not,
and if the server dropped it, its request fails as an outage and the next one reconnects."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError

from workflow_app import db

POSTGRES_URL = os.environ.get("SOCORG_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="needs SOCORG_TEST_POSTGRES_URL")


@pytest.fixture
def engine():
    built = db.build_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    yield built
    built.dispose()


def backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT pg_backend_pid()"))


def kill(pid: int) -> None:
    """End a server process as a restart would, from outside the pool under test."""
    killer = db.build_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with killer.connect() as connection:
            assert connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        killer.dispose()


def statements_of(engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def test_a_connection_in_steady_use_is_not_pinged(engine):
    backend_pid(engine)
    seen = statements_of(engine)
    backend_pid(engine)
    assert seen == ["SELECT pg_backend_pid()"]  # no SELECT 1 before it


def test_an_idle_connection_the_server_dropped_is_replaced_unnoticed(engine, monkeypatch):
    pid = backend_pid(engine)
    kill(pid)  # the pool's one connection is now dead
    clock = db.monotonic() + db.IDLE_CHECK_SECONDS + 1
    monkeypatch.setattr(db, "monotonic", lambda: clock)
    assert backend_pid(engine) != pid  # the check found it dead and the pool connected anew


def test_a_busy_connection_the_server_dropped_fails_once_as_an_outage(engine):
    pid = backend_pid(engine)
    kill(pid)
    with pytest.raises(DBAPIError) as failed:
        backend_pid(engine)
    assert db.is_unreachable(failed.value)  # answered 503 with Retry-After by the app
    assert backend_pid(engine) != pid  # the next request reconnects
