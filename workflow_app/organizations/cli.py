"""The registry's commands: ``socorg import-orgs``, ``set-uscc``, and the bulk starts ``start-zombie-cleanup`` and
``start-party-building``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext

from workflow_app import db


@click.command("import-orgs")
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


@click.command("set-uscc")
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


def _bulk_options(process_key: str) -> Any:
    """The options every bulk start shares (after its own "all of them" flag)."""

    def decorate(command: Any) -> Any:
        for option in reversed((
            click.option("--ids-file", type=click.File("r", encoding="utf-8-sig"),
                         help="Organization ids or 统一社会信用代码, one per line (or separated by commas/spaces)."),
            click.option("--by", "started_by", default="cli", show_default=True, help="Who starts the cases."),
            click.option("--process-key", default=process_key, show_default=True),
            click.option("--batch-size", default=200, show_default=True, type=click.IntRange(1, 5000)),
        )):
            command = option(command)
        return command

    return decorate


@click.command("start-zombie-cleanup")
@click.option("--flagged", is_flag=True, help="Every active organization flagged suspected_zombie.")
@_bulk_options("zombie_cleanup")
@with_appcontext
def start_zombie_cleanup(flagged: bool, ids_file: Any, started_by: str, process_key: str, batch_size: int) -> None:
    """Start zombie_cleanup cases in bulk; organizations with an open case are skipped."""
    from workflow_app.organizations import bulk

    _bulk_start(bulk.start_zombie_cleanup, bulk.flagged_ids if flagged else None, ids_file, started_by,
                process_key, batch_size, "--flagged")


@click.command("start-party-building")
@click.option("--uncovered", is_flag=True,
              help="Every active organization without a party organization (the 集中攻坚 campaign).")
@_bulk_options("party_building")
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


COMMANDS = (import_orgs, set_uscc, start_zombie_cleanup, start_party_building)
