"""Hostile designer code in deployed processes: the case goes to `error` with a readable detail, the
server stays responsive, a fresh worker takes the next call, and an admin retry recovers the case."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from xml.sax.saxutils import escape

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import DATA, read_bundle
from workflow_app import clock
from workflow_app.instances import audit
from workflow_app.instances.models import InstanceStatus, ProcessInstance
from workflow_app.services import definition_service, instance_service

# Runs for minutes in one C call (sum) unless a process limit stops it; issue 11's example.
FREEZER = "x = sum(range(15 * 10**8))"


def deploy_isolation(script: str = "result = n * 2", condition: str = "result > 10") -> str:
    """Deploy tests/data/isolation with ``script`` in its script task and ``condition`` on its gateway."""
    files = read_bundle(DATA / "isolation")
    xml = files["isolation.bpmn"].decode()
    files["isolation.bpmn"] = xml.replace("SCRIPT_BODY", escape(script)).replace("CONDITION", escape(condition)).encode()
    [result] = definition_service().deploy(files, deployed_by="test")
    return result.key


def start_and_enter(data: dict) -> object:
    """Start an isolation case and complete its first step with ``data``; return the advance."""
    [enter] = instance_service().start("isolation", started_by="window_prov").new_tasks
    return instance_service().complete_task(enter.id, data, actor="window_prov")


def test_script_condition_timer_and_parameter_all_run_and_the_case_moves_on(app, session):
    deploy_isolation("result = n * 2\nlabel = f'{n:>4}'")
    with clock.frozen(datetime(2026, 3, 2, 1, 0, tzinfo=UTC)):  # a Monday, 09:00 in Beijing
        advance = start_and_enter({"n": 6})
    instance = advance.instance
    assert instance.status is InstanceStatus.RUNNING, instance.error
    variables = instance_service().variables(instance)
    assert variables["result"] == 12 and variables["label"] == "   6"
    notes = [e.details["text"] for e in audit.history(session, instance.id) if e.action == "note"]
    assert notes == ["计算结果：12"]  # the service parameter's expression (it calls str) ran in a worker
    # workdays_later(2) ran in a worker, with the calendar sent along: Wednesday's end, Beijing time.
    assert clock.as_utc(instance.next_timer_at) == datetime(2026, 3, 4, 15, 59, 59, tzinfo=UTC)


def test_c_level_freeze_in_a_script_is_killed_and_the_case_goes_to_error(app):
    deploy_isolation(FREEZER)
    started = time.monotonic()
    advance = start_and_enter({"n": 1})
    elapsed = time.monotonic() - started
    assert elapsed < app.config["SCRIPT_TIME_LIMIT"] + 2.5
    instance = advance.instance
    assert instance.status is InstanceStatus.ERROR
    assert "脚本超出时间限制" in instance.error["message"]
    assert "script exceeded its time limit" in instance.error["message"]
    assert instance.error["task"] == "compute"
    # The killed worker was replaced: the next case runs its script normally.
    deploy_isolation()
    assert start_and_enter({"n": 1}).instance.status is InstanceStatus.RUNNING


def test_c_level_freeze_in_a_gateway_condition_is_killed_too(app):
    deploy_isolation(condition="sum(range(15 * 10**8)) > 0")
    advance = start_and_enter({"n": 1})
    assert advance.instance.status is InstanceStatus.ERROR
    assert "脚本超出时间限制" in advance.instance.error["message"]


def test_killed_case_is_retried_by_an_admin_once_the_cause_is_gone(app):
    # The script freezes only before `cutoff` (as a script might on some input or some day).
    deploy_isolation(f"result = n\nif now_iso() < cutoff:\n    {FREEZER}")
    started = time.monotonic()
    with clock.frozen(datetime(2026, 3, 2, 1, 0, tzinfo=UTC)):
        advance = start_and_enter({"n": 1, "cutoff": "2026-03-03"})
    assert time.monotonic() - started < app.config["SCRIPT_TIME_LIMIT"] + 2.5  # killed, not waited for
    assert advance.instance.status is InstanceStatus.ERROR
    case_id = advance.instance.id
    with clock.frozen(datetime(2026, 3, 2, 2, 0, tzinfo=UTC)):
        still = instance_service().retry(case_id, actor="admin")
    assert still.instance.status is InstanceStatus.ERROR  # the cause is still there: killed again
    with clock.frozen(datetime(2026, 3, 3, 1, 0, tzinfo=UTC)):
        advance = instance_service().retry(case_id, actor="admin")
    assert advance.instance.status is InstanceStatus.RUNNING and advance.instance.error is None
    assert [t.name for t in advance.new_tasks] == ["wait"]


@pytest.mark.parametrize("script, words", [
    ("g = (i for i in range(3))", ["无法保存", "g (generator)"]),
    ("d = Decimal('1.5')", ["无法保存", "d (Decimal)"]),
])
def test_script_leaving_a_value_that_is_not_json_puts_the_case_in_error(app, script, words):
    deploy_isolation(f"result = 1\n{script}")
    advance = start_and_enter({"n": 1})  # before: TypeError at save time, a 500 and a case that never moves
    assert advance.instance.status is InstanceStatus.ERROR
    for word in words:
        assert word in advance.instance.error["message"]


@pytest.mark.parametrize("script, words", [
    ("x = 'a'.ljust(3 * 10**7)", ["格式宽度过大", "ljust"]),
    ("x = 'a' * 10**6 + 'b' * 10**6", ["案件数据过大", "1048576-byte limit"]),
    ("x = '%*d' % (10**9, 1)", ["'*'"]),
    ("n = 10**9\nx = f'{1:>{n}}'", ["nested fields"]),
])
def test_oversized_strings_and_case_data_are_refused(app, script, words):
    try:
        deploy_isolation(f"result = 1\n{script}")
    except Exception as exc:  # refused at deploy (compile time) is fine too
        assert all(word in str(getattr(exc, "problems", exc)) for word in words)
        return
    advance = start_and_enter({"n": 1})
    assert advance.instance.status is InstanceStatus.ERROR
    for word in words:
        assert word in advance.instance.error["message"]


# -- the server answers while a worker is stuck -------------------------------------------------

@pytest.fixture
def served(app: Flask, demo: None, database_url: str) -> Iterator[str]:
    """The app on a real threaded WSGI server (as in production, a request per thread)."""
    if not database_url.startswith("sqlite"):
        pytest.skip("one backend is enough for the responsiveness check")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def _post(url: str, body: dict, token: str | None = None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_health_answers_while_a_completion_runs_a_freezing_script(app, served, session):
    deploy_isolation(FREEZER)
    [enter] = instance_service().start("isolation", started_by="admin").new_tasks
    status, body = _post(f"{served}/api/v1/auth/token", {"username": "admin", "password": "demo12345"})
    assert status == 200, body
    outcome: dict = {}

    def complete() -> None:
        outcome["answer"] = _post(f"{served}/api/v1/tasks/{enter.id}/complete", {"data": {"n": 1}}, body["token"])

    worker = threading.Thread(target=complete)
    started = time.monotonic()
    worker.start()
    time.sleep(0.3)  # the completion is now inside the script
    waits = []
    while worker.is_alive() and time.monotonic() - started < 10:
        asked = time.monotonic()
        with urllib.request.urlopen(f"{served}/api/v1/health", timeout=30) as answer:
            assert answer.status == 200
        waits.append(time.monotonic() - asked)
        time.sleep(0.1)
    worker.join(timeout=30)
    assert waits, "the completion ended before health was asked"
    assert max(waits) < 1.0, waits  # before: the first health call waited for the whole sum (~26 s)
    status, answer = outcome["answer"]
    assert status == 200, answer
    session.expire_all()
    assert session.get(ProcessInstance, enter.instance_id).status is InstanceStatus.ERROR


# -- decision tables -----------------------------------------------------------------------------

def deploy_decision(input_cell: str = ">= 10", output_cell: str = '"big"') -> None:
    """Deploy tests/data/isolation_dmn with the given first-rule cells."""
    files = read_bundle(DATA / "isolation_dmn")
    xml = files["classify.dmn"].decode()
    files["classify.dmn"] = xml.replace("INPUT_CELL", escape(input_cell)).replace("OUTPUT_CELL", escape(output_cell)).encode()
    definition_service().deploy(files, deployed_by="test")


def decide(n: int) -> object:
    [enter] = instance_service().start("isolation_dmn", started_by="window_prov").new_tasks
    return instance_service().complete_task(enter.id, {"n": n}, actor="window_prov")


@pytest.mark.parametrize("n, size", [(12, "big"), (3, "small")])
def test_decision_table_cells_decide_as_before(app, n, size):
    deploy_decision(output_cell='"b" + "ig"')
    advance = decide(n)
    assert advance.instance.status is InstanceStatus.RUNNING, advance.instance.error
    assert instance_service().variables(advance.instance)["size"] == size


@pytest.mark.parametrize("cells", [
    {"input_cell": "sum(range(15 * 10**8)) > 0"},
    {"output_cell": "str(sum(range(15 * 10**8)))"},
], ids=["input cell", "output cell"])
def test_c_level_freeze_in_a_decision_table_cell_is_killed(app, cells):
    deploy_decision(**cells)
    started = time.monotonic()
    advance = decide(12)
    assert time.monotonic() - started < app.config["SCRIPT_TIME_LIMIT"] + 2.5
    assert advance.instance.status is InstanceStatus.ERROR
    assert "脚本超出时间限制" in advance.instance.error["message"]
