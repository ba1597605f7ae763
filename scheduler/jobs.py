"""Scheduler jobs. Each does its work through services, claiming rows in the database, never in APScheduler.

- ``fire_due_timers``: BPMN timers of running cases whose ``next_timer_at`` has come. One case
  per transaction: the due row is claimed inside the transaction that fires it (PostgreSQL:
  ``FOR UPDATE SKIP LOCKED``; SQLite: the write transaction starts with ``BEGIN IMMEDIATE`` and
  re-reads the row, so a case another scheduler just fired is no longer due), with the
  instance's optimistic version as the backstop.
- ``create_annual_reports``: in December, the yearly report case of each prefecture (see
  :mod:`scheduler.annual_report`).
- ``snapshot_party_coverage``: once a month, the party-coverage counts of every region (see
  :mod:`workflow_app.reports.snapshots`).
- ``escalate``: the alert ladder over overdue tasks (:mod:`workflow_app.alerts.service`).
- ``warn_case_deadlines``: a case deadline's warning on every open step (:mod:`workflow_app.alerts.deadlines`).
- ``report_abnormal_list``: 活动异常名录 entries two years old reported to the supervisors
  (:mod:`workflow_app.organizations.credit`).
- ``deliver_outbox``: e-mail and webhooks (:mod:`workflow_app.notifications.delivery`).
- ``prune_retained``: read 消息 and delivered outbox messages past their retention, in bounded batches
  (:mod:`workflow_app.retention`); never a case record.

When the database cannot be reached a job gives up its pass (the error propagates, see
``db.is_unreachable``); ``run_all`` then stops and raises :class:`DatabaseUnreachable`, and the
scheduler process backs off (``scheduler.runner``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import select

from scheduler.annual_report import create_annual_reports
from workflow_app import clock, db
from workflow_app.db import unit_of_work
from workflow_app.errors import Conflict
from workflow_app.instances.models import InstanceStatus, ProcessInstance

log = logging.getLogger(__name__)
BATCH = 200


def fire_due_timers(app: Flask) -> str:
    """Fire the timers of every running case whose earliest timer is due, claiming each case in the database."""
    from workflow_app.services import instance_service

    fired = skipped = failed = 0
    done: set[str] = set()
    with app.app_context():
        session = db.session()
        service = instance_service(session)
        postgres = session.get_bind().dialect.name == "postgresql"
        now = clock.now()
        while len(done) < BATCH:
            instance_id = None
            try:
                with unit_of_work(session):
                    query = select(ProcessInstance.id).where(
                        ProcessInstance.status == InstanceStatus.RUNNING, ProcessInstance.next_timer_at <= now)
                    if done:  # a case that failed (rolled back) stays due: don't take it again this run
                        query = query.where(ProcessInstance.id.not_in(done))
                    query = query.order_by(ProcessInstance.next_timer_at, ProcessInstance.id).limit(1)
                    if postgres:
                        query = query.with_for_update(skip_locked=True)
                    instance_id = session.scalar(query)
                    if instance_id is None:
                        break
                    done.add(instance_id)
                    advance = service.fire_timers_in_transaction(instance_id)
            except Conflict:
                # Another process saved the case in between (optimistic lock): its timer fired there, once.
                skipped += 1
                continue
            except Exception as exc:
                # Unreachable database, or the claim query itself failing: nothing to skip, so going
                # on would retry the same thing at full speed. Give up the pass.
                if instance_id is None or db.is_unreachable(exc):
                    raise
                failed += 1
                log.exception("firing timers of a case failed; it stays due")
                continue
            fired += 1 if advance.instance.status is not InstanceStatus.ERROR else 0
    return f"{len(done)} due, {fired} fired, {skipped} taken by another scheduler, {failed} failed"


def snapshot_party_coverage(app: Flask) -> str:
    """Write this month's party-coverage snapshot rows that are missing (one per region and month)."""
    from workflow_app.reports.snapshots import take_snapshot

    with app.app_context():
        return str(take_snapshot(db.session()))


def escalate(app: Flask) -> str:
    """Raise the escalation ladder's alerts (each (task, level) once) and queue their messages."""
    from workflow_app.alerts.ladder import LadderConfig
    from workflow_app.alerts.service import EscalationService
    from workflow_app.notifications.delivery import DeliverySettings

    with app.app_context():
        config = LadderConfig.load(app.config.get("ESCALATION_CONFIG"))
        urls = DeliverySettings.from_config(app.config).webhook_urls
        return str(EscalationService(db.session(), config, webhook_urls=urls).scan())


def warn_case_deadlines(app: Flask) -> str:
    """Warn the supervisors of cases whose deadline warning has come, naming every open step (each once)."""
    from workflow_app.alerts.deadlines import DeadlineWarnings

    with app.app_context():
        return str(DeadlineWarnings(db.session()).scan())


def report_abnormal_list(app: Flask) -> str:
    """Report organizations two years in the 活动异常名录 as 严重违法失信名单 candidates (each once)."""
    from workflow_app.organizations.credit import SeriousDishonestyCandidates

    with app.app_context():
        return str(SeriousDishonestyCandidates(db.session()).report())


def deliver_outbox(app: Flask) -> str:
    """Send due outbox messages by SMTP and signed webhook, with retries and a dead letter."""
    from workflow_app.notifications.delivery import DeliverySettings, OutboxDelivery

    with app.app_context():
        return str(OutboxDelivery(db.session(), DeliverySettings.from_config(app.config)).deliver_due())


def prune_retained(app: Flask) -> str:
    """Delete read 消息 and sent or dead outbox messages past their retention, a bounded amount per run."""
    from workflow_app.retention import Retention, RetentionSettings

    with app.app_context():
        return str(Retention(db.session(), RetentionSettings.from_config(app.config)).prune())


@dataclass(frozen=True)
class Job:
    """A job and how often the scheduler process triggers it."""

    run: Callable[[Flask], str]
    interval_seconds: int


# In the order `tick` runs them: timers first (they may open tasks), then the outbox (it sends what
# the others queued in the same tick), and pruning after everything that writes.
JOBS: dict[str, Job] = {
    "fire_due_timers": Job(fire_due_timers, 30),
    "create_annual_reports": Job(create_annual_reports, 3600),
    "snapshot_party_coverage": Job(snapshot_party_coverage, 3600),
    "escalate": Job(escalate, 300),
    "warn_case_deadlines": Job(warn_case_deadlines, 300),
    "report_abnormal_list": Job(report_abnormal_list, 3600),
    "deliver_outbox": Job(deliver_outbox, 30),
    "prune_retained": Job(prune_retained, 3600),
}


class DatabaseUnreachable(Exception):
    """The database cannot be reached: the jobs gave up this pass (``job``: the one that found out)."""

    def __init__(self, job: str, cause: BaseException) -> None:
        super().__init__(f"{job}: {describe_outage(cause)}")
        self.job = job


def describe_outage(exc: BaseException) -> str:
    """One line saying why the database is unreachable (the driver's first line, no traceback)."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else ''}"


def run_all(app: Flask) -> dict[str, str]:
    """Run every job once, in order; a failing job is reported, the others still run. When the database
    is unreachable the pass stops there: raises DatabaseUnreachable."""
    outcomes = {}
    for name, job in JOBS.items():
        try:
            outcomes[name] = job.run(app)
        except Exception as exc:  # one broken job must not stop the others
            if db.is_unreachable(exc):
                raise DatabaseUnreachable(name, exc) from exc
            log.exception("job %s failed", name)
            outcomes[name] = f"failed: {exc}"
    return outcomes
