"""The checks behind every task operation: is the task visible, may the caller work on it, who are
the users a body names and may they receive it. A mixin of :class:`~workflow_app.tasks.service.TaskService`."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, func, select, true
from sqlalchemy.orm import Session

from workflow_app.directory.models import Role, User, user_groups
from workflow_app.instances.errors import TaskNotFound, TaskNotReady
from workflow_app.instances.models import ProcessInstance
from workflow_app.notifications.models import Channel
from workflow_app.notifications.outbox import enqueue
from workflow_app.tasks.errors import (
    AlreadyDelegated,
    NotActionable,
    TaskClaimed,
    UnknownUser,
    UrgeTooSoon,
    UserNotEligible,
)
from workflow_app.tasks.models import HumanTask, TaskUrge
from workflow_app.tasks.visibility import APPLICANT_GROUP, Viewer, task_pool, task_visible

Guard = Callable[[HumanTask], None]


@dataclass(frozen=True)
class ViewerReads:
    """The reads a task operation makes for one viewer, built once (building them — the visibility rule
    embeds the viewer — cost more than running them)."""

    work: Select[Any]  # :task_id → (task, its case's definition id, whether the viewer is in its pool)
    seen: Select[Any]  # :ids → those of the tasks the viewer may see


@functools.lru_cache(maxsize=1024)
def viewer_reads(viewer: Viewer) -> ViewerReads:
    """:class:`ViewerReads` of ``viewer`` (a changed user is another viewer: a new entry)."""
    visible = task_visible(viewer)
    pool = true() if viewer.role is Role.ADMIN else task_pool(viewer)
    work = (select(HumanTask, ProcessInstance.definition_id, pool.label("eligible"))
            .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .where(HumanTask.id == bindparam("task_id"), visible))
    seen = select(HumanTask.id).where(HumanTask.id.in_(bindparam("ids", expanding=True)), visible)
    return ViewerReads(work, seen)
URGE_INTERVAL = timedelta(hours=1)
MAX_ID_LENGTH = 64


class TaskRules:
    """Checks shared by the task operations; needs ``self.session``."""

    session: Session

    @staticmethod
    def checked_id(task_id: str) -> str:
        """The id, or 404 for one that cannot exist (too long, a NUL byte PostgreSQL would refuse)."""
        if not task_id or len(task_id) > MAX_ID_LENGTH or "\x00" in task_id:
            raise TaskNotFound(f"no task {task_id[:MAX_ID_LENGTH]!r}")
        return task_id

    def visible(self, user: User, task_id: str) -> HumanTask:
        """The task if ``user`` may see it; 404 otherwise (a hidden task does not exist for them)."""
        row = self.session.scalars(
            select(HumanTask).where(HumanTask.id == self.checked_id(task_id), task_visible(user))
        ).first()
        if row is None:
            raise TaskNotFound(f"no task {task_id}")
        return row

    def visible_to_work(self, user: User, task_id: str,
                        viewer: Viewer | None = None) -> tuple[HumanTask, int | None, bool]:
        """The task if ``user`` may see it (else 404), its case's definition id, and whether ``user`` is
        in its pool — one statement, for the operations that check all three (``viewer``: the caller's
        :class:`Viewer`, when taken already)."""
        found = self.session.execute(viewer_reads(viewer or Viewer.of(user)).work,
                                     {"task_id": self.checked_id(task_id)}).first()
        if found is None:
            raise TaskNotFound(f"no task {task_id}")
        return found[0], found[1], bool(found[2])

    def in_pool(self, user: User, row: HumanTask) -> bool:
        """True when ``user`` is a candidate for ``row`` (admins are candidates for every task)."""
        if user.role is Role.ADMIN:
            return True
        return self.session.scalar(
            select(HumanTask.id).where(HumanTask.id == row.id, task_pool(user))
        ) is not None

    def working(self, user: User, task_id: str, *, no_delegate: bool = False,
                viewer: Viewer | None = None) -> tuple[HumanTask, int | None, Guard]:
        """For an operation on a task: the task if ``user`` may see it (else 404), its case's definition
        id, and the guard of ``user``'s right to work on it, from one read (:meth:`visible_to_work`)."""
        row, definition_id, eligible = self.visible_to_work(user, task_id, viewer)
        return row, definition_id, self.guard(user, eligible, no_delegate=no_delegate)

    def guard(self, user: User, eligible: bool, *, no_delegate: bool = False) -> Guard:
        """A check of the caller's right to work on the task now, to run on the row as read and again on
        the locked row (``eligible``: whether the user is in the task's pool)."""
        # Read now: the check runs inside the unit of work, whose fresh snapshot expires the user object.
        username = user.username

        def check(locked: HumanTask) -> None:
            if not locked.status.is_open:
                raise TaskNotReady(f"task {locked.id} is already {locked.status.value}")
            if locked.assignee == username:
                if no_delegate:
                    self.not_delegate(user, locked)
                return
            if not eligible:
                raise NotActionable("you can see this task but not work on it")
            if locked.assignee is not None:
                raise TaskClaimed(f"task {locked.id} is claimed by {locked.assignee}",
                                  details={"assignee": locked.assignee})

        return check

    @staticmethod
    def not_delegate(user: User, row: HumanTask) -> None:
        """A delegate completes (or declines) the task; handing it on is the delegator's call."""
        if row.delegated_from and row.assignee == user.username:
            raise AlreadyDelegated(f"this task was delegated to you by {row.delegated_from}: complete it "
                                   "(it goes back to them) or release it", details={"delegated_from": row.delegated_from})

    def user_named(self, username: str, field_name: str) -> User:
        """The active user called ``username``, or 422 naming the body field."""
        [user] = self.users([username], field_name=field_name)
        return user

    def users(self, usernames: Iterable[str], *, field_name: str = "to", strict: bool = True) -> list[User]:
        """Active users by name, in the order given; unknown names are a 422 on ``field_name`` when strict."""
        names = list(dict.fromkeys(usernames))
        found = {u.username: u for u in self.session.scalars(
            select(User).where(User.username.in_(names), User.active.is_(True)))}
        unknown = [n for n in names if n not in found]
        if unknown and strict:
            raise UnknownUser(f"no active user named {', '.join(unknown)}",
                              details={"fields": {field_name: [f"unknown user: {n}" for n in unknown]}})
        return [found[n] for n in names if n in found]

    def colleague(self, username: str, row: HumanTask) -> User:
        """A user the task may be delegated to: staff of the task's region, or for an applicant-lane task,
        a user of the same organization."""
        target = self.user_named(username, "to")
        if row.candidate_group == APPLICANT_GROUP:
            fits = target.role is Role.APPLICANT and target.organization_id == row.organization_id
        else:
            fits = target.role is Role.ADMIN or (
                target.role in (Role.CASEWORKER, Role.SUPERVISOR) and target.region_code == row.region_code)
        if not fits:
            raise UserNotEligible(f"{username} cannot be delegated this task",
                                  details={"fields": {"to": [f"{username} is not staff of region {row.region_code}"
                                                             if row.candidate_group != APPLICANT_GROUP else
                                                             f"{username} is not of the case's organization"]}})
        return target

    def check_urge_interval(self, task_id: str, now: datetime) -> None:
        """429 with the seconds to wait when the task was urged less than an hour ago."""
        last = self.session.scalar(select(func.max(TaskUrge.at)).where(TaskUrge.task_id == task_id))
        if last is not None and now - last < URGE_INTERVAL:
            wait = max(1, math.ceil((last + URGE_INTERVAL - now).total_seconds()))
            raise UrgeTooSoon(f"this task was urged at {last.isoformat()}; urge again in {wait} s",
                              retry_after=wait)

    def people(self, row: HumanTask) -> list[User]:
        """Who a reminder about ``row`` reaches: its holder, else its pool."""
        if row.assignee:
            return self.users([row.assignee], strict=False)
        query = select(User).where(User.active.is_(True))
        if row.candidate_group == APPLICANT_GROUP:
            if row.organization_id is None:
                return []
            query = query.where(User.organization_id == row.organization_id, User.role == Role.APPLICANT)
        else:
            query = query.join(user_groups, user_groups.c.user_id == User.id).where(
                user_groups.c.group_name == row.candidate_group, User.region_code == row.region_code)
        return list(self.session.scalars(query.order_by(User.username)))

    def notify(self, users: Iterable[User], subject: str, body: str, instance_id: str, key: str | None = None) -> None:
        """Queue an e-mail to each user with an address, in the current transaction."""
        for person in users:
            if person.email:
                enqueue(self.session, channel=Channel.EMAIL, recipient=person.email, subject=subject, body=body,
                        instance_id=instance_id, dedupe_key=f"{key}:{person.username}" if key else None,
                        payload={"username": person.username})
