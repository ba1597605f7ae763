"""Who may see which tasks and cases, as SQL conditions (never fetch-then-filter: counts and pages stay right).

- admin: everything.
- staff (caseworker, supervisor, designer): tasks assigned to them, and tasks of their groups
  (BPMN lanes) in their own region. Supervisors also see every task in the regions below
  theirs (province → cities → counties), for oversight.
- applicant: tasks assigned to them, and the applicant-lane tasks of their organization's cases.
- everyone: tasks they completed (已办) or delegated (委派), and tasks copied to them (抄送, read-only).

Seeing a task is not working on it: :func:`task_pool` says whose group a task is in, and only
the assignee or, while it is unclaimed, its pool (and admins) may act on it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ColumnElement, Select, and_, false, or_, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from workflow_app.directory.models import Region, Role, User
from workflow_app.instances.models import ProcessInstance
from workflow_app.tasks.models import HumanTask, TaskCopy

APPLICANT_GROUP = "applicant"


class InSubquery(ColumnElement[bool]):
    """``column IN (subquery)``, written ``column = ANY(ARRAY(subquery))`` on PostgreSQL.

    PostgreSQL runs an IN-subquery inside an OR as a hashed subplan, which forces a scan of every
    row the other conditions leave; ANY(ARRAY(…)) is evaluated once and then serves as an index
    condition, so each branch of a visibility OR stays an index scan (BitmapOr).
    """

    inherit_cache = True
    type = Boolean()
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("subquery", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: ColumnElement[Any], subquery: Select[Any]) -> None:
        self.column = column
        self.subquery = subquery


@compiles(InSubquery)
def _in_subquery(element: InSubquery, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column.in_(element.subquery), **kw)


@compiles(InSubquery, "postgresql")
def _any_array(element: InSubquery, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"{column} = ANY(ARRAY{compiler.process(element.subquery.scalar_subquery(), **kw)})"


def regions_below(user: User) -> ColumnElement[bool]:
    """Regions at or below the user's region, as a condition on a region-code column's subquery."""
    return Region.path.like(user.region.path + "%")


def task_visible(user: User) -> ColumnElement[bool]:
    """The condition a human_tasks row must meet to be visible to ``user``."""
    if user.role is Role.ADMIN:
        return true()
    # Each branch has an index of its own, so PostgreSQL can OR bitmap scans instead of reading the table.
    conditions: list[ColumnElement[bool]] = [
        HumanTask.assignee == user.username,
        HumanTask.completed_by == user.username,
        HumanTask.delegated_from == user.username,
        task_copied(user),
    ]
    if user.role is Role.APPLICANT:
        if user.organization_id is not None:
            conditions.append(and_(HumanTask.candidate_group == APPLICANT_GROUP,
                                   HumanTask.organization_id == user.organization_id))
        return or_(*conditions)
    groups = user.group_names
    if groups:
        conditions.append(and_(HumanTask.candidate_group.in_(groups), HumanTask.region_code == user.region_code))
    if user.role is Role.SUPERVISOR:
        conditions.append(InSubquery(HumanTask.region_code, select(Region.code).where(regions_below(user))))
    return or_(*conditions)


def task_copied(user: User) -> ColumnElement[bool]:
    """Tasks copied to ``user`` (抄送我的)."""
    return InSubquery(HumanTask.id, select(TaskCopy.task_id).where(TaskCopy.username == user.username))


def task_pool(user: User) -> ColumnElement[bool]:
    """Tasks whose candidates include ``user``: their groups in their region, or their organization's
    applicant-lane tasks. Says nothing of who holds the task now."""
    if user.role is Role.APPLICANT:
        if user.organization_id is None:
            return false()
        return and_(HumanTask.candidate_group == APPLICANT_GROUP, HumanTask.organization_id == user.organization_id)
    groups = user.group_names
    if not groups or user.role is Role.DESIGNER:
        return false()
    return and_(HumanTask.candidate_group.in_(groups), HumanTask.region_code == user.region_code)


def task_mine(user: User) -> ColumnElement[bool]:
    """The 'mine' tab: tasks held by ``user`` and, among closed ones, those they completed (已办)."""
    return or_(HumanTask.assignee == user.username, HumanTask.completed_by == user.username)


def task_group_inbox(user: User) -> ColumnElement[bool]:
    """The 'group' tab: unclaimed tasks of ``user``'s pool, waiting for someone to take them."""
    return and_(task_pool(user), HumanTask.assignee.is_(None))


def task_actionable(user: User) -> ColumnElement[bool]:
    """The condition for tasks the user may work (claim, complete): assigned to them, or of their groups."""
    if user.role is Role.ADMIN:
        return true()
    conditions: list[ColumnElement[bool]] = [HumanTask.assignee == user.username]
    if user.role is Role.APPLICANT:
        if user.organization_id is not None:
            conditions.append(and_(HumanTask.candidate_group == APPLICANT_GROUP,
                                   HumanTask.organization_id == user.organization_id,
                                   HumanTask.assignee.is_(None)))
        return or_(*conditions)
    groups = user.group_names
    if groups:
        conditions.append(and_(HumanTask.candidate_group.in_(groups), HumanTask.region_code == user.region_code,
                               HumanTask.assignee.is_(None)))
    return or_(*conditions)


def instance_visible(user: User) -> ColumnElement[bool]:
    """The condition a process_instances row must meet to be visible to ``user``."""
    if user.role is Role.ADMIN:
        return true()
    if user.role is Role.APPLICANT:
        mine = ProcessInstance.started_by == user.username
        if user.organization_id is None:
            return mine
        return or_(mine, ProcessInstance.organization_id == user.organization_id)
    if user.role is Role.DESIGNER:
        return false()
    in_scope = ProcessInstance.region_code.in_(select(Region.code).where(regions_below(user))) \
        if user.role is Role.SUPERVISOR else ProcessInstance.region_code == user.region_code
    touched = ProcessInstance.id.in_(select(HumanTask.instance_id).where(task_visible(user)))
    return or_(in_scope, touched, ProcessInstance.started_by == user.username)
