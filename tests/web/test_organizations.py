"""社会组织 pages: the list (search, filters, pages) within the user's region and below, the Excel export (formula
cells neutralized), one organization's page (registry data, status history, cases, announcements), and the
organization picker of 发起业务 for processes bound to an organization."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.processes.conftest import process_files
from tests.web.support import Pages, open_task, text, user
from workflow_app import db
from workflow_app.announcements.models import Announcement
from workflow_app.documents.models import Document, DocumentStatus
from workflow_app.instances.models import ProcessInstance
from workflow_app.instances.queries import InstanceAccess
from workflow_app.organizations import uscc
from workflow_app.organizations.export import neutralize
from workflow_app.organizations.models import Organization, OrgStatus, OrgType, PartyOrgStatus
from workflow_app.services import definition_service, instance_service

SOFTWARE_USCC = uscc.make(uscc.CIVIL_AFFAIRS, uscc.SOCIAL_GROUP, "220100", "MJT00001")


def add(name: str, region_code: str, *, org_type: OrgType = OrgType.SOCIAL_GROUP, status: OrgStatus = OrgStatus.ACTIVE,
        party: PartyOrgStatus = PartyOrgStatus.NONE, charter: bool = False, code: str | None = None,
        flags: dict | None = None, **fields) -> int:
    """Enter an organization in the registry; its id."""
    session = db.session()
    row = Organization(name=name, uscc=code, org_type=org_type, category="科技类", region_code=region_code,
                       status=status, party_org_status=party, charter_party_clause=charter, flags=flags or {},
                       residence=fields.get("residence", "吉林省长春市某街1号"),
                       legal_representative=fields.get("legal_representative", "张三"))
    session.add(row)
    session.commit()
    return row.id


@pytest.fixture
def orgs(web) -> dict[str, int]:
    """Four organizations whose names share 测试样本: three of 长春市 (one of 南关区), one of 吉林市."""
    return {
        "software": add("长春市测试样本软件协会", "220100", code=SOFTWARE_USCC,
                        flags={"suspected_zombie": True, "situations": ["unreachable"]}),
        "elderly": add("长春市南关区测试样本养老服务中心", "220102", org_type=OrgType.PRIVATE_NON_ENTERPRISE,
                       party=PartyOrgStatus.SINGLE, charter=True),
        "formula": add('=HYPERLINK("http://evil.example","测试样本")', "220100",
                       flags={"major_event_unreported": True}, legal_representative="+1-2",
                       residence="@SUM(A1)"),
        "jilin": add("吉林市测试样本书法家协会", "220200", status=OrgStatus.REVOKED),
    }


def listed(pages: Pages, query: str) -> set[int]:
    """The organization ids on the list page for ``query``."""
    response = pages.get("/organizations?" + query)
    assert response.status_code == 200
    return {int(i) for i in re.findall(r'data-organization="(\d+)"', text(response))}


# -- the list ------------------------------------------------------------------------------------

def test_staff_see_their_region_and_below_only(web, orgs):
    changchun = {orgs["software"], orgs["elderly"], orgs["formula"]}
    assert listed(Pages(web, "window_cc"), "q=测试样本") == changchun
    assert listed(Pages(web, "supervisor_cc"), "q=测试样本") == changchun
    assert listed(Pages(web, "window_prov"), "q=测试样本") == set(orgs.values())
    assert listed(Pages(web, "admin"), "q=测试样本") == set(orgs.values())
    # A region outside one's own is no filter, never a way round the rule.
    assert orgs["jilin"] not in listed(Pages(web, "window_cc"), "region=220200")


def test_search_by_name_or_credit_code(web, orgs):
    window = Pages(web, "window_cc")
    assert listed(window, "q=测试样本软件") == {orgs["software"]}
    assert listed(window, "q=" + SOFTWARE_USCC.lower()) == {orgs["software"]}
    assert listed(window, "q=没有这个名字的组织") == set()


@pytest.mark.parametrize(("query", "expected"), [
    ("region=220102", {"elderly"}),
    ("status=revoked", {"jilin"}),
    ("org_type=private_non_enterprise", {"elderly"}),
    ("party_org_status=single", {"elderly"}),
    ("charter=1", {"elderly"}),
    ("flag=suspected_zombie", {"software"}),
    ("flag=major_event_unreported", {"formula"}),
    ("situation=unreachable", {"software"}),
    ("status=active&region=220100&charter=0", {"software", "formula"}),
])
def test_filters(web, orgs, query, expected):
    assert listed(Pages(web, "window_prov"), "q=测试样本&" + query) == {orgs[k] for k in expected}


def test_unknown_filter_values_are_ignored_not_errors(web, orgs):
    window = Pages(web, "window_cc")
    everything = listed(window, "q=测试样本")
    assert listed(window, "q=测试样本&status=nope&flag=../x&situation=%00&charter=maybe&page=-3") == everything


def test_the_list_pages(web):
    for n in range(25):
        add(f"长春市分页测试{n:02d}协会", "220100")
    window = Pages(web, "window_cc")
    first, second = listed(window, "q=分页测试"), listed(window, "q=分页测试&page=2")
    assert len(first) == 20 and len(second) == 5 and not first & second
    assert "第 1 / 2 页，共 25 条" in text(window.get("/organizations?q=分页测试"))


def test_nav_has_the_entry_for_staff_only(web):
    assert 'href="/organizations"' in text(Pages(web, "window_cc").get("/"))
    assert 'href="/organizations"' not in text(Pages(web, "applicant").get("/"))
    assert Pages(web, "designer").get("/organizations").status_code == 403


# -- export --------------------------------------------------------------------------------------

def test_export_is_the_filtered_list_as_xlsx_with_formulas_neutralized(web, orgs):
    response = Pages(web, "window_cc").get("/organizations/export.xlsx?q=测试样本")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[:3] == ("名称", "统一社会信用代码", "类型")
    by_name = {row[0]: row for row in rows}
    assert set(by_name) == {"长春市测试样本软件协会", "长春市南关区测试样本养老服务中心",
                            '\'=HYPERLINK("http://evil.example","测试样本")'}  # 吉林市's is not theirs
    software = by_name["长春市测试样本软件协会"]
    assert software[1] == SOFTWARE_USCC and software[4] == "长春市" and software[5] == "正常"
    assert software[11] == "疑似僵尸型、住所地和法定代表人均无法联系"
    formula = by_name['\'=HYPERLINK("http://evil.example","测试样本")']
    assert formula[8] == "'@SUM(A1)" and formula[9] == "'+1-2"
    assert not any(isinstance(cell, str) and cell[:1] in "=+-@\t\r" for row in rows for cell in row)
    only = Pages(web, "window_cc").get("/organizations/export.xlsx?q=测试样本&flag=suspected_zombie")
    assert [r[0] for r in list(load_workbook(io.BytesIO(only.data)).active.iter_rows(values_only=True))[1:]] == [
        "长春市测试样本软件协会"]


@pytest.mark.parametrize(("value", "cell"), [
    ("=1+1", "'=1+1"), ("+86", "'+86"), ("-2", "'-2"), ("@A1", "'@A1"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("正常", "正常"), ("a=b", "a=b"), (None, ""), (3, "3"),
])
def test_neutralize(value, cell):
    assert neutralize(value) == cell


def test_applicants_may_not_export(web, orgs):
    assert Pages(web, "applicant").get("/organizations/export.xlsx").status_code == 403


# -- one organization ----------------------------------------------------------------------------

def test_detail_shows_registry_data_and_is_404_outside_the_region(web, orgs):
    window = Pages(web, "window_cc")
    page = text(window.get(f"/organizations/{orgs['software']}"))
    for shown in ("长春市测试样本软件协会", SOFTWARE_USCC, "社会团体", "长春市", "正常", "疑似僵尸型",
                  "住所地和法定代表人均无法联系", "张三", "为该组织发起业务"):
        assert shown in page, shown
    assert window.get(f"/organizations/{orgs['jilin']}").status_code == 404
    assert Pages(web, "window_prov").get(f"/organizations/{orgs['jilin']}").status_code == 200
    assert window.get("/organizations/99999999").status_code == 404


def test_detail_shows_the_activity_abnormal_list_entry_and_the_charity_status(web, orgs):
    listed_id = add("长春市测试样本失联协会", "220100", flags={"activity_abnormal": {
        "reason": "通过登记的住所无法与社会组织取得联系", "basis": "《社会组织信用信息管理办法》第十条第（六）项",
        "listed_on": "2026-03-02"}})
    page = text(Pages(web, "window_cc").get(f"/organizations/{listed_id}"))
    assert "活动异常名录" in page and "2026-03-02 列入" in page and "通过登记的住所无法与社会组织取得联系" in page
    assert "慈善组织" in page
    other = text(Pages(web, "window_cc").get(f"/organizations/{orgs['elderly']}"))
    assert "活动异常名录" not in other


def test_an_applicant_sees_only_their_own_organization(web, orgs):
    applicant = Pages(web, "applicant")
    own = user("applicant").organization_id
    response = applicant.get("/organizations")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/organizations/{own}")
    page = text(applicant.get(f"/organizations/{own}"))
    assert "长春市软件行业协会" in page and "为该组织发起业务" not in page
    assert applicant.get(f"/organizations/{orgs['software']}").status_code == 404


def test_detail_lists_cases_status_history_and_announcements(web, orgs):
    definition_service().deploy(process_files("zombie_cleanup"), deployed_by="test")
    started = InstanceAccess(db.session(), user("window_cc"), instance_service()).start(
        "zombie_cleanup", organization_id=orgs["elderly"])
    db.session().add(Announcement(kind="成立登记", title="长春市南关区测试样本养老服务中心成立登记公告",
                                  html="<p>准予成立登记。</p>", region_code="220102",
                                  organization_id=orgs["elderly"], template="_announcement.html"))
    for title, status in (("核查通知书", DocumentStatus.VOID), ("核查通知书（重发）", DocumentStatus.ISSUED)):
        db.session().add(Document(instance_id=started["id"], template="t.html", kind="t", title=title,
                                  html="<p>x</p>", status=status))
    db.session().commit()
    page = text(Pages(web, "window_cc").get(f"/organizations/{orgs['elderly']}"))
    documents = page[page.index('id="documents"'):page.index('id="announcements"')]
    assert "核查通知书（重发）" in documents and "已作废" in documents and "已出具" in documents
    assert "/print" in documents
    cases = page[page.index('id="cases"'):page.index('id="documents"')]
    assert f'href="/cases/{started["id"]}"' in cases and "核查" in cases and "僵尸型社会组织清理整治" in cases
    history = page[page.index('id="history"'):page.index('id="cases"')]
    assert "标记（新增：疑似僵尸型）" in history
    announcements = page[page.index('id="announcements"'):]
    assert "成立登记公告" in announcements and "/public/announcements/" in announcements
    # Another organization's page lists none of it.
    other = text(Pages(web, "window_cc").get(f"/organizations/{orgs['software']}"))
    assert started["id"] not in other and "成立登记公告" not in other and "核查通知书" not in other
    # A province caseworker sees the organization, but not the 南关区 case nor its documents (case visibility).
    province = text(Pages(web, "window_prov").get(f"/organizations/{orgs['elderly']}"))
    assert "长春市南关区测试样本养老服务中心" in province and "成立登记公告" in province
    assert started["id"] not in province  # not even in the status history, which names the process only
    assert f'href="/cases/{started["id"]}"' not in province and "核查通知书" not in province


# -- the organization picker of 发起业务 --------------------------------------------------------------

@pytest.fixture
def zombie(web, orgs) -> None:
    definition_service().deploy(process_files("zombie_cleanup"), deployed_by="test")


def options(html: str) -> set[int]:
    picker = html[html.index('name="organization_id"'):]
    picker = picker[:picker.index("</select>")]
    return {int(i) for i in re.findall(r'<option value="(\d+)"', picker)}


def test_picker_searches_active_organizations_of_ones_region(web, orgs, zombie):
    window = Pages(web, "window_cc")
    response = window.post("/cases/new", {"action": "search", "org_q": "测试样本", "process_key": "zombie_cleanup"})
    assert response.status_code == 200
    html = text(response)
    assert options(html) == {orgs["software"], orgs["elderly"], orgs["formula"]}
    assert 'value="zombie_cleanup" checked' in html and "僵尸型社会组织清理整治须选择" in html
    assert options(text(Pages(web, "window_prov").post("/cases/new", {"action": "search", "org_q": "吉林市测试样本"}))) \
        == set()  # revoked: nothing to start for it
    preselected = text(window.get(f"/cases/new?process_key=zombie_cleanup&organization_id={orgs['elderly']}"))
    assert f'<option value="{orgs["elderly"]}" selected' in preselected


def test_zombie_cleanup_started_with_a_picked_organization_reaches_verify(web, orgs, zombie):
    window = Pages(web, "window_cc")
    response = window.post("/cases/new", {"action": "start", "process_key": "zombie_cleanup",
                                          "organization_id": str(orgs["elderly"])})
    assert response.status_code == 302 and "/cases/" in response.headers["Location"]
    case_id = response.headers["Location"].rsplit("/", 1)[1]
    instance = db.session().get(ProcessInstance, case_id)
    assert instance.organization_id == orgs["elderly"] and instance.region_code == "220102"
    assert open_task(case_id, "verify").candidate_group == "inspector"
    variables = instance_service().variables(instance)
    assert variables["source"] == "manual" and variables["organization_name"] == "长春市南关区测试样本养老服务中心"
    assert "核查" in text(window.get(f"/cases/{case_id}"))


def test_picker_options_as_json_for_the_search_as_you_type(web, orgs):
    response = Pages(web, "window_cc").get("/organizations/options?q=测试样本")
    assert response.status_code == 200
    body = response.get_json()
    assert {item["id"] for item in body["items"]} == {orgs["software"], orgs["elderly"], orgs["formula"]}
    assert body["total"] == 3 and {"id", "name", "uscc"} == set(body["items"][0])
    assert Pages(web, "window_prov").get("/organizations/options?q=吉林市测试样本").get_json()["items"] == []
    assert Pages(web, "applicant").get("/organizations/options?q=x").status_code == 403
    assert web.get("/organizations/options?q=x").status_code == 302  # no session: the login page


@pytest.mark.parametrize(("picked", "message"), [
    ("", "本业务须选择社会组织"),
    ("jilin", "所选社会组织不存在或不在您的管辖范围内"),
    ("abc", "请从列表中选择社会组织"),
    ("99999999999999999999", "请从列表中选择社会组织"),
])
def test_start_without_a_usable_organization_is_refused_in_place(web, orgs, zombie, picked, message):
    value = str(orgs[picked]) if picked in orgs else picked
    response = Pages(web, "window_cc").post("/cases/new", {"action": "start", "process_key": "zombie_cleanup",
                                                           "organization_id": value})
    assert response.status_code == 422 and message in text(response)
    db.session().commit()
    assert db.session().scalars(select(ProcessInstance)).first() is None
