"""Scheduler jobs. Each does its work through services, claiming rows in the database, never in APScheduler."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask
from sqlalchemy import select

from workflow_app import clock, db
from workflow_app.errors import Conflict
from workflow_app.instances.models import InstanceStatus, ProcessInstance

log = logging.getLogger(__name__)
BATCH = 200


def fire_due_timers(app: Flask) -> str:
    """Fire the timers of every running case whose earliest timer is due; a case another process took is skipped."""
    from workflow_app.services import instance_service

    fired = skipped = failed = 0
    with app.app_context():
        session = db.session()
        due = list(session.scalars(
            select(ProcessInstance.id)
            .where(ProcessInstance.status == InstanceStatus.RUNNING, ProcessInstance.next_timer_at <= clock.now())
            .order_by(ProcessInstance.next_timer_at).limit(BATCH)
        ))
        session.rollback()
        for instance_id in due:
            try:
                advance = instance_service(session).fire_timers(instance_id)
            except Conflict:
                # Another scheduler saved the case first (optimistic lock): its timer fired there, once.
                skipped += 1
                continue
            except Exception:
                failed += 1
                log.exception("firing timers of case %s failed", instance_id)
                continue
            fired += 1 if advance.instance.status is not InstanceStatus.ERROR else 0
    return f"{len(due)} due, {fired} fired, {skipped} taken by another scheduler, {failed} failed"


JOBS: dict[str, Callable[[Flask], str]] = {"fire_due_timers": fire_due_timers}


def run_all(app: Flask) -> dict[str, str]:
    """Run every job once, in order; a failing job is reported, the others still run."""
    outcomes = {}
    for name, job in JOBS.items():
        try:
            outcomes[name] = job(app)
        except Exception as exc:  # one broken job must not stop the others
            log.exception("job %s failed", name)
            outcomes[name] = f"failed: {exc}"
    return outcomes
