"""Reclaiming the store's unused bytes (``socorg attachments sweep``): a withdrawn file's, or a write
whose row was never committed.

Requests never delete bytes: the same bytes may belong to another row, or to an upload in flight in a
case whose lock the request does not hold. The sweep deletes a file only when no committed row names
its digest and nothing has written or touched it for the grace period (the protocol is
:meth:`LocalFileStore.remove_unused`); run it daily from cron or a systemd timer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_app.attachments.models import Attachment
from workflow_app.attachments.store import LocalFileStore

BATCH = 500  # digests looked up per query
DEFAULT_GRACE = timedelta(hours=24)
MIN_GRACE = timedelta(hours=1)  # far longer than an upload's put-to-commit


@dataclass
class Swept:
    """What a sweep did (or, dry, would do)."""

    removed: list[str] = field(default_factory=list)  # digests deleted (dry: unreferenced and old enough)
    freed: int = 0  # bytes
    kept: int = 0  # files a row refers to
    young: int = 0  # unreferenced files within the grace period, left for a later sweep
    restored: list[str] = field(default_factory=list)  # set aside by an interrupted sweep, put back


def sweep(session: Session, store: LocalFileStore, grace: timedelta = DEFAULT_GRACE, *,
          dry_run: bool = False) -> Swept:
    """Delete the stored files no committed attachment row names and nothing touched within ``grace``."""
    if grace < MIN_GRACE:
        raise ValueError(f"the grace period must be at least {MIN_GRACE}")
    cutoff = time.time() - grace.total_seconds()
    done = Swept()

    def referenced(digest: str) -> bool:
        session.rollback()  # a fresh snapshot: what is committed now
        return session.scalar(select(Attachment.id).where(Attachment.sha256 == digest).limit(1)) is not None

    if not dry_run:
        done.restored = store.recover(cutoff, referenced)
    batch: list[str] = []
    for digest in store.digests():
        batch.append(digest)
        if len(batch) == BATCH:
            _sweep_batch(session, store, batch, cutoff, referenced, dry_run, done)
            batch = []
    _sweep_batch(session, store, batch, cutoff, referenced, dry_run, done)
    session.rollback()
    return done


def _sweep_batch(session: Session, store: LocalFileStore, digests: list[str], cutoff: float,
                 referenced: Callable[[str], bool], dry_run: bool, done: Swept) -> None:
    if not digests:
        return
    session.rollback()
    named = set(session.scalars(select(Attachment.sha256).where(Attachment.sha256.in_(digests)).distinct()))
    done.kept += len(named)
    for digest in (d for d in digests if d not in named):
        try:
            stat = store.path(digest).stat()
        except FileNotFoundError:
            continue
        if stat.st_mtime > cutoff:
            done.young += 1
        elif dry_run or store.remove_unused(digest, cutoff, referenced):
            done.removed.append(digest)
            done.freed += stat.st_size
