"""``socorg calendar``: show a year's working-day calendar, enter its holidays, import the State Council's
notice, mark a year complete."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask.cli import with_appcontext

from workflow_app import db


@click.group("calendar")
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
