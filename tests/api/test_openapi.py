"""The OpenAPI document: valid, public, and describing every endpoint of API.md with its errors and auth."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

SPEC_URL = "/api/v1/openapi.json"
PUBLIC = {("post", "/api/v1/auth/token"), ("get", "/api/v1/health")}

# Every endpoint ../shared/API.md fixes, by feature (path parameters are named freely).
API_MD = {
    "auth": [("post", "/auth/token")],
    "process-definitions": [("get", "/process-definitions"), ("post", "/process-definitions"),
                            ("get", "/process-definitions/{}")],
    "process-instances": [("get", "/process-instances"), ("post", "/process-instances"),
                          ("get", "/process-instances/{}"), ("get", "/process-instances/{}/history"),
                          ("post", "/process-instances/{}/cancel")],
    "tasks": [("get", "/tasks"), ("get", "/tasks/{}")] + [
        ("post", f"/tasks/{{}}/{op}") for op in
        ["claim", "unclaim", "complete", "delegate", "transfer", "return", "cc", "urge", "comments"]],
    "alerts": [("get", "/alerts"), ("post", "/alerts/{}/acknowledge")],
    "organizations": [("get", "/organizations"), ("get", "/organizations/{}")],
    "calendar": [("get", "/calendar/{}"), ("put", "/calendar/{}")],
}
# Built by this work; the other features are checked once any route of theirs is registered.
ALWAYS = {"auth", "process-definitions", "process-instances"}


def normalized(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


@pytest.fixture
def spec(client) -> dict:
    response = client.get(SPEC_URL)
    assert response.status_code == 200
    return response.get_json()


def operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield method, path, operation


def test_document_is_public_and_valid_openapi(client, spec):
    assert client.get(SPEC_URL).status_code == 200  # no token needed
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    assert spec["security"] == [{"bearer": []}]


@pytest.mark.parametrize("feature", list(API_MD))
def test_every_api_md_endpoint_is_documented(app, spec, feature):
    routes = [rule.rule for rule in app.url_map.iter_rules()]
    if feature not in ALWAYS and not any(r.startswith(f"/api/v1/{feature}") for r in routes):
        pytest.skip(f"/api/v1/{feature} has not landed in this tree yet")
    documented = {(method, normalized(path)) for method, path, _ in operations(spec)}
    missing = [(m, p) for m, p in API_MD[feature] if (m, "/api/v1" + p) not in documented]
    assert not missing


def test_every_registered_route_is_documented(app, spec):
    documented = {(method, normalized(path)) for method, path, _ in operations(spec)}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule.endswith("openapi.json"):
            continue
        path = normalized(re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method.lower(), path) in documented, f"{method} {rule.rule} is not in the document"


def test_guarded_operations_use_the_bearer_scheme_and_the_error_body(spec):
    for method, path, operation in operations(spec):
        if (method, path) in PUBLIC:
            assert operation.get("security") == [], (method, path)
            continue
        assert "security" not in operation or operation["security"] == [{"bearer": []}], (method, path)
        # Every operation has the error body as its default response (the explicit 401/403/... of the
        # instance and definition operations are checked below).
        assert operation["responses"]["default"] == {"$ref": "#/components/responses/DEFAULT_ERROR"}


def test_error_responses_use_the_api_md_error_body(spec):
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    detail_ref = error["properties"]["error"]["$ref"].rsplit("/", 1)[-1]
    assert set(spec["components"]["schemas"][detail_ref]["properties"]) == {"code", "message", "details"}
    responses = spec["components"]["responses"]
    for name in ["UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "CONFLICT", "UNPROCESSABLE_ENTITY", "DEFAULT_ERROR"]:
        assert responses[name]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


EXPECTED_ERRORS = {
    ("get", "/api/v1/process-instances"): {"401", "422"},
    ("post", "/api/v1/process-instances"): {"401", "403", "422"},
    ("get", "/api/v1/process-instances/{instance_id}"): {"401", "404"},
    ("get", "/api/v1/process-instances/{instance_id}/history"): {"401", "404", "422"},
    ("post", "/api/v1/process-instances/{instance_id}/cancel"): {"401", "403", "404", "409", "422"},
    ("post", "/api/v1/process-instances/{instance_id}/retry"): {"401", "403", "404", "409"},
    ("get", "/api/v1/process-definitions"): {"401", "403", "422"},
    ("post", "/api/v1/process-definitions"): {"401", "403", "409", "413", "422"},
    ("get", "/api/v1/process-definitions/{key}"): {"401", "403", "404", "422"},
}


@pytest.mark.parametrize("method,path", list(EXPECTED_ERRORS))
def test_instance_and_definition_operations_document_their_errors(spec, method, path):
    responses = spec["paths"][path][method]["responses"]
    assert EXPECTED_ERRORS[(method, path)] <= set(responses)
    for status in EXPECTED_ERRORS[(method, path)]:
        assert responses[status]["$ref"].startswith("#/components/responses/")


def test_request_bodies_are_documented(spec):
    start = spec["paths"]["/api/v1/process-instances"]["post"]["requestBody"]
    ref = start["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    body = spec["components"]["schemas"][ref]
    assert body["required"] == ["process_key"]
    assert set(body["properties"]) == {"process_key", "business_key", "organization_id", "region", "variables"}
    upload = spec["paths"]["/api/v1/process-definitions"]["post"]["requestBody"]["content"]
    ref = upload["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    files = spec["components"]["schemas"][ref]["properties"]["files"]
    assert files["type"] == "array" and files["items"]["format"] == "binary"
    cancel = spec["paths"]["/api/v1/process-instances/{instance_id}/cancel"]["post"]["requestBody"]
    assert cancel["required"] is True


def test_instance_body_has_every_api_md_field(spec):
    schema = spec["components"]["schemas"]["Instance"]
    assert {"id", "process_key", "version", "business_key", "status", "region", "organization_id", "started_by",
            "started_at", "ended_at", "due_at", "clock_paused", "active_tasks", "variables"} <= set(schema["properties"])
    task = spec["components"]["schemas"][schema["properties"]["active_tasks"]["items"]["$ref"].rsplit("/", 1)[-1]]
    assert {"id", "instance_id", "process_key", "business_key", "name", "title", "candidate_group", "region",
            "assignee", "status", "created_at", "due_at", "escalation_level", "form"} <= set(task["properties"])
