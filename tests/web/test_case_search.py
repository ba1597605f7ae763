"""案件查询: the keyword (business key, organization name, 统一社会信用代码), the process/status/region/date/overdue
filters on the page and the API, and the Excel export — each inside the caller's visibility."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from tests.processes.conftest import process_files
from tests.web.support import Pages, deploy_registration, registration_at_accept, text, user
from workflow_app import clock, db
from workflow_app.instances.models import ProcessInstance
from workflow_app.instances.queries import InstanceAccess
from workflow_app.organizations.models import Organization
from workflow_app.services import definition_service, instance_service


@pytest.fixture
def cases(web):
    """Three cases: a registration in 长春 (started 2026-03-02), one in 吉林市 (2026-05-11), and a major event
    of another 长春 organization (2026-06-01)."""
    deploy_registration()
    definition_service().deploy(process_files("major_event"), deployed_by="test")
    with clock.frozen(datetime(2026, 3, 2, 9, 0, tzinfo=clock.LOCAL_TZ)):
        changchun, _ = registration_at_accept("220100")
    with clock.frozen(datetime(2026, 5, 11, 9, 0, tzinfo=clock.LOCAL_TZ)):
        jilin, _ = registration_at_accept("220200")
    organization = db.session().scalars(  # not the applicant's own organization (the registrations' one)
        select(Organization).where(Organization.region_code == "220100", Organization.name != "长春市软件行业协会",
                                   Organization.uscc.is_not(None)).order_by(Organization.id)).first()
    with clock.frozen(datetime(2026, 6, 1, 9, 0, tzinfo=clock.LOCAL_TZ)):
        event = InstanceAccess(db.session(), user("window_cc"), instance_service()).start(
            "major_event", organization_id=organization.id)["id"]
    db.session().commit()
    return {"changchun": changchun, "jilin": jilin, "event": event, "organization": organization}


def found(pages: Pages, query: str) -> set[str]:
    """The case ids listed by the 案件查询 page for ``query``."""
    html = text(pages.get("/cases?" + query))
    return {case for case in (c for c in html.split('data-case="')[1:]) for case in [case.split('"', 1)[0]]}


def test_keyword_matches_business_key_organization_name_and_uscc(web, cases):
    province = Pages(web, "supervisor_prov")
    everything = {cases["changchun"], cases["jilin"], cases["event"]}
    assert found(province, "") >= everything
    assert found(province, f"q={cases['organization'].name[2:6]}") & everything == {cases["event"]}
    uscc = cases["organization"].uscc
    assert found(province, f"q={uscc[4:12].lower()}") & everything == {cases["event"]}
    key = db.session().get(ProcessInstance, cases["jilin"]).business_key
    assert key and found(province, f"q={key[-6:]}") & everything >= {cases["jilin"]}
    assert found(province, "q=50%25_") == set()  # % and _ are literal, not wildcards


def test_region_date_status_and_overdue_filters(web, cases):
    province = Pages(web, "supervisor_prov")
    everything = {cases["changchun"], cases["jilin"], cases["event"]}
    assert found(province, "region=220200") & everything == {cases["jilin"]}
    assert found(province, "region=220100") & everything == {cases["changchun"], cases["event"]}
    assert found(province, "started_from=2026-05-11&started_to=2026-05-31") & everything == {cases["jilin"]}
    assert found(province, "started_to=2026-03-02") & everything == {cases["changchun"]}
    assert found(province, "process_key=major_event") & everything == {cases["event"]}
    assert found(province, "status=completed") & everything == set()
    db.session().execute(update(ProcessInstance).where(ProcessInstance.id == cases["jilin"])
                         .values(due_at=clock.now() - timedelta(days=1), clock_paused=False))
    db.session().commit()
    assert found(province, "overdue=1") & everything == {cases["jilin"]}


def test_filters_stay_inside_what_the_caller_may_see(web, cases):
    window = Pages(web, "window_cc")  # 长春: never a 吉林市 case, whatever the filter says
    assert cases["jilin"] not in found(window, "")
    assert cases["jilin"] not in found(window, "region=220200")
    key = db.session().get(ProcessInstance, cases["jilin"]).business_key
    assert cases["jilin"] not in found(window, f"q={key}")


def test_a_malformed_date_is_named_and_the_rest_still_filters(web, cases):
    province = Pages(web, "supervisor_prov")
    response = province.get("/cases?started_from=2026-13-45&process_key=major_event")
    assert response.status_code == 200
    html = text(response)
    assert "发起日期（起）应为形如 2026-01-31 的日期" in html
    assert cases["event"] in html and cases["changchun"] not in html
    assert "发起日期（止）不能早于" in text(province.get("/cases?started_from=2026-06-02&started_to=2026-06-01"))


def test_api_takes_the_same_filters_and_refuses_bad_ones(client, auth, cases):
    headers = auth("supervisor_prov")
    api = client
    body = api.get(f"/api/v1/process-instances?q={cases['organization'].name}&per_page=100", headers=headers).get_json()
    assert {item["id"] for item in body["items"]} == {cases["event"]}
    body = api.get("/api/v1/process-instances?region=220200&started_from=2026-05-01", headers=headers).get_json()
    assert {item["id"] for item in body["items"]} == {cases["jilin"]}
    assert api.get("/api/v1/process-instances?started_from=tomorrow", headers=headers).status_code == 422
    assert api.get("/api/v1/process-instances?region=abc", headers=headers).status_code == 422


def test_export_lists_every_match_with_chinese_headers_and_no_formulas(web, cases):
    db.session().execute(update(ProcessInstance).where(ProcessInstance.id == cases["event"])
                         .values(business_key="=HYPERLINK(\"http://evil\")"))
    db.session().commit()
    province = Pages(web, "supervisor_prov")
    response = province.get("/cases/export.xlsx?process_key=major_event")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "filename*=UTF-8''%E6%A1%88%E4%BB%B6-" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("业务编号", "业务", "社会组织", "登记管理机关", "状态")
    assert len(rows) == 2
    assert rows[1][0] == "'=HYPERLINK(\"http://evil\")" and rows[1][2] == cases["organization"].name
    assert rows[1][4] == "办理中"


def test_export_is_for_staff_and_keeps_to_their_region(web, cases):
    assert Pages(web, "applicant").get("/cases/export.xlsx").status_code == 403
    assert Pages(web, "designer").get("/cases/export.xlsx").status_code == 403
    rows = list(load_workbook(io.BytesIO(Pages(web, "window_cc").get("/cases/export.xlsx").data))
                .active.iter_rows(values_only=True))
    assert len(rows) == 3  # the 长春 registration and major event, not the 吉林市 registration
    assert {row[3] for row in rows[1:]} == {"长春市"}
