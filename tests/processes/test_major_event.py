"""major_event — 重大事项报告: the shipped BPMN, its diagram, its forms and every path through it.

Every case is reported on Monday 2026-09-28, 10:00 Beijing time, just before the National Day
holiday (10-01…10-07 off, Saturday 10-10 a 调休 working day), so the working-day timers show the
calendar: 15 working days from 09-28 end on 10-23, 10 working days after 11-20 end on 12-04.
The reporting organization is the demo applicant's, 长春市软件行业协会 (220100): its cases belong
to 长春市民政局, whose supervisor is ``supervisor_cc``. It is a decoupled 行业协会 with no 业务主管单位;
the tests of the sponsor's opinion report for a demo organization of 长春 that has one (``sponsored``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from lxml import etree
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.processes import layout
from tests.processes.conftest import BPMN, Case, Timeline
from tests.processes.layout import NS
from workflow_app import clock
from workflow_app.definitions.models import ProcessDefinition
from workflow_app.definitions.service import compiled
from workflow_app.demo_data import APPLICANT_ORG
from workflow_app.directory.models import User
from workflow_app.documents.models import Document
from workflow_app.engine import get_engine
from workflow_app.instances import audit
from workflow_app.instances.models import InstanceStatus
from workflow_app.notifications.models import OutboxMessage
from workflow_app.organizations.models import Organization, OrgStatus
from workflow_app.tasks.errors import FormInvalid
from workflow_app.tasks.service import task_service

BPMN_FILE = BPMN / "major_event.bpmn"
FORMS = BPMN / "forms"
TEMPLATES = BPMN / "documents" / "major_event"
LOCAL = clock.LOCAL_TZ
T0 = datetime(2026, 9, 28, 10, 0, tzinfo=LOCAL)  # Monday: the day of the report
REGION = "220100"  # 长春市: the applicant organization's registration authority
OPINION = "经审核，符合规定。"

FESTIVAL: dict[str, Any] = {  # 报备, no 业务主管单位 opinion needed; 53 days ahead
    "event_type": "festival",
    "event_title": "2026长春软件产业冬季嘉年华",
    "event_date": "2026-11-20",
    "venue": "长春国际会展中心",
    "participants": 300,
    "amount": 80000,
    "description": "面向会员单位和市民的软件产品展示、技术沙龙和招聘活动，为期一天。",
    "event_files": ["00000000-0000-4000-8000-000000000000"],  # placeholder: Report.do uploads a real file
    "contact_person": "王雪梅",
    "contact_phone": "13804310000",
}
ELECTION: dict[str, Any] = {  # 报批, 60 days required; 78 days ahead
    "event_type": "general_election",
    "event_title": "第三届会员代表大会暨换届选举",
    "event_date": "2026-12-15",
    "venue": "协会会议室",
    "participants": 180,
    "amount": 50000,
    "description": "第二届理事会任期届满，召开第三届会员代表大会，选举产生新一届理事会和负责人。",
    "contact_person": "王雪梅",
    "contact_phone": "0431-88886666",
    "sponsor_name": "长春市工业和信息化局",
    "sponsor_opinion": "同意按章程进行换届。",
}
COMMENDATION: dict[str, Any] = {  # 报批, high risk; 37 days ahead
    "event_type": "commendation",
    "event_title": "2026年度优秀软件企业评选",
    "event_date": "2026-11-04",
    "participants": 60,
    "amount": 20000,
    "description": "在会员单位中评选年度优秀软件企业十家，颁发荣誉证书，不收取任何费用。",
    "contact_person": "王雪梅",
    "contact_phone": "13804310000",
    "sponsor_name": "长春市工业和信息化局",
    "sponsor_opinion": "同意开展。",
    "commendation_approval_ref": "吉林省评比达标表彰保留项目目录第12项",
}
EMERGENCY: dict[str, Any] = {  # 即时报告; it happened today
    "event_type": "emergency",
    "event_title": "协会办公场所漏水致档案受损",
    "event_date": "2026-09-28",
    "participants": 0,
    "amount": 12000,
    "description": "今晨发现办公场所水管破裂，部分会员档案受潮，已组织抢救并联系物业维修。",
    "contact_person": "王雪梅",
    "contact_phone": "13804310000",
}
ON_TIME_OUTCOME = {"held": True, "actual_participants": 280, "actual_amount": 76000,
                   "outcome_summary": "活动按计划举办，秩序良好，无安全事故。"}


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment of 2026 in Beijing time."""
    return datetime(2026, month, day, hour, minute, tzinfo=LOCAL)


def end_of(month: int, day: int) -> datetime:
    """The end of a day of 2026 in Beijing (how working-day deadlines are set)."""
    return datetime(2026, month, day, 23, 59, 59, tzinfo=LOCAL)


# -- the BPMN as data --------------------------------------------------------------------------------


def _tree() -> etree._ElementTree:
    return etree.parse(str(BPMN_FILE))


def _forms_by_task() -> dict[str, str]:
    forms = {}
    for task in _tree().iterfind(".//bpmn:userTask", NS):
        prop = task.find(".//spiff:property[@name='formJsonSchemaFilename']", NS)
        forms[task.get("id")] = prop.get("value")
    return forms


FORM_OF_TASK = _forms_by_task()
END_EVENTS = {e.get("id") for e in _tree().iterfind(".//bpmn:endEvent", NS)}


def form_schema(name: str) -> dict[str, Any]:
    """A form of this process, decoded."""
    return json.loads((FORMS / name).read_text(encoding="utf-8"))


# -- fixtures and helpers ------------------------------------------------------------------------


@pytest.fixture
def timeline() -> Iterator[Timeline]:
    """The clock, frozen at T0."""
    line = Timeline(T0)
    yield line
    line.close()


@pytest.fixture
def org(session: Session, demo: None) -> Organization:
    """The demo applicant's organization, the one that reports."""
    return session.scalars(select(Organization).where(Organization.name == APPLICANT_ORG["name"])).one()


@pytest.fixture
def sponsored(session: Session, demo: None) -> Organization:
    """An active demo organization of 长春 (220100) that has a 业务主管单位 on the registry."""
    return session.scalars(select(Organization).where(
        Organization.region_code == REGION, Organization.sponsor_unit.is_not(None),
        Organization.status == OrgStatus.ACTIVE).order_by(Organization.id).limit(1)).one()


class Report:
    """One major-event case, driven through its forms (each submission is validated against its form)."""

    def __init__(self, case: Case, session: Session, timeline: Timeline) -> None:
        self.case = case
        self.session = session
        self.timeline = timeline
        self.now = T0

    def do(self, task: str, data: dict[str, Any], actor: str = "test") -> Report:
        """A minute later, fill in and submit the open task ``task``; the form must accept ``data``."""
        schema = form_schema(FORM_OF_TASK[task])
        Draft202012Validator(schema, format_checker=FormatChecker()).validate(data)
        self.now += timedelta(minutes=1)
        self.timeline.go(self.now)
        data = self.case.with_uploads(task, data, actor=actor)  # a real small file for each listed attachment
        self.case.complete(task, data, actor=actor, opinion=data.get("opinion"))
        return self

    def move(self, moment: datetime) -> Report:
        """Move the clock to ``moment`` and fire the timers due by then."""
        self.now = moment
        self.timeline.go(moment)
        self.case.advance_to(moment)
        return self

    @property
    def open(self) -> list[str]:
        """BPMN ids of the open tasks."""
        return [t.name for t in self.case.open_tasks()]

    @property
    def vars(self) -> dict[str, Any]:
        """The case variables."""
        return self.case.variables()

    @property
    def status(self) -> InstanceStatus:
        """The case status."""
        return self.case.status

    @property
    def next_timer(self) -> datetime | None:
        """The earliest pending timer, in Beijing time."""
        value = self.case.instance.next_timer_at
        return clock.as_utc(value).astimezone(LOCAL) if value is not None else None

    def documents(self) -> list[Document]:
        """The documents issued in the case, oldest first."""
        self.session.expire_all()
        return list(self.session.scalars(
            select(Document).where(Document.instance_id == self.case.id).order_by(Document.created_at, Document.id)))

    def kinds(self) -> list[str]:
        """The templates of the documents issued, oldest first."""
        return [d.kind for d in self.documents()]

    def document(self, kind: str) -> Document:
        """The one document of ``kind`` (``major_event/...``)."""
        [doc] = [d for d in self.documents() if d.kind == f"major_event/{kind}"]
        return doc

    def notes(self) -> dict[str, str]:
        """case.note lines by action."""
        return {e.action: e.details.get("text", "") for e in audit.history(self.session, self.case.id)
                if "text" in (e.details or {})}

    def messages(self) -> list[OutboxMessage]:
        """Messages queued for the case."""
        self.session.expire_all()
        return list(self.session.scalars(
            select(OutboxMessage).where(OutboxMessage.instance_id == self.case.id).order_by(OutboxMessage.id)))

    def ended_at(self) -> str:
        """The end event the case reached (read from its saved engine state)."""
        engine = get_engine()
        instance = self.case.instance
        workflow = engine.load(compiled(instance.definition, engine), instance.state_json)
        ends = [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED)
                if t.task_spec.bpmn_id in END_EVENTS]
        assert len(ends) == 1, ends
        return ends[0]


@pytest.fixture
def report(deploy_processes: Any, start_case: Any, session: Session, timeline: Timeline, org: Organization) -> Any:
    """Deploy major_event; start a case for the applicant's organization and file ``data`` as its report."""
    deploy_processes("major_event")

    def start(data: dict[str, Any], organization: Organization | None = None, **changes: Any) -> Report:
        case = start_case("major_event", started_by="applicant", organization_id=(organization or org).id,
                          region_code=REGION)
        driven = Report(case, session, timeline)
        assert driven.open == ["report"]
        driven.do("report", {**data, **changes}, actor="applicant")
        return driven

    return start


def finish_on_time(case: Report, event_day: datetime) -> Report:
    """The evening of the event day comes (18:00 Beijing); the organization reports its outcome at once."""
    case.move(event_day.replace(hour=18, minute=1))
    assert case.open == ["outcome_report"]
    return case.do("outcome_report", ON_TIME_OUTCOME, actor="applicant")


# -- the definition -----------------------------------------------------------------------------------


def test_process_deploys_with_every_service_operator_known(deploy_processes: Any) -> None:
    assert deploy_processes("major_event") == ["major_event"]


def test_deployed_version_carries_its_decision_table_and_forms(deploy_processes: Any, session: Session) -> None:
    """A change to the DMN or a form must make a new version, so they are part of the stored files."""
    deploy_processes("major_event")
    definition = session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == "major_event")).one()
    expected = {"major_event.bpmn", "major_event_classification.dmn"} | \
               {f"forms/{p.name}" for p in FORMS.glob("major_event_*.json")}
    assert set(definition.files) == expected


def test_user_tasks_carry_the_time_limits_of_the_reporting_rules() -> None:
    limits = {}
    for task in _tree().iterfind(".//bpmn:userTask", NS):
        prop = task.find(".//spiff:property[@name='timeLimit']", NS)
        limits[task.get("id")] = prop.get("value") if prop is not None else None
    assert limits["review_approval"] == "10wd"
    assert limits["review_filing"] == "15wd"
    assert limits["acknowledge"] == "1wd"
    assert limits["outcome_report"] == "10wd"
    assert limits["report"] is None  # the organization reports when it reports


def test_lanes_are_the_groups_of_the_process() -> None:
    lanes = {lane.get("name") for lane in _tree().iterfind(".//bpmn:lane", NS)}
    assert lanes == {"applicant", "window", "reviewer", "supervisor"}


def test_decision_forms_ask_for_a_decision_and_an_opinion() -> None:
    decision_tasks = {task: form for task, form in FORM_OF_TASK.items() if "decision" in form_schema(form)["properties"]}
    assert set(decision_tasks) == {"review_approval", "supervisor_signoff", "review_filing", "acknowledge",
                                   "decide_interview"}
    for form in decision_tasks.values():
        schema = form_schema(form)
        assert {"decision", "opinion"} <= set(schema["required"]), form
        assert schema["properties"]["opinion"]["minLength"] >= 2, form
        assert set(schema["properties"]["decision"]["x-labels"]) == set(schema["properties"]["decision"]["enum"])


def test_every_form_field_has_a_chinese_title_and_a_safe_name() -> None:
    reserved = {"date", "time", "datetime", "timedelta", "timezone", "Decimal", "now"}
    han = re.compile(r"[\u4e00-\u9fff]")
    for path in sorted(FORMS.glob("major_event_*.json")):
        schema = form_schema(path.name)
        Draft202012Validator.check_schema(schema)
        assert schema["type"] == "object" and han.search(schema["title"]), path.name
        for name, prop in schema["properties"].items():
            assert name.isidentifier() and not name.startswith("_") and name not in reserved, (path.name, name)
            assert han.search(prop["title"]), (path.name, name)
            if "pattern" in prop or "format" in prop:
                validator = Draft202012Validator(prop, format_checker=FormatChecker())
                assert prop["examples"] and all(validator.is_valid(e) for e in prop["examples"]), (path.name, name)


def test_every_template_extends_the_base_layout() -> None:
    rendered = [p for p in TEMPLATES.glob("*.html") if not p.name.startswith("_")]
    assert len(rendered) == 6
    used = set(re.findall(r"major_event/(\w+\.html)", BPMN_FILE.read_text(encoding="utf-8")))
    assert used == {p.name for p in rendered}
    for path in rendered:
        assert path.read_text(encoding="utf-8").count('{% extends "_base.html" %}') == 1, path.name


# -- the diagram --------------------------------------------------------------------------------------


def test_every_flow_node_has_a_shape_of_its_kind_inside_its_lane() -> None:
    assert layout.check_flow_nodes_drawn_in_their_lanes(BPMN_FILE) > 40


def test_lanes_are_horizontal_bands_of_one_pool() -> None:
    layout.check_lanes_are_stacked_bands_of_one_pool(BPMN_FILE)  # their names: test_lanes_are_the_groups_of_the_process


def test_no_two_shapes_overlap_except_a_boundary_event_on_its_task() -> None:
    layout.check_no_two_shapes_overlap(BPMN_FILE)


def test_every_sequence_flow_has_an_orthogonal_edge_from_its_source_to_its_target() -> None:
    assert layout.check_sequence_flows_have_orthogonal_edges(BPMN_FILE) > 50


def test_the_diagram_reads_left_to_right() -> None:
    bounds = layout.shape_bounds(_tree())
    order = ["start", "report", "classify", "class_gw", "review_approval", "render_approval", "to_outcome",
             "wait_event", "outcome_report", "late_gw", "decide_interview", "interview", "end_interviewed"]
    xs = [bounds[node][0] for node in order]
    assert xs == sorted(xs)


# -- intake: numbering, classification, lead time, the sponsor's opinion --------------------------


def test_report_is_numbered_classified_and_recorded(report: Any) -> None:
    case = report(FESTIVAL)
    data = case.vars
    assert re.fullmatch(r"重大事项〔2026〕\d+号", case.case.instance.business_key)
    assert {k: data[k] for k in ("event_class", "lead_days_required", "needs_sponsor_opinion", "risk")} == \
        {"event_class": "filing", "lead_days_required": 15, "needs_sponsor_opinion": False, "risk": "normal"}
    # 报备 lead time in working days: 09-29…11-19 without 10-01…10-07, with Saturday 10-10
    assert data["lead_days_given"] == 34 and data["late_report"] is False
    assert data["reported_on"] == "2026-09-28"
    assert case.notes()["report_recorded"] == (
        "收到重大事项报告：节庆活动「2026长春软件产业冬季嘉年华」，计划日期2026-11-20，类别报备，风险一般，"
        "提前34个工作日（应提前15个工作日）")


def test_report_with_less_lead_time_than_required_is_flagged_late(report: Any) -> None:
    case = report(ELECTION, event_date="2026-11-10")  # 43 days ahead of a 换届, which needs 60
    assert case.vars["lead_days_given"] == 43
    assert case.vars["late_report"] is True
    assert case.notes()["report_recorded"].endswith("提前43天（应提前60天），逾期报告")


def test_an_organization_without_a_sponsor_is_not_asked_for_its_opinion(report: Any, org: Organization) -> None:
    assert org.sponsor_unit is None  # 长春市软件行业协会: a decoupled 行业协会
    case = report(ELECTION, sponsor_name="", sponsor_opinion="")
    assert (case.vars["sponsor_unit"], case.vars["needs_sponsor_opinion"]) == ("", False)
    assert case.open == ["review_approval"]


def test_missing_sponsor_opinion_is_asked_of_the_organization_before_review(report: Any,
                                                                           sponsored: Organization) -> None:
    case = report(ELECTION, sponsored, sponsor_name="", sponsor_opinion="")
    assert case.vars["sponsor_name"] == sponsored.sponsor_unit  # prefilled from the registry
    assert case.open == ["provide_sponsor_opinion"]
    [task] = case.case.open_tasks()
    assert task.candidate_group == "applicant" and task.organization_id is not None
    case.do("provide_sponsor_opinion", {"sponsor_name": "长春市工业和信息化局", "sponsor_opinion": "同意换届。",
                                        "sponsor_document_no": "长工信函〔2026〕8号"}, actor="applicant")
    assert case.open == ["review_approval"]
    assert case.vars["sponsor_opinion"] == "同意换届。"


# -- 报批 -------------------------------------------------------------------------------------------


def test_approval_by_the_reviewer_issues_a_reply_and_waits_for_the_event(report: Any, session: Session,
                                                                         org: Organization) -> None:
    case = report(ELECTION)
    assert case.open == ["review_approval"]  # the sponsor's opinion came with the report
    [task] = case.case.open_tasks()
    assert task.candidate_group == "reviewer" and task.region_code == REGION
    assert task.due_at is not None and clock.as_utc(task.due_at) == clock.as_utc(end_of(10, 16))  # 10wd
    case.do("review_approval", {"decision": "approve", "opinion": "同意按期换届。"})

    reply = case.document("approval_reply")
    assert re.fullmatch(r"〔2026〕\d+号", reply.number)
    assert APPLICANT_ORG["name"] in reply.html and "同意你单位按所报方案于2026年12月15日开展该事项" in reply.html
    assert "同意按期换届。" in reply.html and "逾期报告" not in reply.html
    assert case.open == [] and case.next_timer == at(12, 15, 18)

    finish_on_time(case, at(12, 15))
    # a 换届 held: the registration authority registers the change (社团条例 art 18) on the registry
    assert case.open == ["register_change"]
    [task] = case.case.open_tasks()
    assert task.candidate_group == "window" and task.region_code == REGION
    case.do("register_change", {"legal_representative": "李明", "opinion": "准予变更登记。",
                                "change_summary": "第三届理事会选举产生，法定代表人由王雪梅变更为李明。"})
    session.refresh(org)
    assert org.legal_representative == "李明"
    assert (org.flags["change_on"], org.flags["change_case"]) == ("2026-12-15", case.case.id)
    assert case.notes()["registry_change"] == "变更登记：第三届理事会选举产生，法定代表人由王雪梅变更为李明。"
    assert case.status is InstanceStatus.COMPLETED and case.ended_at() == "end_closed"
    assert case.kinds() == ["major_event/approval_reply"]
    assert case.vars["held"] is True


def test_charter_amendment_held_is_approved_on_the_registry(report: Any, session: Session,
                                                            org: Organization) -> None:
    org.charter_party_clause = False
    session.commit()
    case = report(ELECTION, event_type="charter_amendment", event_title="修改章程（增加党的建设内容）",
                  event_date="2026-11-10")
    case.do("review_approval", {"decision": "approve", "opinion": "同意修改章程。"})
    finish_on_time(case, at(11, 10))
    case.do("register_change", {"charter_party_clause": True, "opinion": "予以核准。",
                                "change_summary": "章程第五条增加党的建设内容。"})
    session.refresh(org)
    assert org.charter_party_clause is True and org.legal_representative == "王雪梅"
    assert org.flags["charter_approved_on"] == "2026-11-10"
    assert case.notes()["registry_charter"] == "章程核准：章程第五条增加党的建设内容。"
    assert case.status is InstanceStatus.COMPLETED


def test_an_event_that_changes_nothing_registered_closes_without_a_registry_step(report: Any) -> None:
    case = report(COMMENDATION)
    case.do("review_approval", {"decision": "approve", "opinion": "建议同意。"})
    case.do("supervisor_signoff", {"decision": "approve", "opinion": "同意。"}, actor="supervisor_cc")
    finish_on_time(case, at(11, 4))
    assert case.open == [] and case.status is InstanceStatus.COMPLETED

def test_reviewer_asks_for_more_material_then_disapproves(report: Any, session: Session, org: Organization) -> None:
    case = report(ELECTION)
    case.do("review_approval", {"decision": "supplement", "opinion": "材料不全。",
                                "supplement_items": "候选人名单及其简历；换届选举办法草案。"})
    notice = case.document("supplement_notice")
    assert notice.number is None and "候选人名单及其简历" in notice.html
    assert case.open == ["supplement"]

    case.do("supplement", {"supplement_description": "已上传候选人名单、简历和选举办法草案。"}, actor="applicant")
    assert case.open == ["review_approval"]
    case.do("review_approval", {"decision": "reject", "opinion": "候选人不符合章程规定的任职条件。"})

    refusal = case.document("disapproval_notice")
    assert "不同意你单位开展该事项" in refusal.html and "候选人不符合章程规定的任职条件" in refusal.html
    assert "行政复议" in refusal.html
    assert case.status is InstanceStatus.COMPLETED and case.ended_at() == "end_closed"
    assert case.kinds() == ["major_event/supplement_notice", "major_event/disapproval_notice"]
    session.refresh(org)
    assert "major_event_unreported" not in org.flags


def test_high_risk_commendation_needs_the_supervisors_sign_off(report: Any) -> None:
    case = report(COMMENDATION)
    assert case.vars["risk"] == "high"
    case.do("review_approval", {"decision": "approve", "opinion": "评选办法合规，建议同意。"})
    assert case.open == ["supervisor_signoff"]
    assert case.kinds() == []  # nothing is issued before the sign-off
    [task] = case.case.open_tasks()
    assert task.candidate_group == "supervisor" and task.region_code == REGION

    case.do("supervisor_signoff", {"decision": "approve", "opinion": "同意，注意不得收费。"}, actor="supervisor_cc")
    reply = case.document("approval_reply")
    assert "高风险事项" in reply.html and "同意，注意不得收费。" in reply.html
    assert case.open == [] and case.next_timer == at(11, 4, 18)
    assert ("complete", "高风险事项审签") in case.case.history()


def test_supervisor_sends_a_high_risk_approval_back_then_refuses_it(report: Any) -> None:
    # a large gathering: 报批, high risk, with the 业务主管单位's opinion
    case = report(FESTIVAL, participants=5000, event_title="万人冰雪嘉年华", sponsor_name="长春市文化广电和旅游局",
                  sponsor_opinion="原则同意，须落实安保方案。", safety_permit_no="长公（治）许〔2026〕15号")
    assert (case.vars["event_class"], case.vars["risk"]) == ("approval", "high")
    case.do("review_approval", {"decision": "approve", "opinion": "建议同意。"})
    case.do("supervisor_signoff", {"decision": "return", "opinion": "安保方案未审查，退回重审。"}, actor="supervisor_cc")
    assert case.open == ["review_approval"]
    case.do("review_approval", {"decision": "approve", "opinion": "安保方案已审查，建议同意。"})
    assert case.open == ["supervisor_signoff"]
    case.do("supervisor_signoff", {"decision": "reject", "opinion": "场地容量不足，不同意举办。"}, actor="supervisor_cc")

    refusal = case.document("disapproval_notice")
    assert "场地容量不足" in refusal.html
    assert case.kinds() == ["major_event/disapproval_notice"]
    assert case.status is InstanceStatus.COMPLETED and case.ended_at() == "end_closed"


def test_late_report_that_is_refused_can_lead_to_an_interview(report: Any) -> None:
    case = report(ELECTION, event_type="leader_change", event_title="变更法定代表人", event_date="2026-10-28")
    assert case.vars["late_report"] is True  # 30 days given, 60 required
    case.do("review_approval", {"decision": "reject", "opinion": "未按规定提前报告，且未履行民主程序。"})
    assert case.open == ["decide_interview"]
    case.do("decide_interview", {"decision": "interview", "opinion": "逾期报告，约谈负责人。",
                                 "interview_date": "2026-10-15", "interview_place": "长春市民政局301会议室"})
    notice = case.document("interview_notice")
    assert re.fullmatch(r"〔2026〕\d+号", notice.number)
    assert "未按规定提前报告：距事项日期仅30天报告，应提前60天" in notice.html
    assert "2026年10月15日到长春市民政局301会议室接受约谈" in notice.html
    assert "催报" not in notice.html
    assert case.open == ["interview"]

    case.do("interview", {"interviewee": "王雪梅（会长）", "interview_record": "负责人说明了逾期原因，承诺整改。",
                          "opinion": "予以批评教育，责令完善重大事项报告制度。"})
    assert case.notes()["interviewed"] == "已约谈王雪梅（会长）：予以批评教育，责令完善重大事项报告制度。"
    assert case.status is InstanceStatus.COMPLETED and case.ended_at() == "end_interviewed"
    assert case.kinds() == ["major_event/disapproval_notice", "major_event/interview_notice"]


# -- 报备 -------------------------------------------------------------------------------------------


def test_filing_without_objection_is_recorded_and_closes_after_a_timely_outcome_report(report: Any) -> None:
    case = report(FESTIVAL)
    assert case.open == ["review_filing"]
    [task] = case.case.open_tasks()
    assert clock.as_utc(task.due_at) == clock.as_utc(end_of(10, 23))
    assert case.next_timer == end_of(10, 23)  # the objection window
    case.do("review_filing", {"decision": "no_objection", "opinion": "活动方案完整，无异议。"})

    receipt = case.document("filing_receipt")
    assert re.fullmatch(r"〔2026〕\d+号", receipt.number)
    assert "经审查，本机关无异议，予以备案" in receipt.html and "视为无异议" not in receipt.html
    assert case.next_timer == at(11, 20, 18)

    case.move(at(11, 20, 17, 59))
    assert case.open == []  # not before the evening of the event day
    finish_on_time(case, at(11, 20))
    assert case.status is InstanceStatus.COMPLETED and case.ended_at() == "end_closed"
    assert case.messages() == []


def test_filing_for_an_event_inside_the_fifteen_working_days_is_late_and_never_deemed_accepted(
        report: Any) -> None:
    # Reported Monday 09-28 for Friday 10-16: 18 calendar days, but only 9 working days (10-01…10-07 off,
    # Saturday 10-10 worked); the 15 working days of review would end on 10-23, a week after the event.
    case = report(FESTIVAL, event_date="2026-10-16")
    assert (case.vars["lead_days_given"], case.vars["late_report"]) == (9, True)
    assert case.notes()["report_recorded"].endswith("提前9个工作日（应提前15个工作日），逾期报告")
    assert case.next_timer == at(10, 16, 0)  # the event day closes the review
    case.move(at(10, 15, 23, 59))
    assert case.open == ["review_filing"]
    case.move(at(10, 16, 0, 1))
    assert case.open == []
    assert case.notes()["review_overtaken"] == \
        "报备距事项日期不足15个工作日，审查期届满前事项已到举办日（2026-10-16），未予备案，不视为无异议"
    case.move(at(10, 16, 18, 1))
    assert case.open == ["outcome_report"]  # the evening of the event: no review is open any more
    case.do("outcome_report", ON_TIME_OUTCOME, actor="applicant")
    assert case.open == ["decide_interview"]  # a late report
    case.move(at(10, 24, 0, 1))
    assert "deemed_accepted" not in case.notes() and case.vars["deemed_accepted"] is None
    assert case.kinds() == [] and case.messages() == []


def test_filing_window_runs_from_the_report_not_from_the_review_task(report: Any, sponsored: Organization) -> None:
    case = report(FESTIVAL, sponsored, event_type="forum", event_title="长春软件产业发展论坛")
    assert case.open == ["provide_sponsor_opinion"]  # a forum needs the sponsor's opinion
    case.move(at(10, 12, 9))
    case.do("provide_sponsor_opinion", {"sponsor_name": sponsored.sponsor_unit, "sponsor_opinion": "同意举办。"},
            actor="applicant")
    assert case.open == ["review_filing"]
    assert case.next_timer == end_of(10, 23)  # 15 working days from the receipt (09-28), not from 10-12
    case.move(at(10, 24, 0, 1))
    assert case.notes()["deemed_accepted"] == "报备之日起15个工作日内未提出异议，视为无异议"


def test_silent_filing_review_is_deemed_no_objection_after_fifteen_working_days(report: Any, org: Organization,
                                                                                session: Session) -> None:
    case = report(FESTIVAL)
    case.move(at(10, 23, 23, 59))
    assert case.open == ["review_filing"]  # the 15th working day (10-01…10-07 off, 10-10 worked) is not over
    case.move(at(10, 24, 0, 1))
    assert case.open == []
    assert case.notes()["deemed_accepted"] == "报备之日起15个工作日内未提出异议，视为无异议"
    [message] = case.messages()
    assert message.recipient.startswith("supervisor_cc@")
    assert "期满未处理" in message.subject and "视为无异议" in message.body
    receipt = case.document("filing_receipt")
    assert "15个工作日内未提出异议，视为无异议，予以备案" in receipt.html
    assert case.next_timer == at(11, 20, 18)

    finish_on_time(case, at(11, 20))
    assert case.status is InstanceStatus.COMPLETED and case.ended_at() == "end_closed"


def test_objection_to_adjust_moves_the_outcome_report_to_the_adjusted_date(report: Any) -> None:
    case = report(FESTIVAL)
    case.do("review_filing", {"decision": "object", "opinion": "场地安全评估未完成。", "objection_action": "adjust",
                              "objection_reasons": "请缩小规模并补充场地安全评估后再行举办。"})
    notice = case.document("objection_notice")
    assert re.fullmatch(r"〔2026〕\d+号", notice.number)
    assert "请缩小规模并补充场地安全评估" in notice.html and "调整方案后再行举办" in notice.html
    assert case.open == ["confirm_objection"]

    case.do("confirm_objection", {"response": "adjust", "adjustment": "规模缩小至150人，已完成场地安全评估。",
                                  "adjusted_event_date": "2026-11-27"}, actor="applicant")
    assert case.notes()["event_adjusted"] == "社会组织按异议调整后举办：规模缩小至150人，已完成场地安全评估。"
    assert case.vars["event_date"] == "2026-11-27"
    assert case.next_timer == at(11, 27, 18)
    finish_on_time(case, at(11, 27))
    assert case.status is InstanceStatus.COMPLETED and case.ended_at() == "end_closed"
    assert case.kinds() == ["major_event/objection_notice"]


def test_objection_to_stop_ends_the_case_without_an_outcome_report(report: Any) -> None:
    case = report(FESTIVAL)
    case.do("review_filing", {"decision": "object", "opinion": "与重大活动安保冲突。", "objection_action": "stop",
                              "objection_reasons": "同期有重大活动安保任务，不宜举办。"})
    assert "请你单位停止举办该事项" in case.document("objection_notice").html
    case.do("confirm_objection", {"response": "stop"}, actor="applicant")
    assert case.notes()["event_stopped"] == "社会组织停止举办：2026长春软件产业冬季嘉年华"
    assert case.status is InstanceStatus.COMPLETED and case.ended_at() == "end_closed"


def test_organization_told_to_adjust_may_stop_instead(report: Any) -> None:
    case = report(FESTIVAL)
    case.do("review_filing", {"decision": "object", "opinion": "需调整。", "objection_action": "adjust",
                              "objection_reasons": "请调整活动时间。"})
    case.do("confirm_objection", {"response": "stop"}, actor="applicant")
    assert "event_stopped" in case.notes() and "event_adjusted" not in case.notes()
    assert case.status is InstanceStatus.COMPLETED


def test_organization_told_to_stop_cannot_go_ahead_by_answering_adjust(report: Any) -> None:
    case = report(FESTIVAL)
    case.do("review_filing", {"decision": "object", "opinion": "不宜举办。", "objection_action": "stop",
                              "objection_reasons": "场地未经消防验收。"})
    case.do("confirm_objection", {"response": "adjust", "adjustment": "更换场地。"}, actor="applicant")
    assert "event_stopped" in case.notes() and "event_adjusted" not in case.notes()
    assert case.status is InstanceStatus.COMPLETED and case.ended_at() == "end_closed"


def test_late_filing_that_is_stopped_goes_to_the_interview_decision(report: Any) -> None:
    case = report(FESTIVAL, event_date="2026-10-09")  # 11 days ahead; 15 required
    assert case.vars["late_report"] is True
    case.do("review_filing", {"decision": "object", "opinion": "报备过晚。", "objection_action": "stop",
                              "objection_reasons": "报备时间不足，无法完成审查。"})
    case.do("confirm_objection", {"response": "stop"}, actor="applicant")
    assert case.open == ["decide_interview"]
    case.do("decide_interview", {"decision": "no_interview", "opinion": "已主动停止，批评提醒即可。"})
    assert case.status is InstanceStatus.COMPLETED and case.ended_at() == "end_no_interview"
    assert case.kinds() == ["major_event/objection_notice"]


# -- 即时报告 ---------------------------------------------------------------------------------------


def test_emergency_is_acknowledged_by_the_window_within_one_working_day(report: Any) -> None:
    case = report(EMERGENCY)
    assert (case.vars["event_class"], case.vars["late_report"]) == ("immediate", False)
    assert case.open == ["acknowledge"]
    [task] = case.case.open_tasks()
    assert task.candidate_group == "window" and clock.as_utc(task.due_at) == clock.as_utc(end_of(9, 29))
    case.move(at(9, 28, 15))
    case.do("acknowledge", {"decision": "acknowledge", "opinion": "已签收，请做好档案修复。"})
    assert case.open == [] and case.next_timer == at(9, 28, 18)

    case.move(at(9, 28, 18, 1))
    assert case.open == ["outcome_report"]
    [task] = case.case.open_tasks()
    assert clock.as_utc(task.due_at) == clock.as_utc(end_of(10, 16))  # 10 working days after the event
    case.do("outcome_report", {"held": True, "actual_participants": 0, "actual_amount": 15000,
                               "outcome_summary": "水管已修复，受潮档案已烘干复原。"}, actor="applicant")
    assert case.status is InstanceStatus.COMPLETED and case.ended_at() == "end_closed"
    assert case.kinds() == []


def test_window_may_open_a_follow_up_on_an_emergency_reported_late(report: Any) -> None:
    case = report(EMERGENCY, event_date="2026-09-26")  # two days after it happened
    assert case.vars["late_report"] is True and case.vars["lead_days_given"] == -2
    case.do("acknowledge", {"decision": "follow_up", "opinion": "报告不及时，需跟踪。",
                            "follow_up_instructions": "核实损失并督促落实档案安全措施。"})
    assert case.open == ["follow_up"]
    case.do("follow_up", {"follow_up_record": "电话核实损失约1.2万元，已更换水管并将档案移至防潮柜。"})
    # the event day is long past: the outcome report opens at once
    assert case.open == ["outcome_report"]
    case.do("outcome_report", {"held": True, "actual_participants": 0, "actual_amount": 12000,
                               "outcome_summary": "已处置完毕。"}, actor="applicant")
    assert case.open == ["decide_interview"]
    case.do("decide_interview", {"decision": "no_interview", "opinion": "已及时处置，不约谈。"})
    assert case.status is InstanceStatus.COMPLETED and case.ended_at() == "end_no_interview"


# -- the outcome report --------------------------------------------------------------------------


def filed_festival(report: Any) -> Report:
    """A filed festival waiting for its outcome report (the event day, 11-20, has come)."""
    case = report(FESTIVAL)
    case.do("review_filing", {"decision": "no_objection", "opinion": "无异议。"})
    case.move(at(11, 20, 18, 1))
    assert case.open == ["outcome_report"]
    return case


def test_overdue_outcome_report_reminds_and_a_late_report_can_lead_to_an_interview(report: Any) -> None:
    case = filed_festival(report)
    case.move(at(12, 4, 23, 59))
    assert case.open == ["outcome_report"]  # the 10th working day after the event is not over
    case.move(at(12, 5, 9))
    assert case.open == ["outcome_report_late"]
    [reminder] = case.messages()
    assert reminder.recipient.startswith("applicant@") and "请补报重大事项结果" in reminder.subject
    [task] = case.case.open_tasks()
    assert clock.as_utc(task.due_at) == clock.as_utc(end_of(12, 11))  # 5 working days from Saturday 12-05

    case.move(at(12, 9))
    case.do("outcome_report_late", ON_TIME_OUTCOME, actor="applicant")
    assert case.notes()["outcome_late"] == "经催报后补报结果（逾期）：2026长春软件产业冬季嘉年华"
    assert case.open == ["decide_interview"]
    case.do("decide_interview", {"decision": "interview", "opinion": "逾期报告结果，约谈提醒。",
                                 "interview_date": "2026-12-16", "interview_place": "长春市民政局"})
    notice = case.document("interview_notice")
    assert "经催报后逾期补报" in notice.html and "未按规定提前报告" not in notice.html
    case.do("interview", {"interviewee": "王雪梅（会长）", "interview_record": "已说明原因。", "opinion": "提醒教育。"})
    assert case.status is InstanceStatus.COMPLETED and case.ended_at() == "end_interviewed"


def test_outcome_never_reported_is_recorded_on_the_organization(report: Any, session: Session,
                                                                org: Organization) -> None:
    case = filed_festival(report)
    case.move(at(12, 5, 9))
    case.move(at(12, 11, 23, 59))
    assert case.open == ["outcome_report_late"]
    session.refresh(org)
    assert "major_event_unreported" not in org.flags
    case.move(at(12, 12, 0, 1))

    session.refresh(org)
    assert org.flags["major_event_unreported"] is True
    assert org.flags["major_event_unreported_detail"] == "未按规定报告：2026长春软件产业冬季嘉年华（2026-11-20）"
    assert case.notes()["outcome_unreported"] == "催报后仍未报告结果，已记录为未按规定报告：2026长春软件产业冬季嘉年华"
    assert case.open == ["decide_interview"]
    case.do("decide_interview", {"decision": "interview", "opinion": "未按规定报告，约谈负责人。",
                                 "interview_date": "2026-12-18", "interview_place": "长春市民政局"})
    notice = case.document("interview_notice")
    assert "经催报仍未报告结果，已记录为未按规定报告" in notice.html
    assert case.open == ["interview"]


def test_unreported_outcome_may_be_closed_without_an_interview(report: Any) -> None:
    case = filed_festival(report)
    case.move(at(12, 5, 9))
    case.move(at(12, 12, 9))
    case.do("decide_interview", {"decision": "no_interview", "opinion": "活动已取消，记录在案。"})
    assert case.status is InstanceStatus.COMPLETED and case.ended_at() == "end_no_interview"
    assert case.kinds() == ["major_event/filing_receipt"]


def test_every_decision_records_its_opinion_in_the_history(report: Any, session: Session) -> None:
    case = report(COMMENDATION)
    case.do("review_approval", {"decision": "approve", "opinion": "建议同意。"})
    case.do("supervisor_signoff", {"decision": "approve", "opinion": "同意。"}, actor="supervisor_cc")
    opinions = [(e.task_name, e.opinion) for e in audit.history(session, case.case.id) if e.action == "complete"]
    assert opinions[1:] == [("审核报批事项", "建议同意。"), ("高风险事项审签", "同意。")]


def test_documents_name_the_organization_and_the_authority(report: Any) -> None:
    case = report(ELECTION)
    case.do("review_approval", {"decision": "approve", "opinion": OPINION})
    html = case.document("approval_reply").html
    assert "长春市民政局" in html and "长春市软件行业协会：" in html
    assert case.case.instance.business_key in html


def test_bpmn_names_no_file_outside_this_process() -> None:
    text = BPMN_FILE.read_text(encoding="utf-8")
    forms = set(re.findall(r'value="(major_event_\w+\.json)"', text))
    assert forms == {p.name for p in FORMS.glob("major_event_*.json")}


# -- what a form may change (the trust boundary) -----------------------------------------------------


def _submit_as(session: Session, username: str, case: Report, task: str, data: dict[str, Any]) -> Any:
    """Submit ``data`` to the open task ``task`` as ``username`` would through the API or a page."""
    user = session.scalars(select(User).where(User.username == username)).one()
    return task_service().complete(user, case.case.task(task).id, data, data.get("opinion"))


def test_an_organization_cannot_reclassify_its_report_through_the_sponsor_opinion_form(
        report: Any, session: Session, org: Organization) -> None:
    org.sponsor_unit = "长春市工业和信息化局"  # the demo applicant's own organization, given a sponsor for this test
    session.commit()
    case = report(ELECTION, sponsor_name="", sponsor_opinion="")
    before = {k: case.vars[k] for k in ("event_class", "late_report")}
    with pytest.raises(FormInvalid) as refused:
        _submit_as(session, "applicant", case, "provide_sponsor_opinion", {
            "sponsor_name": "长春市工业和信息化局", "sponsor_opinion": "同意换届。",
            "sponsor_document_no": "长工信函〔2026〕8号", "event_class": "filing", "late_report": False})
    assert set(refused.value.details["fields"]) == {"event_class", "late_report"}
    session.rollback()
    assert case.open == ["provide_sponsor_opinion"]
    assert {k: case.vars[k] for k in ("event_class", "late_report")} == before == \
        {"event_class": "approval", "late_report": before["late_report"]}


def test_an_organization_cannot_override_a_stop_order_when_confirming_it(report: Any, session: Session) -> None:
    case = report(FESTIVAL)
    case.do("review_filing", {"decision": "object", "opinion": "与重大活动安保冲突。", "objection_action": "stop",
                              "objection_reasons": "同期有重大活动安保任务，不宜举办。"})
    with pytest.raises(FormInvalid) as refused:
        _submit_as(session, "applicant", case, "confirm_objection", {
            "response": "adjust", "objection_action": "adjust", "adjustment": "照常举办。",
            "adjusted_event_date": "2026-11-27", "org_name": "改过名的协会"})
    assert set(refused.value.details["fields"]) == {"objection_action", "org_name"}
    session.rollback()
    assert case.vars["objection_action"] == "stop" and "改过名的协会" not in case.vars.values()
    assert case.open == ["confirm_objection"]


# -- large gatherings and commendations --------------------------------------------------------------


def test_a_gathering_of_a_thousand_asks_for_the_public_security_permit(report: Any) -> None:
    case = report(FESTIVAL, participants=1000, event_title="千人冰雪嘉年华", sponsor_opinion="同意。")
    assert (case.vars["event_class"], case.vars["needs_safety_permit"]) == ("approval", True)
    assert case.vars["safety_permit_level"] == "县级人民政府公安机关"
    assert case.open == ["provide_safety_permit"]
    [task] = case.case.open_tasks()
    assert task.candidate_group == "applicant"
    case.do("provide_safety_permit", {"safety_permit_no": "长公（治）许〔2026〕15号",
                                      "safety_permit_authority": "长春市公安局朝阳区分局",
                                      "safety_permit_files": ["permit"]}, actor="applicant")
    assert case.open == ["review_approval"]
    case.do("review_approval", {"decision": "approve", "opinion": "安保方案已审查，建议同意。"})
    case.do("supervisor_signoff", {"decision": "approve", "opinion": "同意。"}, actor="supervisor_cc")
    assert "已取得公安机关安全许可（长公（治）许〔2026〕15号）" in case.document("approval_reply").html


def test_a_gathering_below_a_thousand_needs_no_permit(report: Any) -> None:
    case = report(FESTIVAL, participants=999)
    assert (case.vars["event_class"], case.vars["needs_safety_permit"]) == ("filing", False)
    assert case.open == ["review_filing"]


def test_a_commendation_must_name_its_approved_project() -> None:
    validator = Draft202012Validator(form_schema("major_event_report.json"), format_checker=FormatChecker())
    assert validator.is_valid(COMMENDATION)
    without = {k: v for k, v in COMMENDATION.items() if k != "commendation_approval_ref"}
    assert [e.message for e in validator.iter_errors(without)] == ["'commendation_approval_ref' is a required property"]
    assert validator.is_valid(FESTIVAL)


def test_the_reply_to_a_commendation_cites_its_approved_project(report: Any) -> None:
    case = report(COMMENDATION)
    case.do("review_approval", {"decision": "approve", "opinion": "建议同意。"})
    case.do("supervisor_signoff", {"decision": "approve", "opinion": "同意。"}, actor="supervisor_cc")
    assert "依据吉林省评比达标表彰保留项目目录第12项开展" in case.document("approval_reply").html
