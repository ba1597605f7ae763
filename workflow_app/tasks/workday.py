"""The figures of a user's home page beyond the inbox's tab counts: open tasks due today, and the
cases the user touched last (steps they completed, cases they started). Each is one index-served
query: tasks by ``assignee``/pool (the inbox's branches), ``completed_by``, cases by ``started_by``."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from workflow_app import clock
from workflow_app.directory.models import User
from workflow_app.instances.models import ProcessInstance
from workflow_app.tasks.models import OPEN_STATUSES, HumanTask, TaskStatus
from workflow_app.tasks.visibility import Viewer, count_of, task_group_inbox, task_mine_branches

RECENT = 5
_START = bindparam("start", type_=HumanTask.due_at.type)
_END = bindparam("end", type_=HumanTask.due_at.type)


@functools.lru_cache(maxsize=1024)
def due_today_statement(viewer: Viewer) -> Select[Any]:
    """The count of the inbox's open tasks (mine + my pool) due from ``start`` to ``end``."""
    return count_of([*task_mine_branches(viewer), task_group_inbox(viewer)],
                    HumanTask.status.in_(OPEN_STATUSES), HumanTask.due_at >= _START, HumanTask.due_at < _END)


def due_today(session: Session, user: User, now: datetime | None = None) -> int:
    """Open tasks of the caller's inbox due from now to the end of today (Beijing time); overdue ones are
    counted apart (the inbox's ``overdue``)."""
    now = now or clock.now()
    local = now.astimezone(clock.LOCAL_TZ)
    end = (local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)).astimezone(UTC)
    return session.scalar(due_today_statement(Viewer.of(user)), {"start": now, "end": end}) or 0


def recent_cases(session: Session, user: User, limit: int = RECENT) -> list[tuple[ProcessInstance, datetime]]:
    """The cases the caller acted on last — a step they completed or a case they started — newest first."""
    done = (select(HumanTask.instance_id, func.max(HumanTask.completed_at).label("at"))
            .where(HumanTask.completed_by == user.username, HumanTask.status == TaskStatus.COMPLETED)
            .group_by(HumanTask.instance_id).order_by(func.max(HumanTask.completed_at).desc()).limit(limit))
    touched: dict[str, datetime] = {row.instance_id: row.at for row in session.execute(done)}
    started = (select(ProcessInstance.id, ProcessInstance.started_at).where(ProcessInstance.started_by == user.username)
               .order_by(ProcessInstance.started_at.desc()).limit(limit))
    for instance_id, at in session.execute(started):
        if instance_id not in touched or touched[instance_id] < at:
            touched[instance_id] = at
    latest = sorted(touched.items(), key=lambda item: item[1], reverse=True)[:limit]
    instances = {i.id: i for i in session.scalars(select(ProcessInstance).where(
        ProcessInstance.id.in_([instance_id for instance_id, _at in latest])))} if latest else {}
    return [(instances[instance_id], at) for instance_id, at in latest if instance_id in instances]
