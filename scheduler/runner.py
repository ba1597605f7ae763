"""Run the jobs on APScheduler: embedded in ``socorg run`` or as ``socorg scheduler run``.

APScheduler only triggers; the work is claimed in the database, so any number of
scheduler processes can run against one database. Job stores are in memory, never shared.
"""

from __future__ import annotations

import logging
import signal
import threading

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from scheduler.jobs import JOBS

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 30


def _configure(scheduler: BackgroundScheduler, app: Flask) -> None:
    for name, job in JOBS.items():
        scheduler.add_job(job, "interval", args=[app], id=name, seconds=INTERVAL_SECONDS,
                          max_instances=1, coalesce=True, misfire_grace_time=INTERVAL_SECONDS)


def start_background(app: Flask) -> BackgroundScheduler:
    """Start the jobs in a background thread of this process and return the scheduler."""
    scheduler = BackgroundScheduler(timezone="UTC")
    _configure(scheduler, app)
    scheduler.start()
    log.info("embedded scheduler started: %s", ", ".join(JOBS))
    return scheduler


def run_blocking(app: Flask) -> None:
    """Run the jobs until SIGTERM or SIGINT, then let running jobs finish and exit."""
    stop = threading.Event()
    scheduler = start_background(app)

    def _stop(signum: int, _frame: object) -> None:
        log.info("signal %s: stopping the scheduler", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    stop.wait()
    scheduler.shutdown(wait=True)
