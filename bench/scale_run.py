"""make scale: the multi-process scale run on PostgreSQL, printed as `name: value` lines.

On a fresh PostgreSQL database (``socorg init-db``, ``socorg demo``, ``socorg deploy bpmn/``) it starts
gunicorn with ``--workers`` sync workers serving ``workflow_app:create_app()`` on a free loopback
port, ``--schedulers`` ``socorg scheduler run`` processes (every job every 5 s), ``--tick-procs``
``socorg tick --now T`` runs at a time with T ramping from now to four weeks ahead (timers and the
escalation ladder fire during the run), and loopback SMTP and webhook sinks for the outbox. The
load driver (bench/load_driver.py) works ``--cases`` cases of the four processes to their end
through the REST API; when half are done one gunicorn worker gets SIGKILL. Then every process is
stopped and the checks (bench/scale_checks.py) read the database. Exit status 1 when a check fails
or the server answered 5xx.

    python bench/scale_run.py                 # 1,000 cases, 4 workers, 2 schedulers
    python bench/scale_run.py --quick         # smoke run: 50 cases (or --cases N)

The PostgreSQL server: SOCORG_SCALE_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres);
a database named socorg_scale_<random> is created next to it and dropped at the end (--keep-db keeps it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench import scale_scenarios as scenarios  # noqa: E402
from bench.databases import throwaway_database  # noqa: E402
from bench.load_driver import API, Api, Driver, Stats  # noqa: E402
from bench.scale_checks import run_checks  # noqa: E402
from bench.scale_services import Gunicorn, Monitor, Processes, TickRunner, cli, tool  # noqa: E402
from bench.scale_sinks import MailSink, WebhookSink  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
USERS = ["applicant", "window_prov", "reviewer_prov", "approver_prov", "supervisor_prov", "window_cc", "reviewer_cc",
         "approver_cc", "supervisor_cc", "party_officer", "party_committee", "inspector"]


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, int(round(q / 100 * len(ordered) + 0.5)) - 1))]


def clock_target(start: datetime) -> tuple[datetime, Any]:
    """Where the tick clock ends, and the major events' day: past every 补正 deadline (20 working days
    from today or tomorrow) and the events' evening, before any outcome report falls overdue."""
    from workflow_app.calendar.workdays import WorkCalendar, end_of_local_day

    calendar = WorkCalendar()
    today = start.astimezone(scenarios.LOCAL).date()
    event = scenarios.event_day(today)
    correction_latest = end_of_local_day(calendar.add_workdays(today + timedelta(days=1), 20))
    outcome_earliest = end_of_local_day(calendar.add_workdays(event, 10))
    target = correction_latest + timedelta(hours=1)
    if not (datetime.combine(event, datetime.min.time(), scenarios.LOCAL) + timedelta(hours=19) < target
            < outcome_earliest - timedelta(hours=2)):
        raise RuntimeError(f"no tick clock target fits: events {event}, corrections due by {correction_latest}, "
                           f"outcomes due from {outcome_earliest}")
    return target, event


def machine() -> dict[str, Any]:
    """What the run ran on."""
    memory = next((int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal:")), 0)
    gunicorn = subprocess.run([tool("gunicorn"), "--version"], capture_output=True, text=True).stdout.strip()
    return {"nproc": os.cpu_count(), "memory_mb": memory, "python": platform.python_version(),
            "gunicorn": gunicorn.replace("gunicorn (version ", "").rstrip(")"),
            "load_avg_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg())}


def organizations(api: Api, applicant_org: int) -> dict[str, list[int]]:
    """Active organizations registered at the province (zombie_cleanup and party_building cases), and the
    applicant's own (its user works the applicant lane)."""
    found: list[int] = []
    page = 1
    while True:
        status, body, _ = api.call("GET", f"{API}/organizations?region=220000&status=active&per_page=200&page={page}",
                                   "party_officer", kind="setup")
        if status != 200:
            raise RuntimeError(f"organizations: {status} {body}")
        found += [o["id"] for o in body["items"] if o.get("region") == "220000"]
        if page * 200 >= body["total"]:
            break
        page += 1
    if not found:
        raise RuntimeError("no active province organization in the demo data")
    return {"province": found, "applicant": [applicant_org]}


def http_figures(stats: Stats, elapsed: float) -> dict[str, Any]:
    """Latency percentiles per endpoint kind, answers by status, connection errors, throughput."""
    figures: dict[str, Any] = {}
    for kind in sorted(stats.latency):
        samples = stats.latency[kind]
        if kind == "setup":
            continue
        figures[f"latency_ms_{kind}_count"] = len(samples)
        for q in (50, 95, 99):
            figures[f"latency_ms_{kind}_p{q}"] = percentile(samples, q)
        figures[f"latency_ms_{kind}_max"] = max(samples)
    requests = sum(n for (kind, _, _), n in stats.answers.items() if kind != "setup")
    figures["requests"] = requests
    figures["requests_per_s"] = requests / elapsed
    for (kind, status, code), n in sorted(stats.answers.items()):
        if status >= 400:
            figures[f"http_{status}_{kind}{'_' + code if code else ''}"] = n
    figures["http_5xx"] = sum(n for (_, status, _), n in stats.answers.items() if status >= 500)
    for (kind, name), n in sorted(stats.conn_errors.items()):
        figures[f"connection_errors_{kind}_{name}"] = n
    figures["connection_errors"] = sum(stats.conn_errors.values())
    return figures


def flatten(figures: dict[str, Any]) -> dict[str, Any]:
    """Nested figures as ``parent_child`` names."""
    flat: dict[str, Any] = {}
    for key, value in figures.items():
        if isinstance(value, dict):
            for sub, inner in flatten(value).items():
                flat[f"{key}_{sub}".replace(":", "_")] = inner
        else:
            flat[key] = value
    return flat


def main() -> int:
    """Set up, run the driver against gunicorn and the schedulers, stop everything, check, print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--schedulers", type=int, default=2, help="`socorg scheduler run` processes")
    parser.add_argument("--tick-procs", type=int, default=2, help="`socorg tick --now` runs at once")
    parser.add_argument("--tick-interval", type=float, default=5.0, help="seconds between two rounds of ticks")
    parser.add_argument("--ramp-seconds", type=float, default=None,
                        help="how long the tick clock takes to reach four weeks ahead (default: ~0.35 s a case)")
    parser.add_argument("--threads", type=int, default=12, help="driver threads")
    parser.add_argument("--drop-answers", type=float, default=0.01,
                        help="share of completions whose answer the driver hangs up on (then retries)")
    parser.add_argument("--inflight", type=int, default=None, help="cases being worked at once (default cases/6)")
    parser.add_argument("--kill-at", type=float, default=0.5, help="kill a worker when this share of cases is done")
    parser.add_argument("--kills", type=int, default=1, help="workers to kill, one per further tenth of the cases")
    parser.add_argument("--max-seconds", type=float, default=1500, help="the driver's time budget")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 50 cases unless --cases says otherwise")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--keep-db", action="store_true", help="keep the database (its URL is printed)")
    args = parser.parse_args()
    if args.quick and "--cases" not in sys.argv:
        args.cases = 50
    ramp = args.ramp_seconds if args.ramp_seconds is not None else max(20.0, 0.35 * args.cases)
    inflight = args.inflight or max(10, args.cases // 6)

    run_started = time.monotonic()
    base_url = os.environ.get("SOCORG_SCALE_POSTGRES_URL", DEFAULT_URL)
    url, drop = throwaway_database(base_url, "socorg_scale")
    database = make_url(url).database or ""
    workdir = Path(tempfile.mkdtemp(prefix="socorg-scale-"))
    received: Counter[str] = Counter()
    lock = threading.Lock()
    secret = uuid.uuid4().hex
    figures: dict[str, Any] = {"machine": machine()}
    mail = webhook = None
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCORG_")}
    env.update(SOCORG_DATABASE_URL=url, SOCORG_SECRET_KEY=secret, SOCORG_SCHEDULER_INTERVAL_SECONDS="5",
               SOCORG_SMTP_HOST="127.0.0.1", SOCORG_WEBHOOK_SECRET=secret, PYTHONUNBUFFERED="1")
    procs = Processes(env, workdir)
    problems: list[str] = []
    try:
        print(f"# scale run: {args.cases} cases, {args.workers} {args.worker_class} workers, {args.schedulers} "
              f"schedulers, {args.tick_procs} tick processes; logs in {workdir}", flush=True)
        t0 = time.monotonic()
        cli(env, "init-db")
        cli(env, "demo")
        cli(env, "deploy", str(ROOT / "bpmn"))
        figures["setup_s"] = time.monotonic() - t0
        with create_engine(url).connect() as conn:
            figures["machine"]["postgresql"] = conn.execute(text("SHOW server_version")).scalar()
        mail = MailSink(received, lock)
        webhook = WebhookSink(secret, received, lock)
        env.update(SOCORG_SMTP_PORT=str(mail.port), SOCORG_WEBHOOK_URLS=f"http://127.0.0.1:{webhook.port}/hook")

        server = Gunicorn(procs, args.workers, args.worker_class)
        server.wait_ready()
        for i in range(args.schedulers):
            procs.start(f"scheduler-{i}", [tool("socorg"), "scheduler", "run"])
        stats = Stats()
        api = Api(server.port, stats, drop_share=args.drop_answers)
        logged_in = {user: api.login(user) for user in USERS}
        orgs = organizations(api, logged_in["applicant"]["organization_id"])

        started_at = datetime.now(UTC)
        target, event = clock_target(started_at)
        offset = target - started_at
        ramp_start = time.monotonic()

        def tick_clock() -> datetime:
            share = min(1.0, (time.monotonic() - ramp_start) / ramp)
            return datetime.now(UTC) + offset * share

        plan = scenarios.plan(args.cases)
        driver = Driver(api, plan, threads=args.threads, inflight=inflight, event_date=event,
                        organizations=orgs, run_tag=uuid.uuid4().hex[:6], max_seconds=args.max_seconds)
        ticks = TickRunner(env, args.tick_procs, args.tick_interval, tick_clock)
        ticks.start()
        monitor = Monitor(server, [procs.started[f"scheduler-{i}"].pid for i in range(args.schedulers)], database,
                          lambda: driver.finished / len(plan), args.kill_at, args.kills)
        monitor.start()
        driver.run()
        figures["cpu_s"], figures["cpu_busy_share"] = monitor.stop()
        elapsed = driver.ended_wall - driver.started_wall
        ticks.stop()
        for i in range(args.schedulers):
            figures[f"scheduler_{i}_exit"] = procs.stop(f"scheduler-{i}")
        procs.stop("gunicorn")
        # Deliver what is still queued, as of the last clock the ticks used (no process is left to do it).
        final_clock = max(ticks.last_clock or target, target)
        ticks.tick(final_clock)
        figures["check_webhook_bad_signatures"] = webhook.bad_signatures
        with open(workdir / "received.log", "w") as out:  # when each outbox message arrived, by channel:id
            for at, key in sorted(mail.log + webhook.log):
                out.write(f"{datetime.fromtimestamp(at, UTC).isoformat()} {key}\n")
        mail.stop()
        webhook.stop()
        mail = webhook = None

        log = (workdir / "gunicorn.log").read_text(errors="replace")
        cases = driver.cases
        finished = [c for c in cases if c.status == "completed"]
        figures.update({
            "driver_elapsed_s": elapsed, "tick_clock_target": target.isoformat(), "event_date": event.isoformat(),
            "tick_ramp_s": ramp, "inflight_cap": inflight, "driver_threads": args.threads,
            "cases_planned": len(plan), "cases_completed": len(finished),
            "completions": stats.events["completions"],
            "completions_per_s": stats.events["completions"] / elapsed,
            "cases_per_s": len(finished) / elapsed,
            "case_duration_s_p50": statistics.median([c.finished_at - c.started_at for c in finished]) if finished else 0,
            "events": dict(stats.events), "ticks": dict(ticks.totals),
            "tick_duration_s_p50": statistics.median(ticks.durations) if ticks.durations else 0,
            "workers_killed": len(server.kills),
            "worker_respawn_s_max": max((k["respawn_s"] or -1.0 for k in server.kills), default=None),
            "worker_rss_mb_max": monitor.peak_rss["worker"], "workers_rss_mb_total_max": monitor.peak_rss["workers_total"],
            "server_tracebacks": log.count("Traceback"), "server_worker_timeouts": log.count("WORKER TIMEOUT"),
        })
        figures.update(http_figures(stats, elapsed))
        checks, problems = run_checks(url, cases, tick_clock=final_clock, received=received)
        figures.update(checks)
        figures["check_server_5xx"] = figures["http_5xx"]
        figures["check_cases_unfinished_by_driver"] = sum(1 for c in cases if c.status != "completed")
        for case in cases:
            if case.status != "completed":
                problems.append(f"driver: case {case.id} ({case.scenario.name}) {case.status}: {case.problems[-3:]}")
    finally:
        for sink in (mail, webhook):
            if sink is not None:
                sink.stop()
        procs.stop_all()
        if args.keep_db:
            print(f"# database kept: {url}")
        else:
            drop()

    figures["run_wall_s"] = time.monotonic() - run_started
    flat = flatten(figures)
    for key, value in flat.items():
        print(f"{key}: {value:.3f}" if isinstance(value, float) else f"{key}: {value}", flush=True)
    failed = {k: v for k, v in flat.items() if k.startswith("check_") and v}
    for problem in problems[:40]:
        print(f"# problem: {problem}")
    print(f"# checks: {'FAILED ' + ', '.join(sorted(failed)) if failed else 'all passed'}")
    if failed or args.keep_db:
        print(f"# logs kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps({"figures": flat, "problems": problems}, indent=2, ensure_ascii=False,
                                        default=str))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
