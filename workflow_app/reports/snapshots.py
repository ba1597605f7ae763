"""The monthly party-coverage snapshot: the scheduler's ``snapshot_party_coverage`` job writes it.

Once per Beijing calendar month, one row per region with the counts of the active organizations
that region registered (its own level). The first run of the month writes the rows; every later
run finds them and writes nothing, so a month's row shows the registry as it stood at the start
of the month. Two schedulers at once queue on the write lock (SQLite's BEGIN IMMEDIATE) or meet
the unique (month, region) constraint (PostgreSQL): either way one row per region and month.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow_app import clock
from workflow_app.db import unit_of_work
from workflow_app.directory.models import Region
from workflow_app.organizations.models import Organization, OrgStatus, PartyOrgStatus
from workflow_app.reports.models import PartyCoverageSnapshot

FIELDS = {PartyOrgStatus.SINGLE: "single_count", PartyOrgStatus.JOINT: "joint_count",
          PartyOrgStatus.TEMPORARY: "temporary_count", PartyOrgStatus.INSTRUCTOR: "instructor_count"}


@dataclass(frozen=True)
class SnapshotResult:
    """What one run did."""

    month: str
    inserted: int
    existing: int

    def __str__(self) -> str:
        return f"{self.month}: {self.inserted} regions snapshotted, {self.existing} already there"


def current_month() -> str:
    """The Beijing calendar month, ``"2026-12"``."""
    return clock.local_now().strftime("%Y-%m")


def take_snapshot(session: Session, month: str | None = None) -> SnapshotResult:
    """Write the month's missing rows (all regions) in one transaction; idempotent per (region, month)."""
    month = month or current_month()
    try:
        with unit_of_work(session):
            done = set(session.scalars(select(PartyCoverageSnapshot.region_code)
                                       .where(PartyCoverageSnapshot.month == month)))
            missing = [code for code in session.scalars(select(Region.code).order_by(Region.code))
                       if code not in done]
            if not missing:
                return SnapshotResult(month, 0, len(done))
            rows = {code: {"active_count": 0, "charter_clause_count": 0, **dict.fromkeys(FIELDS.values(), 0)}
                    for code in missing}
            for code, status, n, clause in session.execute(
                    select(Organization.region_code, Organization.party_org_status, func.count(),
                           func.count().filter(Organization.charter_party_clause.is_(True)))
                    .where(Organization.status == OrgStatus.ACTIVE, Organization.region_code.in_(missing))
                    .group_by(Organization.region_code, Organization.party_org_status)):
                row = rows[code]
                row["active_count"] += n
                row["charter_clause_count"] += clause
                if status in FIELDS:
                    row[FIELDS[status]] += n
            now = clock.now()
            session.add_all(PartyCoverageSnapshot(month=month, region_code=code, taken_at=now, **counts)
                            for code, counts in rows.items())
        return SnapshotResult(month, len(missing), len(done))
    except IntegrityError:  # another scheduler wrote the month in between: its rows stand
        count = session.scalar(select(func.count()).where(PartyCoverageSnapshot.month == month)) or 0
        session.rollback()
        return SnapshotResult(month, 0, count)
