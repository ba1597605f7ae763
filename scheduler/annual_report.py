"""The calendar-driven job: each December, the annual report case of every prefecture (city-level region).

From 12-01 (Asia/Shanghai) the job starts the shipped ``annual_report`` process once per
city region and year — business key ``年度报告〔<year>〕<city name>`` (people read it in the
inbox), skipped when a case with that key, or the older ``annual-report-<year>-<region>``, exists — prefilled with the region's registry statistics. Its one task is due
at the end of 12-15 (the next working day when 12-15 is off), whenever in December the case
was started. Running it late (the scheduler was down on 12-01) still creates the missing ones.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from flask import Flask
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from workflow_app import clock, db
from workflow_app.calendar.service import CalendarService
from workflow_app.calendar.workdays import end_of_local_day
from workflow_app.db import unit_of_work
from workflow_app.definitions.models import ProcessDefinition
from workflow_app.directory.models import Region, RegionLevel
from workflow_app.instances.models import ProcessInstance
from workflow_app.organizations.models import Organization, OrgStatus, OrgType, PartyOrgStatus

log = logging.getLogger(__name__)
PROCESS_KEY = "annual_report"
MONTH, FIRST_DAY, DUE_DAY = 12, 1, 15
STARTED_BY = "scheduler"


def business_key(year: int, region_name: str) -> str:
    """The business key (and idempotency key) of one prefecture's report for one year, in Chinese."""
    return f"年度报告〔{year}〕{region_name}"


def legacy_business_key(year: int, region_code: str) -> str:
    """The key earlier versions gave the report: still counts as "already there"."""
    return f"annual-report-{year}-{region_code}"


def region_statistics(session: Session, region_code: str) -> dict[str, Any]:
    """Counts of the registry's organizations in the region and below: by status, by type, party coverage."""
    path = select(Region.path).where(Region.code == region_code).scalar_subquery()
    in_region = Organization.region_code.in_(select(Region.code).where(Region.path.like(path + "%")))
    by_status = {s.value: 0 for s in OrgStatus}
    for status, count in session.execute(
            select(Organization.status, func.count()).where(in_region).group_by(Organization.status)):
        by_status[status.value] = count
    active = Organization.status == OrgStatus.ACTIVE
    by_type = {t.value: 0 for t in OrgType}
    covered = 0
    for org_type, count, with_party in session.execute(
            select(Organization.org_type, func.count(),
                   func.sum(case((Organization.party_org_status != PartyOrgStatus.NONE, 1), else_=0)))
            .where(in_region, active).group_by(Organization.org_type)):
        by_type[org_type.value] = count
        covered += int(with_party or 0)
    active_total = by_status[OrgStatus.ACTIVE.value]
    return {
        "org_total": sum(by_status.values()),
        "active_count": active_total,
        "deregistered_count": by_status[OrgStatus.DEREGISTERED.value],
        "revoked_count": by_status[OrgStatus.REVOKED.value] + by_status[OrgStatus.CERTIFICATE_REVOKED.value],
        "social_group_count": by_type[OrgType.SOCIAL_GROUP.value],
        "private_non_enterprise_count": by_type[OrgType.PRIVATE_NON_ENTERPRISE.value],
        "foundation_count": by_type[OrgType.FOUNDATION.value],
        "party_covered_count": covered,
        "party_coverage_rate": round(100.0 * covered / active_total, 1) if active_total else 0.0,
        "by_status": by_status,
        "by_type": by_type,
    }


def create_annual_reports(app: Flask) -> str:
    """In December, start the missing annual report cases of the year; idempotent per (region, year)."""
    from workflow_app.services import instance_service

    today = clock.local_now().date()
    if today.month != MONTH or today.day < FIRST_DAY:
        return "not December: nothing to do"
    year = today.year
    with app.app_context():
        session = db.session()
        if session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.key == PROCESS_KEY).limit(1)) is None:
            log.warning("the %s process is not deployed: no annual reports created for %s", PROCESS_KEY, year)
            return f"process {PROCESS_KEY} not deployed: skipped"
        calendar = CalendarService(session).calendar()
        due = end_of_local_day(calendar.next_workday(date(year, MONTH, DUE_DAY)))
        warning = None if calendar.covers(year) else f"{year} 年节假日安排未录入，期限按普通工作日计算"
        cities = session.execute(
            select(Region.code, Region.name).where(Region.level == RegionLevel.CITY).order_by(Region.code)).all()
        session.rollback()
        created = existing = 0
        service = instance_service(session)
        for code, name in cities:
            key = business_key(year, name)
            with unit_of_work(session):
                # Locking the region row makes two schedulers queue here (PostgreSQL); SQLite's
                # BEGIN IMMEDIATE already does. The second then finds the case the first created.
                session.execute(select(Region.code).where(Region.code == code).with_for_update())
                keys = (key, legacy_business_key(year, code))
                if session.scalar(select(ProcessInstance.id).where(ProcessInstance.business_key.in_(keys))
                                  .limit(1)) is not None:
                    existing += 1
                    continue
                variables = {"region_code": code, "region_name": name, "report_year": year,
                             "report_due": due.astimezone(clock.LOCAL_TZ).date().isoformat(), **region_statistics(session, code)}
                advance = service.start_in_transaction(PROCESS_KEY, variables, started_by=STARTED_BY,
                                                       business_key=key, region_code=code)
                for task in advance.new_tasks:  # due on 12-15 whichever December day the case started
                    task.due_at, task.due_warning = due, warning
                created += 1
        return f"{year}: {created} annual report cases created, {existing} already there"
