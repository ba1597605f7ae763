"""The case row's write after an engine step, as one prebuilt Core UPDATE.

The ORM's flush of the same change costs several times the Python (unit-of-work sorting, attribute
history, the version check built per flush); this writes the columns a step changes, checks the
optimistic lock in the WHERE clause and marks the written values committed on the loaded object, so a
later flush neither repeats them nor trips over the version it moved."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from workflow_app import clock
from workflow_app.db import execute_write
from workflow_app.instances.models import ProcessInstance

_table = ProcessInstance.__table__
STEP_COLUMNS = ("state_json", "next_timer_at", "status", "error", "ended_at")
_UPDATE = (
    _table.update()
    .where(_table.c.id == bindparam("key_id"), _table.c.version == bindparam("key_version"))
    .values({name: bindparam(name) for name in (*STEP_COLUMNS, "updated_at", "version")})
)


class StaleCase(Exception):
    """The case row's version moved since it was read: someone else saved it."""


def write_step(session: Session, instance: ProcessInstance, **values: Any) -> None:
    """Write ``values`` (every column of :data:`STEP_COLUMNS`) to the case row now, bumping its version;
    :class:`StaleCase` when its version is no longer the one read."""
    if inspect(instance).pending:
        session.flush()  # a case not inserted yet (a start) is inserted first
    # Other changes pending on the row stay pending: their flush checks the version written here.
    version = instance.version
    values.update(updated_at=clock.now(), version=version + 1)
    result = execute_write(session, _UPDATE, {"key_id": instance.id, "key_version": version, **values})
    if result.rowcount != 1:
        raise StaleCase(instance.id)
    for name, value in values.items():
        set_committed_value(instance, name, value)
