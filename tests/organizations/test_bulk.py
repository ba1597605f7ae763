"""Bulk start of zombie_cleanup: batches, skips, visibility, and 1,961 organizations in seconds."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, insert, select

from tests.conftest import DATA, read_bundle
from workflow_app import clock
from workflow_app.db import unit_of_work
from workflow_app.instances.models import InstanceStatus, ProcessInstance
from workflow_app.organizations import bulk, uscc
from workflow_app.organizations.models import Organization, OrgStatus, OrgType, PartyOrgStatus
from workflow_app.services import definition_service, instance_service
from workflow_app.tasks.models import HumanTask

PROVINCE_CASES = 1961


@pytest.fixture
def stand_in(app, demo) -> str:
    """A one-task process deployed as zombie_cleanup (the bulk code does not care what the process does)."""
    [result] = definition_service().deploy(read_bundle(DATA / "bulk"), deployed_by="test")
    return result.key


def add_organizations(session, n: int, region: str = "220100", *, flagged: bool = True) -> list[int]:
    """Insert ``n`` active organizations (valid codes) in one statement; return their ids."""
    now = clock.now()
    rows = [{
        "name": f"测试僵尸社会组织{i:05d}", "uscc": uscc.make("5", "1", region, f"YY{i:06d}"),
        "org_type": OrgType.SOCIAL_GROUP, "category": "文化类", "region_code": region, "status": OrgStatus.ACTIVE,
        "party_org_status": PartyOrgStatus.NONE, "charter_party_clause": True,
        "flags": {"suspected_zombie": True, "situations": ["unreachable"]} if flagged else {},
        "created_at": now, "updated_at": now,
    } for i in range(n)]
    with unit_of_work(session):
        session.execute(insert(Organization), rows)
    names = [r["name"] for r in rows]
    return list(session.scalars(select(Organization.id).where(Organization.name.in_(names)).order_by(Organization.id)))


def test_starts_one_case_per_organization_with_its_region_and_data(stand_in, session):
    ids = add_organizations(session, 5)
    result = bulk.start_zombie_cleanup(session, ids, "supervisor_prov", batch_size=2)
    assert [org for org, _ in result.started] == ids and result.skipped == [] and result.failed == []
    case = session.get(ProcessInstance, result.started[0][1])
    assert (case.process_key, case.organization_id, case.region_code, case.started_by, case.status) == (
        "zombie_cleanup", ids[0], "220100", "supervisor_prov", InstanceStatus.RUNNING)
    variables = instance_service().variables(case)
    assert variables["source"] == "bulk" and variables["organization_id"] == ids[0]
    assert variables["situations"] == ["unreachable"] and variables["suspected_zombie"] is True
    assert variables["organization_name"] == "测试僵尸社会组织00000"
    task = session.scalars(select(HumanTask).where(HumanTask.instance_id == case.id)).one()
    assert (task.candidate_group, task.region_code, task.organization_id) == ("inspector", "220100", ids[0])


def test_skips_open_cases_inactive_unknown_and_duplicate_organizations(stand_in, session):
    ids = add_organizations(session, 4)
    bulk.start_zombie_cleanup(session, ids[:1], "cli")
    with unit_of_work(session):
        session.get(Organization, ids[1]).status = OrgStatus.DEREGISTERED
    result = bulk.start_zombie_cleanup(session, [*ids, ids[3], 999999], "cli")
    assert [org for org, _ in result.started] == ids[2:]
    assert dict(result.skipped) == {
        ids[0]: "already has an open zombie_cleanup case", ids[1]: "not active (deregistered)",
        ids[3]: "duplicate in the list", 999999: "no such organization (or not visible)"}
    assert "started 2, skipped 4" in result.summary()


def test_an_unknown_process_fails_before_starting_anything(app, demo, session):
    from workflow_app.errors import NotFound

    with pytest.raises(NotFound):
        bulk.start_zombie_cleanup(session, add_organizations(session, 2), "cli")
    assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 0


def test_the_flagged_list_holds_active_suspected_zombies(stand_in, session):
    flagged = add_organizations(session, 3)
    add_organizations(session, 2, region="220200", flagged=False)
    demo_flagged = [o.id for o in session.scalars(select(Organization).where(Organization.status == OrgStatus.ACTIVE))
                    if (o.flags or {}).get("suspected_zombie") is True and o.id not in flagged]
    assert bulk.flagged_ids(session) == sorted(demo_flagged + flagged)


def test_id_lists_take_ids_and_credit_codes(stand_in, session):
    ids = add_organizations(session, 2)
    code = session.get(Organization, ids[1]).uscc
    parsed, unknown = bulk.read_id_list(session, f"# list\n{ids[0]}\n{code.lower()}, 51220100MJ9999999X\n")
    assert parsed == ids and unknown == ["51220100MJ9999999X"]


def test_1961_organizations_start_in_seconds(stand_in, session, record_property):
    ids = add_organizations(session, PROVINCE_CASES)
    began, cpu = time.perf_counter(), time.process_time()
    result = bulk.start_zombie_cleanup(session, ids, "supervisor_prov")
    seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu
    record_property("bulk_start_seconds", round(seconds, 2))
    print(f"\nstarted {len(result.started)} zombie_cleanup cases in {seconds:.2f} s "
          f"({cpu_seconds:.2f} s CPU, {session.get_bind().dialect.name})")
    assert len(result.started) == PROVINCE_CASES and not result.skipped and not result.failed
    assert session.scalar(select(func.count()).select_from(HumanTask)) == PROVINCE_CASES
    # CPU time, not wall time: a shared CI machine may be busy. Unloaded, wall ≈ CPU (≈7 s SQLite, ≈10 s PG).
    assert cpu_seconds < 30, f"{cpu_seconds:.1f} s CPU for {PROVINCE_CASES} organizations"
    assert seconds < 180
