"""The inbox as SQL: which tasks each tab holds, filters, sort orders and the per-tab counts.

Everything here builds conditions over ``human_tasks`` (and the small ``task_copies`` table)
from :mod:`workflow_app.tasks.visibility`; nothing loads rows to filter them in Python, so a
count is right and a page is full.

Counts are capped: a count reads at most ``cap + 1`` rows (:data:`COUNT_CAP`, config
``INBOX_COUNT_CAP``), so a broad tab — a province supervisor's 'all', 100,000 open tasks — costs
what a narrow one does. Below the cap a count is exact; above it the count is the cap, flagged as
capped ("1000+"). A list's ``total`` is counted to the cap or to the end of the page asked for,
whichever is further, so a capped total still says a next page exists.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Integer, Select, String, bindparam, or_, select, union

from workflow_app.config import DEFAULTS
from workflow_app.directory.models import User
from workflow_app.instances.models import ProcessInstance
from workflow_app.organizations.models import Organization
from workflow_app.tasks.models import OPEN_STATUSES, HumanTask, TaskStatus
from workflow_app.tasks.visibility import (
    InRegionsBelow,
    Viewer,
    any_branch,
    branch_part,
    count_of,
    task_copied,
    task_group_inbox,
    task_mine_branches,
    task_visible_branches,
)

SCOPES = ("mine", "group", "all", "cc")
STATUS_FILTERS = ("open", "ready", "claimed", "completed", "cancelled", "any")
SORTS = ("due_at", "-due_at", "created_at", "-created_at")
MAX_PER_PAGE = 200
# Counts read at most this many rows and one more (to know there are more): config's INBOX_COUNT_CAP default.
COUNT_CAP: int = DEFAULTS["INBOX_COUNT_CAP"]

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: ``{items, total, page, per_page}``."""

    items: list[T]
    total: int
    page: int
    per_page: int
    # True when ``total`` is a lower bound: there are more rows than it says (see :func:`capped`).
    total_capped: bool = False


@dataclass(frozen=True)
class InboxQuery:
    """The inbox's query string. No scope: the caller's inbox (tasks they hold + unclaimed ones of their pool)."""

    scope: str | None = None
    process_key: str | None = None
    overdue: bool = False
    status: str | None = None
    q: str | None = None
    sort: str = "due_at"
    page: int = 1
    per_page: int = 50


def scope_branches(user: User | Viewer, scope: str | None) -> list[ColumnElement[bool]] | None:
    """The tab's tasks as index-served branches (see :func:`visibility.any_branch`): mine, group
    (unclaimed in my pool), all I may see (None: everything), copied to me; by default mine + group."""
    if scope == "mine":
        return task_mine_branches(user)
    if scope == "group":
        return [task_group_inbox(user)]
    if scope == "all":
        return task_visible_branches(user)
    if scope == "cc":
        return [task_copied(user)]
    return [*task_mine_branches(user), task_group_inbox(user)]


def status_condition(status: str | None, scope: str | None) -> ColumnElement[bool] | None:
    """Open tasks unless asked otherwise; 抄送我的 lists copies whatever became of them."""
    status = status or ("any" if scope == "cc" else "open")
    if status == "any":
        return None
    if status == "open":
        return HumanTask.status.in_(OPEN_STATUSES)
    return HumanTask.status == TaskStatus(status)


# The query's values travel as bound parameters, so a statement depends only on the viewer and the
# query's shape and is built once per pair (see :func:`statements`); :func:`parameters` gives the values.
NOW = bindparam("now", type_=HumanTask.due_at.type)
# How many rows a count reads at most: the cap (or the end of the page asked for) and one more.
COUNT_LIMIT = bindparam("count_limit", type_=Integer)


def total_limit(query: InboxQuery, cap: int = COUNT_CAP) -> int:
    """The LIMIT of a list's count: past the cap, or past the end of the page when that is further
    (a deep page costs its OFFSET anyway), and one row more, to know whether there are more."""
    return max(cap, query.page * query.per_page) + 1


def capped(value: int, limit: int) -> tuple[int, bool]:
    """A count read with LIMIT ``limit``: (the count, whether it is capped). A capped count is
    ``limit - 1``: there are more rows than that."""
    return (limit - 1, True) if value >= limit else (value, False)


@dataclass(frozen=True)
class Shape:
    """What of an inbox query decides its SQL: the tab, the filters present, the sort."""

    scope: str | None
    status: str | None
    overdue: bool
    process: bool
    text: bool
    sort: str

    @classmethod
    def of(cls, query: InboxQuery) -> Shape:
        return cls(query.scope, query.status, query.overdue, bool(query.process_key), bool(query.q), query.sort)


def parameters(query: InboxQuery, now: datetime, cap: int = COUNT_CAP) -> dict[str, Any]:
    """The bound values of the query's statements."""
    values: dict[str, Any] = {"now": now, "depth": query.page * query.per_page, "per_page": query.per_page,
                              "skip": (query.page - 1) * query.per_page, "count_limit": total_limit(query, cap)}
    if query.process_key:
        values["process_key"] = query.process_key
    if query.q:
        escaped = query.q.replace("/", "//").replace("%", "/%").replace("_", "/_")
        values["text"] = f"%{escaped}%"
    return values


def filters(shape: Shape) -> list[ColumnElement[bool]]:
    """The query's conditions besides the tab: status, overdue, process, text (the task's title, business key,
    or its organization's name or 统一社会信用代码)."""
    where = []
    status = status_condition(shape.status, shape.scope)
    if status is not None:
        where.append(status)
    if shape.overdue:
        where.extend([HumanTask.status.in_(OPEN_STATUSES), HumanTask.due_at < NOW])
    if shape.process:
        where.append(HumanTask.process_key == bindparam("process_key", type_=String))
    if shape.text:
        text = bindparam("text", type_=String)
        # The case's organization by its name or 统一社会信用代码 (a small table, read through its own rows).
        organization = select(Organization.id).where(or_(Organization.name.ilike(text, escape="/"),
                                                         Organization.uscc.ilike(text, escape="/")))
        where.append(or_(HumanTask.title.ilike(text, escape="/"), HumanTask.business_key.ilike(text, escape="/"),
                         HumanTask.organization_id.in_(organization)))
    return where


@functools.lru_cache(maxsize=2048)
def statements(viewer: Viewer, shape: Shape) -> tuple[Select[Any], Select[Any]]:
    """(the capped count of the tab's rows that the filters keep, one page of them with their definition ids)."""
    branches = scope_branches(viewer, shape.scope)
    where = filters(shape)
    total = count_of(branches, *where, limit=COUNT_LIMIT)
    return total, page_statement(branches, where, shape)


PER_PAGE = bindparam("per_page", type_=Integer)
SKIP = bindparam("skip", type_=Integer)
DEPTH = bindparam("depth", type_=Integer)


def page_statement(branches: list[ColumnElement[bool]] | None, where: list[ColumnElement[bool]],
                   shape: Shape) -> Select[Any]:
    """One page of the tab's rows (with their definition ids). Several branches: each branch's first
    ``page × per_page`` (``depth``) rows in the sort order, as (id, due_at, created_at), so a broad branch —
    a supervisor's whole province — is read along an index for a page instead of gathered whole; the page
    is cut from those candidates, and only its rows are then read whole and joined to their case (not the
    ~200 candidates a supervisor's first page has)."""
    if branches is None or len(branches) <= 1:
        return (select(HumanTask, ProcessInstance.definition_id)
                .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
                .where(any_branch(branches, *where)).order_by(*order_by(shape.sort))
                .limit(PER_PAGE).offset(SKIP))
    keys = (HumanTask.id, HumanTask.due_at, HumanTask.created_at)
    # UNION, not UNION ALL: a task several branches hold (mine and in my regions) is one candidate.
    candidates = union(*(part.with_only_columns(*keys).order_by(*order_by(shape.sort)).limit(DEPTH)
                         .subquery().select()
                         for branch in branches
                         for part in ordered_parts(branch, where, shape.sort, statuses_of(shape)))).subquery()
    top = (select(candidates).order_by(*order_by(shape.sort, candidates.c)).limit(PER_PAGE).offset(SKIP)
           .subquery())
    return (select(HumanTask, ProcessInstance.definition_id)
            .join(top, top.c.id == HumanTask.id)
            .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .order_by(*order_by(shape.sort, top.c)))


def statuses_of(shape: Shape) -> tuple[TaskStatus, ...]:
    """The task statuses a query's rows can have."""
    status = shape.status or ("any" if shape.scope == "cc" else "open")
    if shape.overdue or status == "open":
        return OPEN_STATUSES if status in ("open", "any") else (TaskStatus(status),)
    return tuple(TaskStatus) if status == "any" else (TaskStatus(status),)


def ordered_parts(branch: ColumnElement[bool], where: list[ColumnElement[bool]], sort: str,
                  statuses: tuple[TaskStatus, ...]) -> list[Select[Any]]:
    """A branch's rows as parts that an index gives in the sort order. A supervisor's regions are too
    many rows to gather and sort: soonest due first, they are read per status along the index
    ``(status, due_at, created_at, id)`` — the dated rows in index order, then the undated ones
    (``NULLS LAST``, which no index order gives on SQLite), each a part of its own."""
    if not isinstance(branch, InRegionsBelow) or sort != "due_at":
        return [branch_part(branch, *where)]
    return [branch_part(branch, *where, HumanTask.status == status, dated)
            for status in statuses for dated in (HumanTask.due_at.is_not(None), HumanTask.due_at.is_(None))]


def order_by(sort: str, columns: Any = HumanTask) -> list[Any]:
    """The ORDER BY of a sort key (over ``columns``' due_at, created_at and id: the table's, or a
    subquery's); the id last so pages never overlap."""
    column = columns.due_at if sort.lstrip("-") == "due_at" else columns.created_at
    first = column.desc().nulls_last() if sort.startswith("-") else column.asc().nulls_last()
    return [first, columns.created_at.asc(), columns.id.asc()]


@functools.lru_cache(maxsize=1024)
def counts_statement(user: Viewer) -> Select[Any]:
    """One query for the tab counts {mine, group, all, overdue, cc, done} (the same rules as the lists),
    each an index-served count of its own, capped; ``done`` is 已办, the mine tab's completed tasks.
    Bound parameters: ``now``, and ``count_limit`` (the cap + 1)."""
    is_open = HumanTask.status.in_(OPEN_STATUSES)
    mine, group = task_mine_branches(user), task_group_inbox(user)

    def count(branches: list[ColumnElement[bool]] | None, *where: ColumnElement[bool]) -> Any:
        return count_of(branches, *where, limit=COUNT_LIMIT).scalar_subquery()

    return select(
        count(mine, is_open).label("mine"),
        count([group], is_open).label("group"),
        count(task_visible_branches(user), is_open).label("all"),
        count([*mine, group], is_open, HumanTask.due_at < NOW).label("overdue"),
        count([task_copied(user)]).label("cc"),
        # 已办 from the completer's index first: those rows are counted from (completed_by, status, …) alone;
        # the other order reads every completed row to exclude the assignee's (PostgreSQL: ~1.5 ms at the cap).
        count(mine[::-1], HumanTask.status == TaskStatus.COMPLETED).label("done"),
    )
