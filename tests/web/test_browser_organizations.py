"""In a real browser: a caseworker picks the organization on 发起业务 and the zombie_cleanup case reaches 核查; a
supervisor starts one from the organization's page; anyone reads an approved registration's 成立登记公告 from
the login page without logging in."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.processes.conftest import process_files
from tests.web.conftest import log_in
from tests.web.test_browser_csp import watched  # noqa: F401 - the fixture, used by name
from tests.web.test_public import approved  # noqa: F401 - the fixture, used by name
from workflow_app import db
from workflow_app.instances.models import ProcessInstance
from workflow_app.organizations.models import Organization, OrgStatus, OrgType, PartyOrgStatus
from workflow_app.services import definition_service

CASE_URL = re.compile(r".*/cases/([0-9a-f-]{36})$")


@pytest.fixture
def zombie(app, demo) -> dict[str, int]:
    """zombie_cleanup deployed; two active organizations of 长春市 to pick from."""
    definition_service().deploy(process_files("zombie_cleanup"), deployed_by="test")
    session = db.session()
    rows = [Organization(name=name, org_type=OrgType.SOCIAL_GROUP, category="文化类", region_code="220100",
                         status=OrgStatus.ACTIVE, party_org_status=PartyOrgStatus.NONE, flags={})
            for name in ("长春市浏览器测试书画协会", "长春市浏览器测试棋艺协会")]
    session.add_all(rows)
    session.commit()
    return {row.name: row.id for row in rows}


def case_of(url: str) -> ProcessInstance:
    match = CASE_URL.match(url)
    assert match, url
    db.session().commit()  # a fresh snapshot: the server wrote the case
    return db.session().get(ProcessInstance, match.group(1))


def test_caseworker_picks_the_organization_and_the_case_reaches_verify(page, live_server, zombie,
                                                                       watched):  # noqa: F811
    log_in(page, live_server, "window_cc")
    page.click("nav.mainnav a:has-text('发起业务')")
    page.type("#org-q", "浏览器测试棋艺")  # the select follows the typing (no 查找 click)
    page.wait_for_selector("#org-note:has-text('找到 1 个')")
    assert page.locator("#organization-id option").all_inner_texts()[1:] == ["长春市浏览器测试棋艺协会（无代码）"]
    assert "找到 1 个" in page.locator("#org-note").inner_text()
    page.check("input[name=process_key][value=zombie_cleanup]")
    page.select_option("#organization-id", str(zombie["长春市浏览器测试棋艺协会"]))
    page.click("#start")
    page.wait_for_load_state("networkidle")
    assert "已发起「僵尸型社会组织清理整治」" in page.locator(".flash.success").inner_text()
    assert "核查" in page.locator("main").inner_text()
    instance = case_of(page.url)
    assert instance.organization_id == zombie["长春市浏览器测试棋艺协会"] and instance.status.value == "running"
    assert watched() == []


def test_caseworker_without_an_organization_is_told_to_pick_one(page, live_server, zombie):
    log_in(page, live_server, "window_cc")
    page.goto(f"{live_server}/cases/new")
    page.fill("#org-q", "浏览器测试书画")
    page.click("#org-search")  # the search without script: the page comes back with what was typed
    page.wait_for_load_state("networkidle")
    assert page.locator("#org-q").input_value() == "浏览器测试书画"
    assert page.locator("#organization-id option").all_inner_texts()[1:] == ["长春市浏览器测试书画协会（无代码）"]
    page.check("input[name=process_key][value=zombie_cleanup]")
    page.click("#start")
    page.wait_for_load_state("networkidle")
    assert "本业务须选择社会组织" in page.locator("#org-picker").inner_text()
    db.session().commit()
    assert db.session().scalars(select(ProcessInstance)).first() is None


def test_supervisor_starts_from_the_organizations_page(page, live_server, zombie, watched):  # noqa: F811
    log_in(page, live_server, "supervisor_cc")
    page.click("nav.mainnav a:has-text('社会组织')")
    page.fill("input[name=q]", "浏览器测试书画")
    page.click("#org-filters button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.click("#organizations a:has-text('长春市浏览器测试书画协会')")
    assert page.locator("h1").inner_text().startswith("长春市浏览器测试书画协会")
    page.click("#start-for-org")
    page.check("input[name=process_key][value=zombie_cleanup]")
    page.click("#start")
    page.wait_for_load_state("networkidle")
    instance = case_of(page.url)
    assert instance.organization_id == zombie["长春市浏览器测试书画协会"]
    assert "核查" in page.locator("main").inner_text()
    page.goto(f"{live_server}/organizations/{zombie['长春市浏览器测试书画协会']}")
    assert "核查" in page.locator("#cases").inner_text()
    assert "疑似僵尸型" in page.locator("#flags").inner_text()  # the case marked the registry
    page.goto(f"{live_server}/organizations?q=浏览器测试&flag=suspected_zombie")
    assert page.locator("#organizations tbody tr").count() == 1
    assert watched() == []  # the list, the detail and the picker run under the CSP untouched


def test_the_public_reads_the_announcement_without_logging_in(page, live_server, approved, watched):  # noqa: F811
    page.goto(f"{live_server}/login")
    page.click("#public-announcements")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "公示公告"
    assert "退出" not in page.locator("header").inner_text()  # nobody is logged in
    page.click(f"#announcements a:has-text('{approved.title}')")
    page.wait_for_load_state("networkidle")
    text = page.locator("#announcement").inner_text()
    organization = db.session().get(Organization, approved.organization_id)
    assert approved.title in text and organization.uscc in text and "长春市民政局" in text
    assert watched() == []
