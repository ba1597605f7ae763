"""The cases the scale run drives: which process, which path, and the form data of every step.

A scenario names the process, who starts and watches the case, the data each user task gets
(by BPMN id), the tasks left alone for a timer to end, and the paths (sequences of completed
tasks) the case may take — two where a timer races a person on purpose. Data mirrors
bench/seed.py and tests/processes/test_*.py; every value passes the task's JSON Schema form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Shanghai")
ALL_MATERIALS = ["application_form", "charter_draft", "capital_verification", "residence_proof", "officers_info",
                 "founders_list"]
OUTCOME = {"held": True, "actual_participants": 120, "actual_amount": 30000,
           "outcome_summary": "活动按计划举办，秩序良好，无安全事故。"}

# (lane, region) → the demo user who works it (API.md's demo users; applicants by organization).
LANE_USERS = {
    ("window", "220100"): "window_cc", ("reviewer", "220100"): "reviewer_cc",
    ("approver", "220100"): "approver_cc", ("supervisor", "220100"): "supervisor_cc",
    ("window", "220000"): "window_prov", ("reviewer", "220000"): "reviewer_prov",
    ("approver", "220000"): "approver_prov", ("supervisor", "220000"): "supervisor_prov",
    ("party_officer", "220000"): "party_officer", ("party_committee", "220000"): "party_committee",
    ("inspector", "220000"): "inspector",
}


def user_for(candidate_group: str | None, region: str | None) -> str | None:
    """The demo user for a task of ``candidate_group`` in ``region`` (None: no demo user can work it)."""
    if candidate_group == "applicant":
        return "applicant"
    return LANE_USERS.get((candidate_group or "", region or ""))


def local_today() -> date:
    """Today in Beijing (dates in forms are local)."""
    return datetime.now(LOCAL).date()


@dataclass
class Ctx:
    """What a data builder may use: the case number, its variables, and how often each task was done."""

    n: int
    variables: dict[str, Any]
    done: dict[str, int]  # BPMN id → completions that succeeded so far (a failed attempt counts nothing)
    event_date: date


Data = Callable[[Ctx], dict[str, Any]]


def fixed(data: dict[str, Any]) -> Data:
    """A builder that always answers ``data``."""
    return lambda _ctx: dict(data)


@dataclass
class Scenario:
    """One kind of case: its process, its starter and watcher, its step data and its possible paths."""

    name: str
    process_key: str
    starter: str
    steps: dict[str, Data]
    paths: list[list[str]]
    start_region: str | None = None
    leave_for_timer: frozenset[str] = frozenset()
    required_audit: frozenset[str] = frozenset()
    spawns: str | None = None  # a scenario for the case this one starts (registration → party_building)
    organization: str | None = None  # "applicant" (the applicant's organization) or "province" (a 220000 one)
    start_variables: Data = field(default=fixed({}))

    @property
    def watcher(self) -> str:
        """Who reads the case's state (its starter sees it)."""
        return self.starter


# -- registration ---------------------------------------------------------------------------------


def application(region: str, party_org: bool) -> Data:
    """The application form of case ``n`` (unique name: the registry refuses two of a name per authority)."""
    def build(ctx: Ctx) -> dict[str, Any]:
        place = "吉林省" if region == "220000" else "长春市"
        data: dict[str, Any] = {
            "org_name": f"{place}规模测试第{ctx.n}号科技学会", "org_type": "social_group", "category": "科技类",
            "is_remote_chamber": False, "region_code": region,
            "residence": f"吉林省长春市南关区人民大街{ctx.n}号", "legal_representative": "李明",
            "founders": [{"name": "李明", "founder_kind": "individual"}, {"name": "吉林大学", "founder_kind": "unit"}],
            "party_members": 3 + ctx.n % 6, "party_org_formed": party_org, "registered_funds": 50000,
            "charter_party_clause": True, "materials": ALL_MATERIALS, "contact_phone": "0431-88886666",
        }
        if party_org:
            data["party_org_kind"] = "single"
        return data
    return build


ACK = fixed({"acknowledged": True, "signatory": "李明"})
ACCEPT = fixed({"decision": "accept", "opinion": "材料齐全，符合法定形式，予以受理。"})
REVIEW_PASS = fixed({"decision": "approve", "opinion": "经审查，符合规定。", "materials_verified": True,
                     "charter_has_party_clause": True, "site_check": False})
REVIEW_REJECT = fixed({"decision": "reject", "opinion": "拟任负责人不符合任职条件，建议不予登记。",
                       "materials_verified": True, "charter_has_party_clause": True, "site_check": False})
APPROVE = fixed({"decision": "approve", "opinion": "同意登记。"})
REFUSE = fixed({"decision": "reject", "opinion": "不予登记。",
                "refusal_reasons": "拟任法定代表人不符合《社会团体登记管理条例》规定的任职条件。"})
INCOMPLETE = fixed({"decision": "incomplete", "opinion": "材料不齐全，一次性告知补正。", "missing_items": ["验资报告"]})
OUT_OF_SCOPE = fixed({"decision": "out_of_scope", "opinion": "不予受理。",
                      "not_accepted_reason": "拟在全国范围内开展活动，应当向国务院民政部门申请登记。"})
CORRECT = fixed({"materials": ALL_MATERIALS, "correction_note": "已补交验资报告。"})


def deliver(_ctx: Ctx) -> dict[str, Any]:
    """Certificate handed over today."""
    return {"delivery_method": "in_person", "delivered_on": local_today().isoformat(), "recipient": "李明"}


GRANTED = ["apply", "acknowledge", "accept", "review", "approve", "deliver_certificate"]


def registration(name: str, region: str, *, party_org: bool, accept: Data = ACCEPT, review: Data = REVIEW_PASS,
                 approve: Data = APPROVE, paths: list[list[str]] | None = None, **extra: Any) -> Scenario:
    """A registration case applied for by the demo applicant at ``region``'s authority."""
    steps = {"apply": application(region, party_org), "acknowledge": ACK, "accept": accept, "review": review,
             "approve": approve, "deliver_certificate": deliver, "correct": CORRECT}
    return Scenario(name, "registration", "applicant", steps, paths or [GRANTED], **extra)


def accept_after_correction(ctx: Ctx) -> dict[str, Any]:
    """First 受理: incomplete; after the correction: accepted."""
    return (INCOMPLETE if ctx.done.get("accept", 0) == 0 else ACCEPT)(ctx)


# -- party_building -------------------------------------------------------------------------------


def survey(ctx: Ctx) -> dict[str, Any]:
    """摸排: enough members for a branch of its own, the charter already has the clause."""
    return {"organization_name": ctx.variables.get("organization_name") or f"规模测试第{ctx.n}号社会组织",
            "party_members": max(3, int(ctx.variables.get("party_members") or 8)), "staff_count": 25,
            "charter_party_clause": True, "temporary_body": False}


PLAN_SINGLE = fixed({"branch_name": "中共规模测试社会组织支部委员会", "secretary_candidate": "李冬"})


def committee(returns: int) -> Data:
    """The committee sends the plan back ``returns`` times, then approves."""
    def build(ctx: Ctx) -> dict[str, Any]:
        if ctx.done.get("committee_review", 0) < returns:
            return {"decision": "return", "opinion": "党员人数需重新核实。"}
        return {"decision": "approve", "opinion": "同意组建。"}
    return build


PARTY_STEPS = {"survey": survey, "plan_single": PLAN_SINGLE}
PARTY_PATH = ["survey", "plan_single", "committee_review"]


def party_building(name: str, returns: int = 0, starter: str = "party_officer", **extra: Any) -> Scenario:
    """A party_building case at the province, driven by party_officer and party_committee."""
    return Scenario(name, "party_building", starter, {**PARTY_STEPS, "committee_review": committee(returns)},
                    [PARTY_PATH * (returns + 1)], **extra)


def manual_party_variables(ctx: Ctx) -> dict[str, Any]:
    """What party_officer passes when starting a case by hand."""
    return {"source": "manual", "party_members": 7 + ctx.n % 3, "charter_party_clause": True,
            "organization_name": f"吉林省规模测试第{ctx.n}号协会"}


SPAWNED_PARTY = party_building("party_from_registration")

# -- major_event ----------------------------------------------------------------------------------


def report(event_type: str, *, sponsor: bool, participants: int = 300, today: bool = False) -> Data:
    """The organization's report; planned on the run's event date (or today, for an emergency)."""
    def build(ctx: Ctx) -> dict[str, Any]:
        day = local_today() if today else ctx.event_date
        data: dict[str, Any] = {
            "event_type": event_type, "event_title": f"规模测试重大事项第{ctx.n}号", "event_date": day.isoformat(),
            "venue": "长春国际会展中心", "participants": participants, "amount": 20000,
            "description": "面向会员单位的年度活动，已制定安全预案和经费预算。", "contact_person": "王雪梅",
            "contact_phone": "13804310000",
        }
        if sponsor:
            data.update(sponsor_name="长春市工业和信息化局", sponsor_opinion="同意开展。")
        return data
    return build


EVENT_STEPS: dict[str, Data] = {
    "outcome_report": fixed(OUTCOME), "outcome_report_late": fixed(OUTCOME),
    "decide_interview": fixed({"decision": "no_interview", "opinion": "已说明情况，不约谈。"}),
    "provide_sponsor_opinion": fixed({"sponsor_name": "长春市工业和信息化局", "sponsor_opinion": "同意开展。"}),
    "acknowledge": fixed({"decision": "acknowledge", "opinion": "已签收，请做好处置。"}),
}


def major_event(name: str, steps: dict[str, Data], paths: list[list[str]]) -> Scenario:
    """A major-event report of the applicant's organization (长春市: window_cc, reviewer_cc, supervisor_cc)."""
    return Scenario(name, "major_event", "applicant", {**EVENT_STEPS, **steps}, paths)


# -- zombie_cleanup -------------------------------------------------------------------------------

VERIFY = {
    "contact_attempts": "电话联系法定代表人，已接通。", "site_visited": True, "site_visit_notes": "住所地有工作人员在岗。",
    "no_annual_report_2y": False, "inactive_after_registration": False, "inactive_since_2019": False,
    "unreachable": False, "governance_deadlock": False, "reachable": True, "willing_to_dissolve": False,
    "is_charity": False, "findings": "经核查，情况属实。",
}


def zombie(name: str, steps: dict[str, Data], paths: list[list[str]], organization: str) -> Scenario:
    """A cleanup case opened by the province's inspector (its lanes: inspector, supervisor_prov, the org)."""
    return Scenario(name, "zombie_cleanup", "inspector", steps, paths, start_region="220000",
                    organization=organization)


# -- the mix --------------------------------------------------------------------------------------

SCENARIOS: list[tuple[Scenario, int]] = [
    (registration("reg_city_granted", "220100", party_org=True), 14),
    (registration("reg_prov_granted_party_case", "220000", party_org=False, spawns="party_from_registration"), 7),
    (registration("reg_city_refused", "220100", party_org=True, review=REVIEW_REJECT, approve=REFUSE,
                  paths=[GRANTED[:5]]), 6),
    (registration("reg_prov_not_accepted", "220000", party_org=True, accept=OUT_OF_SCOPE, paths=[GRANTED[:3]]), 4),
    (registration("reg_city_withdrawn_by_timer", "220100", party_org=True, accept=INCOMPLETE, paths=[GRANTED[:3]],
                  leave_for_timer=frozenset({"correct"}), required_audit=frozenset({"withdrawn"})), 5),
    (registration("reg_city_corrected", "220100", party_org=True, accept=accept_after_correction,
                  paths=[GRANTED[:3] + ["correct"] + GRANTED[2:], GRANTED[:3]]), 5),
    (major_event("event_filing_no_objection",
                 {"report": report("festival", sponsor=False),
                  "review_filing": fixed({"decision": "no_objection", "opinion": "活动方案完整，无异议。"})},
                 [["report", "review_filing", "outcome_report"], ["report", "outcome_report"]]), 10),
    (major_event("event_high_risk_approved",
                 {"report": report("commendation", sponsor=True, participants=60),
                  "review_approval": fixed({"decision": "approve", "opinion": "评选办法合规，建议同意。"}),
                  "supervisor_signoff": fixed({"decision": "approve", "opinion": "同意，注意不得收费。"})},
                 [["report", "review_approval", "supervisor_signoff", "outcome_report"]]), 7),
    (major_event("event_approval_refused",
                 {"report": report("charter_amendment", sponsor=True, participants=80),
                  "review_approval": fixed({"decision": "reject", "opinion": "章程修改内容不符合规定。"})},
                 [["report", "review_approval"]]), 5),
    (major_event("event_emergency",
                 {"report": report("emergency", sponsor=False, participants=0, today=True)},
                 # The event was today: its 10-working-day outcome deadline falls inside the clock's ramp,
                 # so a slow outcome report is reminded (催报), reported late or not at all → 决定约谈.
                 [["report", "acknowledge", "outcome_report"],
                  ["report", "acknowledge", "outcome_report", "decide_interview"],
                  ["report", "acknowledge", "outcome_report_late", "decide_interview"],
                  ["report", "acknowledge", "decide_interview"]]), 5),
    (major_event("event_filing_stopped",
                 {"report": report("festival", sponsor=False),
                  "review_filing": fixed({"decision": "object", "opinion": "与重大活动安保冲突。",
                                          "objection_action": "stop", "objection_reasons": "与重大活动安保冲突。"}),
                  "confirm_objection": fixed({"response": "stop"})},
                 [["report", "review_filing", "confirm_objection"], ["report", "outcome_report"]]), 4),
    (major_event("event_sponsor_opinion_asked",
                 {"report": report("forum", sponsor=False, participants=200),
                  "review_filing": fixed({"decision": "no_objection", "opinion": "无异议。"})},
                 [["report", "provide_sponsor_opinion", "review_filing", "outcome_report"],
                  ["report", "provide_sponsor_opinion", "outcome_report"]]), 4),
    (zombie("zombie_not_a_zombie", {"verify": fixed(VERIFY)}, [["verify"]], organization="province"), 6),
    (zombie("zombie_rectified",
            {"verify": fixed({**VERIFY, "no_annual_report_2y": True}),
             "confirm_measure": fixed({"decision": "confirm", "opinion": "同意核查意见和建议措施。", "rectify_days": 180}),
             "rectify_report": fixed({"rectification_summary": "已补报年度工作报告，恢复开展活动。",
                                      "annual_reports_filed": True, "activities_resumed": True}),
             "recheck": fixed({"decision": "rectified", "opinion": "整改到位，恢复正常。"})},
            [["verify", "confirm_measure", "rectify_report", "recheck"]], organization="applicant"), 4),
    (party_building("party_manual", start_region="220000", organization="province",
                    start_variables=manual_party_variables), 9),
    (party_building("party_manual_returned_once", returns=1, start_region="220000", organization="province",
                    start_variables=manual_party_variables), 5),
]
BY_NAME = {s.name: s for s, _ in SCENARIOS} | {SPAWNED_PARTY.name: SPAWNED_PARTY}


def plan(cases: int) -> list[Scenario]:
    """``cases`` scenarios in the mix's proportions, interleaved (a smooth mix at any moment of the run)."""
    total = sum(w for _, w in SCENARIOS)
    counts = [cases * w // total for _, w in SCENARIOS]
    for i in range(cases - sum(counts)):  # the remainder, to the heaviest first
        counts[sorted(range(len(SCENARIOS)), key=lambda k: -SCENARIOS[k][1])[i % len(SCENARIOS)]] += 1
    slots = sorted(((k + 0.5) / c, i) for i, c in enumerate(counts) for k in range(c))
    return [SCENARIOS[i][0] for _, i in slots]


def event_day(start: date, lead_days: int = 17) -> date:
    """The planned day of the run's major events: beyond every lead time the table asks for (15 days)."""
    return start + timedelta(days=lead_days)
