"""The yearly report on community social organization work (seed 002): who reports to whom, when, and what.

Seed 002 asks each city-level authority (the 9 prefectures, 长白山管委会, and 梅河口市, which the
province administers directly) to report to the provincial 社会组织管理局 by 12-15. Counties report
to their city first; the city's report is its own (市本级) figures plus its counties'. The due
day is the last working day on or before 12-15 (a weekend 12-15 moves it earlier, never later);
counties are due ``COUNTY_LEAD_WORKDAYS`` working days before, so the city has time to sum them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow_app.calendar.workdays import WorkCalendar
from workflow_app.casefile.models import Submission
from workflow_app.directory.models import Region, RegionLevel
from workflow_app.instances.models import ProcessInstance
from workflow_app.organizations.models import Organization, OrgStatus, OrgType, PartyOrgStatus

PROCESS_KEY = "annual_report"
DUE_MONTH, DUE_DAY = 12, 15
COUNTY_LEAD_WORKDAYS = 3
PROVINCE_CODE = "220000"
# County-level cities the province administers directly (省直管): they report to the province.
DIRECT_TO_PROVINCE = {"220581": "梅河口市"}
COMMUNITY_CATEGORY = "城乡社区服务类"  # the registry's category of registered 社区社会组织

# The report's figures (form fields) that add up from counties to their city; seed 002's content.
SUMMED_FIELDS = (
    "org_total", "active_count", "deregistered_count", "revoked_count", "social_group_count",
    "private_non_enterprise_count", "foundation_count", "party_covered_count",
    "community_registered", "community_filed", "community_in_communities", "community_party_clause",
    "pilot_communities", "social_work_stations", "incubation_platforms",
    "purchase_service_funds", "venture_funds", "training_person_times",
    "brand_organizations", "brand_projects",
    "activity_neighbourhood_watch", "activity_co_governance", "activity_safety", "activity_culture",
)


class ReportLevel(enum.StrEnum):
    """Where a reporting unit stands in the reporting line."""

    COUNTY = "county"  # reports to its city
    CITY = "city"  # sums its counties, reports to the province
    DIRECT = "direct"  # a 省直管 county-level city: reports to the province itself


@dataclass(frozen=True)
class ReportingUnit:
    """One authority that files a report: its region, level, and who receives it."""

    code: str
    name: str
    level: ReportLevel
    receiver_code: str


def reporting_units(session: Session) -> list[ReportingUnit]:
    """Every reporting unit of the region table: cities, their counties, and the 省直管 ones, in code order."""
    units = []
    for code, name, level, parent in session.execute(
            select(Region.code, Region.name, Region.level, Region.parent_code)
            .where(Region.level != RegionLevel.PROVINCE).order_by(Region.code)):
        if code in DIRECT_TO_PROVINCE:
            units.append(ReportingUnit(code, name, ReportLevel.DIRECT, PROVINCE_CODE))
        elif level is RegionLevel.CITY:
            units.append(ReportingUnit(code, name, ReportLevel.CITY, PROVINCE_CODE))
        else:
            units.append(ReportingUnit(code, name, ReportLevel.COUNTY, parent or PROVINCE_CODE))
    return units


def due_day(year: int, calendar: WorkCalendar) -> date:
    """The last working day on or before 12-15 of ``year``: the day the province must have the report."""
    day = date(year, DUE_MONTH, DUE_DAY)
    while not calendar.is_workday(day):
        day -= timedelta(days=1)
    return day


def county_due_day(year: int, calendar: WorkCalendar) -> date:
    """The day a county's report is due at its city: COUNTY_LEAD_WORKDAYS working days before the city's."""
    day, left = due_day(year, calendar), COUNTY_LEAD_WORKDAYS
    while left:
        day -= timedelta(days=1)
        left -= calendar.is_workday(day)
    return day


def business_key(year: int, region_name: str) -> str:
    """The business key (and idempotency key) of one unit's report for one year, in Chinese."""
    return f"年度报告〔{year}〕{region_name}"


def registry_figures(session: Session, region_code: str) -> dict[str, int]:
    """What the registry knows of the organizations the authority registered itself (its own level)."""
    active = Organization.status == OrgStatus.ACTIVE
    community = Organization.category == COMMUNITY_CATEGORY
    counted = {
        "org_total": (),
        "active_count": (active,),
        "deregistered_count": (Organization.status == OrgStatus.DEREGISTERED,),
        "revoked_count": (Organization.status.in_((OrgStatus.REVOKED, OrgStatus.CERTIFICATE_REVOKED)),),
        "social_group_count": (active, Organization.org_type == OrgType.SOCIAL_GROUP),
        "private_non_enterprise_count": (active, Organization.org_type == OrgType.PRIVATE_NON_ENTERPRISE),
        "foundation_count": (active, Organization.org_type == OrgType.FOUNDATION),
        "party_covered_count": (active, Organization.party_org_status != PartyOrgStatus.NONE),
        "community_registered": (active, community),
        "community_party_clause": (active, community, Organization.charter_party_clause.is_(True)),
    }
    row = session.execute(select(*(func.count().filter(*c) if c else func.count() for c in counted.values()))
                          .where(Organization.region_code == region_code)).one()
    return {name: int(value or 0) for name, value in zip(counted, row, strict=True)}


@dataclass(frozen=True)
class CountyReport:
    """One county's report as its city sums it (``figures`` empty when it has not reported)."""

    code: str
    name: str
    reported: bool
    figures: dict[str, float]


def county_reports(session: Session, city_code: str, year: int) -> list[CountyReport]:
    """The latest submitted report of each county reporting to ``city_code`` for ``year``."""
    counties = [u for u in reporting_units(session)
                if u.level is ReportLevel.COUNTY and u.receiver_code == city_code]
    keys = {business_key(year, u.name): u for u in counties}
    latest: dict[str, dict[str, Any]] = {}
    for key, data in session.execute(
            select(ProcessInstance.business_key, Submission.data)
            .join(Submission, Submission.instance_id == ProcessInstance.id)
            .where(ProcessInstance.process_key == PROCESS_KEY, ProcessInstance.business_key.in_(list(keys)),
                   Submission.task_name == "fill_report").order_by(Submission.id)):
        latest[key] = data  # later rows (a resubmission) win
    reports = []
    for key, unit in keys.items():
        data = latest.get(key)
        figures = {name: _number(data.get(name)) for name in SUMMED_FIELDS} if data is not None else {}
        reports.append(CountyReport(unit.code, unit.name, data is not None, figures))
    return reports


def aggregate(own: dict[str, Any], counties: list[CountyReport]) -> dict[str, Any]:
    """The city's report: its own figures plus every reported county's, field by field; who is missing."""
    totals = {name: _number(own.get(name)) for name in SUMMED_FIELDS}
    for county in counties:
        for name, value in county.figures.items():
            totals[name] += value
    return {
        "totals": {name: _tidy(value) for name, value in totals.items()},
        "counties": [{"code": c.code, "name": c.name, "reported": c.reported,
                      "figures": {k: _tidy(v) for k, v in c.figures.items()}} for c in counties],
        "counties_missing": [c.name for c in counties if not c.reported],
    }


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _tidy(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 2)
