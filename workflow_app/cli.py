"""The ``socorg`` command: a Flask CLI group over the app factory."""

from __future__ import annotations

import os
import sys
from datetime import datetime

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from workflow_app import clock, create_app, db


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
@click.option("--if-empty", is_flag=True, help="Only when the database has no users yet (make run uses this).")
@with_appcontext
def demo(organizations: int, if_empty: bool) -> None:
    """Load demo regions, groups, users (password demo12345) and organizations; safe to run twice."""
    from workflow_app.demo import is_empty, load_demo

    if if_empty and not is_empty(db.session()):
        click.echo("demo data skipped: the database already has users")
        return
    click.echo(str(load_demo(db.session(), organizations=organizations)))


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


@main.group("scheduler")
def scheduler_group() -> None:
    """The scheduler process: timers, escalation, outbox."""


@scheduler_group.command("run")
@with_appcontext
def scheduler_run() -> None:
    """Run the scheduler in the foreground until SIGTERM/SIGINT."""
    from scheduler.runner import run_blocking

    run_blocking(current_app._get_current_object())  # type: ignore[attr-defined]


@main.command("tick")
@click.option("--now", "now", default=None, help="ISO time to act as of (local time if no offset).")
@with_appcontext
def tick(now: str | None) -> None:
    """Run every scheduler job once, as of now or of --now."""
    from scheduler.jobs import run_all

    moment = _now_option(now)
    if moment is not None:
        clock.set_global(moment)
    for name, outcome in run_all(current_app._get_current_object()).items():  # type: ignore[attr-defined]
        click.echo(f"{name}: {outcome}")


if __name__ == "__main__":
    main()
