"""What an organization reads of its own case (workflow_app/instances/disclosure.py): its submissions, the
status, the documents issued to it and the reasons given to it — never staff comments, internal opinions,
internal form data or staff usernames. The same rule on the API, documents and notifications."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from tests.attachments import samples
from tests.web.support import accept, deploy_registration, open_task, registration_at_accept, user
from workflow_app.attachments.service import attachment_service
from workflow_app.db import unit_of_work
from workflow_app.documents.models import Document
from workflow_app.instances import disclosure
from workflow_app.instances.audit import record
from workflow_app.notifications.models import Channel, OutboxMessage
from workflow_app.tasks.service import task_service

URL = "/api/v1/process-instances"
STAFF = ("window_cc", "reviewer_cc", "approver_cc", "supervisor_cc")
OFFICE = "长春市民政局"
COMMENT = "内部批注：请核实法定代表人的背景"
INTERNAL = "内部意见：此人背景可疑，请窗口重新核对住所"
FINDINGS = "实地核查：住所与申报不符，疑似挂靠"
REASON = "章程未载明党建工作内容，请修改章程后重新提交。"


@pytest.fixture
def returned(app, demo, client, auth) -> str:
    """A registration the reviewer sent back to the window (internally), then returned to the organization
    for a charter amendment, with a comment, internal findings and the reason given; its case id."""
    deploy_registration()
    case_id, accept_id = registration_at_accept()
    accept(accept_id)
    review = open_task(case_id, "review")
    assert client.post(f"/api/v1/tasks/{review.id}/comments", json={"text": COMMENT},
                       headers=auth("reviewer_cc")).status_code == 201
    assert client.post(f"/api/v1/tasks/{review.id}/return", json={"opinion": INTERNAL},
                       headers=auth("reviewer_cc")).status_code == 200
    accept(open_task(case_id, "accept").id)
    review = open_task(case_id, "review")
    photo = attachment_service().upload(user("reviewer_cc"), review.id, "site_photos", "现场.png",
                                        io.BytesIO(samples.png()))
    task_service().complete(user("reviewer_cc"), review.id, {
        "decision": "amend_charter", "opinion": REASON, "materials_verified": True,
        "charter_has_party_clause": False, "site_check": True, "site_check_on": "2026-10-12",
        "site_check_findings": FINDINGS, "site_photos": [photo.id]}, None)
    return case_id


def test_the_organization_reads_its_case_without_internal_data_or_staff_names(client, auth, returned):
    response = client.get(f"{URL}/{returned}", headers=auth("applicant"))
    assert response.status_code == 200
    body = response.get_json()
    variables = body["variables"]
    assert variables["org_name"] and variables["legal_representative"] == "李明"  # its own submission
    for internal in ("materials_verified", "site_check", "site_check_findings", "charter_has_party_clause",
                     "decision", "opinion"):
        assert internal not in variables
    assert [t["name"] for t in body["active_tasks"]] == ["amend_charter"]  # the current step, its own
    assert body["started_by"] == "applicant"
    text = json.dumps(body, ensure_ascii=False)
    for secret in (*STAFF, COMMENT, INTERNAL, FINDINGS):
        assert secret not in text
    # Staff read everything.
    staff = client.get(f"{URL}/{returned}", headers=auth("supervisor_cc")).get_json()
    assert staff["variables"]["materials_verified"] is True and staff["variables"]["site_check_findings"] == FINDINGS


def test_the_organization_reads_the_reason_in_a_history_signed_by_the_office(client, auth, returned):
    response = client.get(f"{URL}/{returned}/history?per_page=200", headers=auth("applicant"))
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert {e["actor"] for e in items} <= {"applicant", OFFICE}
    assert OFFICE in {e["actor"] for e in items}
    actions = [e["action"] for e in items]
    assert "comment" not in actions and "claim" not in actions
    assert "return" not in actions  # the reviewer → window return is internal back-and-forth
    [decided] = [e for e in items if e["action"] == "complete" and e["task_name"] == "审查"]
    assert decided["opinion"] == REASON and decided["actor"] == OFFICE
    assert decided["details"]["data"] == {"decision": "amend_charter", "opinion": REASON}
    accepted = [e for e in items if e["action"] == "complete" and e["task_name"] == "受理审查"]
    assert accepted and all(e["opinion"] == "材料齐全，予以受理。" for e in accepted)  # 受理: given to it
    text = json.dumps(response.get_json(), ensure_ascii=False)
    for secret in (*STAFF, COMMENT, INTERNAL, FINDINGS, "materials_verified", "site_check"):
        assert secret not in text
    assert response.get_json()["total"] == len(items)
    paged = client.get(f"{URL}/{returned}/history?per_page=2&page=2", headers=auth("applicant")).get_json()
    assert paged["items"] == items[2:4] and paged["total"] == len(items)
    # Staff read the whole trail.
    staff = client.get(f"{URL}/{returned}/history?per_page=200", headers=auth("supervisor_cc")).get_json()
    staff_text = json.dumps(staff, ensure_ascii=False)
    assert COMMENT in staff_text and INTERNAL in staff_text and "reviewer_cc" in staff_text


def test_a_return_to_the_organizations_own_step_gives_its_reason(client, auth, app, demo):
    deploy_registration()
    case_id, accept_id = registration_at_accept()
    response = client.post(f"/api/v1/tasks/{accept_id}/return",
                           json={"opinion": "请补充发起人身份证明后重新提交。", "to_task": "apply"},
                           headers=auth("window_cc"))
    assert response.status_code == 200, response.get_json()
    items = client.get(f"{URL}/{case_id}/history?per_page=200", headers=auth("applicant")).get_json()["items"]
    [back] = [e for e in items if e["action"] == "return"]
    assert back["opinion"] == "请补充发起人身份证明后重新提交。" and back["actor"] == OFFICE
    assert back["details"] == {"to_name": "apply", "to_title": "填写成立登记申请"}


def test_the_organizations_task_opens_with_its_own_data_only(client, auth, returned):
    amend = open_task(returned, "amend_charter")
    detail = client.get(f"/api/v1/tasks/{amend.id}", headers=auth("applicant")).get_json()
    assert "materials_verified" not in detail["variables"] and "site_check_findings" not in detail["variables"]
    assert detail["variables"]["org_name"]
    assert "charter_party_clause" in detail["variables"]  # a field its form declares


def test_staff_comments_on_the_organizations_task_are_not_shown_to_it(client, auth, returned):
    amend = open_task(returned, "amend_charter")
    assert client.post(f"/api/v1/tasks/{amend.id}/comments", json={"text": "监督：注意时限"},
                       headers=auth("supervisor_cc")).status_code == 201
    assert client.post(f"/api/v1/tasks/{amend.id}/comments", json={"text": "已在修改章程"},
                       headers=auth("applicant")).status_code == 201
    own = client.get(f"/api/v1/tasks/{amend.id}/comments", headers=auth("applicant")).get_json()
    assert [c["text"] for c in own["items"]] == ["已在修改章程"] and own["total"] == 1
    staff = client.get(f"/api/v1/tasks/{amend.id}/comments", headers=auth("supervisor_cc")).get_json()
    assert staff["total"] == 2


def test_the_case_list_names_the_office_for_a_staff_starter_and_hides_who_holds_staff_steps(
        client, auth, returned, session):
    # The window clerk starts a case for the organization (a paper application); a staff step is held.
    org = user("applicant").organization_id
    started = client.post(URL, json={"process_key": "registration", "organization_id": org},
                          headers=auth("window_cc"))
    assert started.status_code == 201
    items = client.get(URL, headers=auth("applicant")).get_json()["items"]
    assert {i["started_by"] for i in items} == {"applicant", OFFICE}
    assert "window_cc" not in json.dumps(items)
    case_id, accept_id = registration_at_accept()
    accept(accept_id)
    review = open_task(case_id, "review")
    assert client.post(f"/api/v1/tasks/{review.id}/claim", headers=auth("reviewer_cc")).status_code == 200
    [item] = [i for i in client.get(URL, headers=auth("applicant")).get_json()["items"] if i["id"] == case_id]
    [task] = item["active_tasks"]
    assert task["title"] == "审查" and task["status"] == "claimed" and task["assignee"] is None
    detail = client.get(f"{URL}/{case_id}", headers=auth("applicant")).get_json()
    assert detail["active_tasks"][0]["assignee"] is None and "form" not in detail["active_tasks"][0]
    assert "reviewer_cc" not in json.dumps(detail)


def test_documents_issued_to_the_organization_are_listed_internal_ones_are_not(client, auth, returned, session):
    with unit_of_work(session):
        internal = Document(instance_id=returned, template="zombie_cleanup/verification_report.html",
                            kind="zombie_cleanup/verification_report", title="核查情况报告", html="<p>内部</p>",
                            created_by="reviewer_cc")
        session.add(internal)
    listed = client.get(f"{URL}/{returned}/documents", headers=auth("applicant")).get_json()
    kinds = [d["kind"] for d in listed["items"]]
    assert "registration/acceptance_notice" in kinds and "zombie_cleanup/verification_report" not in kinds
    assert listed["total"] == len(kinds)
    assert {d["created_by"] for d in listed["items"]} <= {OFFICE}
    assert client.get(f"/api/v1/documents/{internal.id}", headers=auth("applicant")).status_code == 404
    assert client.get(f"/api/v1/documents/{internal.id}/print", headers=auth("applicant")).status_code == 404
    staff = client.get(f"{URL}/{returned}/documents", headers=auth("supervisor_cc")).get_json()
    assert "zombie_cleanup/verification_report" in [d["kind"] for d in staff["items"]]


def test_a_notification_to_the_organization_carries_no_internal_opinion_or_staff_name(returned, session):
    import handlers
    from handlers import HandlerContext
    from workflow_app.instances.models import ProcessInstance

    body = f"审查意见：{REASON} 另：{INTERNAL}；批注：{COMMENT}。经办人：孙磊（长春市民政局审核）（reviewer_cc）"
    with unit_of_work(session):
        instance = session.get(ProcessInstance, returned)
        context = HandlerContext(session=session, instance=instance, actor="reviewer_cc")
        handlers.load_builtin().call("notify.send", context, {
            "to_organization": True, "to_users": ["supervisor_cc"], "subject": "审查结果", "body": body})
    messages = {m.payload.get("username"): m for m in session.scalars(
        select(OutboxMessage).where(OutboxMessage.channel == Channel.EMAIL))}
    to_org = messages["applicant"].body
    assert REASON in to_org and OFFICE in to_org
    for secret in (INTERNAL, COMMENT, "reviewer_cc", "孙磊"):
        assert secret not in to_org
    assert messages["supervisor_cc"].body == body  # staff read it whole
    for hook in session.scalars(select(OutboxMessage).where(OutboxMessage.channel == Channel.WEBHOOK)):
        assert INTERNAL not in hook.body and "reviewer_cc" not in hook.body


def test_the_shipped_decision_steps_declare_what_they_give_the_organization(app, demo):
    deploy_registration()
    from workflow_app.services import definition_service

    meta = definition_service().latest("registration").task_meta
    assert disclosure.parse_step_rule(meta["accept"]["properties"]).discloses("incomplete")
    review = disclosure.parse_step_rule(meta["review"]["properties"])
    assert review.discloses("amend_charter") and not review.discloses("approve")
    approve = disclosure.parse_step_rule(meta["approve"]["properties"])
    assert approve.discloses("reject") and not approve.discloses("return")
    assert "refusal_reasons" in approve.fields
    assert not disclosure.parse_step_rule(meta["deliver_certificate"]["properties"]).discloses("x")


@pytest.mark.parametrize("raw,decision,expected", [
    ("true", None, True), ("false", "x", False), ("", "x", False), ("a, b", "b", True), ("a,b", "c", False),
    ("a", None, False)])
def test_the_step_rule_reads_true_false_or_decision_values(raw, decision, expected):
    assert disclosure.parse_step_rule({disclosure.OPINION_PROPERTY: raw}).discloses(decision) is expected



def test_a_case_in_error_tells_the_organization_no_technical_detail(client, auth, deploy_scripted, demo, session):
    from workflow_app.services import instance_service

    key = deploy_scripted("x = 1 / 0")
    advance = instance_service().start(key, started_by="applicant", region_code="220100",
                                       organization_id=user("applicant").organization_id)
    instance = instance_service().complete_task(advance.new_tasks[0].id, {}, actor="window_cc").instance
    assert instance.status.value == "error"
    shown = client.get(f"{URL}/{instance.id}", headers=auth("applicant")).get_json()
    assert shown["status"] == "error" and shown["error"] == {"message": disclosure.CASE_ERROR}
    staff = client.get(f"{URL}/{instance.id}", headers=auth("admin")).get_json()
    assert "ZeroDivisionError" in staff["error"]["message"]
    history = client.get(f"{URL}/{instance.id}/history", headers=auth("applicant")).get_json()["items"]
    assert "error" not in [e["action"] for e in history] and "ZeroDivision" not in json.dumps(history)


def test_short_internal_words_and_given_reasons_are_not_cut_from_messages(returned, session):
    from workflow_app.instances.models import ProcessInstance

    with unit_of_work(session):
        record(session, returned, action="comment", actor="reviewer_cc", opinion="同意")
    inputs = disclosure.case_inputs(session, None, session.get(ProcessInstance, returned))
    withheld = disclosure.withheld_texts(inputs)
    assert INTERNAL in withheld and "同意" not in withheld and REASON not in withheld
    assert disclosure.redact("同意受理。" + REASON, inputs, {}) == "同意受理。" + REASON


def test_a_paper_application_held_by_the_window_names_the_office_to_the_organization(client, auth, app, demo):
    deploy_registration()
    org = user("applicant").organization_id
    started = client.post(URL, json={"process_key": "registration", "organization_id": org},
                          headers=auth("window_cc")).get_json()
    [form] = started["active_tasks"]
    assert form["assignee"] == "window_cc"  # the clerk enters the paper application
    listed = client.get("/api/v1/tasks", query_string={"scope": "all"}, headers=auth("applicant")).get_json()
    [row] = [t for t in listed["items"] if t["id"] == form["id"]]
    assert row["assignee"] == OFFICE
    detail = client.get(f"/api/v1/tasks/{form['id']}", headers=auth("applicant")).get_json()
    assert detail["assignee"] == OFFICE and detail["instance"]["started_by"] == OFFICE
    case = client.get(f"{URL}/{started['id']}", headers=auth("applicant")).get_json()
    assert case["active_tasks"][0]["assignee"] == OFFICE
    for body in (listed, detail, case):
        assert "window_cc" not in json.dumps(body)
    staff = client.get(f"/api/v1/tasks/{form['id']}", headers=auth("window_cc")).get_json()
    assert staff["assignee"] == "window_cc"
