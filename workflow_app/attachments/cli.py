"""``socorg attachments sweep``: reclaim stored bytes no attachment names (workflow_app/attachments/sweep.py)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from workflow_app import db


@click.group("attachments")
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
