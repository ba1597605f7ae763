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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    CompoundSelect,
    Select,
    and_,
    false,
    func,
    literal_column,
    not_,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from workflow_app.directory.models import Region, Role, User
from workflow_app.instances.models import ProcessInstance
from workflow_app.tasks.models import HumanTask, TaskCopy

APPLICANT_GROUP = "applicant"


@dataclass(frozen=True)
class RegionPath:
    """The one thing of a region the rules read: its path (province → city → county)."""

    path: str


@dataclass(frozen=True)
class Viewer:
    """What the visibility rules read of a user, frozen and hashable: statements built from it can be
    cached per viewer (building them costs more than running them), and it outlives the session."""

    username: str
    role: Role
    organization_id: int | None
    region_code: str | None
    region: RegionPath | None
    group_names: tuple[str, ...]

    @classmethod
    def of(cls, user: User) -> Viewer:
        """The viewer of a loaded user."""
        region = RegionPath(user.region.path) if user.region_code and user.region is not None else None
        return cls(user.username, user.role, user.organization_id, user.region_code, region,
                   tuple(user.group_names))


class InSubquery(ColumnElement[bool]):
    """``column IN (subquery)``, written ``column = ANY(ARRAY(subquery))`` on PostgreSQL.

    PostgreSQL runs an IN-subquery inside an OR as a hashed subplan, which forces a scan of every
    row the other conditions leave; ANY(ARRAY(…)) is evaluated once and then serves as an index
    condition, so each branch of a visibility OR stays an index scan (BitmapOr).
    """

    inherit_cache = True
    type = Boolean()
    # A condition in its own right: without this SQLAlchemy writes ``(… IN (…)) = 1`` on SQLite, which
    # no index serves (a supervisor's province then read every open task).
    _is_implicitly_boolean = True
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


class CopiedTo(InSubquery):
    """Tasks copied to a user (抄送): ``id IN (their task_copies)`` as a condition; as a part of
    :func:`branch_union`, read from ``task_copies`` first — next to a status condition SQLite would
    otherwise walk every open task and look each up in the copies."""

    inherit_cache = True

    def __init__(self, username: str) -> None:
        super().__init__(HumanTask.id, select(TaskCopy.task_id).where(TaskCopy.username == username))
        self.username = username


class InRegionsBelow(InSubquery):
    """Tasks of the regions at or below a supervisor's: the broadest branch of visibility (a province
    supervisor's is every open task of the province). Counts take it first, so it is counted from its
    index alone; pages read it in sort order along the status index (:func:`inbox.page_statement`)."""

    inherit_cache = True

    def __init__(self, user: User | Viewer) -> None:
        super().__init__(HumanTask.region_code, select(Region.code).where(regions_below(user)))


def regions_below(user: User | Viewer) -> ColumnElement[bool]:
    """Regions at or below the user's region, as a condition on a region-code column's subquery."""
    return Region.path.like(user.region.path + "%")


def task_visible_branches(user: User | Viewer) -> list[ColumnElement[bool]] | None:
    """The visibility rule as conditions that are each served by an index of their own (a task is
    visible when it meets any); None when nothing is hidden from ``user`` (admins).

    Lists and counts query them as a UNION (:func:`any_branch`): OR-ed together they defeat the
    indexes on SQLite, which then reads every row of the table.
    """
    if user.role is Role.ADMIN:
        return None
    branches: list[ColumnElement[bool]] = [
        HumanTask.assignee == user.username,
        HumanTask.completed_by == user.username,
        HumanTask.delegated_from == user.username,
        task_copied(user),
    ]
    if user.role is Role.APPLICANT:
        if user.organization_id is not None:
            branches.append(and_(HumanTask.candidate_group == APPLICANT_GROUP,
                                 HumanTask.organization_id == user.organization_id))
        return branches
    groups = user.group_names
    if groups:
        branches.append(and_(HumanTask.candidate_group.in_(groups), HumanTask.region_code == user.region_code))
    if user.role is Role.SUPERVISOR:
        branches.append(InRegionsBelow(user))
    return branches


def task_visible(user: User | Viewer) -> ColumnElement[bool]:
    """The condition a human_tasks row must meet to be visible to ``user`` (for single rows; lists use
    :func:`any_branch` over :func:`task_visible_branches`)."""
    branches = task_visible_branches(user)
    return true() if branches is None else or_(*branches)


def branch_union(branches: Sequence[ColumnElement[bool]], *filters: ColumnElement[bool],
                 column: Any = HumanTask.id) -> CompoundSelect:
    """``SELECT column … WHERE branch AND filters UNION ALL …``: each part an index range of its own."""
    return union_all(*(branch_part(branch, *filters, column=column) for branch in branches))


def branch_part(branch: ColumnElement[bool], *filters: ColumnElement[bool], column: Any = HumanTask.id) -> Select[Any]:
    """One branch's rows meeting ``filters``, as a SELECT of ``column``."""
    if isinstance(branch, CopiedTo):
        return (select(column).select_from(TaskCopy).join(HumanTask, HumanTask.id == TaskCopy.task_id)
                .where(TaskCopy.username == branch.username, *filters))
    # FROM named: a supervisor's regions-below condition alone names no table (InSubquery), so without a
    # status filter (?status=any) the part would have no FROM.
    return select(column).select_from(HumanTask).where(branch, *filters)


def any_branch(branches: Sequence[ColumnElement[bool]] | None, *filters: ColumnElement[bool]) -> ColumnElement[bool]:
    """human_tasks rows meeting ``filters`` and any of ``branches`` (None: no restriction), for lists and
    counts: one branch stays a plain condition, several become ``id IN (`` :func:`branch_union` ``)``."""
    if branches is None:
        return and_(true(), *filters)
    if not branches:
        return false()
    if len(branches) == 1 and not isinstance(branches[0], CopiedTo):
        return and_(branches[0], *filters)
    return HumanTask.id.in_(branch_union(branches, *filters))


def count_of(branches: Sequence[ColumnElement[bool]] | None, *filters: ColumnElement[bool],
             limit: Any = None) -> Select[Any]:
    """``SELECT count(*)`` of the rows :func:`any_branch` gives, without gathering their ids: the parts
    are made disjoint — each leaves out the rows of the parts before it — so a plain UNION ALL counts
    each row once (no hashing, no lookup of every id). With ``limit`` (a number or a bound parameter)
    it counts at most that many rows: a capped count stops reading there (see :mod:`inbox`)."""
    if branches is None or len(branches) <= 1:
        if limit is None:
            return select(func.count()).select_from(HumanTask).where(any_branch(branches, *filters))
        rows = select(literal_column("1")).select_from(HumanTask).where(any_branch(branches, *filters))
        return select(func.count()).select_from(rows.limit(limit).subquery())
    # The broad branch first: it then needs no exclusions and is counted from its index alone, and the
    # narrow ones after it exclude its rows at the cost of their own few.
    branches = sorted(branches, key=lambda branch: not isinstance(branch, InRegionsBelow))
    # Each part selects a constant, not the id: a part whose conditions an index holds is then counted
    # from the index alone (the id is not in it).
    parts = [branch_part(branch, *filters, *(not_(func.coalesce(earlier, false())) for earlier in branches[:n]),
                         column=literal_column("1"))
             for n, branch in enumerate(branches)]
    union = union_all(*parts)
    return select(func.count()).select_from((union if limit is None else union.limit(limit)).subquery())


def task_copied(user: User | Viewer) -> ColumnElement[bool]:
    """Tasks copied to ``user`` (抄送我的)."""
    return CopiedTo(user.username)


def task_pool(user: User | Viewer) -> ColumnElement[bool]:
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


def task_mine_branches(user: User | Viewer) -> list[ColumnElement[bool]]:
    """The 'mine' tab: tasks held by ``user`` and, among closed ones, those they completed (已办)."""
    return [HumanTask.assignee == user.username, HumanTask.completed_by == user.username]


def task_group_inbox(user: User | Viewer) -> ColumnElement[bool]:
    """The 'group' tab: unclaimed tasks of ``user``'s pool, waiting for someone to take them."""
    return and_(task_pool(user), HumanTask.assignee.is_(None))


def task_actionable(user: User | Viewer) -> ColumnElement[bool]:
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


def instance_visible(user: User | Viewer) -> ColumnElement[bool]:
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
    in_scope = instance_in_office(user)
    branches = task_visible_branches(user) or []
    touched = ProcessInstance.id.in_(branch_union(branches, column=HumanTask.instance_id))
    return or_(in_scope, touched, ProcessInstance.started_by == user.username)


def instance_in_office(user: User | Viewer) -> ColumnElement[bool]:
    """Cases a user sees by their office alone, whatever tasks they were given: admins all; staff
    (caseworkers, supervisors) their region's cases, supervisors also those of the regions below;
    applicants and designers none. 抄送 may go only to users who meet it (they could see the case anyway)."""
    if user.role is Role.ADMIN:
        return true()
    if user.role is Role.SUPERVISOR:
        return ProcessInstance.region_code.in_(select(Region.code).where(regions_below(user)))
    if user.role is Role.CASEWORKER:
        return ProcessInstance.region_code == user.region_code
    return false()
