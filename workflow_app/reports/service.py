"""The supervisor dashboard's figures, within the regions a user oversees (theirs and below)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from workflow_app import clock
from workflow_app.directory.models import Region, Role, User
from workflow_app.instances.models import InstanceStatus, ProcessInstance
from workflow_app.organizations.models import Organization, OrgStatus, PartyOrgStatus
from workflow_app.tasks.models import OPEN_STATUSES, HumanTask, TaskStatus
from workflow_app.tasks.visibility import regions_below

PROCESS_TITLES = {"registration": "成立登记", "major_event": "重大事项报告", "party_building": "党建攻坚",
                  "zombie_cleanup": "僵尸型清理", "annual_report": "年度报告"}


@dataclass(frozen=True)
class Bar:
    """One labelled value of a bar chart."""

    label: str
    value: float


@dataclass(frozen=True)
class Overview:
    """Everything the dashboard shows."""

    overdue_by_region: list[Bar]
    overdue_by_process: list[Bar]
    on_time_rate: float | None
    completed_with_limit: int
    registration_days: float | None
    registrations_decided: int
    zombie_by_status: list[Bar]
    suspected_zombies: int
    party_coverage: float | None
    charter_clause_rate: float | None
    active_organizations: int


class ReportService:
    """Counts for one supervisor's regions."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def overview(self, user: User) -> Overview:
        """The dashboard figures for ``user``'s region and the regions below it (all for admins)."""
        scope = select(Region.code).where(regions_below(user)) if user.role is not Role.ADMIN else None
        names = dict(self.session.execute(select(Region.code, Region.name)).all())
        now = clock.now()

        def in_scope(column: Any) -> Any:
            return column.in_(scope) if scope is not None else True

        overdue = (HumanTask.status.in_(OPEN_STATUSES), HumanTask.due_at < now, in_scope(HumanTask.region_code))
        by_region = self.session.execute(select(HumanTask.region_code, func.count()).where(*overdue)
                                         .group_by(HumanTask.region_code).order_by(func.count().desc())).all()
        by_process = self.session.execute(select(HumanTask.process_key, func.count()).where(*overdue)
                                          .group_by(HumanTask.process_key).order_by(func.count().desc())).all()
        on_time, with_limit = self.session.execute(
            select(func.sum(case((HumanTask.completed_at <= HumanTask.due_at, 1), else_=0)), func.count())
            .where(HumanTask.status == TaskStatus.COMPLETED, HumanTask.due_at.is_not(None),
                   in_scope(HumanTask.region_code))).one()
        decided = self.session.execute(
            select(ProcessInstance.started_at, ProcessInstance.ended_at)
            .where(ProcessInstance.process_key == "registration", ProcessInstance.status == InstanceStatus.COMPLETED,
                   in_scope(ProcessInstance.region_code))).all()
        zombies = self.session.execute(
            select(ProcessInstance.status, func.count()).where(ProcessInstance.process_key == "zombie_cleanup",
                                                               in_scope(ProcessInstance.region_code))
            .group_by(ProcessInstance.status)).all()
        active = (Organization.status == OrgStatus.ACTIVE, in_scope(Organization.region_code))
        orgs, covered, clause, flagged = self.session.execute(select(
            func.count(),
            func.sum(case((Organization.party_org_status != PartyOrgStatus.NONE, 1), else_=0)),
            func.sum(case((Organization.charter_party_clause.is_(True), 1), else_=0)),
            func.sum(case((Organization.flags["suspected_zombie"].as_boolean().is_(True), 1), else_=0)),
        ).where(*active)).one()
        days = [(end - start).total_seconds() / 86400 for start, end in decided if end is not None]
        status_titles = {"running": "进行中", "completed": "已办结", "cancelled": "已撤销", "error": "异常"}
        return Overview(
            overdue_by_region=[Bar(names.get(code, code or "—"), n) for code, n in by_region],
            overdue_by_process=[Bar(PROCESS_TITLES.get(key, key), n) for key, n in by_process],
            on_time_rate=(on_time or 0) / with_limit if with_limit else None,
            completed_with_limit=with_limit,
            registration_days=sorted(days)[len(days) // 2] if days else None,
            registrations_decided=len(days),
            zombie_by_status=[Bar(status_titles.get(s.value, s.value), n) for s, n in zombies],
            suspected_zombies=int(flagged or 0),
            party_coverage=(covered or 0) / orgs if orgs else None,
            charter_clause_rate=(clause or 0) / orgs if orgs else None,
            active_organizations=orgs,
        )
