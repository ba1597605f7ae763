"""Keep the human_task table in step with the engine after every change to a case."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from workflow_app import clock
from workflow_app.alerts.service import close_for_tasks
from workflow_app.db import execute_write
from workflow_app.engine import ReadyTask
from workflow_app.instances.models import ProcessInstance
from workflow_app.tasks.models import OPEN_STATUSES, HumanTask, TaskStatus

# (time limit, start) → (due moment, warning or None); (None, None) when the task has no limit.
DueFor = Callable[[str | None, datetime], tuple[datetime | None, str | None]]


# The case's open rows and the rows of the tasks ready now; built once (a statement reused skips
# SQLAlchemy's per-call construction and cache-key walk).
_OPEN_OR_READY = select(HumanTask).where(
    HumanTask.instance_id == bindparam("instance_id"),
    or_(HumanTask.status.in_(OPEN_STATUSES), HumanTask.id.in_(bindparam("ready_ids", expanding=True))),
)


def sync_tasks(session: Session, instance: ProcessInstance, ready: Iterable[ReadyTask], *,
               task_state: Callable[[str], str], due_for: DueFor,
               completed_by: str | None = None) -> tuple[list[HumanTask], list[HumanTask]]:
    """Insert rows for newly ready tasks and close rows whose task left READY; return (new, closed).

    Reads only the case's open rows and the rows of the ready tasks (index ``(instance_id, status)``),
    so its cost does not grow with the case's history. The closing updates and the new rows are written
    at once as prebuilt Core statements; the objects returned are the session's, in step with the rows."""
    now = clock.now()
    ready = list(ready)
    ready_ids = {t.id for t in ready}
    known = {row.id: row for row in session.scalars(_OPEN_OR_READY, {"instance_id": instance.id,
                                                                     "ready_ids": sorted(ready_ids)})}
    closed = []
    for row in known.values():
        if row.status in OPEN_STATUSES and row.id not in ready_ids:
            state = task_state(row.id)
            done = state == "completed"
            closed.append((row, {"status": TaskStatus.COMPLETED if done else TaskStatus.CANCELLED,
                                 "completed_at": now, "completed_by": completed_by if done else row.completed_by}))
    created = []
    for task in ready:
        row = known.get(task.id)
        if row is not None:
            if not row.status.is_open:  # a task made ready again (retry / loop back) reopens
                row.status, row.completed_at, row.completed_by = TaskStatus.READY, None, None
            continue
        due_at, due_warning = due_for(task.time_limit, now)
        created.append({
            "id": task.id, "instance_id": instance.id, "process_key": instance.process_key,
            "business_key": instance.business_key, "name": task.name, "title": task.title,
            "candidate_group": task.lane, "region_code": instance.region_code,
            "organization_id": instance.organization_id, "assignee": None, "status": TaskStatus.READY,
            "form": task.form, "created_at": now, "due_at": due_at, "due_warning": due_warning,
            "completed_at": None, "completed_by": None, "escalation_level": 0, "cycle": 0, "delegated_from": None,
        })
    _write(session, closed, created)
    new = [_attached(session, values) for values in created]
    # A task that left open status closes its alerts; one never escalated (level 0) has none.
    close_for_tasks(session, [row.id for row, _ in closed if row.escalation_level])
    return new, [row for row, _ in closed]


_table = HumanTask.__table__
_CLOSE = _table.update().where(_table.c.id == bindparam("key_id")).values(
    status=bindparam("status"), completed_at=bindparam("completed_at"), completed_by=bindparam("completed_by"))
_INSERT = _table.insert()


def _write(session: Session, closed: list[tuple[HumanTask, dict[str, Any]]], created: list[dict[str, Any]]) -> None:
    if closed:
        execute_write(session, _CLOSE, [{"key_id": row.id, **values} for row, values in closed])
        for row, values in closed:
            for name, value in values.items():
                set_committed_value(row, name, value)
    if created:
        execute_write(session, _INSERT, created)


def _attached(session: Session, values: dict[str, Any]) -> HumanTask:
    """The row just inserted as a persistent object of the session (no second INSERT at the next flush)."""
    row = HumanTask(**values)
    make_transient_to_detached(row)
    session.add(row)
    return row


def close_all(session: Session, instance_id: str) -> list[HumanTask]:
    """Cancel every open task of a case (the case was cancelled)."""
    rows = list(session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status.in_(OPEN_STATUSES))
    ))
    for row in rows:
        row.status, row.completed_at = TaskStatus.CANCELLED, clock.now()
    close_for_tasks(session, [row.id for row in rows])
    return rows
