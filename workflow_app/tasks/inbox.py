"""The inbox as SQL: which tasks each tab holds, filters, sort orders and the per-tab counts.

Everything here builds conditions over ``human_tasks`` (and the small ``task_copies`` table)
from :mod:`workflow_app.tasks.visibility`; nothing loads rows to filter them in Python, so a
count is exact and a page is full.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, func, or_, select, union_all

from workflow_app.directory.models import User
from workflow_app.tasks.models import OPEN_STATUSES, HumanTask, TaskStatus
from workflow_app.tasks.visibility import (
    any_branch,
    branch_part,
    task_copied,
    task_group_inbox,
    task_mine_branches,
    task_visible_branches,
)

SCOPES = ("mine", "group", "all", "cc")
STATUS_FILTERS = ("open", "ready", "claimed", "completed", "cancelled", "any")
SORTS = ("due_at", "-due_at", "created_at", "-created_at")
MAX_PER_PAGE = 200

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: ``{items, total, page, per_page}``."""

    items: list[T]
    total: int
    page: int
    per_page: int


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


def scope_branches(user: User, scope: str | None) -> list[ColumnElement[bool]] | None:
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


def filters(query: InboxQuery, now: datetime) -> list[ColumnElement[bool]]:
    """The query's conditions besides the tab: status, overdue, process, text."""
    where = []
    status = status_condition(query.status, query.scope)
    if status is not None:
        where.append(status)
    if query.overdue:
        where.extend([HumanTask.status.in_(OPEN_STATUSES), HumanTask.due_at < now])
    if query.process_key:
        where.append(HumanTask.process_key == query.process_key)
    if query.q:
        where.append(or_(HumanTask.title.icontains(query.q, autoescape=True),
                         HumanTask.business_key.icontains(query.q, autoescape=True)))
    return where


def conditions(user: User, query: InboxQuery, now: datetime) -> ColumnElement[bool]:
    """Every row of the tab that the query's filters keep (for the total)."""
    return any_branch(scope_branches(user, query.scope), *filters(query, now))


def page_condition(user: User, query: InboxQuery, now: datetime) -> ColumnElement[bool]:
    """The rows that can be on the query's page: each branch's first ``page × per_page`` rows in the sort
    order (the page's rows are among them), so a broad branch — a supervisor's whole province — is read
    along an index for a page instead of gathered whole."""
    branches = scope_branches(user, query.scope)
    where = filters(query, now)
    if branches is None or len(branches) <= 1:
        return any_branch(branches, *where)
    depth = query.page * query.per_page
    firsts = [branch_part(branch, *where).order_by(*order_by(query.sort)).limit(depth).subquery()
              for branch in branches]
    return HumanTask.id.in_(union_all(*(select(first.c.id) for first in firsts)))


def order_by(sort: str) -> list[Any]:
    """The ORDER BY of a sort key; the id last so pages never overlap."""
    column = HumanTask.due_at if sort.lstrip("-") == "due_at" else HumanTask.created_at
    first = column.desc().nulls_last() if sort.startswith("-") else column.asc().nulls_last()
    return [first, HumanTask.created_at.asc(), HumanTask.id.asc()]


def counts_statement(user: User, now: datetime) -> Select[Any]:
    """One query for the tab counts {mine, group, all, overdue, cc, done} (the same rules as the lists),
    each an index-served count of its own; ``done`` is 已办, the mine tab's completed tasks."""
    is_open = HumanTask.status.in_(OPEN_STATUSES)
    mine, group = task_mine_branches(user), task_group_inbox(user)

    def count(branches: list[ColumnElement[bool]] | None, *where: ColumnElement[bool]) -> Any:
        return select(func.count()).select_from(HumanTask).where(any_branch(branches, *where)).scalar_subquery()

    return select(
        count(mine, is_open).label("mine"),
        count([group], is_open).label("group"),
        count(task_visible_branches(user), is_open).label("all"),
        count([*mine, group], is_open, HumanTask.due_at < now).label("overdue"),
        count([task_copied(user)]).label("cc"),
        count(mine, HumanTask.status == TaskStatus.COMPLETED).label("done"),
    )
