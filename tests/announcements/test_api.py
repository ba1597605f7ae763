"""Announcements over the API: a public list for every logged-in user, with filters, detail and print page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from workflow_app.announcements.service import AnnouncementService
from workflow_app.db import unit_of_work
from workflow_app.organizations.models import Organization
from workflow_app.services import instance_service


@pytest.fixture
def published(deployed_sample, demo, session):
    """Three announcements: two of a province case, one of a 长春市 case."""
    org = session.scalar(select(Organization).where(Organization.name == "长春市软件行业协会"))
    province = instance_service().start("sample_review", started_by="window_prov", region_code="220000",
                                        organization_id=org.id).instance
    city = instance_service().start("sample_review", started_by="window_cc", region_code="220104").instance
    with unit_of_work(session):
        service = AnnouncementService(session)
        items = [service.publish(province, kind="成立登记", title="成立登记公告", variables={}),
                 service.publish(province, kind="注销登记", title="注销登记公告", variables={}),
                 service.publish(city, kind="撤销登记", title="关于撤销某协会登记的公告", variables={},
                                 extra={"reason": "连续两年未年检"})]
    return [a.id for a in items]


def test_every_logged_in_user_sees_all_announcements_newest_first(published, client, auth):
    for user in ("applicant", "window_cc", "designer"):
        body = client.get("/api/v1/announcements", headers=auth(user)).get_json()
        assert body["total"] == 3
        assert [a["id"] for a in body["items"]] == sorted(published, reverse=True)


@pytest.mark.parametrize(("query", "expected"), [
    ("kind=注销登记", [1]),
    ("region=220100", [2]),
    ("region=220000", [0, 1, 2]),
    ("q=撤销", [2]),
    ("q=软件行业", [0, 1]),
])
def test_filters(published, client, auth, query, expected):
    body = client.get(f"/api/v1/announcements?{query}", headers=auth("applicant")).get_json()
    assert sorted(a["id"] for a in body["items"]) == [published[i] for i in expected]


def test_detail_and_print_page(published, client, auth):
    body = client.get(f"/api/v1/announcements/{published[0]}", headers=auth("applicant")).get_json()
    assert body["kind"] == "成立登记" and "准予长春市软件行业协会成立登记" in body["html"]
    response = client.get(f"/api/v1/announcements/{published[2]}/print", headers=auth("applicant"))
    assert response.mimetype == "text/html" and "因连续两年未年检" in response.get_data(as_text=True)
    assert "长春市朝阳区民政局" in response.get_data(as_text=True)
    assert client.get("/api/v1/announcements/999999", headers=auth("applicant")).status_code == 404


def test_announcements_need_a_login(published, client):
    assert client.get("/api/v1/announcements").status_code == 401
