"""Real scheduler processes on one database (SQLite file and PostgreSQL): every alert and timer exactly once.

`socorg tick --now …` runs are started two at a time, and two `socorg scheduler run` processes run
side by side, are stopped with SIGTERM and one is started again — against a case left overdue.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.alerts.support import (
    DUE,
    ESCALATE,
    REMIND,
    TIMER_DUE,
    alert_levels,
    count,
    deploy_escalation,
    start_case,
)
from tests.notifications.support import SmtpServer, free_port
from workflow_app import clock
from workflow_app.alerts.models import Alert
from workflow_app.instances.models import AuditEvent, InstanceStatus, ProcessInstance
from workflow_app.notifications.models import OutboxMessage, OutboxStatus

ROOT = Path(__file__).resolve().parents[2]
SOCORG = [sys.executable, "-m", "workflow_app.cli"]
pytestmark = pytest.mark.slow


def _env(database_url: str, smtp_port: int, **extra: str) -> dict[str, str]:
    env = dict(os.environ, SOCORG_DATABASE_URL=database_url, SOCORG_SECRET_KEY="test",
               SOCORG_SMTP_HOST="127.0.0.1", SOCORG_SMTP_PORT=str(smtp_port), SOCORG_SMTP_TIMEOUT="3",
               **extra)
    env.pop("SOCORG_ESCALATION_CONFIG", None)
    return env


def _ticks(env: dict[str, str], moment, processes: int = 2) -> list[str]:
    """Run ``processes`` `tick --now moment` at the same time; return their outputs."""
    running = [subprocess.Popen([*SOCORG, "tick", "--now", moment.isoformat()], env=env, cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for _ in range(processes)]
    outputs = []
    for proc in running:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out
        outputs.append(out)
    return outputs


def test_ticks_in_two_processes_raise_each_alert_and_fire_each_timer_once(app, demo, session, database_url):
    deploy_escalation()
    _, task_id = start_case()
    timer_instance, _ = start_case("timer_case", business_key="BB-1")
    session.commit()
    env = _env(database_url, free_port())

    _ticks(env, REMIND, processes=1)
    assert alert_levels(session, task_id) == [(1, "reminder")]
    _ticks(env, DUE + timedelta(hours=1))
    assert alert_levels(session, task_id) == [(1, "reminder"), (2, "overdue")]
    outputs = _ticks(env, ESCALATE + timedelta(seconds=1))
    assert sum("1 escalated" in out for out in outputs) == 1, outputs
    _ticks(env, TIMER_DUE + timedelta(minutes=1))
    assert alert_levels(session, task_id) == [(1, "reminder"), (2, "overdue"), (3, "escalated")]
    assert count(session, AuditEvent, AuditEvent.action == "alert") == 3
    assert count(session, OutboxMessage) == 3  # window_cc, supervisor_cc, supervisor_prov
    # The mail server was down: every message waits, claimed once per due attempt, none lost.
    session.rollback()
    assert {m.status for m in session.scalars(select(OutboxMessage))} == {OutboxStatus.PENDING}
    # The 15-working-day timer fired once, though two processes ticked past it.
    assert count(session, AuditEvent, AuditEvent.action == "timer", AuditEvent.instance_id == timer_instance) == 1
    assert session.get(ProcessInstance, timer_instance).status is InstanceStatus.COMPLETED


def _start_scheduler(env: dict[str, str], log: Path) -> subprocess.Popen:
    handle = log.open("w")
    proc = subprocess.Popen([*SOCORG, "scheduler", "run"], env=env, cwd=ROOT, stdout=handle,
                            stderr=subprocess.STDOUT)
    handle.close()
    return proc


def _wait(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError("condition not reached in time")


def _stop(proc: subprocess.Popen, log: Path) -> str:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    text = log.read_text()
    assert proc.returncode == 0, text
    assert "scheduler stopped" in text, text
    return text


def test_two_scheduler_processes_and_a_restart_alert_and_mail_once(app, demo, session, database_url, tmp_path):
    deploy_escalation()
    long_ago = clock.now() - timedelta(days=60)  # overdue and escalated by the real clock
    _, task_id = start_case(at=long_ago)
    timer_instance, _ = start_case("timer_case", at=long_ago, business_key="BB-2")
    session.commit()
    smtp = SmtpServer(free_port(), tmp_path / "maildir").start()
    env = _env(database_url, smtp.port, SOCORG_SCHEDULER_INTERVAL_SECONDS="1")
    try:
        logs = [tmp_path / "a.log", tmp_path / "b.log"]
        schedulers = [_start_scheduler(env, log) for log in logs]

        def done() -> bool:
            return len(alert_levels(session, task_id)) == 2 and len(smtp.messages()) == 2

        _wait(done)
        time.sleep(3)  # several more rounds of every job in both processes
        for proc, log in zip(schedulers, logs, strict=True):
            text = _stop(proc, log)
            assert "scheduler started" in text

        restarted_log = tmp_path / "c.log"
        restarted = _start_scheduler(env, restarted_log)
        _wait(lambda: "escalate:" in restarted_log.read_text())
        time.sleep(2)
        _stop(restarted, restarted_log)

        assert alert_levels(session, task_id) == [(2, "overdue"), (3, "escalated")]
        assert count(session, Alert) == 2 and count(session, AuditEvent, AuditEvent.action == "alert") == 2
        assert sorted(str(m["To"]) for m in smtp.messages()) == ["supervisor_cc@demo.socorg.local",
                                                                "supervisor_prov@demo.socorg.local"]
        session.rollback()
        assert [(m.status, m.attempts) for m in session.scalars(select(OutboxMessage))] == \
            [(OutboxStatus.SENT, 1)] * 2
        assert count(session, AuditEvent, AuditEvent.action == "timer", AuditEvent.instance_id == timer_instance) == 1
    finally:
        smtp.stop()
