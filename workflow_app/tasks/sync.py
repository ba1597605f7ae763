"""Keep the human_task table in step with the engine after every change to a case."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from workflow_app import clock
from workflow_app.alerts.service import close_for_tasks
from workflow_app.engine import ReadyTask
from workflow_app.instances.models import ProcessInstance
from workflow_app.tasks.models import OPEN_STATUSES, HumanTask, TaskStatus

# (time limit, start) → (due moment, warning or None); (None, None) when the task has no limit.
DueFor = Callable[[str | None, datetime], tuple[datetime | None, str | None]]


def sync_tasks(session: Session, instance: ProcessInstance, ready: Iterable[ReadyTask], *,
               task_state: Callable[[str], str], due_for: DueFor,
               completed_by: str | None = None) -> tuple[list[HumanTask], list[HumanTask]]:
    """Insert rows for newly ready tasks and close rows whose task left READY; return (new, closed).

    Reads only the case's open rows and the rows of the ready tasks (index ``(instance_id, status)``),
    so its cost does not grow with the case's history."""
    now = clock.now()
    ready = list(ready)
    ready_ids = {t.id for t in ready}
    wanted = HumanTask.status.in_(OPEN_STATUSES)
    if ready_ids:
        wanted = or_(wanted, HumanTask.id.in_(ready_ids))
    known = {row.id: row for row in session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance.id, wanted)
    )}
    closed = []
    for row in known.values():
        if row.status in OPEN_STATUSES and row.id not in ready_ids:
            state = task_state(row.id)
            row.status = TaskStatus.COMPLETED if state == "completed" else TaskStatus.CANCELLED
            row.completed_at = now
            if row.status is TaskStatus.COMPLETED:
                row.completed_by = completed_by
            closed.append(row)
    created = []
    for task in ready:
        row = known.get(task.id)
        if row is not None:
            if not row.status.is_open:  # a task made ready again (retry / loop back) reopens
                row.status, row.completed_at, row.completed_by = TaskStatus.READY, None, None
            continue
        row = HumanTask(
            id=task.id, instance_id=instance.id, process_key=instance.process_key,
            business_key=instance.business_key, name=task.name, title=task.title,
            candidate_group=task.lane, region_code=instance.region_code,
            organization_id=instance.organization_id, status=TaskStatus.READY,
            form=task.form, created_at=now,
        )
        row.due_at, row.due_warning = due_for(task.time_limit, now)
        session.add(row)
        created.append(row)
    # A task that left open status closes its alerts; one never escalated (level 0) has none.
    close_for_tasks(session, [row.id for row in closed if row.escalation_level])
    return created, closed


def close_all(session: Session, instance_id: str) -> list[HumanTask]:
    """Cancel every open task of a case (the case was cancelled)."""
    rows = list(session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status.in_(OPEN_STATUSES))
    ))
    for row in rows:
        row.status, row.completed_at = TaskStatus.CANCELLED, clock.now()
    close_for_tasks(session, [row.id for row in rows])
    return rows
