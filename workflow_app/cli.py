"""The ``socorg`` command: a Flask CLI group over the app factory. The commands of one feature area live beside
it (``calendar/cli.py``, ``attachments/cli.py``, ``organizations/cli.py``) and are added here."""

from __future__ import annotations

import os
import sys
from datetime import datetime

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from workflow_app import clock, create_app, db
from workflow_app.attachments.cli import attachments_group
from workflow_app.calendar.cli import calendar_group
from workflow_app.organizations.cli import COMMANDS as ORGANIZATION_COMMANDS


def _now_option(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO 8601 time: {value}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.LOCAL_TZ)  # people type local (Beijing) time
    return moment


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False, add_default_commands=False)
def main() -> None:
    """socorg-workflow: BPMN cases of social organizations (社会组织业务协同平台)."""


@main.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create the database schema or upgrade it to the newest revision."""
    from workflow_app import migrations

    migrations.upgrade(db.engine())
    click.echo(f"database at revision head: {db.engine().url.render_as_string(hide_password=True)}")


@main.command("demo")
@click.option("--organizations", default=300, show_default=True, help="How many demo organizations.")
@click.option("--cases", default=240, show_default=True,
              help="How many demo cases of the deployed processes, worked over the past months (0: none).")
@click.option("--months", default=6, show_default=True, help="How far back the demo cases start.")
@click.option("--if-empty", is_flag=True, help="Only when the database has no users yet (make run uses this).")
@with_appcontext
def demo(organizations: int, cases: int, months: int, if_empty: bool) -> None:
    """Load demo regions, groups, users (password demo12345) and organizations, then a history of cases of
    the deployed processes (only into a database without cases); safe to run twice."""
    from workflow_app.demo import is_empty, load_demo
    from workflow_app.demo_history import DemoHistory, has_cases

    if if_empty and not is_empty(db.session()):
        click.echo("demo data skipped: the database already has users")
        return
    click.echo(str(load_demo(db.session(), organizations=organizations)))
    if cases <= 0:
        return
    if has_cases(db.session()):
        click.echo("demo history skipped: the database already has cases")
        return
    click.echo(f"demo history: working {cases} cases over the past {months} months…")
    history = DemoHistory(db.session(), progress=click.echo)
    click.echo(str(history.run(cases=cases, months=months)))
    from scheduler.jobs import escalate

    click.echo(f"escalation scan of the demo cases: {escalate(current_app._get_current_object())}")  # type: ignore[attr-defined]


@main.command("deploy")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--by", "deployed_by", default="cli", show_default=True, help="Who deploys (kept with the version).")
@with_appcontext
def deploy(paths: tuple[str, ...], deployed_by: str) -> None:
    """Deploy BPMN/DMN files, forms/*.json, or directories holding them."""
    from workflow_app.definitions.errors import DefinitionInvalid
    from workflow_app.definitions.service import collect_files
    from workflow_app.services import definition_service

    try:
        files = collect_files(paths)
        if not files:
            click.echo(f"nothing to deploy: no .bpmn/.dmn files in {', '.join(paths)}")
            return
        results = definition_service().deploy(files, deployed_by=deployed_by)
    except DefinitionInvalid as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(1)
    for result in results:
        state = "deployed" if result.created else "unchanged"
        click.echo(f"{result.key}: version {result.version} ({state})")
        for warning in result.warnings:
            click.echo(f"warning: {warning}", err=True)


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=None, help="Defaults to $PORT, else 5000.")
@click.option("--no-scheduler", is_flag=True, help="Serve only; run `socorg scheduler run` separately.")
@with_appcontext
def run(host: str, port: int | None, no_scheduler: bool) -> None:
    """Serve the app (and, unless told not to, the embedded scheduler)."""
    from werkzeug.serving import run_simple

    from scheduler.runner import start_background

    port = port or int(os.environ.get("PORT", "5000"))
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    background = None if no_scheduler else start_background(app)
    try:
        click.echo(f"serving on http://{host}:{port}" + ("" if no_scheduler else " with the embedded scheduler"))
        # Flask refuses app.run() inside its own CLI; run_simple is what `flask run` uses.
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        if background is not None:
            background.shutdown(wait=True)


@main.command("serve")
@click.option("--bind", default=None, help="host:port or unix:PATH [default: $SOCORG_BIND, else 127.0.0.1:8000].")
@click.option("--workers", type=int, default=None, help="Web worker processes [default: $SOCORG_WEB_WORKERS, else 2].")
@click.option("--threads", type=int, default=4, show_default=True, help="Threads per worker.")
@click.option("--timeout", type=int, default=60, show_default=True, help="Seconds before a stuck worker is restarted.")
@click.option("--check", is_flag=True, help="Only check the configuration for production, then exit.")
@with_appcontext
def serve(bind: str | None, workers: int | None, threads: int, timeout: int, check: bool) -> None:
    """Serve the app in production with gunicorn (no scheduler: run `socorg scheduler run` as its own service)."""
    from workflow_app.config import production_problems

    bind = bind or os.environ.get("SOCORG_BIND", "127.0.0.1:8000")
    workers = workers or int(os.environ.get("SOCORG_WEB_WORKERS", "2"))
    problems = production_problems(current_app.config, workers=workers)
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    if problems:
        sys.exit(2)
    if check:
        click.echo(f"configuration ok for {workers} workers on {bind}")
        return
    os.environ["SOCORG_WEB_WORKERS"] = str(workers)  # read again by workflow_app.wsgi in each worker
    argv = [sys.executable, "-m", "gunicorn", "--bind", bind, "--workers", str(workers),
            "--worker-class", "gthread", "--threads", str(threads), "--timeout", str(timeout),
            "--graceful-timeout", "30", "--keep-alive", "5", "--max-requests", "2000",
            "--max-requests-jitter", "200", "--access-logfile", "-", "--error-logfile", "-",
            "workflow_app.wsgi:app"]
    click.echo(f"serving on {bind} with {workers} gunicorn workers × {threads} threads")
    sys.stdout.flush()
    os.execv(sys.executable, argv)


@main.group("scheduler")
def scheduler_group() -> None:
    """The scheduler process: timers, escalation, outbox."""


@scheduler_group.command("run")
@with_appcontext
def scheduler_run() -> None:
    """Run the scheduler in the foreground until SIGTERM/SIGINT (it finishes the running job, then exits 0)."""
    import logging

    from scheduler.runner import run_blocking

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Two lines per job run ("Running job", "executed successfully") would drown the jobs' own lines.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    click.echo(f"scheduler running (pid {os.getpid()}); SIGTERM or Ctrl-C stops it")
    run_blocking(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo("scheduler stopped")


@main.command("tick")
@click.option("--now", "now", default=None, help="ISO time to act as of (local time if no offset).")
@with_appcontext
def tick(now: str | None) -> None:
    """Run every scheduler job once, as of now or of --now (exit 1 when the database is unreachable)."""
    from scheduler.jobs import DatabaseUnreachable, run_all

    moment = _now_option(now)
    if moment is not None:
        clock.set_global(moment)
    try:
        outcomes = run_all(current_app._get_current_object())  # type: ignore[attr-defined]
    except DatabaseUnreachable as exc:
        click.echo(f"error: 数据库无法连接，本轮任务未执行，请检查 SOCORG_DATABASE_URL 与数据库服务"
                   f"（database unreachable, nothing was done: {exc}）", err=True)
        sys.exit(1)
    for name, outcome in outcomes.items():
        click.echo(f"{name}: {outcome}")


# The feature areas' own commands (each beside its service).
for command in (calendar_group, attachments_group, *ORGANIZATION_COMMANDS):
    main.add_command(command)


if __name__ == "__main__":
    main()
