"""Shared fixtures: an app on a migrated database (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from workflow_app import create_app, db, migrations
from workflow_app.models import Base

DATA = Path(__file__).parent / "data"
POSTGRES_URL = os.environ.get("SOCORG_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets a copy (migrating per test would dominate the run)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = db.build_engine(f"sqlite:///{path}")
    migrations.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A throwaway PostgreSQL database for this test run, migrated once, dropped at the end."""
    assert POSTGRES_URL
    admin_url = make_url(POSTGRES_URL)
    name = f"socorg_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    engine = db.build_engine(url)
    migrations.upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A clean, migrated database for one test."""
    if request.param == "sqlite":
        path = tmp_path / "socorg.sqlite3"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_database")
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        # A session a test forgot to close would hold a lock and hang this TRUNCATE: end such
        # connections, and fail fast rather than wait if something still holds a lock.
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        conn.execute(text("SET LOCAL lock_timeout = '20s'"))
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app on a clean database, inside an app context."""
    app = create_app({
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "TESTING": True,
        "SCRIPT_TIME_LIMIT": 2.0,  # the production default: a tighter bound flakes on a loaded machine
        "FILE_STORE": str(tmp_path / "files"),  # attachments of this test only, never the repository's instance/
    })
    with app.app_context():
        yield app
    db_engine = app.extensions["socorg.db"]
    db_engine.dispose()


@pytest.fixture
def session(app: Flask) -> Session:
    """The app context's database session."""
    return db.session()


@pytest.fixture
def new_session(app: Flask) -> Iterator[callable]:
    """Open extra, independent sessions (another request, another server) on the same database."""
    opened: list[Session] = []

    def factory() -> Session:
        sess = app.extensions["socorg.sessionmaker"]()
        opened.append(sess)
        return sess

    yield factory
    for sess in opened:
        sess.close()


def read_bundle(folder: Path) -> dict[str, bytes]:
    """The deployable files of a test data folder, keyed as a deploy expects."""
    from workflow_app.definitions.service import collect_files

    return collect_files([folder])


@pytest.fixture
def sample_files() -> dict[str, bytes]:
    """The sample review process (BPMN + forms)."""
    return read_bundle(DATA / "sample")


@pytest.fixture
def deployed_sample(app: Flask, sample_files: dict[str, bytes]) -> str:
    """Deploy the sample process; return its key."""
    from workflow_app.services import definition_service

    [result] = definition_service().deploy(sample_files, deployed_by="test")
    return result.key


def scripted_bundle(script: str, operator: str = "case.note") -> dict[str, bytes]:
    """The one-script test process with ``script`` in its script task and ``operator`` in its service task."""
    from xml.sax.saxutils import escape

    files = read_bundle(DATA / "scripted")
    xml = files["scripted.bpmn"].decode()
    files["scripted.bpmn"] = xml.replace("SCRIPT_BODY", escape(script)).replace("OPERATOR", operator).encode()
    return files


@pytest.fixture
def deploy_scripted(app: Flask) -> callable:
    """Deploy the scripted test process with a given script (and operator); return its key."""
    from workflow_app.services import definition_service

    def deploy(script: str, operator: str = "case.note") -> str:
        [result] = definition_service().deploy(scripted_bundle(script, operator), deployed_by="test")
        return result.key

    return deploy


@pytest.fixture
def flaky_handler() -> Iterator[dict]:
    """The service-task operator ``test.flaky``: fails until told to work (a registry service that is down,
    then back); ``state["calls"]`` counts its calls."""
    import handlers

    state = {"up": False, "calls": 0}

    def handler(context, params):
        state["calls"] += 1
        if not state["up"]:
            raise ConnectionError("registry service unavailable")
        return {"ok": True}

    handlers.registry._handlers["test.flaky"] = handler
    yield state
    handlers.registry._handlers.pop("test.flaky", None)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Production hashing costs ~0.2 s a password; tests use a cheap method."""
    from workflow_app.directory import passwords

    previous = passwords.set_hash_method("pbkdf2:sha256:1000")
    yield
    passwords.set_hash_method(previous)


@pytest.fixture
def demo(app: Flask, session: Session) -> None:
    """The demo regions, groups and users, with a small registry."""
    from workflow_app.demo import load_demo

    load_demo(session, organizations=40)


@pytest.fixture
def client(app: Flask):
    """A test client of the app."""
    return app.test_client()


@pytest.fixture
def auth(app: Flask, demo: None, client) -> callable:
    """Log in as a demo user; return the Authorization header for them (cached per test)."""
    cache: dict[str, dict[str, str]] = {}

    def headers(username: str) -> dict[str, str]:
        if username not in cache:
            response = client.post("/api/v1/auth/token", json={"username": username, "password": "demo12345"})
            assert response.status_code == 200, response.get_json()
            cache[username] = {"Authorization": f"Bearer {response.get_json()['token']}"}
        return cache[username]

    return headers


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own app context, as in production (fresh g and session)."""

    def open(self, *args, **kwargs):  # noqa: D102 - same contract as FlaskClient.open
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def web(app: Flask, demo: None) -> FlaskClient:
    """A browser-like client of the UI: CSRF on, one app context per request."""
    app.config["WTF_CSRF_ENABLED"] = True
    app.test_client_class = IsolatedClient
    try:
        return app.test_client()
    finally:
        app.test_client_class = FlaskClient
