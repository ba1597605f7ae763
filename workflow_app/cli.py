"""The ``socorg`` command: a Flask CLI group over the app factory."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

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



@main.group("calendar")
def calendar_group() -> None:
    """The working-day calendar: show a year, enter its holidays, mark it complete."""


@calendar_group.command("show")
@click.argument("year", type=int)
@with_appcontext
def calendar_show(year: int) -> None:
    """List YEAR's holidays on weekdays and working weekend days, and whether the year is covered."""
    from workflow_app.calendar.service import CalendarService

    service = CalendarService(db.session())
    days = service.year(year)
    covered = service.calendar().covers(year)
    click.echo(f"{year}: {'covered' if covered else 'NOT COVERED (due dates count the statutory holidays, no 调休 make-up days)'}"
               f"{', marked complete' if service.is_complete(year) else ''}; {len(days)} special days")
    for day in days:
        click.echo(f"{day['date'].isoformat()}  {day['kind'].value:<8} {day['source']:<8} {day['name'] or ''}")


@calendar_group.command("set")
@click.argument("year", type=int)
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--complete/--not-complete", default=None, help="Also mark the year as (not) fully entered.")
@with_appcontext
def calendar_set(year: int, file: Any, complete: bool | None) -> None:
    """Replace YEAR's overrides with FILE: a JSON list of {date, kind, name} or {"days": [...], "complete"}."""
    import json

    from workflow_app.calendar.service import CalendarService
    from workflow_app.errors import DomainError

    try:
        data = json.load(file)
    except ValueError as exc:
        raise click.ClickException(f"{file.name} is not JSON: {exc}") from exc
    days = data.get("days") if isinstance(data, dict) else data
    if complete is None and isinstance(data, dict) and isinstance(data.get("complete"), bool):
        complete = data["complete"]
    try:
        saved = CalendarService(db.session()).set_days(year, days, actor="cli", complete=complete)
    except DomainError as exc:
        problems = exc.details.get("days")
        for index, found in (problems.items() if isinstance(problems, dict) else []):
            click.echo(f"error: entry {index}: {'; '.join(found)}", err=True)
        raise click.ClickException(exc.message) from exc
    overrides = [d for d in saved if d["source"] == "override"]
    click.echo(f"{year}: {len(overrides)} special days saved" + ("" if complete is None else
                                                              f", complete={str(complete).lower()}"))


@calendar_group.command("import-notice")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--year", type=int, default=None, help="The notice's year, when its text does not say.")
@click.option("--yes", is_flag=True, help="Store without asking for confirmation.")
@with_appcontext
def calendar_import_notice(file: Any, year: int | None, yes: bool) -> None:
    """Read the State Council's holiday notice from FILE, show its days and store them (marks the year complete)."""
    from workflow_app.calendar.service import CalendarService
    from workflow_app.errors import DomainError

    service = CalendarService(db.session())
    text = file.read()
    try:
        notice = service.preview_notice(text, year)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"{notice.year} 年放假安排（{len(notice.holidays())} 天放假，{len(notice.workdays())} 天调休上班）：")
    for day in notice.days:
        kind = "放假" if day.kind == "holiday" else "上班"
        skipped = "（属另一年，不导入）" if day.day.year != notice.year else ""
        click.echo(f"{day.day.isoformat()}  {kind}  {day.name}{skipped}")
    if not yes and not click.confirm(f"保存为 {notice.year} 年的日历并标记为已录入完整？", default=False):
        click.echo("未保存")
        sys.exit(1)
    try:
        service.import_notice(text, actor="cli", year=notice.year)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"{notice.year} 年放假安排已保存，并已标记为录入完整")


@calendar_group.command("complete")
@click.argument("year", type=int)
@click.option("--undo", is_flag=True, help="Mark the year as not fully entered again.")
@with_appcontext
def calendar_complete(year: int, undo: bool) -> None:
    """Mark YEAR's schedule as fully entered, so due dates in it are no longer flagged."""
    from workflow_app.calendar.service import CalendarService

    CalendarService(db.session()).mark_complete(year, not undo, actor="cli")
    click.echo(f"{year}: marked {'not ' if undo else ''}complete")


@main.group("attachments")
def attachments_group() -> None:
    """The attachment store (SOCORG_FILE_STORE)."""


@attachments_group.command("sweep")
@click.option("--grace-hours", type=click.IntRange(min=1), default=24, show_default=True,
              help="Keep unreferenced files written or touched within this many hours.")
@click.option("--dry-run", is_flag=True, help="Only say what would be deleted.")
@with_appcontext
def attachments_sweep(grace_hours: int, dry_run: bool) -> None:
    """Delete stored files no attachment refers to (withdrawn files, writes never committed)."""
    from datetime import timedelta

    from workflow_app.attachments.store import LocalFileStore
    from workflow_app.attachments.sweep import sweep

    done = sweep(db.session(), LocalFileStore(current_app.config["FILE_STORE"]), timedelta(hours=grace_hours),
                 dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    click.echo(f"{verb} {len(done.removed)} unused files ({done.freed} bytes); kept {done.kept} in use and "
               f"{done.young} unused but younger than {grace_hours} h" +
               (f"; put back {len(done.restored)} set aside by an interrupted sweep" if done.restored else ""))


@main.command("import-orgs")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows even if some are rejected.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the rejected rows with their reasons to this CSV file.")
@with_appcontext
def import_orgs(file: Path, skip_invalid: bool, report_path: Path | None) -> None:
    """Import organizations from CSV/XLSX; a file with bad rows imports nothing unless --skip-invalid."""
    from workflow_app.organizations import importer

    bars: list[Any] = []

    def start_bar(total: int) -> None:
        bars.append(click.progressbar(length=total, label="检查 checking rows", file=sys.stderr).__enter__())

    try:
        report = importer.import_file(db.session(), file, skip_invalid=skip_invalid, on_rows=start_bar,
                                      progress=lambda n: bars[-1].update(n))
    except importer.ImportFileError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    finally:
        for bar in bars:
            bar.__exit__(None, None, None)
    if report.ignored_columns:
        click.echo(f"ignored columns: {', '.join(report.ignored_columns)}", err=True)
    for line in importer.iter_report_lines(report.rejected):
        click.echo(f"rejected {line}", err=True)
    if report_path is not None and report.rejected:
        importer.write_report(report_path, report.rejected)
        click.echo(f"rejected rows written to {report_path}", err=True)
    click.echo(report.summary())
    if report.rejected and not skip_invalid:
        click.echo("nothing imported: fix the rejected rows, or use --skip-invalid", err=True)
        sys.exit(1)


@main.command("set-uscc")
@click.argument("organization")
@click.argument("code")
@with_appcontext
def set_uscc(organization: str, code: str) -> None:
    """Enter the national 统一社会信用代码 of ORGANIZATION (its id or current code); clears the provisional flag."""
    from sqlalchemy import or_, select

    from workflow_app.db import unit_of_work
    from workflow_app.errors import DomainError
    from workflow_app.organizations.models import Organization
    from workflow_app.organizations.service import OrganizationService

    session = db.session()
    key = organization.strip().upper()
    where = Organization.uscc == key
    if key.isdigit() and len(key) < 18:
        where = or_(where, Organization.id == int(key))
    org = session.scalar(select(Organization).where(where).limit(1))
    if org is None:
        raise click.ClickException(f"没有找到组织 {organization}")
    try:
        with unit_of_work(session):
            changed = OrganizationService(session).enter_national_uscc(org, code)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"{org.name}: {org.uscc}" + ("（未变化）" if not changed else "（已登记全国统一代码）"))


@main.command("start-zombie-cleanup")
@click.option("--flagged", is_flag=True, help="Every active organization flagged suspected_zombie.")
@click.option("--ids-file", type=click.File("r", encoding="utf-8-sig"),
              help="Organization ids or 统一社会信用代码, one per line (or separated by commas/spaces).")
@click.option("--by", "started_by", default="cli", show_default=True, help="Who starts the cases.")
@click.option("--process-key", default="zombie_cleanup", show_default=True)
@click.option("--batch-size", default=200, show_default=True, type=click.IntRange(1, 5000))
@with_appcontext
def start_zombie_cleanup(flagged: bool, ids_file: Any, started_by: str, process_key: str, batch_size: int) -> None:
    """Start zombie_cleanup cases in bulk; organizations with an open case are skipped."""
    from workflow_app.organizations import bulk

    _bulk_start(bulk.start_zombie_cleanup, bulk.flagged_ids if flagged else None, ids_file, started_by,
                process_key, batch_size, "--flagged")


@main.command("start-party-building")
@click.option("--uncovered", is_flag=True,
              help="Every active organization without a party organization (the 集中攻坚 campaign).")
@click.option("--ids-file", type=click.File("r", encoding="utf-8-sig"),
              help="Organization ids or 统一社会信用代码, one per line (or separated by commas/spaces).")
@click.option("--by", "started_by", default="cli", show_default=True, help="Who starts the cases.")
@click.option("--process-key", default="party_building", show_default=True)
@click.option("--batch-size", default=200, show_default=True, type=click.IntRange(1, 5000))
@with_appcontext
def start_party_building(uncovered: bool, ids_file: Any, started_by: str, process_key: str, batch_size: int) -> None:
    """Start party_building cases in bulk; organizations with an open case are skipped (run it again safely)."""
    from workflow_app.organizations import bulk

    _bulk_start(bulk.start_party_building, bulk.uncovered_ids if uncovered else None, ids_file, started_by,
                process_key, batch_size, "--uncovered")


def _bulk_start(start: Any, select_all: Any, ids_file: Any, started_by: str, process_key: str, batch_size: int,
                all_flag: str) -> None:
    """One bulk start: the organizations (all selected, or from a file), a progress bar, the skips, a summary."""
    from workflow_app.errors import DomainError
    from workflow_app.organizations import bulk

    if (select_all is not None) == (ids_file is not None):
        raise click.UsageError(f"give exactly one of {all_flag} or --ids-file FILE")
    sess = db.session()
    unknown: list[str] = []
    if select_all is not None:
        ids = select_all(sess)
    else:
        ids, unknown = bulk.read_id_list(sess, ids_file.read())
    for token in unknown:
        click.echo(f"skipped {token}: no such organization", err=True)
    try:
        with click.progressbar(length=len(ids), label="启动 starting cases", file=sys.stderr) as bar:
            result = start(sess, ids, started_by, process_key=process_key, batch_size=batch_size,
                           progress=bar.update)
    except DomainError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
    for org_id, reason in result.skipped:
        click.echo(f"skipped organization {org_id}: {reason}", err=True)
    click.echo(result.summary())


if __name__ == "__main__":
    main()
