"""Bad requests get a clear 4xx in API.md's error body and change nothing."""

from __future__ import annotations

import jsonschema
import pytest
from sqlalchemy import func, select

from workflow_app.definitions.models import ProcessDefinition
from workflow_app.instances.models import AuditEvent, ProcessInstance
from workflow_app.tasks.models import HumanTask

INSTANCES = "/api/v1/process-instances"
UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def error_schema(client) -> dict:
    """The document's Error schema, resolvable on its own."""
    spec = client.get("/api/v1/openapi.json").get_json()
    return {**spec["components"]["schemas"]["Error"], "components": spec["components"]}


@pytest.fixture
def case(client, auth, deployed_sample) -> str:
    response = client.post(INSTANCES, json={"process_key": deployed_sample}, headers=auth("window_cc"))
    assert response.status_code == 201
    return response.get_json()["id"]


def counts(session) -> tuple[int, ...]:
    session.expire_all()
    return tuple(session.scalar(select(func.count()).select_from(model)) or 0
                 for model in (ProcessInstance, HumanTask, AuditEvent, ProcessDefinition))


def assert_error(response, status: int, error_schema: dict) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    jsonschema.validate(body, error_schema, cls=jsonschema.Draft4Validator)
    assert body["error"]["code"] and body["error"]["message"]
    return body["error"]


BAD_BODIES = [
    ("malformed JSON", "{not json", 400),
    ("a JSON array", "[1, 2, 3]", 422),
    ("a JSON string", '"registration"', 422),
    ("null", "null", 422),
    ("wrong types", '{"process_key": 5, "variables": "x", "organization_id": true}', 422),
    ("deeply nested", '{"process_key": "sample_review", "variables": ' + "[" * 50_000 + "]" * 50_000 + "}", 400),
    ("invalid UTF-8", b'{"process_key": "\xff\xfe"}', 400),
]


@pytest.mark.parametrize("name,data,status", BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_bad_start_bodies_are_4xx_and_change_nothing(client, auth, session, case, error_schema, name, data, status):
    before = counts(session)
    response = client.post(INSTANCES, data=data, content_type="application/json", headers=auth("admin"))
    assert 400 <= response.status_code < 500
    assert_error(response, response.status_code, error_schema)
    assert response.status_code == status
    assert counts(session) == before


def test_wrong_types_name_every_field(client, auth, case, error_schema):
    response = client.post(INSTANCES, json={"process_key": 5, "variables": "x", "organization_id": True},
                           headers=auth("admin"))
    error = assert_error(response, 422, error_schema)
    assert set(error["details"]["fields"]) == {"process_key", "variables", "organization_id"}


def test_huge_bodies_are_413(app, client, auth, session, case, error_schema):
    before = counts(session)
    big = '{"process_key": "sample_review", "variables": {"x": "' + "a" * app.config["MAX_CONTENT_LENGTH"] + '"}}'
    response = client.post(INSTANCES, data=big, content_type="application/json", headers=auth("admin"))
    assert assert_error(response, 413, error_schema)["code"] == "payload_too_large"
    cancel = client.post(f"{INSTANCES}/{case}/cancel", data=big, content_type="application/json",
                         headers=auth("admin"))
    assert_error(cancel, 413, error_schema)
    assert counts(session) == before


def test_large_variables_within_the_upload_limit_are_422(client, auth, session, case, error_schema):
    before = counts(session)
    body = {"process_key": "sample_review", "variables": {"x": "a" * 300_000}}
    error = assert_error(client.post(INSTANCES, json=body, headers=auth("admin")), 422, error_schema)
    assert error["code"] == "invalid_variables"
    assert counts(session) == before


@pytest.mark.parametrize("method,path", [
    ("GET", f"{INSTANCES}/{UNKNOWN}"), ("GET", f"{INSTANCES}/{UNKNOWN}/history"),
    ("POST", f"{INSTANCES}/{UNKNOWN}/cancel"), ("POST", f"{INSTANCES}/{UNKNOWN}/retry"),
    ("GET", f"{INSTANCES}/..%2F..%2Fetc%2Fpasswd"), ("GET", f"{INSTANCES}/%00"),
    ("GET", "/api/v1/process-definitions/unknown"), ("GET", "/api/v1/process-definitions/%00"),
])
def test_unknown_ids_are_404_and_change_nothing(client, auth, session, case, error_schema, method, path):
    before = counts(session)
    response = client.open(path, method=method, json={"reason": "测试"}, headers=auth("admin"))
    assert_error(response, 404, error_schema)
    assert counts(session) == before


def test_unknown_routes_and_methods_answer_in_the_error_format(client, auth, error_schema):
    assert_error(client.get("/api/v1/no-such-thing", headers=auth("admin")), 404, error_schema)
    assert_error(client.delete(INSTANCES, headers=auth("admin")), 405, error_schema)
    assert_error(client.put("/api/v1/process-definitions", headers=auth("admin")), 405, error_schema)


def test_refusals_are_in_the_error_format(client, auth, case, error_schema):
    assert_error(client.get(INSTANCES), 401, error_schema)
    assert_error(client.get(INSTANCES, headers={"Authorization": "Bearer forged"}), 401, error_schema)
    assert_error(client.get("/api/v1/process-definitions", headers=auth("applicant")), 403, error_schema)
    assert_error(client.post(f"{INSTANCES}/{case}/cancel", json={"reason": "x"}, headers=auth("reviewer_cc")),
                 403, error_schema)
    assert_error(client.post(f"{INSTANCES}/{case}/retry", headers=auth("admin")), 409, error_schema)
    assert_error(client.get(f"{INSTANCES}?per_page=1000", headers=auth("admin")), 422, error_schema)


@pytest.mark.parametrize("method,path,body", [
    ("POST", INSTANCES, {"process_key": "sample\x00review"}),
    ("POST", INSTANCES, {"process_key": "sample_review", "business_key": "a\x00"}),
    ("POST", INSTANCES, {"process_key": "sample_review", "region": "2201\x0000"}),
    ("POST", INSTANCES, {"process_key": "sample_review", "variables": {"a\x00": 1}}),
    ("GET", INSTANCES + "?process_key=a%00b", None),
    ("GET", "/api/v1/process-definitions?page=1%00", None),
])
def test_nul_characters_are_refused_on_every_database(client, auth, session, case, error_schema, method, path, body):
    """PostgreSQL cannot store NUL in text: such input must be a 422 before it reaches SQL, not a 500."""
    before = counts(session)
    response = client.open(path, method=method, json=body, headers=auth("admin"))
    assert_error(response, 422, error_schema)
    assert counts(session) == before


def test_nul_inside_variable_values_is_stored_safely(client, auth, case):
    response = client.post(INSTANCES, json={"process_key": "sample_review", "variables": {"note": "a\x00b"}},
                           headers=auth("admin"))
    assert response.status_code == 201
    assert response.get_json()["variables"] == {"note": "a\x00b"}
    submissions = client.get(f"{INSTANCES}/{response.get_json()['id']}/submissions", headers=auth("admin"))
    assert submissions.get_json()["items"][0]["data"] == {"note": "a\x00b"}  # kept as submitted, on every database
