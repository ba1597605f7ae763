"""The supervisor dashboard: overdue tasks and the on-time rate of one region scope, beside its figures.

The figures themselves (party coverage, zombie cleanup, registration time) are counted in
:mod:`workflow_app.reports.figures`; this module adds the task side and puts both together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from workflow_app import clock
from workflow_app.directory.models import Region, User
from workflow_app.reports.figures import CoveragePoint, Figures, FiguresService
from workflow_app.reports.scope import Scope, resolve_scope
from workflow_app.reports.trends import (
    MonthRate,
    MonthWorkdays,
    Period,
    default_period,
    on_time_by_month,
    registration_by_month,
)
from workflow_app.tasks.models import OPEN_STATUSES, HumanTask, TaskStatus

OWN = ":own"  # a region key suffix: the region's own tasks, not those below it
PROCESS_TITLES = {"registration": "成立登记", "major_event": "重大事项报告", "party_building": "党建攻坚",
                  "zombie_cleanup": "僵尸型清理", "annual_report": "年度报告"}


@dataclass(frozen=True)
class Bar:
    """One labelled value of a bar chart."""

    label: str
    value: float
    key: str = ""  # the region code or process key it counts (for its drill-down link)


@dataclass(frozen=True)
class Overview:
    """The task side of the dashboard."""

    overdue_by_region: list[Bar]
    overdue_by_process: list[Bar]
    on_time_rate: float | None
    completed_with_limit: int


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard page shows for one scope."""

    scope: Scope
    overview: Overview
    figures: Figures
    regions: list[tuple[str, str]]  # (code, name) the user may switch to: their own region and those below
    period: Period
    on_time_by_month: list[MonthRate]
    registration_by_month: list[MonthWorkdays]
    trend: list[CoveragePoint]  # the party coverage snapshots within the period


class ReportService:
    """Counts for one supervisor's regions."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def dashboard(self, user: User, region_code: str | None = None, period: Period | None = None) -> Dashboard:
        """The dashboard of ``region_code`` (default: the user's region), which the user must oversee, with the
        monthly figures of ``period`` (default: the last twelve months)."""
        scope = resolve_scope(self.session, user, region_code)
        own = resolve_scope(self.session, user)
        period = period or default_period()
        regions = [(code, name) for code, name in self.session.execute(
            select(Region.code, Region.name).where(Region.path.like(own.path + "%")).order_by(Region.path))]
        figures = FiguresService(self.session).figures(scope)
        return Dashboard(scope, self.overview(scope), figures, regions, period,
                         on_time_by_month(self.session, scope, period),
                         registration_by_month(self.session, scope, period),
                         [point for point in figures.party.trend if period.holds(point.month)])

    def overview(self, scope: Scope) -> Overview:
        """Overdue open tasks by region (the scope's own tasks, then each region directly below it with
        everything under it) and by process, and the on-time rate of completed tasks with a limit."""
        overdue = (HumanTask.status.in_(OPEN_STATUSES), HumanTask.due_at < clock.now(),
                   scope.covers(HumanTask.region_code))
        by_code = self.session.execute(select(HumanTask.region_code, func.count()).where(*overdue)
                                       .group_by(HumanTask.region_code)).all()
        by_process = self.session.execute(select(HumanTask.process_key, func.count()).where(*overdue)
                                          .group_by(HumanTask.process_key).order_by(func.count().desc())).all()
        on_time, with_limit = self.session.execute(
            select(func.sum(case((HumanTask.completed_at <= HumanTask.due_at, 1), else_=0)), func.count())
            .where(HumanTask.status == TaskStatus.COMPLETED, HumanTask.due_at.is_not(None),
                   scope.covers(HumanTask.region_code))).one()
        return Overview(
            overdue_by_region=self._by_sub_region(scope, by_code),
            overdue_by_process=[Bar(PROCESS_TITLES.get(key, key), n, key) for key, n in by_process],
            on_time_rate=(on_time or 0) / with_limit if with_limit else None,
            completed_with_limit=with_limit,
        )

    def _by_sub_region(self, scope: Scope, counts: list[Any]) -> list[Bar]:
        """Counts by region code rolled up to the scope itself (本级, key ``<code>:own``) and each region
        directly below it (key its code: that region and below), largest first."""
        regions = {code: (name, path) for code, name, path in self.session.execute(
            select(Region.code, Region.name, Region.path).where(Region.path.like(scope.path + "%")))}
        rolled: dict[str, int] = {}
        for code, n in counts:
            below = regions[code][1][len(scope.path):] if code in regions else ""
            key = below.split("/", 1)[0] if below else f"{scope.code}{OWN}"
            rolled[key] = rolled.get(key, 0) + n
        label = {key: regions[key][0] if key in regions else f"{scope.name}本级" for key in rolled}
        return [Bar(label[key], n, key) for key, n in sorted(rolled.items(), key=lambda item: (-item[1], item[0]))]
