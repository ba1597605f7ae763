"""Run the jobs on APScheduler: embedded in ``socorg run`` or as ``socorg scheduler run``.

APScheduler only triggers; the work is claimed in the database, so any number of
scheduler processes can run against one database. Job stores are in memory, never shared.
``SOCORG_SCHEDULER_INTERVAL_SECONDS`` (or the app config key) sets one interval for every job,
e.g. for tests or a busy installation; by default each job has its own (scheduler.jobs.JOBS).

A database outage is logged once when it starts and once when it ends; in between the jobs give
up their pass at the first unreachable error and skip their runs with a doubling back-off (up to
``MAX_BACKOFF_SECONDS``), so the process neither spins nor fills the log, and stops at once on SIGTERM.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from scheduler.jobs import JOBS, describe_outage
from workflow_app import clock, db

log = logging.getLogger(__name__)


def _interval_override(app: Flask) -> int | None:
    raw = app.config.get("SCHEDULER_INTERVAL_SECONDS") or os.environ.get("SOCORG_SCHEDULER_INTERVAL_SECONDS")
    return max(1, int(raw)) if raw else None


MAX_BACKOFF_SECONDS = 60.0


class Outage:
    """The database's reachability as the jobs of this process see it, shared by their threads."""

    def __init__(self, max_backoff: float = MAX_BACKOFF_SECONDS) -> None:
        self.max_backoff = max_backoff
        self.since: float | None = None
        self._retry_at = 0.0
        self._delay = 0.0
        self._lock = threading.Lock()

    def should_skip(self) -> bool:
        """True while backing off: the last attempt found the database unreachable moments ago."""
        with self._lock:
            return self.since is not None and time.monotonic() < self._retry_at

    def failed(self, exc: BaseException) -> None:
        """Record an unreachable error: log the outage's start once, then back off further each time."""
        with self._lock:
            now = time.monotonic()
            if self.since is None:
                self.since, self._delay = now, 1.0
                log.warning("database unreachable (%s): jobs pause, retrying with back-off up to %.0f s",
                            describe_outage(exc), self.max_backoff)
            else:
                self._delay = min(self._delay * 2, self.max_backoff)
            self._retry_at = now + self._delay

    def succeeded(self) -> None:
        """Record a pass that reached the database: log the outage's end once."""
        with self._lock:
            if self.since is not None:
                log.warning("database reachable again after %.0f s: jobs resume", time.monotonic() - self.since)
                self.since = None


def _logged(name: str, app: Flask, outage: Outage | None = None) -> None:
    outage = outage or Outage()
    if outage.should_skip():
        return
    try:
        outcome = JOBS[name].run(app)
    except Exception as exc:
        if not db.is_unreachable(exc):
            raise
        outage.failed(exc)
        return
    outage.succeeded()
    log.info("%s: %s", name, outcome)


def _configure(scheduler: BackgroundScheduler, app: Flask, outage: Outage) -> None:
    override = _interval_override(app)
    for name, job in JOBS.items():
        seconds = override or job.interval_seconds
        # First run right away: a scheduler that was down catches up at start.
        scheduler.add_job(_logged, "interval", args=[name, app, outage], id=name, seconds=seconds,
                          next_run_time=datetime.now(UTC), max_instances=1, coalesce=True,
                          misfire_grace_time=seconds)


def warn_uncovered_years(app: Flask) -> list[int]:
    """Log loudly when this year's or next year's holiday schedule is unknown; return those years."""
    from workflow_app.calendar.service import CalendarService

    with app.app_context():
        calendar = CalendarService(db.session()).calendar()
    year = clock.local_now().year
    missing = [y for y in (year, year + 1) if not calendar.covers(y)]
    for y in missing:
        log.warning("WORKING-DAY CALENDAR: the State Council's schedule for %s is not entered; due dates in %s "
                    "count its statutory holidays but no 调休 make-up days, and are flagged. Import the notice: "
                    "`socorg calendar import-notice FILE --year %s` (or the admin calendar page).", y, y, y)
    return missing


def start_background(app: Flask) -> BackgroundScheduler:
    """Start the jobs in a background thread of this process and return the scheduler."""
    outage = Outage()
    try:
        warn_uncovered_years(app)
    except Exception as exc:  # a scheduler started during an outage waits for the database
        if not db.is_unreachable(exc):
            raise
        outage.failed(exc)
    scheduler = BackgroundScheduler(timezone="UTC")
    _configure(scheduler, app, outage)
    scheduler.start()
    log.info("scheduler started (pid %s): %s", os.getpid(), ", ".join(JOBS))
    return scheduler


def run_blocking(app: Flask, started: threading.Event | None = None) -> None:
    """Run the jobs until SIGTERM or SIGINT, then let the running job finish and return."""
    stop = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        log.info("signal %s: stopping the scheduler after the running job", signum)
        stop.set()

    # Installed before the jobs start, so a signal at any moment is a clean stop.
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    scheduler = start_background(app)
    if started is not None:
        started.set()
    while not stop.wait(1.0):  # a timed wait keeps the main thread responsive to signals
        pass
    scheduler.shutdown(wait=True)
    log.info("scheduler stopped")
