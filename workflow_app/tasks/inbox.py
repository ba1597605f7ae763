"""The inbox as SQL: which tasks each tab holds, filters, sort orders and the per-tab counts.

Everything here builds conditions over ``human_tasks`` (and the small ``task_copies`` table)
from :mod:`workflow_app.tasks.visibility`; nothing loads rows to filter them in Python, so a
count is exact and a page is full.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, func, or_, select

from workflow_app.directory.models import User
from workflow_app.tasks.models import OPEN_STATUSES, HumanTask, TaskStatus
from workflow_app.tasks.visibility import task_copied, task_group_inbox, task_mine, task_visible

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


def scope_condition(user: User, scope: str | None) -> ColumnElement[bool]:
    """The tab's tasks: mine, group (unclaimed in my pool), all I may see, copied to me; default mine+group."""
    if scope == "mine":
        return task_mine(user)
    if scope == "group":
        return task_group_inbox(user)
    if scope == "all":
        return task_visible(user)
    if scope == "cc":
        return task_copied(user)
    return or_(task_mine(user), task_group_inbox(user))


def status_condition(status: str | None, scope: str | None) -> ColumnElement[bool] | None:
    """Open tasks unless asked otherwise; 抄送我的 lists copies whatever became of them."""
    status = status or ("any" if scope == "cc" else "open")
    if status == "any":
        return None
    if status == "open":
        return HumanTask.status.in_(OPEN_STATUSES)
    return HumanTask.status == TaskStatus(status)


def conditions(user: User, query: InboxQuery, now: datetime) -> list[ColumnElement[bool]]:
    """Every WHERE condition of the query, visibility first."""
    where = [scope_condition(user, query.scope)]
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


def order_by(sort: str) -> list[Any]:
    """The ORDER BY of a sort key; the id last so pages never overlap."""
    column = HumanTask.due_at if sort.lstrip("-") == "due_at" else HumanTask.created_at
    first = column.desc().nulls_last() if sort.startswith("-") else column.asc().nulls_last()
    return [first, HumanTask.created_at.asc(), HumanTask.id.asc()]


def counts_statement(user: User, now: datetime) -> Select[Any]:
    """One query for the tab counts {mine, group, all, overdue, cc} (the same rules as the lists)."""
    is_open = HumanTask.status.in_(OPEN_STATUSES)
    mine = and_(is_open, task_mine(user))
    group = and_(is_open, task_group_inbox(user))
    visible = and_(is_open, task_visible(user))
    copied = task_copied(user)
    return select(
        func.count().filter(mine).label("mine"),
        func.count().filter(group).label("group"),
        func.count().filter(visible).label("all"),
        func.count().filter(and_(or_(mine, group), HumanTask.due_at < now)).label("overdue"),
        func.count().filter(copied).label("cc"),
    ).where(or_(visible, copied))
