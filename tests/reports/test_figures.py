"""The supervisor figures against the known registry of tests/reports/conftest.py (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select, update

from workflow_app import clock
from workflow_app.clock import LOCAL_TZ
from workflow_app.directory.models import Region, User
from workflow_app.errors import Forbidden, NotFound
from workflow_app.organizations.models import Organization, PartyOrgStatus
from workflow_app.reports.figures import Coverage, FiguresService
from workflow_app.reports.models import PartyCoverageSnapshot
from workflow_app.reports.scope import resolve_scope
from workflow_app.reports.snapshots import take_snapshot


def figures(session, username: str, region: str | None = None):
    user = session.scalar(select(User).where(User.username == username))
    return FiguresService(session).figures(resolve_scope(session, user, region))


def test_party_coverage_splits_organization_from_work_coverage(session, registry):
    party = figures(session, "supervisor_prov").party
    # 11 active: 3 单独 + 1 联合 + 1 临时 = 5 组织覆盖; 2 with an instructor only; 4 with nothing.
    assert party.all == Coverage(active=11, single=3, joint=1, temporary=1, instructor=2, charter_clause=3)
    assert party.all.organization_rate == pytest.approx(5 / 11)
    assert party.all.work_rate == pytest.approx(2 / 11)
    assert party.all.total_rate == pytest.approx(7 / 11)
    # 全省性: the four active organizations the province registered.
    assert party.provincial == Coverage(active=4, single=2, joint=0, temporary=0, instructor=1, charter_clause=2)
    assert party.provincial.organization_rate == 0.5 and party.provincial.work_rate == 0.25


def test_a_citys_coverage_counts_its_counties_and_leaves_out_the_provincial_figure(session, registry):
    party = figures(session, "supervisor_cc").party
    assert party.all == Coverage(active=5, single=1, joint=1, temporary=1, instructor=1, charter_clause=1)
    assert party.all.organization_rate == 0.6 and party.all.work_rate == 0.2
    assert party.provincial is None
    assert figures(session, "supervisor_cc", "220102").party.all.active == 2


def test_zombie_progress_by_outcome_and_by_situation(session, registry):
    zombies = figures(session, "supervisor_prov").zombies
    assert {c.key: c.value for c in zombies.by_outcome} == {
        "activated": 1, "deregistered": 1, "revoked": 1, "certificate_revoked": 1, "open": 2, "not_zombie": 1}
    assert [c.label for c in zombies.by_outcome][:5] == ["激活", "注销", "撤销", "吊销", "未结"]
    assert zombies.total == 7 and zombies.in_progress == 1  # 长乙 has a running case, 南甲 none yet
    rows = {row.key: row for row in zombies.by_situation}
    assert rows["no_annual_report_2y"].total == 2
    assert rows["no_annual_report_2y"].by_outcome["activated"] == 1
    assert rows["no_annual_report_2y"].by_outcome["deregistered"] == 1
    assert rows["unreachable"].by_outcome == {"activated": 0, "deregistered": 1, "revoked": 0,
                                              "certificate_revoked": 0, "open": 1, "not_zombie": 0}
    assert rows["inactive_after_registration"].by_outcome["revoked"] == 1
    assert rows["governance_deadlock"].total == 0


def test_zombie_progress_of_a_city(session, registry):
    zombies = figures(session, "supervisor_cc").zombies
    assert {c.key: c.value for c in zombies.by_outcome} == {
        "activated": 1, "deregistered": 1, "revoked": 1, "certificate_revoked": 0, "open": 2, "not_zombie": 0}


def test_registration_time_counts_working_days_of_decided_cases_only(session, registry):
    time = figures(session, "supervisor_prov").registration
    # The last clock_stop of each decided registration: 12, 40, 70; never-run clocks, running cases and
    # other processes' clocks are left out.
    assert (time.decided, time.mean_workdays, time.median_workdays, time.max_workdays, time.within_limit) == \
        (3, 40.7, 40.0, 70, 2)
    city = figures(session, "supervisor_cc").registration
    assert (city.decided, city.mean_workdays, city.median_workdays, city.within_limit) == (2, 55.0, 55.0, 1)


def test_a_region_outside_the_supervisors_own_is_refused(session, registry):
    with pytest.raises(Forbidden):
        figures(session, "supervisor_cc", "220000")
    with pytest.raises(Forbidden):
        figures(session, "supervisor_cc", "220200")
    with pytest.raises(NotFound):
        figures(session, "supervisor_cc", "999999")
    assert figures(session, "admin", "220200").party.all.active == 2


def test_the_monthly_snapshot_writes_one_row_per_region_once(session, registry):
    regions = session.scalar(select(func.count()).select_from(Region))
    with clock.frozen(datetime(2026, 11, 1, 0, 30, tzinfo=LOCAL_TZ)):
        first = take_snapshot(session)
        second = take_snapshot(session)
    assert (first.month, first.inserted, first.existing) == ("2026-11", regions, 0)
    assert (second.inserted, second.existing) == (0, regions)
    assert session.scalar(select(func.count()).select_from(PartyCoverageSnapshot)) == regions
    changchun = session.scalar(select(PartyCoverageSnapshot).where(PartyCoverageSnapshot.region_code == "220100"))
    assert (changchun.active_count, changchun.joint_count, changchun.temporary_count, changchun.single_count) == \
        (3, 1, 1, 0)


def test_the_trend_sums_the_snapshots_of_the_scope_month_by_month(session, registry):
    with clock.frozen(datetime(2026, 11, 1, 8, tzinfo=LOCAL_TZ)):
        take_snapshot(session)
    with session.begin():  # 长丙 forms a joint branch in November
        session.execute(update(Organization).where(Organization.id == registry["长丙"])
                        .values(party_org_status=PartyOrgStatus.JOINT))
    with clock.frozen(datetime(2026, 12, 1, 8, tzinfo=LOCAL_TZ)):
        take_snapshot(session)
    trend = figures(session, "supervisor_cc").party.trend
    assert [(p.month, p.coverage.active, p.coverage.organization_covered) for p in trend] == \
        [("2026-11", 5, 3), ("2026-12", 5, 4)]
    assert all(p.provincial is None for p in trend)
    province = figures(session, "supervisor_prov").party.trend
    assert [(p.coverage.active, p.provincial.active, p.provincial.organization_covered) for p in province] == \
        [(11, 4, 2), (11, 4, 2)]


def test_the_scheduler_job_snapshots_once_a_month(app, session, registry):
    from scheduler import jobs

    regions = session.scalar(select(func.count()).select_from(Region))
    with clock.frozen(datetime(2026, 12, 6, 9, tzinfo=LOCAL_TZ)):
        assert jobs.snapshot_party_coverage(app) == f"2026-12: {regions} regions snapshotted, 0 already there"
    with clock.frozen(datetime(2026, 12, 6, 10, tzinfo=LOCAL_TZ)):
        assert jobs.snapshot_party_coverage(app) == f"2026-12: 0 regions snapshotted, {regions} already there"
