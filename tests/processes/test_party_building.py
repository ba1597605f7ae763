"""党建攻坚 (party_building): every path through every gateway, with the registry, documents and case status.

The clock starts on Monday 2026-03-02 09:00 Beijing time; time limits and the 3-monthly review
timer are checked against the working-day calendar from there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema
import pytest
from jsonschema import Draft202012Validator, FormatChecker
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.processes import layout
from tests.processes.conftest import BPMN, Case, Timeline
from tests.processes.layout import NS
from workflow_app import clock
from workflow_app.definitions.service import compiled
from workflow_app.documents.models import Document
from workflow_app.instances.models import InstanceStatus
from workflow_app.organizations.models import Organization, OrgType, PartyOrgStatus
from workflow_app.organizations.service import OrganizationService
from workflow_app.services import instance_service

BPMN_FILE = BPMN / "party_building.bpmn"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Beijing
END_OF_DAY_UTC = (15, 59, 59)  # 23:59:59 Beijing
OPINION = "经研究，同意。"


@pytest.fixture
def timeline() -> Iterator[Timeline]:
    """The clock, frozen at T0."""
    line = Timeline(T0)
    yield line
    line.close()


@pytest.fixture
def org(session: Session, demo: None) -> Organization:
    """An active organization in 长春市 without party organization and without the charter clause."""
    org = OrganizationService(session).create(
        name="长春市冰雪运动促进会", org_type=OrgType.SOCIAL_GROUP, category="体育类", region_code="220100")
    session.commit()
    return org


@pytest.fixture
def start(deploy_processes: Any, start_case: Any, org: Organization, timeline: Timeline) -> Any:
    """Start a party_building case for ``org`` (as the registration process or a manual start would)."""
    deploy_processes("party_building")

    def begin(variables: dict[str, Any] | None = None) -> Case:
        return start_case("party_building", variables, started_by="party_officer", organization_id=org.id,
                          region_code="220100")

    return begin


def submit(case: Case, name: str, data: dict[str, Any], actor: str, *, opinion: str | None = None,
           checked: bool = True) -> Case:
    """Complete the open task ``name`` as ``actor``; unless ``checked`` is off, the data must pass its form."""
    if checked:
        schema = json.loads((BPMN / "forms" / case.task(name).form).read_text(encoding="utf-8"))
        validator = Draft202012Validator(schema, format_checker=FormatChecker())
        errors = sorted(error.message for error in validator.iter_errors(data))
        assert not errors, f"{name}: the form refuses {data}: {errors}"
    return case.complete(name, data, actor=actor, opinion=opinion)


def survey(case: Case, **data: Any) -> Case:
    """Complete the 摸排 with sensible defaults overridden by ``data``."""
    values = {"organization_name": "长春市冰雪运动促进会", "party_members": 0, "staff_count": 25,
              "charter_party_clause": False, "temporary_body": False}
    values.update(data)
    return submit(case, "survey", values, "party_officer")


def decide(case: Case, task: str, decision: str, actor: str, opinion: str = OPINION, *, checked: bool = True,
           **data: Any) -> Case:
    """Complete a decision step with its opinion (as form data and as the audit opinion)."""
    return submit(case, task, {"decision": decision, "opinion": opinion, **data}, actor, opinion=opinion,
                  checked=checked)


def single_plan(case: Case) -> Case:
    """The 单独组建 plan."""
    return submit(case, "plan_single", {"branch_name": "中共长春市冰雪运动促进会支部委员会",
                                        "secretary_candidate": "李冬"}, "party_officer")


def amend_and_verify(case: Case) -> Case:
    """The organization amends its charter; party_officer verifies it; the registration authority approves it."""
    submit(case, "amend_charter", {"charter_clause_text": "本会根据中国共产党章程的规定，设立中国共产党的组织，开展党的活动。",
                                   "charter_adopted_on": "2026-03-20", "charter_adopted_by": "member_assembly"},
           "applicant")
    decide(case, "verify_charter", "approve", "party_officer", "章程已载明党建工作内容。")
    assert case.task("approve_charter").candidate_group == "window"  # 章程核准 by the registration authority
    return decide(case, "approve_charter", "approve", "window_cc", "章程修正案符合规定，予以核准。")


def assign(case: Case) -> Case:
    """party_officer assigns a 党建工作指导员."""
    return submit(case, "assign_instructor", {
        "instructor_name": "赵红", "instructor_unit": "长春市社会组织综合党委", "instructor_phone": "13804310000",
        "mass_organizations": ["trade_union", "youth_league"]}, "party_officer")


def registry(session: Session, org: Organization) -> tuple[PartyOrgStatus, bool]:
    """The organization's party status and 党建入章 flag, fresh from the database."""
    session.expire_all()
    row = session.get(Organization, org.id)
    return row.party_org_status, row.charter_party_clause


def documents(session: Session, case: Case) -> list[Document]:
    """The documents issued for the case, oldest first."""
    session.expire_all()
    return list(session.scalars(select(Document).where(Document.instance_id == case.id)
                                .order_by(Document.created_at, Document.title)))


def form_data(case: Case, name: str) -> dict[str, Any]:
    """The data the open task ``name`` offers its form (what the form is prefilled with)."""
    service = instance_service()
    instance = case.instance
    workflow = service.engine.load(compiled(instance.definition, service.engine), instance.state_json)
    [task] = [t for t in service.engine.ready_human_tasks(workflow) if t.name == name]
    return task.data


def open_names(case: Case) -> list[str]:
    """The BPMN ids of the case's open tasks."""
    return [t.name for t in case.open_tasks()]


def due(year: int, month: int, day: int) -> datetime:
    """End of a Beijing day, in UTC."""
    return datetime(year, month, day, *END_OF_DAY_UTC, tzinfo=UTC)


def travel(case: Case, timeline: Timeline, moment: datetime) -> Case:
    """Move the clock to ``moment`` and fire what is due by then."""
    timeline.go(moment)
    return case.advance_to(moment)


# -- start and 摸排 -----------------------------------------------------------------------------


def test_manual_start_without_variables_opens_the_survey_for_party_officer(start):
    case = start()
    [task] = case.open_tasks()
    assert (task.name, task.title, task.candidate_group, task.form) == (
        "survey", "摸排党员和章程情况", "party_officer", "party_building_survey.json")
    assert task.due_at is None  # §3 sets no limit on the survey itself
    prefill = form_data(case, "survey")
    assert prefill["source"] == "manual" and prefill["temporary_body"] is False
    assert "party_members" not in prefill  # nothing is guessed: the survey asks for it


def test_start_from_registration_prefills_the_survey(start):
    case = start({"source": "registration", "party_members": "4", "charter_party_clause": True,
                  "organization_name": "长春市冰雪运动促进会"})
    assert open_names(case) == ["survey"]
    prefill = form_data(case, "survey")
    assert prefill["source"] == "registration"
    assert prefill["party_members"] == 4  # normalised to a number
    assert prefill["charter_party_clause"] is True and prefill["temporary_body"] is False
    assert prefill["organization_name"] == "长春市冰雪运动促进会"


# -- 单独组建 -------------------------------------------------------------------------------------


def test_seven_members_with_clause_form_a_branch_committee_and_get_the_approval(start, session, org):
    case = start({"source": "registration", "party_members": 8, "charter_party_clause": True})
    survey(case, party_members=8, charter_party_clause=True)
    assert open_names(case) == ["plan_single"]
    assert form_data(case, "plan_single")["branch_form"] == "branch_committee"
    single_plan(case)

    committee = case.task("committee_review")
    assert committee.candidate_group == "party_committee"
    assert clock.as_utc(committee.due_at) == due(2026, 3, 16)  # 10 working days
    decide(case, "committee_review", "approve", "party_committee")

    assert case.status is InstanceStatus.COMPLETED
    assert registry(session, org) == (PartyOrgStatus.SINGLE, True)
    [doc] = documents(session, case)
    assert doc.title == "党组织组建批复" and doc.number and doc.number.endswith("号")
    assert "关于同意成立中共长春市冰雪运动促进会支部委员会的批复" in doc.html
    assert "党支部（设立支部委员会）" in doc.html and "选举产生支部委员会" in doc.html
    assert "中共长春市社会组织综合委员会" in doc.html
    assert "章程已载明党的建设内容" in doc.html and OPINION in doc.html


def test_the_sponsors_party_organization_approves_where_the_organization_has_a_sponsor(start, session, org):
    org.sponsor_unit = "长春市体育局"  # a 体育类 association keeps its 业务主管单位
    session.commit()
    case = start({"source": "registration", "party_members": 8, "charter_party_clause": True})
    assert form_data(case, "survey")["approving_party_org"] == "中共长春市体育局机关委员会"
    survey(case, party_members=8, charter_party_clause=True)
    single_plan(case)
    assert case.task("committee_review").candidate_group == "party_committee"
    decide(case, "committee_review", "approve", "party_committee")
    [doc] = documents(session, case)
    assert doc.html.count("中共长春市体育局机关委员会") == 2  # the header and the 落款
    assert "社会组织综合委员会" not in doc.html


def test_three_members_without_clause_amend_the_charter_before_the_branch_is_recorded(start, session, org):
    case = start()
    survey(case, party_members=3)
    assert form_data(case, "plan_single")["branch_form"] == "branch"
    single_plan(case)
    decide(case, "committee_review", "approve", "party_committee")

    amend = case.task("amend_charter")
    assert amend.candidate_group == "applicant"
    assert clock.as_utc(amend.due_at) == due(2026, 4, 1)  # 30 calendar days
    assert registry(session, org) == (PartyOrgStatus.NONE, False)  # nothing recorded before the close
    amend_and_verify(case)

    assert case.status is InstanceStatus.COMPLETED
    assert registry(session, org) == (PartyOrgStatus.SINGLE, True)
    [doc] = documents(session, case)
    assert "党支部（不设支部委员会，设书记）" in doc.html
    assert "修改章程，载明党的建设内容" in doc.html and "二〇二六年三月二十日" in doc.html


def test_verification_sends_a_charter_without_the_clause_back_to_the_organization(start, session, org):
    case = start()
    survey(case, party_members=5)
    single_plan(case)
    decide(case, "committee_review", "approve", "party_committee")
    submit(case, "amend_charter", {"charter_clause_text": "本会遵守宪法和法律法规。", "charter_adopted_on": "2026-03-10",
                                   "charter_adopted_by": "council"}, "applicant")
    verify = form_data(case, "verify_charter")
    assert "decision" not in verify and "opinion" not in verify  # not the committee's, prefilled
    assert verify["committee_opinion"] == OPINION
    decide(case, "verify_charter", "return", "party_officer", "未写明设立党的组织，请重新修改。")

    assert open_names(case) == ["amend_charter"]
    assert form_data(case, "amend_charter")["charter_verify_opinion"] == "未写明设立党的组织，请重新修改。"
    assert registry(session, org) == (PartyOrgStatus.NONE, False)
    amend_and_verify(case)
    assert case.status is InstanceStatus.COMPLETED
    assert registry(session, org) == (PartyOrgStatus.SINGLE, True)


def test_charter_clause_reaches_the_registry_only_through_the_registrys_charter_approval(start, session, org):
    case = start()
    survey(case, party_members=5)
    single_plan(case)
    decide(case, "committee_review", "approve", "party_committee")
    submit(case, "amend_charter", {"charter_clause_text": "本会根据中国共产党章程的规定，设立中国共产党的组织，开展党的活动。",
                                   "charter_adopted_on": "2026-03-20", "charter_adopted_by": "member_assembly"},
           "applicant")
    decide(case, "verify_charter", "approve", "party_officer", "章程已载明党建工作内容。")
    assert open_names(case) == ["approve_charter"]
    assert registry(session, org) == (PartyOrgStatus.NONE, False)  # the party officer's tick writes nothing
    decide(case, "approve_charter", "return", "window_cc", "修正案未经会员大会表决程序，不予核准。")
    assert open_names(case) == ["amend_charter"]
    assert form_data(case, "amend_charter")["charter_verify_opinion"] == "修正案未经会员大会表决程序，不予核准。"
    assert registry(session, org) == (PartyOrgStatus.NONE, False)
    amend_and_verify(case)
    session.expire_all()
    row = session.get(Organization, org.id)
    assert row.charter_party_clause is True and row.flags["charter_approved_on"] == clock.now().astimezone(clock.LOCAL_TZ).date().isoformat()
    assert row.flags["charter_approved_case"] == case.id
    assert any(action == "registry_charter" for action, _ in case.history())


# -- 上级党组织审批: return / reject ------------------------------------------------------------


def test_committee_return_sends_the_case_back_to_the_survey_and_routes_again(start, session, org):
    case = start()
    survey(case, party_members=3, charter_party_clause=True)
    single_plan(case)
    decide(case, "committee_review", "return", "party_committee", "其中1人为预备党员，请重新核实正式党员人数。")

    assert open_names(case) == ["survey"]
    assert form_data(case, "survey")["committee_opinion"] == "其中1人为预备党员，请重新核实正式党员人数。"
    survey(case, party_members=2, charter_party_clause=True)
    assert open_names(case) == ["plan_joint"]  # re-routed: now 联合组建
    assert registry(session, org) == (PartyOrgStatus.NONE, False)
    assert ("complete", "审批组建党组织") in case.history()


def test_committee_rejection_closes_the_case_without_registry_change_or_document(start, session, org):
    case = start()
    survey(case, party_members=4, charter_party_clause=True)
    single_plan(case)
    decide(case, "committee_review", "reject", "party_committee", "该组织正在清理整顿，暂缓组建。")

    assert case.status is InstanceStatus.COMPLETED
    assert registry(session, org) == (PartyOrgStatus.NONE, False)
    assert documents(session, case) == []
    assert ("party_org_rejected", None) in case.history()


# -- 联合组建 -------------------------------------------------------------------------------------


def joint_plan(case: Case, partners: list[dict[str, Any]], *, checked: bool = True) -> Case:
    """The 联合组建 plan with ``partners`` (``checked=False``: as a client that skips the form's checks)."""
    return submit(case, "plan_joint", {"branch_name": "中共长春市朝阳区社会组织第一联合支部",
                                       "secretary_candidate": "王军", "partner_organizations": partners},
                  "party_officer", checked=checked)


def partner(n: int, members: int = 1) -> dict[str, Any]:
    """A partner organization of a joint branch."""
    return {"name": f"长春市第{n}社区服务中心", "party_members": members}


def test_joint_plan_over_more_than_four_partners_goes_back_for_adjustment(start):
    case = start()
    survey(case, party_members=1, charter_party_clause=True)
    joint_plan(case, [partner(n) for n in range(1, 6)], checked=False)

    assert open_names(case) == ["plan_joint"]
    assert "最多5个" in case.variables()["joint_problem"]


def test_joint_plan_with_fewer_than_three_members_in_all_goes_back_for_adjustment(start):
    case = start()
    survey(case, party_members=1, charter_party_clause=True)
    joint_plan(case, [partner(1, members=1)])

    assert open_names(case) == ["plan_joint"]
    assert "不足3人" in case.variables()["joint_problem"]


def test_joint_branch_over_three_organizations_is_approved_and_recorded(start, session, org):
    case = start()
    survey(case, party_members=2, charter_party_clause=True)
    joint_plan(case, [partner(n, members=0) for n in range(1, 6)], checked=False)
    assert open_names(case) == ["plan_joint"]  # five partners: adjusted below
    joint_plan(case, [partner(1, members=2), partner(2, members=1)])

    assert open_names(case) == ["committee_review"]
    variables = case.variables()
    assert (variables["joint_party_members"], variables["joint_organization_count"]) == (5, 3)
    assert variables["joint_problem"] == ""
    decide(case, "committee_review", "approve", "party_committee")

    assert case.status is InstanceStatus.COMPLETED
    assert registry(session, org) == (PartyOrgStatus.JOINT, True)
    [doc] = documents(session, case)
    assert "联合组建" in doc.html and "共3个单位，正式党员5名" in doc.html and "选举产生书记" in doc.html
    assert "长春市第1社区服务中心" in doc.html and "长春市第2社区服务中心" in doc.html


def test_joint_plan_form_refuses_a_fifth_partner():
    schema = json.loads((BPMN / "forms" / "party_building_plan_joint.json").read_text(encoding="utf-8"))
    base = {"branch_name": "中共某某联合支部委员会", "secretary_candidate": "王军"}
    jsonschema.validate({**base, "partner_organizations": [partner(n) for n in range(1, 5)]}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**base, "partner_organizations": [partner(n) for n in range(1, 6)]}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**base, "partner_organizations": []}, schema)


# -- 临时组建 -------------------------------------------------------------------------------------


def test_temporary_body_with_members_forms_a_temporary_branch(start, session, org):
    case = start({"source": "manual", "temporary_body": True})
    survey(case, party_members=2, temporary_body=True, charter_party_clause=True)
    assert open_names(case) == ["plan_temporary"]
    submit(case, "plan_temporary", {"temporary_body_name": "第十届长春冰雪节筹备组", "temporary_until": "2027-02-28",
                                    "branch_name": "中共第十届长春冰雪节筹备组临时支部委员会",
                                    "secretary_candidate": "陈雪"}, "party_officer")
    decide(case, "committee_review", "approve", "party_committee")

    assert case.status is InstanceStatus.COMPLETED
    assert registry(session, org) == (PartyOrgStatus.TEMPORARY, True)
    [doc] = documents(session, case)
    assert "临时党支部" in doc.html and "二〇二七年二月二十八日" in doc.html


def test_temporary_body_without_members_gets_an_instructor(start):
    case = start()
    survey(case, party_members=0, temporary_body=True)
    assert open_names(case) == ["assign_instructor"]


# -- 党建工作指导员 ------------------------------------------------------------------------------


def test_instructor_route_assigns_within_ten_workdays_reviews_quarterly_and_closes(start, session, org, timeline):
    case = start()
    survey(case, party_members=0)
    task = case.task("assign_instructor")
    assert task.candidate_group == "party_officer"
    assert clock.as_utc(task.due_at) == due(2026, 3, 16)  # 10 working days
    assign(case)

    # Covered by the instructor from now on; the notice goes out at once.
    assert registry(session, org) == (PartyOrgStatus.INSTRUCTOR, False)
    [notice] = documents(session, case)
    assert notice.title == "党建工作指导员选派通知" and notice.number
    assert "赵红" in notice.html and "工会、共青团" in notice.html and "30日内" in notice.html
    assert open_names(case) == ["amend_charter"]
    amend_and_verify(case)
    assert registry(session, org) == (PartyOrgStatus.INSTRUCTOR, True)  # 党建入章 recorded when verified
    assert open_names(case) == []

    # A review every 3 months: 90 days after the case reached the wait.
    assert clock.as_utc(case.instance.next_timer_at) == T0 + timedelta(days=90)
    travel(case, timeline, T0 + timedelta(days=90, seconds=-1))
    assert open_names(case) == []
    travel(case, timeline, T0 + timedelta(days=90, seconds=1))
    assert open_names(case) == ["periodic_review"]
    review = form_data(case, "periodic_review")
    assert review["review_round"] == 1 and review["instructor_name"] == "赵红"
    assert "decision" not in review and "opinion" not in review
    decide(case, "periodic_review", "continue", "party_officer", "仍无正式党员，继续指导。",
           party_members=0, staff_count=30)

    # The next review is 90 days after this one.
    assert clock.as_utc(case.instance.next_timer_at) == T0 + timedelta(days=180, seconds=1)
    travel(case, timeline, T0 + timedelta(days=180, seconds=2))
    assert form_data(case, "periodic_review")["review_round"] == 2
    decide(case, "periodic_review", "close", "party_officer", "已建立工会、共青团组织，指导员长期联系，结案。",
           party_members=0, staff_count=30, mass_organizations=["trade_union", "youth_league"])

    assert case.status is InstanceStatus.COMPLETED
    assert registry(session, org) == (PartyOrgStatus.INSTRUCTOR, True)
    notice, closing = documents(session, case)
    assert closing.title == "党建攻坚结案通知"
    assert "经2次定期评估" in closing.html and "已建立工会、共青团组织" in closing.html


def test_instructor_route_forms_a_branch_once_members_join(start, session, org, timeline):
    case = start({"source": "bulk", "charter_party_clause": True})
    survey(case, party_members=0, charter_party_clause=True)
    assign(case)
    assert open_names(case) == []  # clause present: straight to the quarterly review
    travel(case, timeline, datetime(2026, 6, 2, 1, tzinfo=UTC))
    decide(case, "periodic_review", "form_branch", "party_officer", "发展党员3名，具备单独组建条件。",
           party_members=3, staff_count=40)

    assert open_names(case) == ["plan_single"]  # back to the formation routing
    single_plan(case)
    decide(case, "committee_review", "approve", "party_committee")
    assert case.status is InstanceStatus.COMPLETED
    assert registry(session, org) == (PartyOrgStatus.SINGLE, True)
    assert [d.title for d in documents(session, case)] == ["党建工作指导员选派通知", "党组织组建批复"]


def test_review_asking_for_a_branch_without_members_keeps_the_instructor(start, session, org, timeline):
    case = start()
    survey(case, party_members=0, charter_party_clause=True)
    assign(case)
    travel(case, timeline, datetime(2026, 6, 2, 1, tzinfo=UTC))
    decide(case, "periodic_review", "form_branch", "party_officer", "拟组建党组织。", checked=False,
           party_members=0, staff_count=40)

    assert open_names(case) == []  # no member yet: not routed to a branch, the next review waits
    assert case.instance.next_timer_at is not None
    assert registry(session, org) == (PartyOrgStatus.INSTRUCTOR, True)


def test_review_form_requires_a_member_before_forming_a_branch():
    schema = json.loads((BPMN / "forms" / "party_building_periodic_review.json").read_text(encoding="utf-8"))
    base = {"staff_count": 10, "opinion": "具备条件"}
    jsonschema.validate({**base, "party_members": 1, "decision": "form_branch"}, schema)
    jsonschema.validate({**base, "party_members": 0, "decision": "continue"}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**base, "party_members": 0, "decision": "form_branch"}, schema)


# -- definition: forms, lanes, diagram ----------------------------------------------------------


def _tree() -> etree._ElementTree:
    return etree.parse(str(BPMN_FILE))


def test_every_decision_form_requires_an_opinion():
    forms = {path.name: json.loads(path.read_text(encoding="utf-8"))
             for path in (BPMN / "forms").glob("party_building_*.json")}
    deciding = [name for name, schema in forms.items() if "decision" in schema["properties"]]
    assert sorted(deciding) == ["party_building_approve_charter.json", "party_building_committee_review.json",
                                "party_building_periodic_review.json", "party_building_verify_charter.json"]
    for name in deciding:
        schema = forms[name]
        assert {"decision", "opinion"} <= set(schema["required"]), name
        assert schema["properties"]["opinion"]["minLength"] >= 2, name
    reserved = {"date", "time", "datetime", "timedelta", "timezone", "Decimal", "now", "deadline"}
    for name, schema in forms.items():
        assert not reserved & set(schema["properties"]), name


def test_time_limits_are_declared_on_the_steps_section_3_names():
    limits = {task.get("id"): task.xpath(".//spiff:property[@name='timeLimit']/@value", namespaces=NS)
              for task in _tree().xpath("//bpmn:userTask", namespaces=NS)}
    assert {k: v[0] for k, v in limits.items() if v} == {
        "committee_review": "10wd", "amend_charter": "30d", "assign_instructor": "10wd", "approve_charter": "10wd"}
    [timer] = _tree().xpath("//bpmn:intermediateCatchEvent//bpmn:timeDuration/text()", namespaces=NS)
    assert timer.strip() == '"P90D"'


def test_lanes_are_stacked_bands_of_one_pool():
    assert layout.check_lanes_are_stacked_bands_of_one_pool(BPMN_FILE) == [
        "party_committee", "party_officer", "applicant", "window"]


def test_every_flow_node_has_a_shape_of_its_size_inside_its_lane():
    assert layout.check_flow_nodes_drawn_in_their_lanes(BPMN_FILE) == 35


def test_no_two_shapes_overlap():
    layout.check_no_two_shapes_overlap(BPMN_FILE)


def test_every_sequence_flow_has_an_orthogonal_edge_between_its_shapes():
    assert layout.check_sequence_flows_have_orthogonal_edges(BPMN_FILE) == 44


def test_diagram_reads_left_to_right():
    tree = _tree()
    shapes = layout.shape_bounds(tree)
    xs = {node.get("id"): shapes[node.get("id")][0] for node in layout.flow_nodes(layout.the_process(tree))}
    assert xs["start"] == min(xs.values())
    main_line = ["start", "init", "survey", "gw_merge", "gw_temporary", "gw_members", "plan_single",
                 "committee_review", "gw_charter", "gw_after", "registry_close", "doc_approval", "end_formed"]
    assert [xs[n] for n in main_line] == sorted(xs[n] for n in main_line)
