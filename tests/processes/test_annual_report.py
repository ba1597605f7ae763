"""The shipped annual_report process (seed 002): the due rule, the reporting line county → city → province
(梅河口 straight to the province), the city summing its counties, the province's acknowledgement, the form."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from scheduler.annual_report import create_annual_reports
from tests.processes import layout
from tests.processes.conftest import BPMN, Case
from workflow_app import clock
from workflow_app.clock import LOCAL_TZ
from workflow_app.documents.models import Document
from workflow_app.instances.models import InstanceStatus, ProcessInstance
from workflow_app.organizations.models import Organization, OrgStatus, OrgType, PartyOrgStatus
from workflow_app.reports.annual import SUMMED_FIELDS, registry_figures
from workflow_app.tasks.models import HumanTask

BPMN_FILE = BPMN / "annual_report.bpmn"
FORM = BPMN / "forms" / "annual_report_fill_report.json"
TEXTS = {"problems": "资金不足。", "suggestions": "加大支持。", "summary": "本年度社区社会组织工作稳步推进。"}


@pytest.fixture
def reports(app, demo, deploy_processes):
    """Deploy the process; returns a function running the December job on a given day."""
    deploy_processes("annual_report")

    def run(year: int = 2026, day: int = 1) -> str:
        with clock.frozen(datetime(year, 12, day, 8, tzinfo=LOCAL_TZ)):
            return create_annual_reports(app)

    return run


def case_of(session, name: str, year: int = 2026) -> Case:
    instance = session.scalar(select(ProcessInstance).where(ProcessInstance.business_key == f"年度报告〔{year}〕{name}"))
    assert instance is not None, name
    return Case(session, instance.id)


def may_work(session, username: str, task: HumanTask) -> bool:
    """Whether ``username`` may act on ``task`` (its pool, its region)."""
    from workflow_app.directory.models import User
    from workflow_app.instances.errors import TaskNotFound
    from workflow_app.tasks.service import task_service

    user = session.scalar(select(User).where(User.username == username))
    try:
        return task_service().visible_to_work(user, task.id)[2]
    except TaskNotFound:
        return False


def fill(case: Case, actor: str = "supervisor_cc", **figures: Any) -> Case:
    """Submit the report: every summed figure 0 unless given, the texts filled in."""
    data = {name: 0 for name in SUMMED_FIELDS} | TEXTS | figures
    with clock.frozen(datetime(2026, 12, 8, 10, tzinfo=LOCAL_TZ)):
        return case.complete("fill_report", data, actor=actor)


def test_the_due_day_is_the_last_working_day_on_or_before_december_15(reports, session):
    # 2024-12-15 is a Sunday: due Friday 12-13 (not Monday 12-16); counties three working days earlier.
    reports(2024)
    city = case_of(session, "长春市", 2024).task("fill_report")
    county = case_of(session, "南关区", 2024).task("fill_report")
    assert city.due_at == datetime(2024, 12, 13, 23, 59, 59, tzinfo=LOCAL_TZ)
    assert county.due_at == datetime(2024, 12, 10, 23, 59, 59, tzinfo=LOCAL_TZ)
    assert case_of(session, "梅河口市", 2024).task("fill_report").due_at == city.due_at


def test_a_working_december_15_is_the_due_day_itself(reports, session):
    reports(2026)  # a Tuesday
    assert case_of(session, "吉林市").task("fill_report").due_at == datetime(2026, 12, 15, 23, 59, 59, tzinfo=LOCAL_TZ)
    assert case_of(session, "昌邑区").task("fill_report").due_at == datetime(2026, 12, 10, 23, 59, 59, tzinfo=LOCAL_TZ)


def test_a_county_reports_to_its_city_and_goes_no_further(reports, session):
    reports()
    county = fill(case_of(session, "南关区"), community_filed=12)
    assert county.status is InstanceStatus.COMPLETED
    assert county.instance.region_code == "220102"
    assert [t for t in county.history() if t[0] == "set_region"] == []


def test_the_city_sums_its_counties_and_the_province_acknowledges(reports, session):
    reports()
    fill(case_of(session, "南关区"), community_filed=12, training_person_times=300, purchase_service_funds=10.5)
    fill(case_of(session, "宽城区"), community_filed=8, training_person_times=200, venture_funds=3)
    city = fill(case_of(session, "长春市"), community_filed=5, training_person_times=50, purchase_service_funds=20,
                pilot_communities=2)
    summary = city.variables()["summary_report"]
    assert summary["totals"]["community_filed"] == 25
    assert summary["totals"]["training_person_times"] == 550
    assert summary["totals"]["purchase_service_funds"] == 30.5 and summary["totals"]["venture_funds"] == 3
    assert summary["totals"]["pilot_communities"] == 2
    assert len(summary["counties"]) == 11 and "南关区" not in summary["counties_missing"]
    assert len(summary["counties_missing"]) == 9 and "公主岭市" in summary["counties_missing"]
    # Sent to the province: the case moved there, the 社会组织管理局 (reviewer lane) has the task.
    ack = city.task("acknowledge_report")
    assert (ack.region_code, ack.candidate_group) == ("220000", "reviewer")
    assert may_work(session, "reviewer_prov", ack) and not may_work(session, "supervisor_cc", ack)
    [document] = session.scalars(select(Document).where(Document.instance_id == city.id)).all()
    assert document.title == "长春市2026年度社区社会组织工作报告"
    assert "吉林省民政厅社会组织管理局" in document.html and "550 人次" in document.html
    assert "未报送：" in document.html and "公主岭市" in document.html
    city.complete("acknowledge_report", {"acknowledgement": "已收悉，数据核对无误。"}, actor="reviewer_prov")
    assert city.status is InstanceStatus.COMPLETED
    assert city.instance.region_code == "220100"  # back with the city that reported


def test_meihekou_reports_to_the_province_and_is_not_summed_into_tonghua(reports, session):
    reports()
    meihekou = case_of(session, "梅河口市")
    assert meihekou.variables()["report_level"] == "direct"
    fill(meihekou, actor="admin", community_filed=7)
    assert meihekou.variables()["summary_report"]["totals"]["community_filed"] == 7
    assert meihekou.task("acknowledge_report").region_code == "220000"
    tonghua = fill(case_of(session, "通化市"), actor="admin", community_filed=1)
    counties = [c["name"] for c in tonghua.variables()["summary_report"]["counties"]]
    assert "梅河口市" not in counties and "通化县" in counties
    assert tonghua.variables()["summary_report"]["totals"]["community_filed"] == 1


def test_the_registry_prefills_what_it_knows_of_the_units_own_organizations(reports, session):
    before = registry_figures(session, "220581")
    session.rollback()
    with session.begin():
        session.add_all([
            Organization(name="梅河口市邻里互助服务社", org_type=OrgType.PRIVATE_NON_ENTERPRISE, category="城乡社区服务类",
                         region_code="220581", status=OrgStatus.ACTIVE, party_org_status=PartyOrgStatus.JOINT,
                         charter_party_clause=True, flags={}),
            Organization(name="梅河口市老年人协会", org_type=OrgType.SOCIAL_GROUP, category="城乡社区服务类",
                         region_code="220581", status=OrgStatus.DEREGISTERED, party_org_status=PartyOrgStatus.NONE,
                         charter_party_clause=False, flags={}),
        ])
    reports()
    data = case_of(session, "梅河口市").variables()
    assert data["community_registered"] == before["community_registered"] + 1
    assert data["community_party_clause"] == before["community_party_clause"] + 1
    assert data["deregistered_count"] == before["deregistered_count"] + 1
    assert data["party_covered_count"] == before["party_covered_count"] + 1
    assert data["org_total"] == before["org_total"] + 2


def test_the_form_asks_seed_002s_content_in_chinese():
    schema = json.loads(FORM.read_text(encoding="utf-8"))
    props = schema["properties"]
    for name in SUMMED_FIELDS + ("problems", "suggestions", "summary"):
        assert name in props and re.search(r"[\u4e00-\u9fff]", props[name]["title"]), name
    titles = "".join(p["title"] for p in props.values())
    for words in ("街道（乡镇）备案", "社区（村）", "试点社区", "社工站", "孵化", "购买", "公益创投", "培训人次",
                  "品牌", "邻里守望", "共建共治共享", "共创平安", "文化铸魂", "党建入章", "存在的问题", "意见建议"):
        assert words in titles, words
    # The routing variables are the product's, not the form's: no step may overwrite them.
    assert not {"report_level", "region_code", "region_name", "report_year"} & set(props)


def test_only_the_province_acknowledges():
    tree = layout.parse(BPMN_FILE)
    lanes = {lane.get("name"): [r.text for r in lane.findall("bpmn:flowNodeRef", layout.NS)]
             for lane in tree.getroot().iterfind(".//bpmn:lane", layout.NS)}
    assert lanes["reviewer"] == ["acknowledge_report", "back_to_unit", "end_acknowledged"]


def test_the_diagram_is_drawn_by_the_house_rules():
    assert layout.check_lanes_are_stacked_bands_of_one_pool(BPMN_FILE) == ["supervisor", "reviewer"]
    assert layout.check_flow_nodes_drawn_in_their_lanes(BPMN_FILE) == 10
    layout.check_no_two_shapes_overlap(BPMN_FILE)
    assert layout.check_sequence_flows_have_orthogonal_edges(BPMN_FILE) == 9
    layout.check_edges_run_around_other_shapes(BPMN_FILE)


def test_tasks_of_a_county_are_its_own(reports, session):
    reports()
    task = session.scalar(select(HumanTask).where(HumanTask.region_code == "220102"))
    assert (task.candidate_group, task.name) == ("supervisor", "fill_report")


def test_the_city_supervisor_reads_the_prefilled_form_in_chinese(reports, session, app, client):
    from tests.web.test_session import login

    reports()
    task = case_of(session, "长春市").task("fill_report")
    figures = case_of(session, "长春市").variables()
    app.config["WTF_CSRF_ENABLED"] = True
    login(client, "supervisor_cc")
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "社区社会组织年度工作报告" in page and "在街道（乡镇）备案的社区社会组织数" in page
    assert "“文化铸魂”系列活动场次" in page and "存在的问题" in page
    assert re.search(rf'name="active_count"[^>]*value="{figures["active_count"]}"', page) or \
        re.search(rf'value="{figures["active_count"]}"[^>]*name="active_count"', page)
