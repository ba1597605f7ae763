"""GET /organizations and /organizations/{id}: filters, paging and who sees what."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from workflow_app.db import unit_of_work
from workflow_app.directory.models import Region
from workflow_app.organizations.models import Organization, OrgStatus


def count(session, *where) -> int:
    return session.scalar(select(func.count()).select_from(Organization).where(*where))


def in_changchun(session):
    return Organization.region_code.in_(select(Region.code).where(Region.path.like("220000/220100/%")))


def test_province_staff_see_the_whole_registry_by_name(client, auth, session):
    body = client.get("/api/v1/organizations?per_page=200", headers=auth("window_prov")).get_json()
    assert body["total"] == count(session) == 40
    assert (body["page"], body["per_page"]) == (1, 200)
    names = [o["name"] for o in body["items"]]
    assert names == sorted(names)
    first = body["items"][0]
    assert set(first) >= {"id", "name", "uscc", "org_type", "org_type_label", "category", "region", "status",
                          "status_label", "party_org_status", "charter_party_clause", "flags", "registered_at"}


def test_city_staff_see_their_city_and_its_counties_only(client, auth, session):
    body = client.get("/api/v1/organizations?per_page=200", headers=auth("window_cc")).get_json()
    assert body["total"] == count(session, in_changchun(session)) > 0
    assert all(o["region"].startswith("2201") for o in body["items"])
    province_org = session.scalar(select(Organization.id).where(Organization.region_code == "220000").limit(1))
    response = client.get(f"/api/v1/organizations/{province_org}", headers=auth("window_cc"))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "organization_not_found"


def test_an_applicant_sees_only_their_own_organization(client, auth, session):
    body = client.get("/api/v1/organizations", headers=auth("applicant")).get_json()
    assert [o["name"] for o in body["items"]] == ["长春市软件行业协会"] and body["total"] == 1
    other = session.scalar(select(Organization.id).where(Organization.name != "长春市软件行业协会").limit(1))
    assert client.get(f"/api/v1/organizations/{other}", headers=auth("applicant")).status_code == 404
    own = body["items"][0]["id"]
    assert client.get(f"/api/v1/organizations/{own}", headers=auth("applicant")).get_json()["id"] == own


def test_filters_by_status_region_type_text_and_flag(client, auth, session):
    h = auth("admin")

    def total(query: str) -> int:
        response = client.get(f"/api/v1/organizations?{query}", headers=h)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["total"]

    assert total("status=active") == count(session, Organization.status == OrgStatus.ACTIVE)
    assert total("region=220100") == count(session, in_changchun(session))
    assert total("region=220000") == 40
    assert total("region=999999") == 0
    assert total("org_type=foundation") == count(session, Organization.org_type == "foundation")
    assert total("q=软件") >= 1
    code = session.scalar(select(Organization.uscc).limit(1))
    assert total(f"q={code.lower()}") == 1
    with unit_of_work(session):
        session.scalars(select(Organization).limit(1)).one().flags = {"suspected_zombie": True}
    flagged = [o for o in session.scalars(select(Organization)) if (o.flags or {}).get("suspected_zombie") is True]
    assert total("flag=suspected_zombie") == len(flagged) >= 1


def test_paging(client, auth):
    body = client.get("/api/v1/organizations?page=2&per_page=15", headers=auth("admin")).get_json()
    assert (len(body["items"]), body["total"], body["page"], body["per_page"]) == (15, 40, 2, 15)


@pytest.mark.parametrize("query", ["status=alive", "per_page=0", "per_page=1000", "flag=Bad-Flag", "org_type=x"])
def test_bad_filters_are_422_naming_the_field(client, auth, query):
    response = client.get(f"/api/v1/organizations?{query}", headers=auth("admin"))
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["fields"]


def test_the_registry_needs_a_login(client, demo):
    assert client.get("/api/v1/organizations").status_code == 401
    assert client.get("/api/v1/organizations/1").status_code == 401


@pytest.fixture
def stand_in(app, demo) -> None:
    """A one-task process deployed as zombie_cleanup."""
    from tests.conftest import DATA, read_bundle
    from workflow_app.services import definition_service

    definition_service().deploy(read_bundle(DATA / "bulk"), deployed_by="test")


def test_supervisors_start_zombie_cleanup_for_flagged_organizations_they_may_see(stand_in, client, auth, session):
    from workflow_app.instances.models import ProcessInstance

    with unit_of_work(session):
        orgs = session.scalars(select(Organization).where(Organization.status == OrgStatus.ACTIVE)
                               .order_by(Organization.id)).all()
        for org in orgs:
            org.flags = {}
        changchun = [o for o in orgs if o.region_code.startswith("2201")][:2]
        elsewhere = [o for o in orgs if not o.region_code.startswith("2201")][:1]
        for org in changchun + elsewhere:
            org.flags = {"suspected_zombie": True}
    response = client.post("/api/v1/organizations/zombie-cleanup", json={"flagged": True},
                           headers=auth("supervisor_cc"))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["process_key"], body["started"], body["skipped"], body["failed"]) == ("zombie_cleanup", 2, 0, 0)
    assert sorted(i["organization_id"] for i in body["started_items"]) == sorted(o.id for o in changchun)
    # An organization outside 长春市 is not the city supervisor's to start.
    body = client.post("/api/v1/organizations/zombie-cleanup", json={"organization_ids": [elsewhere[0].id]},
                       headers=auth("supervisor_cc")).get_json()
    assert body["started"] == 0 and body["skipped_items"][0]["reason"].startswith("no such organization")
    # Again for the same ones: skipped, they have an open case now.
    body = client.post("/api/v1/organizations/zombie-cleanup",
                       json={"organization_ids": [o.id for o in changchun]}, headers=auth("supervisor_prov")).get_json()
    assert body["started"] == 0 and body["skipped"] == 2
    assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 2


def test_only_supervisors_and_admins_start_bulk_cleanups(stand_in, client, auth):
    for user in ("window_prov", "inspector", "applicant", "designer"):
        response = client.post("/api/v1/organizations/zombie-cleanup", json={"flagged": True}, headers=auth(user))
        assert response.status_code == 403, user
    response = client.post("/api/v1/organizations/zombie-cleanup", json={}, headers=auth("admin"))
    assert response.status_code == 422
    response = client.post("/api/v1/organizations/zombie-cleanup", json={"organization_ids": ["x"]},
                           headers=auth("admin"))
    assert response.status_code == 422 and "organization_ids" in response.get_json()["error"]["details"]["fields"]


def test_supervisors_start_the_party_building_campaign_for_uncovered_organizations_they_may_see(
        app, demo, client, auth, session):
    from tests.processes.conftest import process_files
    from workflow_app.instances.models import ProcessInstance
    from workflow_app.organizations.models import PartyOrgStatus
    from workflow_app.services import definition_service

    definition_service().deploy(process_files("party_building"), deployed_by="test")
    uncovered = session.scalars(select(Organization).where(
        Organization.status == OrgStatus.ACTIVE, Organization.party_org_status == PartyOrgStatus.NONE,
        Organization.region_code.startswith("2201"))).all()
    assert uncovered
    response = client.post("/api/v1/organizations/party-building", json={"uncovered": True},
                           headers=auth("supervisor_cc"))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["process_key"], body["started"], body["failed"]) == ("party_building", len(uncovered), 0)
    started = set(session.scalars(select(ProcessInstance.organization_id)))
    assert started == {o.id for o in uncovered}  # only 长春's: the city supervisor's
    again = client.post("/api/v1/organizations/party-building", json={"uncovered": True},
                        headers=auth("supervisor_cc")).get_json()
    assert (again["started"], again["skipped"]) == (0, len(uncovered))


def test_only_supervisors_and_admins_start_the_party_building_campaign(app, demo, client, auth):
    for user in ("party_officer", "window_prov", "applicant", "designer"):
        response = client.post("/api/v1/organizations/party-building", json={"uncovered": True}, headers=auth(user))
        assert response.status_code == 403, user
    response = client.post("/api/v1/organizations/party-building", json={}, headers=auth("admin"))
    assert response.status_code == 422
    response = client.post("/api/v1/organizations/party-building", json={"uncovered": "everything"},
                           headers=auth("admin"))
    assert response.status_code == 422
