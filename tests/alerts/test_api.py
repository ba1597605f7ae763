"""GET /alerts and POST /alerts/{id}/acknowledge: who sees what, 404/409."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.alerts.support import ESCALATE, REMIND, deploy_escalation, start_case
from workflow_app.alerts.models import Alert
from workflow_app.alerts.service import EscalationService


@pytest.fixture
def alerts(auth, session):
    """长春市 task at all three levels; a province task overdue; a 南关区 task reminded."""
    deploy_escalation()
    _, cc_task = start_case(business_key="CC-1")
    _, prov_task = start_case(region_code="220000", business_key="PROV-1")
    _, county_task = start_case(region_code="220102", business_key="NG-1")
    service = EscalationService(session)
    service.scan(REMIND)
    service.scan(ESCALATE)
    return {"cc": cc_task, "prov": prov_task, "county": county_task}


def listed(client, auth, user, status="open"):
    response = client.get(f"/api/v1/alerts?status={status}&per_page=200", headers=auth(user))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def kinds(body):
    return sorted((item["task"]["business_key"], item["kind"]) for item in body["items"])


def test_alert_items_have_the_contract_fields(client, auth, alerts):
    body = listed(client, auth, "admin")
    assert body["total"] == 9 and body["page"] == 1 and body["per_page"] == 200
    item = next(i for i in body["items"] if i["task"]["business_key"] == "CC-1" and i["level"] == 3)
    assert {"id", "task_id", "instance_id", "level", "kind", "region", "created_at", "acknowledged_at",
            "task"} <= set(item)
    assert (item["kind"], item["region"], item["task_region"], item["acknowledged_at"]) == \
        ("escalated", "220000", "220100", None)
    assert item["task"]["id"] == alerts["cc"] and item["task"]["escalation_level"] == 3
    assert item["created_at"].endswith("+00:00") or item["created_at"].endswith("Z")


def test_supervisors_see_their_region_and_below(client, auth, alerts):
    city = kinds(listed(client, auth, "supervisor_cc"))
    assert city == [("CC-1", "escalated"), ("CC-1", "overdue"), ("CC-1", "reminder"),
                    ("NG-1", "escalated"), ("NG-1", "overdue"), ("NG-1", "reminder")]
    province = kinds(listed(client, auth, "supervisor_prov"))
    assert len(province) == 9


def test_others_see_only_reminders_addressed_to_them(client, auth, alerts):
    # window_cc works the window lane of 长春市: the reminder of CC-1 (not NG-1's: another region).
    assert kinds(listed(client, auth, "window_cc")) == [("CC-1", "reminder")]
    assert kinds(listed(client, auth, "window_prov")) == [("PROV-1", "reminder")]
    assert kinds(listed(client, auth, "reviewer_cc")) == []
    assert kinds(listed(client, auth, "applicant")) == []


def test_acknowledge_once_then_conflict(client, auth, alerts, session):
    alert_id = session.scalars(select(Alert.id).where(Alert.task_id == alerts["cc"], Alert.level == 2)).one()
    response = client.post(f"/api/v1/alerts/{alert_id}/acknowledge", headers=auth("supervisor_cc"))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "acknowledged" and body["acknowledged_by"] == "supervisor_cc"
    assert body["acknowledged_at"] is not None
    again = client.post(f"/api/v1/alerts/{alert_id}/acknowledge", headers=auth("supervisor_prov"))
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "alert_not_open"
    assert [i["id"] for i in listed(client, auth, "supervisor_cc", "acknowledged")["items"]] == [alert_id]
    assert alert_id not in [i["id"] for i in listed(client, auth, "supervisor_cc")["items"]]


def test_acknowledging_an_invisible_or_unknown_alert_is_404(client, auth, alerts, session):
    prov_alert = session.scalars(select(Alert.id).where(Alert.task_id == alerts["prov"], Alert.level == 2)).one()
    response = client.post(f"/api/v1/alerts/{prov_alert}/acknowledge", headers=auth("supervisor_cc"))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "alert_not_found"
    assert client.post("/api/v1/alerts/999999/acknowledge", headers=auth("admin")).status_code == 404


def test_window_user_acknowledges_their_reminder(client, auth, alerts, session):
    reminder = session.scalars(select(Alert.id).where(Alert.task_id == alerts["cc"], Alert.level == 1)).one()
    assert client.post(f"/api/v1/alerts/{reminder}/acknowledge", headers=auth("window_cc")).status_code == 200


def test_paging_and_validation(client, auth, alerts):
    first = client.get("/api/v1/alerts?per_page=4&page=1", headers=auth("admin")).get_json()
    second = client.get("/api/v1/alerts?per_page=4&page=3", headers=auth("admin")).get_json()
    assert first["total"] == 9 and len(first["items"]) == 4 and len(second["items"]) == 1
    bad = client.get("/api/v1/alerts?status=bogus", headers=auth("admin"))
    assert bad.status_code == 422 and "status" in str(bad.get_json()["error"]["details"])
    assert client.get("/api/v1/alerts").status_code == 401


def test_closed_alerts_leave_the_open_list(client, auth, alerts, session):
    from workflow_app import clock
    from workflow_app.services import instance_service

    with clock.frozen(ESCALATE + timedelta(hours=1)):
        instance_service().complete_task(alerts["cc"], {}, actor="window_cc")
    assert kinds(listed(client, auth, "supervisor_cc")) == [
        ("NG-1", "escalated"), ("NG-1", "overdue"), ("NG-1", "reminder")]
    assert len(listed(client, auth, "supervisor_cc", "closed")["items"]) == 3
