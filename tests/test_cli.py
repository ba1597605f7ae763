"""The socorg command: init-db, deploy, tick and a real `socorg run` process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from tests.conftest import DATA
from workflow_app.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def runner(app: Flask) -> CliRunner:
    return CliRunner()


def invoke(app: Flask, runner: CliRunner, *args: str):
    return runner.invoke(main, list(args), obj=_script_info(app), catch_exceptions=False)


def _script_info(app: Flask):
    from flask.cli import ScriptInfo

    return ScriptInfo(create_app=lambda: app)


def test_deploy_prints_versions_and_is_idempotent(app, runner):
    first = invoke(app, runner, "deploy", str(DATA / "sample"))
    assert first.exit_code == 0, first.output
    assert "sample_review: version 1 (deployed)" in first.output
    again = invoke(app, runner, "deploy", str(DATA / "sample"))
    assert "sample_review: version 1 (unchanged)" in again.output


def test_deploy_of_an_invalid_file_exits_non_zero_naming_the_problem(app, runner, tmp_path):
    bad = tmp_path / "bad.bpmn"
    bad.write_text("<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'>")
    result = runner.invoke(main, ["deploy", str(bad)], obj=_script_info(app))
    assert result.exit_code == 1
    assert "bad.bpmn" in result.output


def test_deploy_of_the_shipped_bpmn_folder_works(app, runner):
    result = invoke(app, runner, "deploy", str(ROOT / "bpmn"))
    assert result.exit_code == 0, result.output


def test_tick_fires_due_timers_as_of_the_given_time(app, runner, deployed_sample, new_session):
    from tests.instances.test_service import start_and_submit
    from workflow_app import clock
    from workflow_app.instances.models import InstanceStatus, ProcessInstance

    instance_id, _ = start_and_submit()
    due = new_session().get(ProcessInstance, instance_id).next_timer_at
    try:
        early = invoke(app, runner, "tick", "--now", (due - __import__("datetime").timedelta(hours=1)).isoformat())
        assert "0 due" in early.output
        late = invoke(app, runner, "tick", "--now", (due + __import__("datetime").timedelta(hours=1)).isoformat())
        assert "1 due, 1 fired" in late.output
        again = invoke(app, runner, "tick", "--now", (due + __import__("datetime").timedelta(hours=2)).isoformat())
        assert "0 due" in again.output
    finally:
        clock.set_global(None)
    assert new_session().get(ProcessInstance, instance_id).status is InstanceStatus.COMPLETED


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_socorg_run_serves_on_the_port_from_the_environment(tmp_path):
    port = _free_port()
    env = dict(os.environ, PORT=str(port), SOCORG_DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}",
               SOCORG_SECRET_KEY="test")
    socorg = [sys.executable, "-m", "workflow_app.cli"]
    subprocess.run([*socorg, "init-db"], env=env, check=True, capture_output=True, cwd=ROOT)
    deployed = subprocess.run([*socorg, "deploy", str(DATA / "sample")], env=env, check=True,
                              capture_output=True, text=True, cwd=ROOT)
    assert "sample_review: version 1" in deployed.stdout
    server = subprocess.Popen([*socorg, "run"], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        body = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2) as response:
                    body = response.read().decode()
                    break
            except OSError:
                time.sleep(0.2)
        assert body is not None, "server did not answer"
        assert '"status":"ok"' in body.replace(" ", "") and '"process_definitions":1' in body.replace(" ", "")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as response:
            assert "登录" in response.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=15)
