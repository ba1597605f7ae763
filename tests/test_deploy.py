"""Production start: the configuration checks, and the deploy/ units started for real against PostgreSQL."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.notifications.support import free_port
from workflow_app import db, migrations
from workflow_app.config import production_problems

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SOCORG = [sys.executable, "-m", "workflow_app.cli"]
LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
GOOD_SECRET = "9f" * 32


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCORG_")}
    env.update(values)
    return env


def test_production_refuses_the_generated_secret_and_a_weak_one():
    assert production_problems({"SECRET_KEY": "x" * 64, "SECRET_KEY_GENERATED": True, "DATABASE_URL": "postgresql://"})
    assert production_problems({"SECRET_KEY": "test", "DATABASE_URL": "postgresql://"})
    assert production_problems({"SECRET_KEY": GOOD_SECRET, "DATABASE_URL": "postgresql://"}) == []
    assert production_problems({"SECRET_KEY": "test", "TESTING": True, "DATABASE_URL": "sqlite://"}) == []


def test_production_refuses_sqlite_with_several_workers_unless_allowed():
    config = {"SECRET_KEY": GOOD_SECRET, "DATABASE_URL": "sqlite:///x.sqlite3"}
    assert production_problems(config, workers=1) == []
    [problem] = production_problems(config, workers=4)
    assert "PostgreSQL" in problem and "SOCORG_ALLOW_SQLITE=1" in problem
    assert production_problems({**config, "ALLOW_SQLITE": True}, workers=4) == []


def test_serve_refuses_to_start_without_a_secret_key_saying_what_to_set(tmp_path):
    proc = subprocess.run([*SOCORG, "serve", "--workers", "1"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env=_env(SOCORG_DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "SOCORG_SECRET_KEY" in proc.stderr and "token_hex" in proc.stderr


def test_serve_refuses_sqlite_with_several_workers(tmp_path):
    proc = subprocess.run([*SOCORG, "serve", "--workers", "3", "--check"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env=_env(SOCORG_DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3",
                                               SOCORG_SECRET_KEY=GOOD_SECRET))
    assert proc.returncode == 2 and "SOCORG_ALLOW_SQLITE" in proc.stderr
    allowed = subprocess.run([*SOCORG, "serve", "--workers", "3", "--check"], cwd=ROOT, capture_output=True,
                             text=True, timeout=60, env=_env(SOCORG_DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3",
                                                             SOCORG_SECRET_KEY=GOOD_SECRET, SOCORG_ALLOW_SQLITE="1"))
    assert allowed.returncode == 0, allowed.stderr


def _unit_command(unit: str) -> list[str]:
    """The unit's ExecStart with the installed socorg replaced by this checkout's."""
    [line] = [line for line in (DEPLOY / unit).read_text().splitlines() if line.startswith("ExecStart=")]
    argv = shlex.split(line.removeprefix("ExecStart="))
    assert argv[0].endswith("/socorg")
    return [*SOCORG, *argv[1:]]


def _unit_env(url: str, tmp_path: Path) -> dict[str, str]:
    """The example environment file with the test's database, secret and file store."""
    values = {}
    for line in (DEPLOY / "socorg.env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    values.update(SOCORG_DATABASE_URL=url, SOCORG_SECRET_KEY=GOOD_SECRET, SOCORG_FILE_STORE=str(tmp_path / "files"),
                  SOCORG_WEB_WORKERS="2", SOCORG_SMTP_HOST="127.0.0.1", SOCORG_SMTP_PORT=str(free_port()))
    return _env(**values)


@pytest.fixture
def throwaway_postgres() -> str:
    """A migrated PostgreSQL database of its own (local trust auth), dropped afterwards."""
    admin = create_engine(os.environ.get("SOCORG_TEST_POSTGRES_URL") or LOCAL_POSTGRES, isolation_level="AUTOCOMMIT")
    name = f"socorg_deploy_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no local PostgreSQL: nothing to smoke-test against
        admin.dispose()
        pytest.skip(f"no PostgreSQL at 127.0.0.1:5432 ({type(exc).__name__})")
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    engine = db.build_engine(url)
    migrations.upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _wait_for(url: str, proc: subprocess.Popen, seconds: float = 60) -> tuple[int, bytes]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        try:
            with urllib.request.urlopen(url, timeout=20) as response:
                return response.status, response.read()
        except OSError:  # refused, reset or timed out while gunicorn boots
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer in {seconds} s")


@pytest.mark.slow
def test_the_systemd_units_start_web_and_scheduler_against_postgres(throwaway_postgres, tmp_path):
    port = free_port()
    env = _unit_env(throwaway_postgres, tmp_path)
    web_cmd = [part if part != "127.0.0.1:8000" else f"127.0.0.1:{port}" for part in _unit_command("socorg-web.service")]
    web = subprocess.Popen(web_cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    scheduler = subprocess.Popen(_unit_command("socorg-scheduler.service"), cwd=ROOT, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        status, body = _wait_for(f"http://127.0.0.1:{port}/api/v1/health", web)
        assert status == 200 and b'"status": "ok"' in body.replace(b'":"', b'": "')
        assert scheduler.poll() is None
    finally:
        for proc in (web, scheduler):
            proc.send_signal(signal.SIGTERM)
        outputs = [proc.communicate(timeout=45)[0] for proc in (web, scheduler)]
    assert web.returncode == 0, outputs[0]
    assert "Booting worker" in outputs[0] and "GET /api/v1/health" in outputs[0]  # gunicorn, with its access log
    assert scheduler.returncode == 0, outputs[1]
    assert "scheduler stopped" in outputs[1]
