"""监督 pages: the alerts list with acknowledge, and the dashboard; supervisors and admins only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.web.conftest import log_in
from tests.web.test_session import csrf_from, login
from workflow_app import clock


@pytest.fixture
def overdue_alert(deployed_sample, session):
    """A 长春市 review task left past its due time, escalated once: an overdue alert for supervisor_cc."""
    from workflow_app.alerts.service import EscalationService
    from workflow_app.services import instance_service

    advance = instance_service().start("sample_review", started_by="applicant", region_code="220100")
    [submit] = advance.new_tasks
    [review] = instance_service().complete_task(submit.id, {"title": "年会", "amount": 10}, actor="applicant").new_tasks
    EscalationService(session).scan(review.due_at + timedelta(days=1))
    session.commit()
    return review


@pytest.mark.parametrize("username", ["window_cc", "designer", "applicant"])
def test_supervisor_pages_are_denied_to_other_roles(web, username):
    login(web, username)
    for url in ["/supervisor/alerts", "/supervisor/dashboard"]:
        assert web.get(url).status_code == 403, (username, url)


def test_supervisor_sees_and_acknowledges_an_alert(web, overdue_alert):
    login(web, "supervisor_cc")
    page = web.get("/supervisor/alerts").get_data(as_text=True)
    assert "审核申请" in page and "超期预警" in page
    response = web.post(f"/supervisor/alerts/{_alert_id(page)}/acknowledge", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert "已确认预警" in web.get("/supervisor/alerts").get_data(as_text=True)
    assert "审核申请" in web.get("/supervisor/alerts?status=acknowledged").get_data(as_text=True)


def test_acknowledging_twice_is_refused_with_a_message(web, overdue_alert):
    login(web, "supervisor_cc")
    page = web.get("/supervisor/alerts").get_data(as_text=True)
    alert_id, token = _alert_id(page), csrf_from(page)
    web.post(f"/supervisor/alerts/{alert_id}/acknowledge", data={"csrf_token": token})
    again = web.post(f"/supervisor/alerts/{alert_id}/acknowledge", data={"csrf_token": token},
                     headers={"Referer": "/supervisor/alerts"})
    assert again.status_code == 302
    page = web.get("/supervisor/alerts").get_data(as_text=True)
    assert "该预警已确认过" in page and "already acknowledged" not in page


def test_another_citys_supervisor_does_not_see_the_alert(web, overdue_alert, session):
    from workflow_app.directory.models import User

    jilin = session.query(User).filter_by(username="supervisor_cc").one()
    jilin.region_code = "220200"
    session.commit()
    login(web, "supervisor_cc")
    assert "审核申请" not in web.get("/supervisor/alerts").get_data(as_text=True)


def test_dashboard_counts_overdue_tasks_and_registry_rates(web, overdue_alert):
    with clock.frozen(overdue_alert.due_at + timedelta(days=1)):
        login(web, "supervisor_cc")
        page = web.get("/supervisor/dashboard").get_data(as_text=True)
    assert "长春市" in page and "1 件" in page
    assert 'id="party-coverage"' in page and "%" in page


def _alert_id(page: str) -> str:
    import re

    match = re.search(r'data-alert="(\d+)"', page)
    assert match, "no alert row"
    return match.group(1)


def test_browser_supervisor_acknowledges_an_alert(page, live_server, overdue_alert):
    log_in(page, live_server, "supervisor_cc")
    page.click("nav >> text=超期预警")
    page.wait_for_selector("#alerts")
    row = page.locator("#alerts tr[data-alert]")
    assert row.count() == 1 and "审核申请" in row.inner_text()
    row.locator("button:has-text('确认')").click()
    page.wait_for_load_state("networkidle")
    assert "已确认预警" in page.locator(".flash").inner_text()
    assert page.locator("#alerts tr[data-alert]").count() == 0
    page.click("nav >> text=监督看板")
    page.wait_for_selector("#on-time")
