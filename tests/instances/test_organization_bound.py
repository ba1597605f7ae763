"""Processes bound to an organization (``organizationBound=true``): a start without ``organization_id`` is a 422
that names the field (it used to create a case that failed at once); staff may start only for organizations of
their region and below; a staff start gets the registry's start variables, as the bulk start gives them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.instances.test_api import sample_as, start, started, user
from tests.processes.conftest import process_files
from workflow_app.instances.models import InstanceStatus, ProcessInstance
from workflow_app.organizations.bulk import case_variables
from workflow_app.organizations.models import Organization, OrgStatus, OrgType, PartyOrgStatus
from workflow_app.services import definition_service, instance_service


def organization(session, name: str, region_code: str, **flags) -> Organization:
    """An active 社会团体 of ``region_code``."""
    row = Organization(name=name, uscc=None, org_type=OrgType.SOCIAL_GROUP, category="科技类",
                       region_code=region_code, status=OrgStatus.ACTIVE, party_org_status=PartyOrgStatus.NONE,
                       charter_party_clause=False, residence="某街1号", legal_representative="张三", flags=flags)
    session.add(row)
    session.commit()
    return row


@pytest.fixture
def zombie(app, demo) -> str:
    """The shipped zombie_cleanup deployed."""
    definition_service().deploy(process_files("zombie_cleanup"), deployed_by="test")
    return "zombie_cleanup"


def cases(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(ProcessInstance))


def test_zombie_cleanup_without_organization_is_422_naming_it_and_no_case_is_created(client, auth, zombie, session):
    response = start(client, auth("window_cc"), process_key=zombie)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert "organization_id" in error["details"]["fields"] and "社会组织" in error["message"]
    assert cases(session) == 0


def test_zombie_cleanup_for_an_organization_reaches_verify_with_the_registry_variables(
        client, auth, zombie, session):
    org = organization(session, "长春市测试科技协会", "220100", suspected_zombie=True, situations=["unreachable"])
    body = started(client, auth("window_cc"), process_key=zombie, organization_id=org.id)
    assert body["status"] == "running" and body["organization_id"] == org.id and body["region"] == "220100"
    assert [t["name"] for t in body["active_tasks"]] == ["verify"]
    variables = body["variables"]
    expected = {**case_variables(org), "source": "manual"}
    assert {k: variables[k] for k in expected} == expected
    assert variables["situations"] == ["unreachable"] and variables["organization_name"] == "长春市测试科技协会"


def test_staff_may_not_start_for_an_organization_outside_their_region(client, auth, zombie, session):
    jilin = organization(session, "吉林市测试科技协会", "220200")
    response = start(client, auth("window_cc"), process_key=zombie, organization_id=jilin.id)
    assert response.status_code == 422
    assert "organization_id" in response.get_json()["error"]["details"]["fields"]
    assert cases(session) == 0
    # The province sees it; a county organization is "below" 长春市 and may be picked there.
    assert started(client, auth("window_prov"), process_key=zombie, organization_id=jilin.id)["region"] == "220200"
    nanguan = organization(session, "长春市南关区测试科技协会", "220102")
    assert started(client, auth("window_cc"), process_key=zombie, organization_id=nanguan.id)["region"] == "220102"


def test_the_list_of_bound_processes_is_the_bpmn_property_not_a_constant(client, auth, app, demo, sample_files,
                                                                           session):
    files = sample_as(sample_files, "inspection")
    files["inspection.bpmn"] = files["inspection.bpmn"].replace(
        b'<spiffworkflow:property name="startVariables"',
        b'<spiffworkflow:property name="organizationBound" value="true" />\n'
        b'        <spiffworkflow:property name="startVariables"')
    definition_service().deploy(files, deployed_by="test")
    response = start(client, auth("window_cc"), process_key="inspection", variables={"title": "x"})
    assert response.status_code == 422 and "organization_id" in response.get_json()["error"]["details"]["fields"]
    org = organization(session, "长春市测试科技协会", "220100")
    body = started(client, auth("window_cc"), process_key="inspection", organization_id=org.id,
                   variables={"title": "年度检查"})
    assert body["variables"]["title"] == "年度检查" and body["variables"]["uscc"] == ""
    # The same process without the property starts without an organization.
    definition_service().deploy(sample_as(sample_files, "inspection"), deployed_by="test")
    assert started(client, auth("window_cc"), process_key="inspection")["organization_id"] is None


def test_an_applicant_starts_major_event_for_their_own_organization_without_naming_it(client, auth, app, demo,
                                                                                     session):
    definition_service().deploy(process_files("major_event"), deployed_by="test")
    body = started(client, auth("applicant"), process_key="major_event")
    assert body["organization_id"] == user(session, "applicant").organization_id
    assert "organization_name" not in body["variables"]  # the applicant's report form carries their data
    assert start(client, auth("window_cc"), process_key="major_event").status_code == 422


def test_service_starts_of_bound_processes_are_not_checked(app, demo, zombie, session):
    """A handler's follow-up case or the bulk start passes its organization itself (and a test may pass none)."""
    advance = instance_service().start("zombie_cleanup", {}, started_by="window_cc", region_code="220100")
    assert advance.instance.status is InstanceStatus.ERROR  # the registry update finds no organization
    assert session.scalar(select(func.count()).select_from(ProcessInstance).where(
        ProcessInstance.process_key == "zombie_cleanup")) == 1

