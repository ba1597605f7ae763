"""The cases API: start, list, detail, history, cancel, retry — success, refusals, regions, roles."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import scripted_bundle
from workflow_app.directory.models import User
from workflow_app.instances.models import AuditEvent, InstanceStatus, ProcessInstance
from workflow_app.organizations.models import Organization
from workflow_app.services import definition_service, instance_service
from workflow_app.tasks.models import HumanTask
from workflow_app.tasks.visibility import task_visible

URL = "/api/v1/process-instances"
ROLES = ["applicant", "window_cc", "reviewer_cc", "supervisor_cc", "supervisor_prov", "designer", "admin"]
JILIN_CITY = "220200"  # 吉林市, a sibling of 长春市 (220100)


def sample_as(sample_files: dict[str, bytes], key: str) -> dict[str, bytes]:
    """The sample review process, renamed to ``key`` (so the applicant policy applies to it)."""
    renamed = {}
    for name, data in sample_files.items():
        renamed[name.replace("sample_review", key)] = data.replace(b"sample_review", key.encode())
    return renamed


@pytest.fixture
def registration(app, demo, sample_files) -> str:
    """The sample process deployed under the key applicants may start."""
    [result] = definition_service().deploy(sample_as(sample_files, "registration"), deployed_by="test")
    return result.key


def start(client, headers, **body):
    body.setdefault("process_key", "registration")
    return client.post(URL, json=body, headers=headers)


def started(client, headers, **body) -> dict:
    response = start(client, headers, **body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def user(session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


# -- start ---------------------------------------------------------------------------------------

def test_applicant_starts_a_case_for_their_organization_with_the_start_form_as_first_task(
        client, auth, registration, session):
    body = started(client, auth("applicant"), business_key="APP-1")
    applicant = user(session, "applicant")
    assert body["process_key"] == "registration" and body["version"] == 1
    assert body["status"] == "running" and body["business_key"] == "APP-1"
    assert body["organization_id"] == applicant.organization_id
    assert body["region"] == "220100"  # the organization's region
    assert body["started_by"] == "applicant" and body["ended_at"] is None
    assert body["due_at"] is None and body["clock_paused"] is False
    assert body["variables"] == {}
    [task] = body["active_tasks"]
    assert task["name"] == "submit" and task["candidate_group"] == "applicant" and task["status"] == "ready"
    assert task["instance_id"] == body["id"] and task["region"] == "220100"
    assert task["form"]["schema"]["title"] == "填写申请"
    # In the starter's inbox: the visibility rule of the inbox covers it.
    visible = session.scalars(select(HumanTask.id).where(task_visible(applicant))).all()
    assert task["id"] in visible


def test_staff_start_with_declared_variables_keeps_them(client, auth, registration):
    body = started(client, auth("window_cc"), variables={"title": "年会", "amount": 2000})
    assert body["variables"] == {"title": "年会", "amount": 2000}


def test_an_applicant_may_not_pass_start_variables(client, auth, registration, session):
    response = start(client, auth("applicant"), variables={"title": "年会", "event_class": "filing"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_variables" and list(error["details"]["fields"]) == ["variables"]
    assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 0
    assert started(client, auth("applicant"), variables={})["variables"] == {}  # nothing passed is fine


def test_staff_may_pass_only_the_start_variables_the_process_declares(client, auth, registration, session):
    response = start(client, auth("supervisor_prov"), variables={"title": "年会", "late_report": False,
                                                                 "decision": "approve"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert set(error["details"]["fields"]) == {"variables.decision", "variables.late_report"}
    assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 0


def test_staff_starter_gets_the_applicant_start_form_in_their_inbox(client, auth, registration, session):
    body = started(client, auth("window_cc"))
    [task] = body["active_tasks"]
    assert task["assignee"] == "window_cc" and task["status"] == "claimed"
    assert body["region"] == "220100" and body["organization_id"] is None
    visible = session.scalars(select(HumanTask.id).where(task_visible(user(session, "window_cc")))).all()
    assert task["id"] in visible
    history = client.get(f"{URL}/{body['id']}/history", headers=auth("window_cc")).get_json()["items"]
    assert [e["action"] for e in history] == ["start", "assign"]


def test_applicant_may_not_start_for_another_organization(client, auth, registration, session):
    own = user(session, "applicant").organization_id
    other = session.scalars(select(Organization.id).where(Organization.id != own)).first()
    assert own is not None and other is not None
    response = start(client, auth("applicant"), organization_id=other)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 0


def test_applicant_may_start_only_the_applicant_processes(client, auth, deployed_sample, session):
    response = start(client, auth("applicant"), process_key=deployed_sample)
    assert response.status_code == 403
    assert "registration" in response.get_json()["error"]["message"]


def test_designer_may_not_start_cases(client, auth, registration):
    assert start(client, auth("designer")).status_code == 403


def test_region_must_be_the_callers_or_below(client, auth, registration):
    headers = auth("window_cc")
    assert started(client, headers, region="220102")["region"] == "220102"  # 南关区, below 长春市
    refused = start(client, headers, region=JILIN_CITY)
    assert refused.status_code == 403 and "outside" in refused.get_json()["error"]["message"]
    assert start(client, headers, region="220000").status_code == 403  # the province is above
    assert started(client, auth("admin"), region=JILIN_CITY)["region"] == JILIN_CITY


def test_region_defaults_to_the_organizations_then_the_callers(client, auth, registration, session):
    org = session.scalars(select(Organization).where(Organization.region_code.like("2202%"))).first()
    assert org is not None
    assert started(client, auth("supervisor_prov"), organization_id=org.id)["region"] == org.region_code
    assert started(client, auth("supervisor_prov"))["region"] == "220000"


@pytest.mark.parametrize("body,field", [
    ({}, "process_key"),
    ({"process_key": "registration", "variables": []}, "variables"),
    ({"process_key": "registration", "organization_id": "1"}, "organization_id"),
    ({"process_key": "registration", "organization_id": 10**12}, "organization_id"),
    ({"process_key": "registration", "business_key": "x" * 129}, "business_key"),
    ({"process_key": "registration", "business_key": "a\x00b"}, "business_key"),
    ({"process_key": "registration", "surprise": 1}, "surprise"),
    ({"process_key": "no_such_process"}, "process_key"),
    ({"process_key": "registration", "organization_id": 999999}, "organization_id"),
    ({"process_key": "registration", "region": "999999"}, "region"),
])
def test_invalid_start_bodies_are_422_naming_the_field(client, auth, registration, session, body, field):
    response = client.post(URL, json=body, headers=auth("supervisor_prov"))
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["details"]["fields"]
    assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 0


def test_variables_the_engine_cannot_store_are_422(client, auth, registration, session):
    response = start(client, auth("window_cc"), variables={"_private": 1})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_variables"
    assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 0


def test_malformed_json_and_wrong_content_are_clear_4xx(client, auth, registration, session):
    headers = auth("window_cc")
    for data, content_type in [("{not json", "application/json"), ("[1, 2]", "application/json"),
                               ("process_key=registration", "application/x-www-form-urlencoded")]:
        response = client.post(URL, data=data, content_type=content_type, headers=headers)
        assert 400 <= response.status_code < 500, (data, response.status_code)
        assert "error" in response.get_json()
    assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 0


# -- list, detail, history -----------------------------------------------------------------------

def test_list_filters_and_paginates(client, auth, registration, session):
    headers = auth("supervisor_prov")
    ids = [started(client, headers, business_key=f"B{i}")["id"] for i in range(3)]
    cancelled = client.post(f"{URL}/{ids[0]}/cancel", json={"reason": "重复申请"}, headers=headers)
    assert cancelled.status_code == 200
    page = client.get(f"{URL}?per_page=2", headers=headers).get_json()
    assert page["total"] == 3 and page["page"] == 1 and page["per_page"] == 2 and len(page["items"]) == 2
    second = client.get(f"{URL}?per_page=2&page=2", headers=headers).get_json()
    assert {i["id"] for i in page["items"] + second["items"]} == set(ids)
    item = page["items"][0]
    assert "variables" not in item and item["active_tasks"] and "form" not in item["active_tasks"][0]
    running = client.get(f"{URL}?status=running&process_key=registration", headers=headers).get_json()
    assert running["total"] == 2 and {i["status"] for i in running["items"]} == {"running"}
    assert client.get(f"{URL}?process_key=other", headers=headers).get_json()["total"] == 0
    assert client.get(f"{URL}?organization_id=1", headers=headers).get_json()["total"] == 0


@pytest.mark.parametrize("query", ["status=finished", "per_page=201", "per_page=0", "page=0", "page=abc",
                                   "organization_id=-1", "page=99999999999999999999"])
def test_invalid_list_arguments_are_422(client, auth, registration, query):
    response = client.get(f"{URL}?{query}", headers=auth("window_cc"))
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["fields"]


def test_changchun_caseworker_never_sees_a_jilin_city_case(client, auth, registration):
    jilin = started(client, auth("admin"), region=JILIN_CITY, business_key="JL-1")
    changchun = started(client, auth("admin"), region="220100", business_key="CC-1")
    for username in ["window_cc", "reviewer_cc", "approver_cc", "supervisor_cc"]:
        headers = auth(username)
        listed = client.get(URL, headers=headers).get_json()
        assert [i["id"] for i in listed["items"]] == [changchun["id"]], username
        assert listed["total"] == 1
        assert client.get(f"{URL}?process_key=registration&status=running", headers=headers).get_json()["total"] == 1
        for path in [f"{URL}/{jilin['id']}", f"{URL}/{jilin['id']}/history"]:
            response = client.get(path, headers=headers)
            assert response.status_code == 404, (username, path)
            assert response.get_json()["error"]["code"] == "instance_not_found"
        assert client.get(f"{URL}/{changchun['id']}", headers=headers).status_code == 200
    # The province's supervisor oversees both.
    assert client.get(URL, headers=auth("supervisor_prov")).get_json()["total"] == 2


def test_detail_has_tasks_forms_and_variables(client, auth, registration):
    body = started(client, auth("window_cc"), variables={"note": "初次"})
    detail = client.get(f"{URL}/{body['id']}", headers=auth("window_cc")).get_json()
    assert detail == body
    assert detail["active_tasks"][0]["form"]["schema"]["required"] == ["title", "amount"]


@pytest.mark.parametrize("instance_id", ["00000000-0000-0000-0000-000000000000", "nope", "1" * 300,
                                         "00000000-0000-0000-0000-00000000000Z"])
def test_unknown_instance_is_404(client, auth, registration, instance_id):
    for path in [f"{URL}/{instance_id}", f"{URL}/{instance_id}/history"]:
        response = client.get(path, headers=auth("admin"))
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "instance_not_found"
    response = client.post(f"{URL}/{instance_id}/cancel", json={"reason": "x"}, headers=auth("admin"))
    assert response.status_code == 404


def test_history_is_oldest_first_with_opinions(client, auth, registration):
    body = started(client, auth("applicant"))
    [submit] = body["active_tasks"]
    advance = instance_service().complete_task(submit["id"], {"title": "年会", "amount": 10}, actor="applicant")
    [review] = advance.new_tasks
    instance_service().complete_task(review.id, {"decision": "approve"}, actor="reviewer_cc", opinion="同意")
    # Staff read the whole trail; the organization's reading is tests/instances/test_disclosure.py.
    history = client.get(f"{URL}/{body['id']}/history", headers=auth("supervisor_cc")).get_json()
    assert history["total"] == 5 and history["page"] == 1
    items = history["items"]
    assert [e["action"] for e in items] == ["start", "complete", "complete", "note", "end"]
    assert items[2]["actor"] == "reviewer_cc" and items[2]["opinion"] == "同意"
    assert items[2]["task_id"] == review.id and items[2]["task_name"] == "审核申请"
    assert items[0]["at"] <= items[-1]["at"] and isinstance(items[0]["details"], dict)
    paged = client.get(f"{URL}/{body['id']}/history?per_page=2&page=3", headers=auth("supervisor_cc")).get_json()
    assert [e["action"] for e in paged["items"]] == ["end"]
    done = client.get(f"{URL}/{body['id']}", headers=auth("applicant")).get_json()
    assert done["status"] == "completed" and done["ended_at"] and done["active_tasks"] == []


# -- cancel, retry -------------------------------------------------------------------------------

def test_starter_cancels_and_a_second_cancel_conflicts(client, auth, registration, session):
    body = started(client, auth("applicant"))
    response = client.post(f"{URL}/{body['id']}/cancel", json={"reason": "不再申请"}, headers=auth("applicant"))
    assert response.status_code == 200
    cancelled = response.get_json()
    assert cancelled["status"] == "cancelled" and cancelled["active_tasks"] == [] and cancelled["ended_at"]
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "cancel")).one()
    assert (event.actor, event.opinion) == ("applicant", "不再申请")
    again = client.post(f"{URL}/{body['id']}/cancel", json={"reason": "再次"}, headers=auth("applicant"))
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "instance_not_running"


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": 5}])
def test_cancel_needs_a_reason(client, auth, registration, session, body):
    case = started(client, auth("applicant"))
    response = client.post(f"{URL}/{case['id']}/cancel", json=body, headers=auth("applicant"))
    assert response.status_code == 422
    assert "reason" in response.get_json()["error"]["details"]["fields"]
    assert session.get(ProcessInstance, case["id"]).status is InstanceStatus.RUNNING



def test_admin_retries_a_case_in_error(client, auth, deploy_scripted, flaky_handler):
    deploy_scripted("ratio = 1", operator="test.flaky")
    case = started(client, auth("admin"), process_key="scripted")
    [enter] = case["active_tasks"]
    instance_service().complete_task(enter["id"], {}, actor="admin")
    failed = client.get(f"{URL}/{case['id']}", headers=auth("admin")).get_json()
    assert failed["status"] == "error" and "unavailable" in failed["error"]["message"]

    assert client.post(f"{URL}/{case['id']}/retry", headers=auth("supervisor_prov")).status_code == 403
    still = client.post(f"{URL}/{case['id']}/retry", headers=auth("admin"))
    assert still.status_code == 200 and still.get_json()["status"] == "error"
    flaky_handler["up"] = True
    response = client.post(f"{URL}/{case['id']}/retry", headers=auth("admin"))
    assert response.status_code == 200
    assert response.get_json()["status"] == "completed" and response.get_json()["error"] is None
    again = client.post(f"{URL}/{case['id']}/retry", headers=auth("admin"))
    assert again.status_code == 409


# -- who may do what -----------------------------------------------------------------------------

# Case under test: started by the applicant for their organization, in 长春市.
EXPECTED = {
    #                  applicant window_cc reviewer_cc supervisor_cc supervisor_prov designer admin
    "list_sees_it":    [True,     True,     True,       True,         True,           False,   True],
    "detail":          [200,      200,      200,        200,          200,            404,     200],
    "history":         [200,      200,      200,        200,          200,            404,     200],
    "start":           [201,      201,      201,        201,          201,            403,     201],
    "cancel":          [200,      403,      403,        200,          200,            404,     200],
    "retry":           [403,      403,      403,        403,          403,            403,     409],
}


def act(action: str, client, headers: dict, case_id: str):
    if action == "detail":
        return client.get(f"{URL}/{case_id}", headers=headers)
    if action == "history":
        return client.get(f"{URL}/{case_id}/history", headers=headers)
    if action == "start":
        return start(client, headers)
    if action == "cancel":
        return client.post(f"{URL}/{case_id}/cancel", json={"reason": "测试"}, headers=headers)
    return client.post(f"{URL}/{case_id}/{action}", headers=headers)


@pytest.mark.parametrize("action", list(EXPECTED))
def test_role_matrix(client, auth, registration, action):
    got = []
    for username in ROLES:
        case = started(client, auth("applicant"))
        headers = auth(username)
        if action == "list_sees_it":
            response = client.get(URL, headers=headers)
            assert response.status_code == 200
            got.append(case["id"] in {i["id"] for i in response.get_json()["items"]})
            continue
        response = act(action, client, headers, case["id"])
        got.append(response.status_code)
        if response.status_code >= 400:
            assert response.get_json()["error"]["code"]
    assert dict(zip(ROLES, got, strict=True)) == dict(zip(ROLES, EXPECTED[action], strict=True))


def test_every_endpoint_needs_a_token(client, registration):
    for method, path in [("GET", URL), ("POST", URL), ("GET", f"{URL}/x"), ("GET", f"{URL}/x/history"),
                         ("POST", f"{URL}/x/cancel"), ("POST", f"{URL}/x/retry")]:
        response = client.open(path, method=method, json={})
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "not_authenticated"


def test_a_case_in_error_can_be_cancelled_by_its_starter(client, auth, deploy_scripted, flaky_handler):
    deploy_scripted("ratio = 1", operator="test.flaky")
    case = started(client, auth("window_cc"), process_key="scripted")
    instance_service().complete_task(case["active_tasks"][0]["id"], {}, actor="window_cc")
    response = client.post(f"{URL}/{case['id']}/cancel", json={"reason": "服务不可用，撤销"}, headers=auth("window_cc"))
    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    assert client.post(f"{URL}/{case['id']}/retry", headers=auth("admin")).status_code == 409


def test_mine_lists_only_the_cases_the_caller_started(client, auth, registration):
    own = started(client, auth("window_cc"), region="220100", business_key="CC-OWN")
    started(client, auth("admin"), region="220100", business_key="CC-OTHER")
    headers = auth("window_cc")
    assert client.get(URL, headers=headers).get_json()["total"] == 2  # the region's cases
    mine = client.get(f"{URL}?mine=true", headers=headers).get_json()
    assert mine["total"] == 1 and [i["id"] for i in mine["items"]] == [own["id"]]
    assert client.get(f"{URL}?mine=maybe", headers=headers).status_code == 422


def test_admin_retries_a_case_in_error_on_the_fixed_version_of_its_process(client, auth, deploy_scripted, session):
    deploy_scripted("ratio = 1 / 0")
    case = started(client, auth("admin"), process_key="scripted")
    instance_service().complete_task(case["active_tasks"][0]["id"], {}, actor="admin")
    assert client.get(f"{URL}/{case['id']}", headers=auth("admin")).get_json()["status"] == "error"

    still = client.post(f"{URL}/{case['id']}/retry", headers=auth("admin"))  # same version: fails the same way
    assert still.status_code == 200 and still.get_json()["status"] == "error" and still.get_json()["version"] == 1
    deploy_scripted("ratio = 1")  # the designer fixes the script: version 2
    fixed = client.post(f"{URL}/{case['id']}/retry", json={"latest_version": True}, headers=auth("admin"))
    assert fixed.status_code == 200, fixed.get_json()
    assert (fixed.get_json()["status"], fixed.get_json()["version"]) == ("completed", 2)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "migrate")).one()
    assert event.details == {"from_version": 1, "to_version": 2}


def test_a_case_cannot_move_to_a_version_missing_a_step_it_passed(client, auth, deploy_scripted, session):
    deploy_scripted("ratio = 1 / 0")
    case = started(client, auth("admin"), process_key="scripted")
    instance_service().complete_task(case["active_tasks"][0]["id"], {}, actor="admin")
    renamed = scripted_bundle("ratio = 1")
    renamed["scripted.bpmn"] = renamed["scripted.bpmn"].replace(b'"enter"', b'"enter_v2"').replace(
        b"<bpmn:flowNodeRef>enter<", b"<bpmn:flowNodeRef>enter_v2<").replace(b'bpmnElement="enter"', b'bpmnElement="enter_v2"')
    definition_service().deploy(renamed, deployed_by="test")
    response = client.post(f"{URL}/{case['id']}/retry", json={"latest_version": True}, headers=auth("admin"))
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "version_incompatible"
    session.expire_all()
    row = session.get(ProcessInstance, case["id"])
    assert row.status is InstanceStatus.ERROR and row.definition.version == 1
