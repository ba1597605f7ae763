"""A registry with known answers: regions and users of the demo, and a handful of organizations and cases
whose figures are counted by hand in each test (the demo's random registry would hide mistakes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update
from sqlalchemy.orm import Session

from workflow_app.clock import LOCAL_TZ
from workflow_app.definitions.models import ProcessDefinition
from workflow_app.instances.models import AuditEvent, InstanceStatus, ProcessInstance
from workflow_app.organizations.models import Organization, OrgStatus, OrgType, PartyOrgStatus

A, D, R, CR = OrgStatus.ACTIVE, OrgStatus.DEREGISTERED, OrgStatus.REVOKED, OrgStatus.CERTIFICATE_REVOKED
S, J, T, INS, N = (PartyOrgStatus.SINGLE, PartyOrgStatus.JOINT, PartyOrgStatus.TEMPORARY, PartyOrgStatus.INSTRUCTOR,
                 PartyOrgStatus.NONE)
# (name, region, status, party organization, 党建入章, flags)
ORGANIZATIONS: tuple[tuple[str, str, OrgStatus, PartyOrgStatus, bool, dict[str, Any]], ...] = (
    ("省甲", "220000", A, S, True, {}),
    ("省乙", "220000", A, S, True, {}),
    ("省丙", "220000", A, INS, False, {}),
    ("省丁", "220000", A, N, False, {"zombie_cleanup_result": "not_zombie"}),
    ("省戊", "220000", D, S, True, {}),  # deregistered: in no coverage figure
    ("长甲", "220100", A, J, False, {"zombie_cleanup_result": "activated", "situations": ["no_annual_report_2y"]}),
    ("长乙", "220100", A, T, False, {"suspected_zombie": True, "situations": ["unreachable"]}),  # case running
    ("长丙", "220100", A, N, False, {}),
    ("长丁", "220100", D, N, False, {"zombie_cleanup_result": "deregistered",
                                      "situations": ["no_annual_report_2y", "unreachable"]}),
    ("南甲", "220102", A, S, True, {"suspected_zombie": True}),  # no case yet
    ("南乙", "220102", A, INS, False, {}),
    ("南丙", "220102", R, N, False, {"zombie_cleanup_result": "revoked",
                                      "situations": ["inactive_after_registration"]}),
    ("吉甲", "220200", A, N, False, {}),
    ("吉乙", "220200", A, N, False, {}),
    ("吉丙", "220200", CR, N, False, {"zombie_cleanup_result": "certificate_revoked"}),
)
# Registration cases: (region, status, clock_stop details in order); the last stop counts.
REGISTRATIONS = (
    ("220000", InstanceStatus.COMPLETED, [{"used_workdays": 30, "limit_workdays": 15},
                                         {"used_workdays": 12, "limit_workdays": 15}]),
    ("220100", InstanceStatus.COMPLETED, [{"used_workdays": 40, "limit_workdays": 60}]),
    ("220102", InstanceStatus.COMPLETED, [{"used_workdays": 70, "limit_workdays": 60}]),
    ("220100", InstanceStatus.COMPLETED, [{"used_workdays": None}]),  # the clock never ran
    ("220100", InstanceStatus.RUNNING, []),  # not decided
)


@pytest.fixture
def demo(app: Flask, session: Session) -> None:
    """The demo's regions, groups and users, and its one organization taken out of every figure."""
    from workflow_app.demo import load_demo

    load_demo(session, organizations=1)
    with session.begin():
        session.execute(update(Organization).values(status=OrgStatus.DEREGISTERED, flags={}))


def _case(session: Session, definition: ProcessDefinition, key: str, region: str, status: InstanceStatus,
          organization_id: int | None = None) -> ProcessInstance:
    instance = ProcessInstance(definition_id=definition.id, process_key=key, status=status, region_code=region,
                               organization_id=organization_id, state_json="{}", version=1,
                               started_at=datetime(2026, 10, 8, 9, tzinfo=LOCAL_TZ))
    session.add(instance)
    session.flush()
    return instance


@pytest.fixture
def registry(demo: None, session: Session) -> dict[str, int]:
    """The organizations and cases above; returns organization ids by name."""
    with session.begin():
        orgs = {name: Organization(name=name, org_type=OrgType.SOCIAL_GROUP, category="学术类", region_code=region,
                                   status=status, party_org_status=party, charter_party_clause=clause, flags=flags)
                for name, region, status, party, clause, flags in ORGANIZATIONS}
        session.add_all(orgs.values())
        definition = ProcessDefinition(key="registration", version=1, name="成立登记", sha256="0" * 64,
                                       bpmn_file="registration.bpmn", files={}, spec_json="{}", task_meta={})
        session.add(definition)
        session.flush()
        for region, status, stops in REGISTRATIONS:
            instance = _case(session, definition, "registration", region, status)
            session.add_all(AuditEvent(instance_id=instance.id, action="clock_stop", details=d) for d in stops)
        running = _case(session, definition, "zombie_cleanup", "220100", InstanceStatus.RUNNING, orgs["长乙"].id)
        # A clock stopped in another process is no registration time.
        session.add(AuditEvent(instance_id=running.id, action="clock_stop", details={"used_workdays": 5}))
    return {name: org.id for name, org in orgs.items()}
