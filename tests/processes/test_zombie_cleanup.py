"""zombie_cleanup — 僵尸型社会组织清理整治: the shipped BPMN, its diagram, its forms and every path through it.

Cases start on Monday 2026-03-02, 10:00 Beijing time, for the demo applicant's organization
(长春市软件行业协会, 长春市) unless a test needs a foundation. The 清明 holiday (04-04…04-06)
and 劳动节 (05-01…05-05, 调休 Saturday 05-09) fall inside the longer paths, so working-day
limits and calendar-day limits that end on a holiday show in the expected dates.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.processes import layout
from tests.processes.conftest import BPMN, Case, Timeline
from tests.processes.layout import NS
from workflow_app import clock
from workflow_app.alerts.deadlines import CaseDeadline, DeadlineWarnings
from workflow_app.announcements.models import Announcement
from workflow_app.directory.models import User
from workflow_app.documents.models import Document
from workflow_app.instances.audit import history
from workflow_app.instances.models import InstanceStatus
from workflow_app.notifications.models import OutboxMessage
from workflow_app.organizations.models import Organization, OrgStatus, OrgType, PartyOrgStatus

KEY = "zombie_cleanup"
BPMN_FILE = BPMN / f"{KEY}.bpmn"
FORMS = BPMN / "forms"
LOCAL = clock.LOCAL_TZ
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=LOCAL)  # Monday
OPINION = "经审查，同意。"
# 核查 of an organization that shows none of the five situations.
VERIFY: dict[str, Any] = {
    "contact_attempts": "2026年3月2日电话联系法定代表人王雪梅，已接通。",
    "site_visited": True,
    "site_visit_notes": "住所地有工作人员在岗。",
    "evidence_files": ["00000000-0000-4000-8000-000000000000"],  # placeholder: submit() uploads a real file
    "no_annual_report_2y": False,
    "inactive_after_registration": False,
    "inactive_since_2019": False,
    "unreachable": False,
    "governance_deadlock": False,
    "willing_to_dissolve": False,
    "findings": "经核查，情况属实。",
}
NOT_FILED = {"no_annual_report_2y": True}  # → 推动整改
WANTS_TO_DISSOLVE = {"no_annual_report_2y": True, "willing_to_dissolve": True}  # → 注销登记
GONE = {"unreachable": True, "inactive_since_2019": True}  # → 撤销登记
# 行政处罚法 57(2): a revocation is decided by the heads of the authority together.
COLLECTIVE = {"collective_discussion_on": "2026-03-02", "collective_participants": ["周海燕", "吴国庆", "孙磊"],
              "collective_conclusion": "一致同意作出处罚决定。"}
INVESTIGATION = {
    "investigators": [{"name": "金哲", "certificate_no": "JL22010001"}, {"name": "李强", "certificate_no": "JL22010002"}],
    "violation_facts": "该组织连续两年未参加年检，2019年以来未按章程开展活动，住所地无法取得联系。",
    "evidence_summary": "年检记录、实地核查笔录、电话记录。",
    "evidence_files": ["00000000-0000-4000-8000-000000000000", "00000000-0000-4000-8000-000000000000"],
}


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment of 2026 in Beijing time."""
    return datetime(2026, month, day, hour, minute, tzinfo=LOCAL)


def end_of(month: int, day: int) -> datetime:
    """The end of a day of 2026 in Beijing (how due moments are set)."""
    return datetime(2026, month, day, 23, 59, 59, tzinfo=LOCAL)


def moment(value: str) -> datetime:
    """An ISO moment from the case variables."""
    return datetime.fromisoformat(value)


# -- fixtures and helpers ------------------------------------------------------------------------

@pytest.fixture
def timeline() -> Iterator[Timeline]:
    """The clock, frozen at T0."""
    line = Timeline(T0)
    yield line
    line.close()


@pytest.fixture
def org(session: Session, demo: None) -> Organization:
    """The demo applicant's organization (its users see the applicant tasks and get the notices)."""
    user = session.scalar(select(User).where(User.username == "applicant"))
    return session.get(Organization, user.organization_id)


@pytest.fixture
def foundation(session: Session, demo: None) -> Organization:
    """An active foundation of 长春市, recognized as a 慈善组织 (its penalty can be 吊销登记证书)."""
    row = Organization(name="长春市春晖助学基金会", org_type=OrgType.FOUNDATION, category="公益慈善类",
                       charity_recognized=True,
                       region_code="220100", status=OrgStatus.ACTIVE, party_org_status=PartyOrgStatus.NONE,
                       charter_party_clause=True, residence="吉林省长春市南关区人民大街100号",
                       legal_representative="赵明", flags={})
    session.add(row)
    session.commit()
    return row


@pytest.fixture
def zombie(deploy_processes: Any, start_case: Any, timeline: Timeline, org: Organization) -> Any:
    """Deploy zombie_cleanup; start cases of it as a 长春市 caseworker (for the applicant's organization by default)."""
    deploy_processes(KEY)

    def start(variables: dict[str, Any] | None = None, organization: Organization | None = None) -> Case:
        target = organization or org
        return start_case(KEY, variables, started_by="window_cc", organization_id=target.id,
                          region_code=target.region_code)

    return start


def form_errors(form: str, data: dict[str, Any]) -> list[str]:
    """What the task's JSON Schema form says about ``data`` (formats checked too)."""
    schema = json.loads((FORMS / form).read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    return sorted(error.message for error in validator.iter_errors(data))


def submit(case: Case, task: str, data: dict[str, Any], actor: str) -> Case:
    """Complete ``task`` as ``actor`` with data its form accepts (checked first), the opinion into the audit."""
    form = case.task(task).form
    assert form, f"task {task} has no form"
    assert form_errors(form, data) == [], f"{task}: the form refuses the test data"
    data = case.with_uploads(task, data, actor=actor)  # a real small file for each listed attachment
    return case.complete(task, data, actor=actor, opinion=data.get("opinion"))


def verify(case: Case, **facts: Any) -> Case:
    """The inspector records the 核查 findings."""
    return submit(case, "verify", {**VERIFY, **facts}, "inspector")


def confirm(case: Case, decision: str = "confirm", **extra: Any) -> Case:
    """The supervisor confirms (or changes, or returns) the proposed measure."""
    return submit(case, "confirm_measure", {"decision": decision, "opinion": "同意核查意见和建议措施。", **extra},
                  "supervisor_cc")


def decide(case: Case, task: str, decision: str, actor: str, opinion: str = OPINION, **extra: Any) -> Case:
    """A decision step: ``decision`` and its opinion (and what else the decision needs)."""
    return submit(case, task, {"decision": decision, "opinion": opinion, **extra}, actor)


def file_and_investigate(case: Case, served: str | None = None) -> Case:
    """立案 approved by the 机关负责人, 调查取证 by the inspector: the 事先告知书 goes out and is served directly
    (today unless ``served`` says otherwise; ``served=""`` leaves the service task open)."""
    decide(case, "approve_filing", "approve", "approver_cc", "证据确凿，同意立案调查。")
    submit(case, "investigate", INVESTIGATION, "inspector")
    if served == "":
        return case
    return serve(case, "serve_penalty_notice", "direct", served or clock.local_now().date().isoformat())


def legal_pass(case: Case) -> Case:
    """法制审核 passes the case to the 机关负责人 (行政处罚法 58)."""
    return submit(case, "legal_review", {"legal_review_result": "pass", "legal_review_opinion": "主体适格，程序合法，事实清楚。",
                                         "legal_reviewer": "孙磊"}, "reviewer_cc")


def serve(case: Case, task: str, method: str, served_on: str, **extra: Any) -> Case:
    """送达 recorded by the inspector: method, day (the publication day for 公告送达) and the 回证."""
    return submit(case, task, {"service_method": method, "served_on": served_on, "service_consent": False,
                               "service_receipts": ["00000000-0000-4000-8000-000000000000"], **extra}, "inspector")


def deliver_and_collect(case: Case, method: str = "direct", collected: bool = True) -> Case:
    """送达 by ``method``; then the certificate and seal are collected (or not)."""
    submit(case, "deliver_decision", {"delivery_method": method, "delivered_on": clock.local_now().date().isoformat(),
                                      "delivery_consent": False,
                                      "receipt_scans": ["00000000-0000-4000-8000-000000000000"]}, "inspector")
    # the service is recorded on the 决定书 itself (status, day, method; 公告送达: publication + 30 days)
    decision = case.variables()["penalty_decision_service"]
    assert decision["method"] == {"post": "mail"}.get(method, method) and decision["deemed"] == (method == "announcement")
    if method == "announcement":
        return case
    return collect(case, collected)


def collect(case: Case, collected: bool = True) -> Case:
    """收缴登记证书（正、副本）、印章和财务凭证."""
    return submit(case, "collect_certificate", {"certificate_collected": collected, "seal_collected": collected,
                                                "financial_records_collected": collected}, "inspector")


def serve_rectify(case: Case, method: str = "direct", served_on: str | None = None) -> Case:
    """送达 of the 限期整改通知书 (today unless ``served_on`` says otherwise): the period runs from it."""
    return serve(case, "serve_rectify_notice", method, served_on or clock.local_now().date().isoformat())


def review_defence(case: Case, reviewer: str = "孙磊", **answers: Any) -> Case:
    """复核 of the 陈述申辩: one answer per point the party raised (the form lists them)."""
    listed = case.variables()["defence_answers"]
    data = [{"point": item["point"], "answer": answers.get("answer", "经复核，该意见缺乏证据支持。"),
             "adopted": False} for item in listed]
    return submit(case, "defence_review", {"defence_reviewer": reviewer, "defence_answers": data}, "reviewer_cc")


def open_tasks(case: Case) -> list[tuple[str, str | None]]:
    """(BPMN id, candidate group) of the case's open tasks."""
    return [(t.name, t.candidate_group) for t in case.open_tasks()]


def documents(session: Session, case: Case) -> list[Document]:
    """The case's documents, oldest first."""
    session.expire_all()
    return list(session.scalars(select(Document).where(Document.instance_id == case.id)
                                .order_by(Document.created_at, Document.id)))


def titles(session: Session, case: Case) -> list[str]:
    """The titles of the case's documents, sorted (several are issued in the same moment)."""
    return sorted(d.title for d in documents(session, case))


def document(session: Session, case: Case, title: str) -> Document:
    """The case's only document with that title."""
    found = [d for d in documents(session, case) if d.title == title]
    assert len(found) == 1, f"{len(found)} documents titled {title}"
    return found[0]


def announcements(session: Session, case: Case) -> list[Announcement]:
    """The case's announcements, oldest first."""
    session.expire_all()
    return list(session.scalars(select(Announcement).where(Announcement.instance_id == case.id)
                                .order_by(Announcement.id)))


def registry(session: Session, organization: Organization) -> Organization:
    """The registry row, fresh."""
    session.expire_all()
    return session.get(Organization, organization.id)


def notes(session: Session, case: Case, action: str | None = None) -> list[str]:
    """The texts of the case's history notes (of one action when given)."""
    session.expire_all()
    return [e.details.get("text", "") for e in history(session, case.id)
            if e.details.get("text") and (action is None or e.action == action)]


def messages(session: Session, case: Case) -> list[tuple[str, str]]:
    """(recipient, subject) of the case's outbox messages."""
    session.expire_all()
    return [(m.recipient, m.subject) for m in session.scalars(
        select(OutboxMessage).where(OutboxMessage.instance_id == case.id).order_by(OutboxMessage.id))]


def assert_archived(session: Session, case: Case, text: str) -> None:
    """The case ended with its archive note."""
    assert case.status is InstanceStatus.COMPLETED, case.instance.error
    assert case.open_tasks() == []
    archive = notes(session, case, "archive")
    assert len(archive) == 1 and text in archive[0], archive


def assert_cleared(row: Organization, result: str) -> None:
    """The suspicion flag is gone and the outcome is on the registry row."""
    assert "suspected_zombie" not in row.flags
    assert row.flags["zombie_cleanup_result"] == result


# -- the diagram ---------------------------------------------------------------------------------

def _tree() -> etree._ElementTree:
    return etree.parse(str(BPMN_FILE))


def test_every_flow_node_has_a_shape_of_its_kind_inside_its_lane():
    assert layout.check_flow_nodes_drawn_in_their_lanes(BPMN_FILE) > 100


def test_lanes_are_stacked_bands_of_one_pool():
    assert layout.check_lanes_are_stacked_bands_of_one_pool(BPMN_FILE) == [
        "applicant", "inspector", "supervisor", "reviewer", "approver"]


def test_no_two_shapes_overlap():
    layout.check_no_two_shapes_overlap(BPMN_FILE)


def test_boundary_events_sit_on_the_bottom_border_of_their_task():
    tree = _tree()
    bounds = layout.shape_bounds(tree)
    for event in tree.iterfind(".//bpmn:boundaryEvent", NS):
        x, y, w, h = bounds[event.get("id")]
        tx, ty, tw, th = bounds[event.get("attachedToRef")]
        assert y + h / 2 == ty + th and tx <= x and x + w <= tx + tw, event.get("id")


def test_every_flow_has_an_orthogonal_edge_from_its_source_to_its_target_around_other_shapes():
    assert layout.check_sequence_flows_have_orthogonal_edges(BPMN_FILE) > 100
    layout.check_edges_run_around_other_shapes(BPMN_FILE)


def test_every_case_ending_archives_the_case():
    process = _tree().find("bpmn:process", NS)
    flows = {f.get("targetRef"): f.get("sourceRef") for f in process.iterfind("bpmn:sequenceFlow", NS)}
    by_id = {n.get("id"): n for n in layout.flow_nodes(process)}
    ends = [n.get("id") for n in process.iterfind("bpmn:endEvent", NS)]
    # The reminder branch of a non-interrupting timer ends on its own; the case goes on. (The day-80
    # warning of 行政处罚法 60 is no timer branch any more: the case deadline warns every open step.)
    branch_ends = {"end_reminder"}
    assert branch_ends < set(ends)
    for end in set(ends) - branch_ends:
        before = by_id[flows[end]]
        operator = before.find(".//spiff:serviceTaskOperator", NS)
        action = operator.find(".//spiff:parameter[@id='action']", NS).get("value")
        assert operator.get("id") == "case.note" and action == "'archive'", end
        # The registry is updated just before (注销登记 announces it in between).
        steps = [by_id[flows[before.get("id")]]]
        steps.append(by_id[flows[steps[0].get("id")]])
        operators = [step.find(".//spiff:serviceTaskOperator", NS) for step in steps]
        assert "registry.update_organization" in [op.get("id") for op in operators if op is not None], end


# -- forms ---------------------------------------------------------------------------------------

FORM_FILES = sorted(FORMS.glob(f"{KEY}_*.json"))
RESERVED = {"date", "time", "datetime", "timedelta", "timezone", "Decimal", "now", "now_iso", "workdays_later",
            "days_later", "deadline", "json_loads"}


def test_user_tasks_have_forms_lanes_and_limits():
    process = _tree().find("bpmn:process", NS)
    lane_of = {ref.text: lane.get("name") for lane in process.iterfind(".//bpmn:lane", NS)
               for ref in lane.iterfind("bpmn:flowNodeRef", NS)}
    found = {}
    for task in process.iterfind("bpmn:userTask", NS):
        props = {p.get("name"): p.get("value") for p in task.iterfind(".//spiff:property", NS)}
        assert (FORMS / props["formJsonSchemaFilename"]).exists(), task.get("id")
        found[task.get("id")] = (lane_of[task.get("id")], props.get("timeLimit"))
    assert found == {
        "verify": ("inspector", "20wd"),
        "confirm_measure": ("supervisor", "5wd"),
        "rectify_report": ("applicant", None),  # its limit is the boundary timer at rectify_due
        "recheck": ("inspector", "10wd"),
        "setup_liquidation": ("applicant", "30d"),
        "file_liquidation_report": ("applicant", "180d"),
        "apply_deregistration": ("applicant", None),  # 15 days from the end of liquidation: a timer
        "review_deregistration": ("reviewer", "10wd"),
        "approve_filing": ("approver", "3wd"),
        "investigate": ("inspector", "20wd"),
        "serve_penalty_notice": ("inspector", "7wd"),
        "serve_rectify_notice": ("inspector", "7wd"),
        "serve_hearing_notice": ("inspector", "3wd"),
        "defence_review": ("reviewer", "5wd"),
        "state_defence": ("applicant", "5wd"),
        "schedule_hearing": ("reviewer", "3wd"),
        "hold_hearing": ("reviewer", None),
        "legal_review": ("reviewer", "5wd"),
        "decide_penalty": ("approver", "5wd"),
        "deliver_decision": ("inspector", "7wd"),  # 行政处罚法 61 with 85: working days
        "collect_certificate": ("inspector", "15wd"),
    }
    used = {f"{KEY}_{name}.json" for name in (
        "verify", "confirm_measure", "rectify_report", "recheck", "setup_liquidation", "liquidation_report",
        "apply_deregistration", "review_deregistration", "approve_filing", "investigate", "state_defence",
        "schedule_hearing", "hold_hearing", "decide_penalty", "deliver_decision", "collect_certificate", "serve_document", "legal_review",
        "defence_review")}
    assert {p.name for p in FORM_FILES} == used


@pytest.mark.parametrize("path", FORM_FILES, ids=lambda p: p.name)
def test_form_is_an_object_schema_with_chinese_titles_and_safe_field_names(path: Path):
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object" and schema["title"]
    assert set(schema["required"]) <= set(schema["properties"])
    for name, prop in schema["properties"].items():
        assert name.isidentifier() and not name.startswith("_") and name not in RESERVED, name
        assert any("\u4e00" <= ch <= "\u9fff" for ch in prop["title"]), name
        if "enum" in prop:
            assert set(prop["x-labels"]) == set(prop["enum"]), name
        if "format" in prop or "pattern" in prop:
            assert Draft202012Validator(prop, format_checker=FormatChecker()).is_valid(prop["examples"][0]), name


@pytest.mark.parametrize(("form", "decisions"), [
    ("confirm_measure", ["confirm", "change", "return"]),
    ("recheck", ["rectified", "not_rectified", "return"]),
    ("review_deregistration", ["approve", "return"]),
    ("approve_filing", ["approve", "reject"]),
    ("decide_penalty", ["approve", "reject", "return", "extend"]),
])
def test_decision_forms_require_a_decision_and_an_opinion(form: str, decisions: list[str]):
    name = f"{KEY}_{form}.json"
    schema = json.loads((FORMS / name).read_text(encoding="utf-8"))
    assert {"decision", "opinion"} <= set(schema["required"])
    assert schema["properties"]["decision"]["enum"] == decisions
    assert form_errors(name, {"decision": decisions[0], "opinion": "好"}) != []  # an opinion needs 2 characters


def test_changing_the_measure_requires_the_new_measure():
    name = f"{KEY}_confirm_measure.json"
    assert form_errors(name, {"decision": "change", "opinion": OPINION}) == ["'changed_measure' is a required property"]
    assert form_errors(name, {"decision": "change", "opinion": OPINION, "changed_measure": "deregister"}) == []
    assert form_errors(name, {"decision": "confirm", "opinion": OPINION, "rectify_days": 0}) != []


def test_the_verify_form_asks_for_the_five_situations_and_the_facts():
    schema = json.loads((FORMS / f"{KEY}_verify.json").read_text(encoding="utf-8"))
    facts = ["no_annual_report_2y", "inactive_after_registration", "inactive_since_2019", "unreachable",
             "governance_deadlock", "willing_to_dissolve"]
    for name in facts:
        assert name in schema["required"] and schema["properties"][name]["type"] == "boolean"


def test_zombie_cleanup_deploys_through_the_lint(deploy_processes):
    assert deploy_processes(KEY) == [KEY]


# -- start and 核查 ------------------------------------------------------------------------------

@pytest.mark.parametrize("variables", [
    None,  # a caseworker's start, or the bulk starter passing nothing
    {"source": "bulk", "organization_name": "长春市软件行业协会", "suspected_zombie": True,
     "situations": ["no_annual_report_2y"], "org_type": "social_group"},
])
def test_a_case_starts_with_or_without_variables_and_marks_the_organization(zombie, session, org, variables):
    case = zombie(variables)
    assert open_tasks(case) == [("verify", "inspector")]
    assert case.instance.region_code == "220100" and case.instance.organization_id == org.id
    assert registry(session, org).flags["suspected_zombie"] is True
    task = case.task("verify")
    assert task.due_at is not None and clock.as_utc(task.due_at) == end_of(3, 30)  # 20 working days


def test_no_situation_closes_the_case_as_not_a_zombie(zombie, session, org):
    case = verify(zombie())
    assert titles(session, case) == sorted(["社会组织核查情况报告"])
    report = document(session, case, "社会组织核查情况报告")
    assert "不存在僵尸型社会组织的五种情形" in report.html and "长春市软件行业协会" in report.html
    row = registry(session, org)
    assert row.status is OrgStatus.ACTIVE
    assert_cleared(row, "not_zombie")
    assert_archived(session, case, "不存在僵尸型社会组织情形")
    assert case.variables()["confirmed_situations"] == []


def test_the_supervisor_sends_the_findings_back_for_another_verification(zombie, session, org):
    case = verify(zombie(), **NOT_FILED)
    assert open_tasks(case) == [("confirm_measure", "supervisor")]
    data = case.variables()
    assert data["proposed_measure"] == "rectify" and data["confirmed_situations"] == ["no_annual_report_2y"]
    confirm(case, "return")
    assert open_tasks(case) == [("verify", "inspector")]
    verify(case)  # the second look found the annual reports filed after all
    assert titles(session, case) == sorted(["社会组织核查情况报告", "社会组织核查情况报告"])
    assert_cleared(registry(session, org), "not_zombie")
    assert_archived(session, case, "不存在")


# -- 推动整改 ------------------------------------------------------------------------------------

def test_rectification_with_a_reminder_ends_with_the_organization_activated(zombie, session, org, timeline):
    case = verify(zombie(), **NOT_FILED, governance_deadlock=True)
    confirm(case)
    # 送达 first: no period runs before the notice is served (issue 13 §1).
    assert open_tasks(case) == [("serve_rectify_notice", "inspector")]
    assert "rectify_due" not in case.variables()
    notice = document(session, case, "限期整改通知书")
    assert notice.number.startswith("民社整改字〔2026〕")
    assert "自本通知书送达之日起30日内" in notice.html and "内部治理陷入僵局" in notice.html
    assert ("applicant@" in messages(session, case)[0][0]) and messages(session, case)[0][1] == "限期整改通知书"
    timeline.go(at(3, 4, 15))
    serve_rectify(case, "mail", "2026-03-04")
    assert open_tasks(case) == [("rectify_report", "applicant")]
    data = case.variables()
    assert data["measure"] == "rectify" and data["measure_label"] == "推动整改"
    assert moment(data["rectify_due"]) == end_of(4, 3)  # 30 days from service on 03-04, not from issue
    assert moment(data["rectify_reminder_at"]) == end_of(3, 27)  # a week before
    served = document(session, case, "限期整改通知书")
    assert (served.status.value, served.service_method.value, served.served_on.isoformat()) == (
        "served", "mail", "2026-03-04")

    timeline.go(at(3, 28, 9))
    case.advance_to(at(3, 28, 9))
    assert open_tasks(case) == [("rectify_report", "applicant")]  # the reminder does not interrupt
    assert [s for _, s in messages(session, case)] == ["限期整改通知书", "整改期限提醒"]

    submit(case, "rectify_report", {"rectification_summary": "已补报2024、2025年度工作报告，恢复开展活动。",
                                    "annual_reports_filed": True, "activities_resumed": True,
                                    "governance_restored": True, "contact_phone": "0431-88886666"}, "applicant")
    assert open_tasks(case) == [("recheck", "inspector")]
    decide(case, "recheck", "rectified", "inspector", "整改到位，恢复正常。")
    row = registry(session, org)
    assert row.status is OrgStatus.ACTIVE
    assert_cleared(row, "activated")
    assert_archived(session, case, "激活")
    assert titles(session, case) == sorted(["社会组织核查情况报告", "限期整改通知书"])


def test_the_recheck_can_ask_for_more_material_within_ten_days(zombie, session, org, timeline):
    case = serve_rectify(confirm(verify(zombie(), **NOT_FILED)))
    timeline.go(at(3, 20))
    submit(case, "rectify_report", {"rectification_summary": "正在补报。", "annual_reports_filed": False,
                                    "activities_resumed": True}, "applicant")
    decide(case, "recheck", "return", "inspector", "请补充年度报告回执。")
    assert open_tasks(case) == [("rectify_report", "applicant")]
    data = case.variables()
    assert moment(data["rectify_due"]) == end_of(3, 30)  # 10 days from 03-20
    assert messages(session, case)[-1][1] == "整改材料退回补充"
    timeline.go(at(3, 25))
    submit(case, "rectify_report", {"rectification_summary": "已补报。", "annual_reports_filed": True,
                                    "activities_resumed": True}, "applicant")
    decide(case, "recheck", "rectified", "inspector", "整改到位。")
    assert_cleared(registry(session, org), "activated")
    assert_archived(session, case, "激活")


def test_silence_past_the_rectification_deadline_goes_to_revocation(zombie, session, org, timeline):
    case = serve_rectify(confirm(verify(zombie(), **NOT_FILED)))
    timeline.go(at(4, 1, 23))
    case.advance_to(at(4, 1, 23))  # the last day: the report may still come
    assert ("rectify_report", "applicant") in open_tasks(case)
    timeline.go(at(4, 2, 0, 1))
    case.advance_to(at(4, 2, 0, 1))
    assert open_tasks(case) == [("approve_filing", "approver")]
    assert "整改期限届满未报告整改情况，转入撤销程序" in notes(session, case, "overdue")
    data = case.variables()
    assert data["measure"] == "revoke" and data["penalty_kind"] == "撤销登记"
    assert registry(session, org).flags["suspected_zombie"] is True


def test_not_rectified_goes_to_revocation_and_ends_revoked(zombie, session, org, timeline):
    """Penalty path: no defence within 5 working days (timer), direct delivery, certificate and seal collected."""
    case = serve_rectify(confirm(verify(zombie(), **NOT_FILED)))
    submit(case, "rectify_report", {"rectification_summary": "无。", "annual_reports_filed": False,
                                    "activities_resumed": False}, "applicant")
    decide(case, "recheck", "not_rectified", "inspector", "未补报年度报告，未开展活动。")
    assert open_tasks(case) == [("approve_filing", "approver")]
    assert any("复查未整改到位" in n for n in notes(session, case))

    timeline.go(at(3, 3))
    file_and_investigate(case)
    data = case.variables()
    assert moment(data["filing_at"]) == at(3, 3)
    assert moment(data["penalty_decision_due"]) == end_of(6, 1)  # 90 days from 03-03
    assert any("应于2026-06-01前作出处罚决定" in n for n in notes(session, case, "filing"))
    assert moment(data["hearing_request_due"]) == end_of(3, 10)  # 5 working days from service on 03-03
    assert open_tasks(case) == [("state_defence", "applicant")]
    prior = document(session, case, "行政处罚事先告知书")
    assert prior.number.startswith("民社罚告字〔2026〕")
    assert "撤销登记" in prior.html and "收到本告知书之日起五个工作日内" in prior.html
    assert (prior.status.value, prior.service_method.value, prior.served_on.isoformat()) == (
        "served", "direct", "2026-03-03")

    timeline.go(at(3, 11, 9))
    case.advance_to(at(3, 11, 9))
    assert open_tasks(case) == [("legal_review", "reviewer")]
    legal_pass(case)
    assert open_tasks(case) == [("decide_penalty", "approver")]
    assert "5个工作日内未提出陈述、申辩或听证申请，视为放弃" in notes(session, case, "waived")

    decide(case, "decide_penalty", "approve", "approver_cc", "同意撤销登记。", **COLLECTIVE)
    decision = document(session, case, "行政处罚决定书")
    assert decision.number.startswith("民社罚决字〔2026〕")
    assert "撤销登记" in decision.html and "未提出陈述、申辩或者听证申请" in decision.html
    assert open_tasks(case) == [("deliver_decision", "inspector")]
    deliver_and_collect(case, "direct")
    served = document(session, case, "行政处罚决定书")
    assert (served.status.value, served.service_method.value, served.service_receipt is not None) == (
        "served", "direct", True)
    assert [a.kind for a in announcements(session, case)] == ["撤销登记"]
    assert "连续两年未参加年检（年报）" in announcements(session, case)[0].html
    row = registry(session, org)
    assert row.status is OrgStatus.REVOKED
    assert_cleared(row, "revoked")
    assert_archived(session, case, "撤销登记")
    assert titles(session, case) == sorted(["社会组织核查情况报告", "限期整改通知书", "行政处罚事先告知书", "行政处罚决定书"])


def test_the_supervisor_changes_the_measure_and_the_rectification_period(zombie, session, org):
    case = verify(zombie(), **GONE)
    assert case.variables()["proposed_measure"] == "revoke"
    confirm(case, "change", changed_measure="rectify", rectify_days=45,
            opinion="已通过业务主管单位联系到负责人，给予整改机会。")
    # unreachable at the residence: 公告送达 is the default the serve form shows; here the office reached it
    assert case.variables()["service_method"] == "announcement"
    serve_rectify(case)
    assert open_tasks(case) == [("rectify_report", "applicant")]
    data = case.variables()
    assert data["measure"] == "rectify"
    assert moment(data["rectify_due"]) == end_of(4, 16)  # 45 days from 03-02
    assert moment(data["rectify_reminder_at"]) == end_of(4, 9)


# -- 注销登记 ------------------------------------------------------------------------------------

def _liquidate(case: Case, timeline: Timeline, end_date: str = "2026-04-20") -> Case:
    submit(case, "setup_liquidation", {"liquidation_group_leader": "王雪梅", "liquidation_group_members": "王雪梅、李强",
                                       "liquidation_started_on": "2026-03-05"}, "applicant")
    timeline.go(at(4, 21))
    return submit(case, "file_liquidation_report", {
        "liquidation_end_date": end_date, "liquidation_report_summary": "债权债务已清理完毕。",
        "remaining_assets": 12000, "remaining_assets_disposal": "捐赠给长春市慈善总会。",
        "assets_distributed_to_members": False}, "applicant")


def _apply(case: Case) -> Case:
    return submit(case, "apply_deregistration", {"deregistration_reason": "长期未开展活动，会员大会决议解散。",
                                                 "certificate_and_seal_returned": True,
                                                 "financial_records_returned": True}, "applicant")


def test_voluntary_deregistration_ends_deregistered_and_announced(zombie, session, org, timeline):
    case = verify(zombie(), **WANTS_TO_DISSOLVE)
    assert case.variables()["proposed_measure"] == "deregister"
    confirm(case)
    assert open_tasks(case) == [("setup_liquidation", "applicant")]
    guidance = document(session, case, "引导注销登记告知书")
    assert guidance.number.startswith("民社注告字〔2026〕") and "十五日内" in guidance.html
    assert clock.as_utc(case.task("setup_liquidation").due_at) == end_of(4, 1)

    _liquidate(case, timeline)
    assert open_tasks(case) == [("apply_deregistration", "applicant")]
    # 15 days from 04-20 end on 05-05, inside the 劳动节 holiday: the next working day.
    assert moment(case.variables()["deregistration_due"]) == end_of(5, 6)
    _apply(case)
    assert open_tasks(case) == [("review_deregistration", "reviewer")]
    decide(case, "review_deregistration", "approve", "reviewer_cc", "清算完毕，准予注销。")
    approval = document(session, case, "准予注销登记决定书")
    assert approval.number.startswith("民社注准字〔2026〕") and "二〇二六年四月二十日" in approval.html
    assert [a.kind for a in announcements(session, case)] == ["注销登记"]
    row = registry(session, org)
    assert row.status is OrgStatus.DEREGISTERED
    assert_cleared(row, "deregistered")
    assert_archived(session, case, "注销登记")
    assert titles(session, case) == sorted(["社会组织核查情况报告", "引导注销登记告知书", "准予注销登记决定书",
                                            "社会组织注销证明"])
    certificate = document(session, case, "社会组织注销证明")
    assert certificate.number.startswith("民社注证字〔2026〕") and "未在会员（出资人、理事）之间分配" in certificate.html
    assert "登记证书（正、副本）、印章和财务凭证已缴回" in certificate.html
    assert "现公告作废" not in announcements(session, case)[0].html  # everything was handed back


def test_the_deregistration_review_returns_the_application_for_15_days(zombie, session, org, timeline):
    case = confirm(verify(zombie(), **WANTS_TO_DISSOLVE))
    _liquidate(case, timeline)
    timeline.go(at(4, 22))
    _apply(case)
    decide(case, "review_deregistration", "return", "reviewer_cc", "清算报告缺少审计意见，请补正。")
    assert open_tasks(case) == [("apply_deregistration", "applicant")]
    assert moment(case.variables()["deregistration_due"]) == end_of(5, 7)  # 15 days from 04-22
    timeline.go(at(5, 7, 0, 1))
    case.advance_to(at(5, 7, 0, 1))  # the first due (05-06) no longer applies
    _apply(case)
    decide(case, "review_deregistration", "approve", "reviewer_cc", "准予注销。")
    assert registry(session, org).status is OrgStatus.DEREGISTERED
    assert_archived(session, case, "注销登记")


def test_no_liquidation_group_within_30_days_goes_to_revocation(zombie, session, org, timeline):
    case = confirm(verify(zombie(), **WANTS_TO_DISSOLVE))
    timeline.go(at(4, 2, 0, 1))
    case.advance_to(at(4, 2, 0, 1))
    assert open_tasks(case) == [("approve_filing", "approver")]
    assert "30日内未成立清算组，转入撤销程序" in notes(session, case, "overdue")
    assert case.variables()["measure"] == "revoke"


def test_no_liquidation_report_within_180_days_goes_to_revocation(zombie, session, org, timeline):
    case = confirm(verify(zombie(), **WANTS_TO_DISSOLVE))
    timeline.go(at(3, 5))
    submit(case, "setup_liquidation", {"liquidation_group_leader": "王雪梅", "liquidation_group_members": "王雪梅",
                                       "liquidation_started_on": "2026-03-05"}, "applicant")
    timeline.go(at(9, 1, 0, 1))  # 180 days from 03-05 end on 09-01
    case.advance_to(at(9, 1, 0, 1))
    assert ("file_liquidation_report", "applicant") in open_tasks(case)
    timeline.go(at(9, 2, 0, 1))
    case.advance_to(at(9, 2, 0, 1))
    assert open_tasks(case) == [("approve_filing", "approver")]
    assert "180日内未提交清算报告，转入撤销程序" in notes(session, case, "overdue")


def test_no_application_within_15_days_of_the_end_of_liquidation_goes_to_revocation(zombie, session, org, timeline):
    case = confirm(verify(zombie(), **WANTS_TO_DISSOLVE))
    _liquidate(case, timeline, end_date="2026-04-20")
    timeline.go(at(5, 6, 23))
    case.advance_to(at(5, 6, 23))
    assert ("apply_deregistration", "applicant") in open_tasks(case)
    timeline.go(at(5, 7, 0, 1))
    case.advance_to(at(5, 7, 0, 1))
    assert open_tasks(case) == [("approve_filing", "approver")]
    assert "清算结束之日起15日内未申请注销登记，转入撤销程序" in notes(session, case, "overdue")
    assert registry(session, org).status is OrgStatus.ACTIVE


# -- 撤销登记 / 吊销登记证书 ---------------------------------------------------------------------

def test_a_refused_filing_turns_to_rectification(zombie, session, org):
    case = confirm(verify(zombie(), **GONE))
    assert case.variables()["measure"] == "revoke"
    decide(case, "approve_filing", "reject", "approver_cc", "证据不足，先行责令整改。")
    serve_rectify(case)
    assert open_tasks(case) == [("rectify_report", "applicant")]
    data = case.variables()
    assert data["measure"] == "rectify" and moment(data["rectify_due"]) == end_of(4, 1)
    assert "限期整改通知书" in titles(session, case)


def test_hearing_with_announced_delivery_and_the_certificate_declared_void(zombie, session, org, timeline):
    case = confirm(verify(zombie(), **GONE))
    file_and_investigate(case)
    timeline.go(at(3, 4))
    submit(case, "state_defence", {"request_hearing": True, "defence_statement": "我单位仍在开展活动。"}, "applicant")
    assert open_tasks(case) == [("schedule_hearing", "reviewer")]
    assert case.variables()["hearing_earliest_date"] == "2026-03-13"  # 7 working days from 03-04

    hearing = {"hearing_place": "长春市民政局三楼会议室", "hearing_host": "孙磊"}
    submit(case, "schedule_hearing", {"hearing_date": "2026-03-12", **hearing}, "reviewer_cc")
    assert open_tasks(case) == [("schedule_hearing", "reviewer")]  # too early: the notice needs 7 working days
    assert "听证通知书" not in titles(session, case)
    # 行政处罚法 64(4): the host must not have investigated the case — an investigator is refused.
    submit(case, "schedule_hearing", {**hearing, "hearing_date": "2026-03-16", "hearing_host": " 李强"}, "reviewer_cc")
    assert open_tasks(case) == [("schedule_hearing", "reviewer")]
    assert "听证通知书" not in titles(session, case)
    submit(case, "schedule_hearing", {"hearing_date": "2026-03-16", **hearing}, "reviewer_cc")
    notice = document(session, case, "听证通知书")
    assert notice.number.startswith("民社听通字〔2026〕") and "二〇二六年三月十六日" in notice.html
    assert messages(session, case)[-1][1] == "听证通知书"
    # 送达 of the 听证通知书 (行政处罚法 64(2) with 85): served on Friday 03-06, the 7th working day after is
    # 03-17 — a hearing on 03-16 is too early, the hearing is scheduled again.
    assert open_tasks(case) == [("serve_hearing_notice", "inspector")]
    timeline.go(at(3, 6, 16))
    serve(case, "serve_hearing_notice", "mail", "2026-03-06")
    assert case.variables()["hearing_notice_service"]["due"].startswith("2026-03-17")
    assert open_tasks(case) == [("schedule_hearing", "reviewer")]
    submit(case, "schedule_hearing", {"hearing_date": "2026-03-17", **hearing}, "reviewer_cc")
    serve(case, "serve_hearing_notice", "direct", "2026-03-06")
    assert open_tasks(case) == [("hold_hearing", "reviewer")]
    assert [n.status.value for n in documents(session, case) if n.title == "听证通知书"] == ["served", "served"]

    timeline.go(at(3, 17, 15))
    submit(case, "hold_hearing", {"hearing_attended": True, "hearing_record": "当事人未能提供开展活动的证据。",
                                  "hearing_recommendation": "维持拟处罚意见。", "record_signature": "refused"},
           "reviewer_cc")
    review_defence(case)
    legal_pass(case)
    decide(case, "decide_penalty", "approve", "approver_cc", "维持撤销登记。", **COLLECTIVE)
    assert "听证情况" in document(session, case, "行政处罚决定书").html

    deliver_and_collect(case, "announcement")
    assert open_tasks(case) == []
    assert [a.kind for a in announcements(session, case)] == ["公告送达"]
    assert document(session, case, "行政处罚决定书").number in announcements(session, case)[0].html
    timeline.go(at(4, 16))
    case.advance_to(at(4, 16))
    assert open_tasks(case) == []  # 30 days from 03-17 end on 04-16
    timeline.go(at(4, 17, 0, 1))
    case.advance_to(at(4, 17, 0, 1))
    assert "公告送达期满30日，视为送达" in notes(session, case, "served")
    assert open_tasks(case) == [("collect_certificate", "inspector")]
    collect(case, collected=False)
    published = announcements(session, case)
    assert [a.kind for a in published] == ["公告送达", "撤销登记", "登记证书印章作废"]
    assert "未缴回登记证书（正、副本）、印章、财务凭证，" in published[-1].html and "长春市软件行业协会" in published[-1].html
    row = registry(session, org)
    assert row.status is OrgStatus.REVOKED
    assert_cleared(row, "revoked")
    assert_archived(session, case, "撤销登记")
    assert titles(session, case) == sorted(["社会组织核查情况报告", "行政处罚事先告知书", "听证通知书", "听证通知书",
                                            "行政处罚决定书"])


def test_a_charity_that_did_not_rectify_states_its_defence_and_has_its_certificate_revoked(
        zombie, session, foundation, timeline):
    # 慈善法: 责令限期改正 first; only 逾期不改正 opens 吊销登记证书 — and only for a recognized 慈善组织.
    case = verify(zombie(organization=foundation), **GONE)
    data = case.variables()
    assert (data["org_type"], data["charity_recognized"]) == ("foundation", True)
    assert data["proposed_measure"] == "rectify" and "慈善法" in data["legal_basis"]
    confirm(case)
    serve_rectify(case)
    assert open_tasks(case) == [("rectify_report", "applicant")]
    assert "吊销登记证书" in document(session, case, "限期整改通知书").html
    timeline.go(at(4, 2, 9))
    case.advance_to(at(4, 2, 9))  # 30 days passed without a report
    assert case.variables()["measure"] == "revoke_certificate"
    assert case.variables()["penalty_kind"] == "吊销登记证书"
    file_and_investigate(case)
    prior = document(session, case, "行政处罚事先告知书").html
    assert "吊销登记证书" in prior and "《中华人民共和国慈善法》（2023年修正）第一百零九条" in prior
    submit(case, "state_defence", {"request_hearing": False, "defence_statement": "请求从轻处理。"}, "applicant")
    assert open_tasks(case) == [("defence_review", "reviewer")]  # 复核 (行政处罚法 45)
    review_defence(case, answer="逾期未改正的事实清楚，不予从轻。")
    assert open_tasks(case) == [("legal_review", "reviewer")]
    legal_pass(case)
    assert open_tasks(case) == [("decide_penalty", "approver")]
    decide(case, "decide_penalty", "approve", "approver_cc", "吊销登记证书。", **COLLECTIVE)
    decision = document(session, case, "行政处罚决定书").html
    assert "请求从轻处理" in decision and "慈善法" in decision
    assert "请求从轻处理。——不予采纳。逾期未改正的事实清楚，不予从轻。" in decision
    deliver_and_collect(case, "post")
    assert "行政处罚决定书已送达" in notes(session, case, "served")
    assert [a.kind for a in announcements(session, case)] == ["吊销登记证书"]
    row = registry(session, foundation)
    assert row.status is OrgStatus.CERTIFICATE_REVOKED
    assert_cleared(row, "certificate_revoked")
    assert_archived(session, case, "吊销登记证书")


def test_a_decision_not_to_penalize_turns_to_rectification(zombie, session, org):
    case = confirm(verify(zombie(), **GONE))
    file_and_investigate(case)
    submit(case, "state_defence", {"request_hearing": False, "defence_statement": "已恢复活动。"}, "applicant")
    review_defence(case)
    legal_pass(case)
    decide(case, "decide_penalty", "reject", "approver_cc", "当事人已恢复活动，不予处罚，责令整改。")
    serve_rectify(case)
    assert open_tasks(case) == [("rectify_report", "applicant")]
    assert any("决定不予行政处罚，改为推动整改" in n for n in notes(session, case, "dropped"))
    assert case.variables()["measure"] == "rectify"
    assert "行政处罚决定书" not in titles(session, case)
    submit(case, "rectify_report", {"rectification_summary": "已整改。", "annual_reports_filed": True,
                                    "activities_resumed": True}, "applicant")
    decide(case, "recheck", "rectified", "inspector", "整改到位。")
    assert_cleared(registry(session, org), "activated")
    assert_archived(session, case, "激活")


def test_a_decision_sent_back_for_more_investigation(zombie, session, org):
    case = confirm(verify(zombie(), **GONE))
    file_and_investigate(case)
    submit(case, "state_defence", {"request_hearing": False}, "applicant")
    legal_pass(case)
    decide(case, "decide_penalty", "return", "approver_cc", "证据不充分，请补充调查。")
    assert open_tasks(case) == [("investigate", "inspector")]
    submit(case, "investigate", INVESTIGATION, "inspector")
    assert [t for t in titles(session, case) if t == "行政处罚事先告知书"] == ["行政处罚事先告知书"] * 2
    assert open_tasks(case) == [("serve_penalty_notice", "inspector")]  # the new notice is served in turn
    serve(case, "serve_penalty_notice", "direct", clock.local_now().date().isoformat())
    assert open_tasks(case) == [("state_defence", "applicant")]


def deadline_warnings(session: Session, case: Case) -> list[str]:
    """The texts of the case's day-80 warnings, one per open step they reached."""
    session.expire_all()
    return [f"{e.task_name}：{e.details['text']}" for e in history(session, case.id) if e.action == "deadline_warning"]


def test_the_90_day_limit_from_filing_warns_the_supervisors_on_every_open_step(zombie, session, org, timeline):
    case = confirm(verify(zombie(), **GONE))
    decide(case, "approve_filing", "approve", "approver_cc", "同意立案。")
    assert moment(case.variables()["penalty_warning_at"]) == end_of(5, 21)  # 80 days from 03-02
    submit(case, "investigate", INVESTIGATION, "inspector")
    serve(case, "serve_penalty_notice", "direct", "2026-03-02")
    submit(case, "state_defence", {"request_hearing": True, "defence_points": ["2025年仍开展过活动。"]}, "applicant")
    # The case waits at 安排听证 — a step the two old boundary timers (调查取证, 作出决定) never warned on.
    assert open_tasks(case) == [("schedule_hearing", "reviewer")]
    DeadlineWarnings(session).scan(at(5, 21, 23))
    assert deadline_warnings(session, case) == []  # not yet
    DeadlineWarnings(session).scan(at(5, 22, 0, 1))
    assert deadline_warnings(session, case) == ["安排听证：行政处罚决定期限（立案之日起90日）将于2026-06-01届满（本环节仍在办理）"]
    recipient, subject = messages(session, case)[-1]
    assert recipient.startswith("supervisor_cc@") and subject == "行政处罚决定期限（立案之日起90日）将届满"
    assert "安排听证" in session.scalars(select(OutboxMessage).where(
        OutboxMessage.instance_id == case.id).order_by(OutboxMessage.id.desc())).first().body
    DeadlineWarnings(session).scan(at(5, 23))
    assert len(deadline_warnings(session, case)) == 1  # once


def test_the_warning_is_moved_by_an_extension_and_ends_with_the_decision(zombie, session, org, timeline):
    case = confirm(verify(zombie(), **GONE))
    file_and_investigate(case)
    submit(case, "state_defence", {"request_hearing": False}, "applicant")
    legal_pass(case)
    decide(case, "decide_penalty", "extend", "approver_cc", "案情复杂，同意延长。", extended_until="2026-06-30",
           extension_reason="需调取活动材料。")
    DeadlineWarnings(session).scan(at(5, 22, 9))
    assert deadline_warnings(session, case) == []  # the day-80 warning moved with the extension
    DeadlineWarnings(session).scan(at(6, 21, 9))  # 10 days before the extended limit
    assert deadline_warnings(session, case) == [
        "作出行政处罚决定：行政处罚决定期限（经负责人批准延长）将于2026-06-30届满（本环节仍在办理）"]
    decide(case, "decide_penalty", "approve", "approver_cc", "同意。", **COLLECTIVE)
    assert session.scalar(select(CaseDeadline).where(CaseDeadline.instance_id == case.id)) is None
    assert open_tasks(case) == [("deliver_decision", "inspector")]


def test_a_case_decided_before_day_80_is_not_warned(zombie, session, org, timeline):
    case = confirm(verify(zombie(), **GONE))
    file_and_investigate(case)
    submit(case, "state_defence", {"request_hearing": False}, "applicant")
    legal_pass(case)
    decide(case, "decide_penalty", "approve", "approver_cc", "同意。", **COLLECTIVE)
    DeadlineWarnings(session).scan(at(5, 22, 9))
    assert deadline_warnings(session, case) == [] and open_tasks(case) == [("deliver_decision", "inspector")]


def test_the_investigation_needs_two_officers_with_certificate_numbers():
    form = f"{KEY}_investigate.json"
    one = {**INVESTIGATION, "investigators": INVESTIGATION["investigators"][:1]}
    assert form_errors(form, one) != []  # 行政处罚法 42: at least two
    no_number = {**INVESTIGATION, "investigators": [{"name": "金哲"}, {"name": "李强", "certificate_no": "JL22010002"}]}
    assert form_errors(form, no_number) != []
    bad_number = {**INVESTIGATION, "investigators": [{"name": "金哲", "certificate_no": "无"},
                                                     {"name": "李强", "certificate_no": "JL22010002"}]}
    assert form_errors(form, bad_number) != []
    assert form_errors(form, INVESTIGATION) == []


def test_every_form_accepts_the_data_these_tests_send():
    # The data above is checked against each form as it is submitted (submit()); this pins a few refusals.
    assert form_errors(f"{KEY}_verify.json", {**VERIFY, "unreachable": "yes"}) != []
    # One reachability field and no hand-ticked charity status: the old fields are refused.
    # (a field a form does not define is refused on submission, tasks/forms.py)
    verify_form = json.loads((FORMS / f"{KEY}_verify.json").read_text(encoding="utf-8"))["properties"]
    assert "reachable" not in verify_form and "is_charity" not in verify_form
    # The basis comes from the measure table, not from free text.
    assert "legal_basis" not in json.loads((FORMS / f"{KEY}_investigate.json").read_text(encoding="utf-8"))[
        "properties"]
    assert form_errors(f"{KEY}_schedule_hearing.json", {"hearing_date": "16/03/2026", "hearing_place": "会议室",
                                                        "hearing_host": "孙磊"}) != []
    assert form_errors(f"{KEY}_deliver_decision.json", {"delivery_method": "fax"}) != []
    assert form_errors(f"{KEY}_rectify_report.json", {"rectification_summary": "好的", "annual_reports_filed": True,
                                                      "activities_resumed": True,
                                                      "contact_phone": "not a phone"}) != []


def test_the_case_history_keeps_every_opinion(zombie, session):
    case = confirm(verify(zombie(), **NOT_FILED))
    opinions = [(e.task_name, e.opinion) for e in history(session, case.id) if e.opinion]
    assert opinions == [("确认处置措施", "同意核查意见和建议措施。")]


def test_the_penalty_notice_is_issued_the_day_the_investigation_ends(zombie, session, timeline):
    case = confirm(verify(zombie(), **GONE))
    decide(case, "approve_filing", "approve", "approver_cc", "同意立案。")
    timeline.go(at(3, 31, 16))
    submit(case, "investigate", INVESTIGATION, "inspector")
    serve(case, "serve_penalty_notice", "direct", "2026-03-31")
    # 5 working days from service on Tuesday 03-31 skip the 清明 holiday (04-04…04-06): Wednesday 04-08.
    assert moment(case.variables()["hearing_request_due"]) == end_of(4, 8)
    assert clock.as_utc(document(session, case, "行政处罚事先告知书").created_at) == at(3, 31, 16)


# -- the legal basis comes from the measure table (issue 13 §4) -----------------------------------

def test_the_prior_notice_prints_the_article_the_measure_table_gave(zombie, session, org):
    case = confirm(verify(zombie(), **GONE))
    data = case.variables()
    assert (data["org_type"], data["charity_recognized"], data["measure"]) == ("social_group", False, "revoke")
    file_and_investigate(case)
    prior = document(session, case, "行政处罚事先告知书").html
    assert "依据《社会团体登记管理条例》第三十条第一款第（三）项" in prior


def test_situation_two_alone_leads_a_social_group_to_revocation_under_article_29(zombie, session, org):
    case = confirm(verify(zombie(), inactive_after_registration=True))
    assert case.variables()["measure"] == "revoke"
    file_and_investigate(case)
    assert "《社会团体登记管理条例》第二十九条" in document(session, case, "行政处罚事先告知书").html


def test_a_social_group_that_did_not_rectify_is_revoked_under_its_own_regulation(zombie, session, org, timeline):
    case = serve_rectify(confirm(verify(zombie(), **NOT_FILED)))
    assert case.variables()["measure"] == "rectify"
    timeline.go(at(4, 2, 9))
    case.advance_to(at(4, 2, 9))
    data = case.variables()
    assert data["measure"] == "revoke" and data["legal_basis"].startswith("《社会团体登记管理条例》第三十条")


# -- 送达 before the period that runs from it (issue 13 §1) ----------------------------------------

def test_the_hearing_request_window_runs_from_the_served_date_not_the_issue_date(zombie, session, org, timeline):
    case = confirm(verify(zombie(), **GONE))
    timeline.go(at(3, 3))
    file_and_investigate(case, served="")
    assert open_tasks(case) == [("serve_penalty_notice", "inspector")]  # no period runs before service
    assert "hearing_request_due" not in case.variables()
    timeline.go(at(3, 6, 15))
    serve(case, "serve_penalty_notice", "mail", "2026-03-06")
    assert moment(case.variables()["hearing_request_due"]) == end_of(3, 13)  # 5 working days from 03-06
    timeline.go(at(3, 11, 9))
    case.advance_to(at(3, 11, 9))  # where the old window (from issue) had closed
    assert open_tasks(case) == [("state_defence", "applicant")]
    timeline.go(at(3, 14, 9))
    case.advance_to(at(3, 14, 9))
    assert open_tasks(case) == [("legal_review", "reviewer")]
    legal_pass(case)
    assert open_tasks(case) == [("decide_penalty", "approver")]


def test_an_unreachable_party_is_served_by_announcement_deemed_served_after_30_days(zombie, session, org, timeline):
    case = confirm(verify(zombie(), **GONE))
    timeline.go(at(3, 3))
    file_and_investigate(case, served="")
    assert case.variables()["service_method"] == "announcement"  # unreachable: the form's default is 公告送达
    submit(case, "serve_penalty_notice", {"service_method": "announcement", "service_consent": False,
                                          "service_receipts": []}, "inspector")
    # 公告送达 for real: published on the public announcements page, naming the organization and the document.
    [published] = announcements(session, case)
    assert (published.kind, published.title) == ("公告送达", "行政处罚事先告知书公告送达")
    assert "长春市软件行业协会" in published.html and "《行政处罚事先告知书》" in published.html
    assert "二〇二六年三月三日" in published.html and "二〇二六年四月二日" in published.html
    service = case.variables()["penalty_notice_service"]
    assert (service["deemed"], service["published_on"], service["served_on"]) == (True, "2026-03-03", "2026-04-02")
    prior = document(session, case, "行政处罚事先告知书")
    assert (prior.status.value, prior.service_method.value, prior.served_on.isoformat()) == (
        "served", "announcement", "2026-04-02")
    # 5 working days from 04-02 skip the 清明 holiday (04-04…04-06)
    assert moment(case.variables()["hearing_request_due"]) == end_of(4, 10)
    timeline.go(at(4, 9, 9))
    case.advance_to(at(4, 9, 9))
    assert open_tasks(case) == [("state_defence", "applicant")]


def test_a_rectification_notice_served_by_announcement_runs_from_the_deemed_service(zombie, session, org, timeline):
    case = confirm(verify(zombie(), **{**NOT_FILED, "unreachable": True}), "change", changed_measure="rectify",
                   rectify_days=30, opinion="先行责令整改。")
    assert case.variables()["service_method"] == "announcement"
    submit(case, "serve_rectify_notice", {"service_method": "announcement", "service_consent": False,
                                          "service_receipts": []}, "inspector")
    assert [(a.kind, a.title) for a in announcements(session, case)] == [("公告送达", "限期整改通知书公告送达")]
    # published 03-02, deemed served 04-01; 30 days from then end on 05-01, inside 劳动节: the next working day
    assert case.variables()["rectify_notice_service"]["served_on"] == "2026-04-01"
    assert moment(case.variables()["rectify_due"]) == end_of(5, 6)
    timeline.go(at(4, 2, 9))
    case.advance_to(at(4, 2, 9))  # where a period counted from issue would have ended
    assert ("rectify_report", "applicant") in open_tasks(case)


def test_the_defence_is_answered_point_by_point_by_someone_who_did_not_investigate(zombie, session, org):
    case = confirm(verify(zombie(), **GONE))
    file_and_investigate(case)
    points = ["我单位2025年仍开展过活动。", "住所地变更未及时报告，并非无法联系。"]
    submit(case, "state_defence", {"request_hearing": False, "defence_points": points}, "applicant")
    assert open_tasks(case) == [("defence_review", "reviewer")]
    listed = case.variables()["defence_answers"]  # the form lists each point for an answer
    assert [item["point"] for item in listed] == points
    one = [{"point": points[0], "answer": "未提供活动证据，不予采纳。", "adopted": False}]
    submit(case, "defence_review", {"defence_reviewer": "孙磊", "defence_answers": one}, "reviewer_cc")
    assert open_tasks(case) == [("defence_review", "reviewer")]  # a point left unanswered: refused
    both = one + [{"point": points[1], "answer": "经核实住所确已变更，予以采纳，但不影响认定。", "adopted": True}]
    submit(case, "defence_review", {"defence_reviewer": "李强", "defence_answers": both}, "reviewer_cc")
    assert open_tasks(case) == [("defence_review", "reviewer")]  # 李强 investigated the case: refused
    submit(case, "defence_review", {"defence_reviewer": "孙磊", "defence_answers": both}, "reviewer_cc")
    assert open_tasks(case) == [("legal_review", "reviewer")]
    legal_pass(case)
    decide(case, "decide_penalty", "approve", "approver_cc", "同意。", **COLLECTIVE)
    decision = document(session, case, "行政处罚决定书").html
    assert "住所地变更未及时报告，并非无法联系。——予以采纳。" in decision


def test_the_review_forms_refuse_an_empty_answer_and_a_distribution_to_members():
    form = f"{KEY}_defence_review.json"
    assert form_errors(form, {"defence_reviewer": "孙磊", "defence_answers": []}) != []
    assert form_errors(form, {"defence_reviewer": "孙磊", "defence_answers": [
        {"point": "要点", "answer": "", "adopted": False}]}) != []
    report = {"liquidation_end_date": "2026-04-20", "liquidation_report_summary": "债权债务已清理完毕。",
              "remaining_assets": 12000, "remaining_assets_disposal": "捐赠给长春市慈善总会。",
              "assets_distributed_to_members": False}
    name = f"{KEY}_liquidation_report.json"
    assert form_errors(name, report) == []
    assert form_errors(name, {**report, "assets_distributed_to_members": True}) != []  # 剩余财产不得分配
    assert form_errors(name, {k: v for k, v in report.items() if k != "remaining_assets_disposal"}) != []
    assert form_errors(f"{KEY}_collect_certificate.json", {"certificate_collected": True,
                                                           "seal_collected": True}) != []  # 财务凭证 too


def test_service_needs_a_receipt_and_electronic_service_the_partys_consent():
    form = f"{KEY}_serve_document.json"
    base = {"service_method": "direct", "served_on": "2026-03-03", "service_consent": False,
            "service_receipts": ["00000000-0000-4000-8000-000000000000"]}
    assert form_errors(form, base) == []
    assert form_errors(form, {**base, "service_receipts": []}) != []  # 直接/邮寄: the 回证
    assert form_errors(form, {**base, "service_method": "electronic"}) != []  # 民事诉讼法 90: consent
    assert form_errors(form, {**base, "service_method": "electronic", "service_consent": True}) == []
    assert form_errors(form, {**base, "service_method": "announcement", "service_receipts": []}) == []
    # 公告送达: the system publishes the 公告 on submission, so no day is asked; every other method needs it
    no_day = {k: v for k, v in base.items() if k != "served_on"}
    assert form_errors(form, {**no_day, "service_method": "announcement", "service_receipts": []}) == []
    assert form_errors(form, no_day) != []
    assert form_errors(form, {**base, "service_method": "fax"}) != []


# -- 法制审核 before the decision (issue 13 §2) -----------------------------------------------------

def test_the_legal_review_returns_the_case_for_more_investigation_with_reasons(zombie, session, org):
    case = confirm(verify(zombie(), **GONE))
    file_and_investigate(case)
    submit(case, "state_defence", {"request_hearing": False, "defence_statement": "我单位2025年仍开展过活动。"},
           "applicant")
    review_defence(case, answer="当事人称2025年开展过活动，未提供证据，需核实。")
    assert open_tasks(case) == [("legal_review", "reviewer")]  # decide_penalty cannot start without a pass
    submit(case, "legal_review", {"legal_review_result": "return", "legal_review_opinion": "证据不足以认定无法取得联系。"},
           "reviewer_cc")
    assert open_tasks(case) == [("investigate", "inspector")]
    submit(case, "investigate", INVESTIGATION, "inspector")
    serve(case, "serve_penalty_notice", "direct", clock.local_now().date().isoformat())
    submit(case, "state_defence", {"request_hearing": False}, "applicant")
    legal_pass(case)
    assert open_tasks(case) == [("decide_penalty", "approver")]


def test_a_revocation_needs_the_collective_discussion_and_the_hearing_record_its_signature():
    form = f"{KEY}_decide_penalty.json"
    assert form_errors(form, {"decision": "approve", "opinion": OPINION}) != []  # 57(2): no 集体讨论, no decision
    assert form_errors(form, {"decision": "approve", "opinion": OPINION, **COLLECTIVE}) == []
    assert form_errors(form, {"decision": "approve", "opinion": OPINION,
                              **{**COLLECTIVE, "collective_participants": ["周海燕"]}}) != []
    assert form_errors(form, {"decision": "extend", "opinion": OPINION}) != []  # 60: a date and a reason
    assert form_errors(f"{KEY}_hold_hearing.json", {"hearing_attended": True, "hearing_record": "笔录。"}) != []


def test_the_90_day_limit_is_extended_by_the_head_with_reasons(zombie, session, org, timeline):
    case = confirm(verify(zombie(), **GONE))
    file_and_investigate(case)
    submit(case, "state_defence", {"request_hearing": False}, "applicant")
    legal_pass(case)
    assert moment(case.variables()["penalty_decision_due"]) == end_of(6, 1)  # 90 days from 03-02 (a Sunday → Monday)
    decide(case, "decide_penalty", "extend", "approver_cc", "案情复杂，同意延长。", extended_until="2026-06-30",
           extension_reason="需向业务主管单位调取2019年以来的活动材料。")
    data = case.variables()
    assert moment(data["penalty_decision_due"]) == end_of(6, 30)
    assert data["penalty_extension"]["reason"] == "需向业务主管单位调取2019年以来的活动材料。"
    assert open_tasks(case) == [("decide_penalty", "approver")]  # the same review stands; the head decides
    decide(case, "decide_penalty", "approve", "approver_cc", "同意撤销登记。", **COLLECTIVE)
    decision = document(session, case, "行政处罚决定书").html
    assert "集体讨论" in decision


# -- 活动异常名录 (社会组织信用信息管理办法 art 10(6)) -------------------------------------------------

def test_an_organization_unreachable_at_its_residence_enters_the_activity_abnormal_list(zombie, session, org):
    case = verify(zombie(), **GONE)
    entry = registry(session, org).flags["activity_abnormal"]
    assert entry["listed_on"] == "2026-03-02" and "住所" in entry["reason"] and "第十条" in entry["basis"]
    assert case.variables()["measure_reason"]  # the case goes on to the measure


def test_a_reachable_organization_is_not_listed(zombie, session, org):
    verify(zombie(), **NOT_FILED)
    assert "activity_abnormal" not in registry(session, org).flags


def test_an_organization_already_in_the_list_is_served_by_announcement_by_default(zombie, session, org):
    # Reached by phone this time, but listed in the 活动异常名录 by an earlier case: 公告送达 is the default.
    org.flags = {**org.flags, "activity_abnormal": {"reason": "通过登记的住所无法与社会组织取得联系",
                                                    "listed_on": "2025-05-01"}}
    session.commit()
    case = confirm(verify(zombie(), **NOT_FILED))
    assert (case.variables()["service_method"], case.variables()["delivery_method"]) == ("announcement",
                                                                                         "announcement")
    assert open_tasks(case) == [("serve_rectify_notice", "inspector")]


def test_a_reachable_organization_not_in_the_list_is_served_directly_by_default(zombie, session, org):
    case = confirm(verify(zombie(), **NOT_FILED))
    assert case.variables()["service_method"] == "direct"
