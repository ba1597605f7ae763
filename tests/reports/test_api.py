"""GET /api/v1/reports/figures and the dashboard page: the known registry's figures, within the caller's regions."""

from __future__ import annotations

import pytest

from tests.web.test_session import login


def test_figures_of_the_callers_region(client, auth, registry):
    body = client.get("/api/v1/reports/figures", headers=auth("supervisor_cc")).get_json()
    assert body["region_code"] == "220100" and body["region_name"] == "长春市"
    assert body["party"]["all"]["organization_rate"] == 0.6 and body["party"]["all"]["work_rate"] == 0.2
    assert body["party"]["provincial"] is None
    assert {c["key"]: c["value"] for c in body["zombies"]["by_outcome"]}["open"] == 2
    assert body["registration"]["median_workdays"] == 55.0


def test_a_county_below_is_open_and_the_province_shows_provincial_coverage(client, auth, registry):
    county = client.get("/api/v1/reports/figures?region=220102", headers=auth("supervisor_cc"))
    assert county.status_code == 200 and county.get_json()["party"]["all"]["active"] == 2
    province = client.get("/api/v1/reports/figures", headers=auth("supervisor_prov")).get_json()
    assert province["party"]["provincial"]["organization_rate"] == 0.5


@pytest.mark.parametrize(("username", "query", "status"), [
    ("supervisor_cc", "?region=220000", 403),  # above the caller
    ("supervisor_cc", "?region=220200", 403),  # a neighbouring city
    ("supervisor_cc", "?region=999999", 404),
    ("supervisor_cc", "?region=2201%25", 422),  # no LIKE pattern smuggled into the path match
    ("supervisor_cc", "?region=" + "1" * 5000, 422),
    ("window_cc", "", 403),  # not a supervisor
    ("applicant", "", 403),
])
def test_figures_outside_the_callers_scope_are_refused(client, auth, registry, username, query, status):
    response = client.get("/api/v1/reports/figures" + query, headers=auth(username))
    assert response.status_code == status, response.get_json()
    assert "party" not in (response.get_json() or {})


def test_figures_need_a_token(client, registry):
    assert client.get("/api/v1/reports/figures").status_code == 401


def test_the_dashboard_page_shows_the_split_coverage_and_working_days(client, app, registry):
    app.config["WTF_CSRF_ENABLED"] = True
    login(client, "supervisor_prov")
    page = client.get("/supervisor/dashboard").get_data(as_text=True)
    assert 'id="party-coverage">45.5%' in page  # 5 of 11 组织覆盖
    assert 'id="work-coverage">18.2%' in page  # 2 of 11 工作覆盖
    assert "全省性社会组织" in page and "50.0%" in page
    assert 'id="registration-workdays">40.0 个工作日' in page
    assert "未结" in page and "吊销" in page and "住所地和法定代表人均无法联系" in page


def test_the_dashboard_draws_the_monthly_trend_and_offers_the_regions_below(client, app, session, registry):
    from datetime import datetime

    from workflow_app import clock
    from workflow_app.clock import LOCAL_TZ
    from workflow_app.reports.snapshots import take_snapshot

    with clock.frozen(datetime(2026, 11, 1, 8, tzinfo=LOCAL_TZ)):
        take_snapshot(session)
    login(client, "supervisor_cc")
    page = client.get("/supervisor/dashboard").get_data(as_text=True)
    assert '<tr data-month="2026-11"><td>2026-11</td><td>5</td><td>60.0%</td><td>20.0%</td></tr>' in page
    assert '<option value="220102">南关区</option>' in page and 'value="220200"' not in page


def test_the_dashboard_of_a_region_outside_is_refused(client, app, registry):
    login(client, "supervisor_cc")
    assert client.get("/supervisor/dashboard?region=220200").status_code == 403
    page = client.get("/supervisor/dashboard?region=220102").get_data(as_text=True)
    assert "南关区及所辖" in page
