"""Tasks sent back to (退回, 撤回): which open tasks of a list were reopened that way, and the event
that reopened one — for the inbox's 被退回 mark and the reason on the task page.

A reopened task keeps its id and starts a new ``cycle`` (instances/service.py ``_go_back``), so only
open tasks with ``cycle > 0`` are looked up, in the audit trail of their cases (by ``instance_id``,
indexed): a 退回 names its target in ``details`` (``to_task``; ``to_name`` survives what an
organization reads of it), a 撤回 is recorded on the withdrawn task itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_app.instances.models import AuditEvent
from workflow_app.tasks.models import HumanTask

SENT_BACK = ("return", "withdraw")
LABELS = {"return": "被退回", "withdraw": "已撤回"}


def reopened_by(session: Session, tasks: Iterable[HumanTask]) -> dict[str, str]:
    """Task id → the action (``return`` / ``withdraw``) that last reopened it, for the open tasks given."""
    reopened = {t.id: t for t in tasks if t.cycle and t.status.is_open}
    if not reopened:
        return {}
    found: dict[str, str] = {}
    events = session.execute(
        select(AuditEvent.action, AuditEvent.task_id, AuditEvent.details)
        .where(AuditEvent.instance_id.in_({t.instance_id for t in reopened.values()}), AuditEvent.action.in_(SENT_BACK))
        .order_by(AuditEvent.id))
    for action, task_id, details in events:
        target = (details or {}).get("to_task") if action == "return" else task_id
        if target in reopened:
            found[target] = action
    return found


def is_reopening(event: Any, task: HumanTask) -> bool:
    """Whether ``event`` (an audit event, or what an organization reads of one) sent the case back to ``task``."""
    details = event.details or {}
    if event.action == "return":
        return details.get("to_task", task.id) == task.id and details.get("to_name") == task.name
    return event.action == "withdraw" and event.task_id == task.id


def last_reopening(events: Sequence[Any], task: HumanTask) -> int | None:
    """The index in ``events`` (a case's history, oldest first) of the event that reopened the open
    ``task`` last; None when it was not sent back."""
    if not (task.cycle and task.status.is_open):
        return None
    for index in range(len(events) - 1, -1, -1):
        if is_reopening(events[index], task):
            return index
    return None
