"""The figures a supervisor reads, within one region scope: party coverage, the zombie cleanup, registration time.

Each is counted from the registry (``organizations``) and the cases (audit events of the
statutory clock), defined in docs/reports.md:

- party coverage: 组织覆盖 (a 单独/联合/临时 branch) apart from 工作覆盖 (a 党建工作指导员 only),
  over active organizations; also for 全省性 organizations (registered by the province) alone,
  and month by month from ``party_coverage_snapshots``;
- zombie cleanup: every organization in the cleanup by outcome (激活/注销/撤销/吊销/未结, plus
  排除 when 核查 found it no zombie) and by the situations the registry lists for it;
- registration time: working days between acceptance and decision as the statutory clock counted
  them (``case.clock_stop``: pauses for 补正/修改章程 excluded), decided cases only.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median
from typing import Any

from sqlalchemy import ColumnElement, cast, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from workflow_app.instances.models import InstanceStatus, ProcessInstance
from workflow_app.organizations.export import SITUATION_LABELS
from workflow_app.organizations.models import Organization, OrgStatus, PartyOrgStatus
from workflow_app.organizations.service import flag_is_true
from workflow_app.reports.models import PartyCoverageSnapshot
from workflow_app.reports.scope import Scope
from workflow_app.reports.trends import decided_registrations, workdays_of

PROVINCE_CODE = "220000"
TREND_MONTHS = 12
# Outcomes in the order the dashboard lists them; the registry's zombie_cleanup_result values.
OUTCOME_LABELS = {"activated": "激活", "deregistered": "注销", "revoked": "撤销", "certificate_revoked": "吊销",
                  "open": "未结", "not_zombie": "排除（核查非僵尸型）"}


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Coverage:
    """Party coverage of a set of active organizations."""

    active: int
    single: int  # 单独组建
    joint: int  # 联合组建
    temporary: int  # 临时组建
    instructor: int  # 党建工作指导员 only: 工作覆盖
    charter_clause: int  # 党建入章

    @property
    def organization_covered(self) -> int:
        """Organizations with a party organization of their own or a joint/temporary one (组织覆盖)."""
        return self.single + self.joint + self.temporary

    @property
    def organization_rate(self) -> float | None:
        """组织覆盖率 (0–1), None without active organizations."""
        return _ratio(self.organization_covered, self.active)

    @property
    def work_rate(self) -> float | None:
        """工作覆盖率: organizations reached by an instructor only (0–1)."""
        return _ratio(self.instructor, self.active)

    @property
    def total_rate(self) -> float | None:
        """组织覆盖 and 工作覆盖 together (0–1)."""
        return _ratio(self.organization_covered + self.instructor, self.active)

    @property
    def charter_clause_rate(self) -> float | None:
        """党建入章率 (0–1)."""
        return _ratio(self.charter_clause, self.active)


@dataclass(frozen=True)
class CoveragePoint:
    """One month of the trend (``provincial`` only when the scope holds the province)."""

    month: str
    coverage: Coverage
    provincial: Coverage | None


@dataclass(frozen=True)
class PartyCoverage:
    """Coverage now, for 全省性 organizations alone, and by month."""

    all: Coverage
    provincial: Coverage | None
    trend: list[CoveragePoint]


@dataclass(frozen=True)
class Count:
    """A labelled count."""

    key: str
    label: str
    value: int


@dataclass(frozen=True)
class SituationRow:
    """The organizations listing one zombie situation, by outcome (keys of OUTCOME_LABELS)."""

    key: str
    label: str
    total: int
    by_outcome: dict[str, int]


@dataclass(frozen=True)
class ZombieProgress:
    """The cleanup: every organization in it by outcome and by situation."""

    total: int
    by_outcome: list[Count]
    in_progress: int  # of the 未结: those with a running zombie_cleanup case
    by_situation: list[SituationRow]


@dataclass(frozen=True)
class RegistrationTime:
    """Working days from 受理 to decision of decided registrations (pauses excluded)."""

    decided: int
    mean_workdays: float | None
    median_workdays: float | None
    max_workdays: int | None
    within_limit: int  # decided within the limit the clock ran with


@dataclass(frozen=True)
class Figures:
    """Every figure of one scope."""

    region_code: str
    region_name: str
    party: PartyCoverage
    zombies: ZombieProgress
    registration: RegistrationTime


def flag_present(session: Session, name: str) -> ColumnElement[bool]:
    """``flags`` has the key ``name`` (any value), portable across SQLite and PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(Organization.flags, JSONB).has_key(name)
    return func.json_type(Organization.flags, f"$.{name}").is_not(None)


def coverage_of(session: Session, *conditions: Any) -> Coverage:
    """Party coverage of the active organizations meeting ``conditions``."""
    counts = {s: 0 for s in PartyOrgStatus}
    clause = 0
    for status, n, with_clause in session.execute(
            select(Organization.party_org_status, func.count(),
                   func.count().filter(Organization.charter_party_clause.is_(True)))
            .where(Organization.status == OrgStatus.ACTIVE, *conditions).group_by(Organization.party_org_status)):
        counts[status] = n
        clause += with_clause
    return Coverage(active=sum(counts.values()), single=counts[PartyOrgStatus.SINGLE],
                    joint=counts[PartyOrgStatus.JOINT], temporary=counts[PartyOrgStatus.TEMPORARY],
                    instructor=counts[PartyOrgStatus.INSTRUCTOR], charter_clause=clause)


class FiguresService:
    """Counts one scope's figures; read-only."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def figures(self, scope: Scope) -> Figures:
        """All figures of ``scope``."""
        return Figures(scope.code, scope.name, self.party_coverage(scope), self.zombie_progress(scope),
                       self.registration_time(scope))

    def party_coverage(self, scope: Scope) -> PartyCoverage:
        """Coverage now (all, and 全省性 alone when the scope holds the province) and the monthly trend."""
        provincial = coverage_of(self.session, Organization.region_code == PROVINCE_CODE) \
            if scope.includes_province else None
        return PartyCoverage(coverage_of(self.session, scope.covers(Organization.region_code)), provincial,
                             self._trend(scope))

    def _trend(self, scope: Scope) -> list[CoveragePoint]:
        snap = PartyCoverageSnapshot
        sums = (func.sum(snap.active_count), func.sum(snap.single_count), func.sum(snap.joint_count),
                func.sum(snap.temporary_count), func.sum(snap.instructor_count), func.sum(snap.charter_clause_count))
        months = select(snap.month).where(scope.covers(snap.region_code)).group_by(snap.month) \
            .order_by(snap.month.desc()).limit(TREND_MONTHS).subquery()
        rows = self.session.execute(select(snap.month, *sums).where(
            scope.covers(snap.region_code), snap.month.in_(select(months.c.month)))
            .group_by(snap.month).order_by(snap.month)).all()
        provincial = {}
        if scope.includes_province:
            provincial = {row[0]: Coverage(*row[1:]) for row in self.session.execute(
                select(snap.month, snap.active_count, snap.single_count, snap.joint_count, snap.temporary_count,
                       snap.instructor_count, snap.charter_clause_count).where(snap.region_code == PROVINCE_CODE))}
        return [CoveragePoint(month, Coverage(*(int(v or 0) for v in values)), provincial.get(month))
                for month, *values in rows]

    def zombie_progress(self, scope: Scope) -> ZombieProgress:
        """Organizations flagged suspected, or with a cleanup result, by outcome and by situation."""
        in_cleanup = or_(flag_is_true(self.session, "suspected_zombie"),
                         flag_present(self.session, "zombie_cleanup_result"))
        rows = self.session.execute(select(Organization.id, Organization.flags)
                                    .where(scope.covers(Organization.region_code), in_cleanup)).all()
        running = set(self.session.scalars(select(ProcessInstance.organization_id).where(
            ProcessInstance.process_key == "zombie_cleanup", ProcessInstance.status == InstanceStatus.RUNNING,
            ProcessInstance.organization_id.is_not(None), scope.covers(ProcessInstance.region_code))))
        outcomes = dict.fromkeys(OUTCOME_LABELS, 0)
        situations = {code: dict.fromkeys(OUTCOME_LABELS, 0) for code in SITUATION_LABELS}
        in_progress = 0
        for org_id, flags in rows:
            result = flags.get("zombie_cleanup_result")
            outcome = result if result in OUTCOME_LABELS else "open"
            if flags.get("suspected_zombie") is True:  # flagged again after an earlier result: open again
                outcome = "open"
            outcomes[outcome] += 1
            in_progress += outcome == "open" and org_id in running
            listed = flags.get("situations")
            for code in listed if isinstance(listed, list) else []:
                if code in situations:
                    situations[code][outcome] += 1
        return ZombieProgress(
            total=len(rows), in_progress=in_progress,
            by_outcome=[Count(key, label, outcomes[key]) for key, label in OUTCOME_LABELS.items()],
            by_situation=[SituationRow(code, label, sum(situations[code].values()), situations[code])
                          for code, label in SITUATION_LABELS.items()])

    def registration_time(self, scope: Scope) -> RegistrationTime:
        """The statutory clock's working days of each decided registration (its last ``clock_stop``)."""
        used: list[int] = []
        within = 0
        for _at, details in decided_registrations(self.session, scope):
            counted = workdays_of(details)
            if counted is None:
                continue
            used.append(counted[0])
            within += counted[1]
        return RegistrationTime(
            decided=len(used), mean_workdays=round(sum(used) / len(used), 1) if used else None,
            median_workdays=float(median(used)) if used else None, max_workdays=max(used) if used else None,
            within_limit=within)

