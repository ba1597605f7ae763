"""案件查询: the filters of the case list and its Excel export, as SQL conditions.

One :class:`CaseFilter` serves the API (``GET /process-instances``), the 案件查询 page and its export, so the
three always agree on what a filter means. Visibility is not part of it: :class:`InstanceAccess` adds
``instance_visible`` to every query.

- ``q``: a keyword matched against the business key (part of it), the organization's name (part of it) and
  its 统一社会信用代码 (part of it, case-insensitive); ``%`` and ``_`` are matched literally.
- ``region``: the case's region and every region below it (``region_only``: that region alone).
- ``started_from`` / ``started_to``: local (Asia/Shanghai) calendar days, both ends included.
- ``overdue``: running, clock not paused, past its statutory due time.
- ``task_overdue``: holds an open task past the task's due time (the 监督看板's overdue tasks; the alerts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, or_, select

from workflow_app import clock
from workflow_app.directory.models import Region
from workflow_app.instances.models import InstanceStatus, ProcessInstance
from workflow_app.organizations.models import Organization
from workflow_app.tasks.models import OPEN_STATUSES, HumanTask

EXPORT_LIMIT = 10_000  # rows in one workbook; a wider export asks the user to narrow the filter


@dataclass(frozen=True)
class CaseFilter:
    """What the case list is narrowed to (every field optional)."""

    process_key: str | None = None
    status: str | None = None
    organization_id: int | None = None
    mine: bool = False
    q: str | None = None
    region: str | None = None
    region_only: bool = False
    started_from: date | None = None
    started_to: date | None = None
    overdue: bool = False
    task_overdue: bool = False


def like_pattern(text: str) -> str:
    """``text`` as a LIKE pattern that matches it anywhere, with ``%``, ``_`` and the escape ``/`` literal."""
    escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


def _local_midnight(day: date) -> datetime:
    return clock.as_utc(datetime.combine(day, time.min, tzinfo=clock.LOCAL_TZ))


def conditions(found: CaseFilter, username: str) -> list[ColumnElement[bool]]:
    """The SQL conditions of ``found`` for a caller named ``username`` (``mine``)."""
    where: list[ColumnElement[bool]] = []
    if found.mine:
        where.append(ProcessInstance.started_by == username)
    if found.process_key is not None:
        where.append(ProcessInstance.process_key == found.process_key)
    if found.status is not None:
        where.append(ProcessInstance.status == InstanceStatus(found.status))
    if found.organization_id is not None:
        where.append(ProcessInstance.organization_id == found.organization_id)
    if found.q:
        pattern = like_pattern(found.q)
        organizations = select(Organization.id).where(or_(
            Organization.name.ilike(pattern, escape="/"), Organization.uscc.ilike(pattern, escape="/")))
        where.append(or_(ProcessInstance.business_key.ilike(pattern, escape="/"),
                         ProcessInstance.organization_id.in_(organizations)))
    if found.region and found.region_only:
        where.append(ProcessInstance.region_code == found.region)
    elif found.region:
        below = select(Region.code).where(Region.path.like(
            select(Region.path).where(Region.code == found.region).scalar_subquery() + "%"))
        where.append(ProcessInstance.region_code.in_(below))
    if found.started_from is not None:
        where.append(ProcessInstance.started_at >= _local_midnight(found.started_from))
    if found.started_to is not None:
        where.append(ProcessInstance.started_at < _local_midnight(found.started_to + timedelta(days=1)))
    if found.overdue:
        where.extend([ProcessInstance.status == InstanceStatus.RUNNING, ProcessInstance.clock_paused.is_(False),
                      ProcessInstance.due_at < clock.now()])
    if found.task_overdue:
        where.append(ProcessInstance.id.in_(select(HumanTask.instance_id).where(
            HumanTask.status.in_(OPEN_STATUSES), HumanTask.due_at < clock.now())))
    return where
