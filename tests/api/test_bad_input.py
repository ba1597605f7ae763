"""Hostile values in requests: a lone surrogate, a 5,000-digit integer, NaN — a 422 naming the field, never a 500.

Bodies are written as raw JSON text, because ``"\\ud800"`` is the JSON escape an attacker sends
(Python's own ``json.dumps`` of such a string yields the same text). Each refusal must leave the
database untouched.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import DATA, read_bundle
from tests.tasks.conftest import Flow
from workflow_app.instances.models import AuditEvent, ProcessInstance
from workflow_app.services import definition_service
from workflow_app.tasks.models import HumanTask

INSTANCES = "/api/v1/process-instances"
SURROGATE = "\\ud800"  # the six characters of the JSON escape
DIGITS_5000 = "9" * 5000


def counts(session) -> tuple[int, ...]:
    session.expire_all()
    return tuple(session.scalar(select(func.count()).select_from(model)) or 0
                 for model in (ProcessInstance, HumanTask, AuditEvent))


def post_raw(client, url: str, body: str, headers: dict | None = None):
    return client.post(url, data=body.encode("utf-8"), content_type="application/json", headers=headers or {})


def refused(response, *paths: str) -> dict:
    """Assert a 422 in API.md's body whose details name exactly ``paths``."""
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "invalid_input" and error["message"]
    assert set(error["details"]["fields"]) == set(paths), error
    return error


@pytest.fixture
def flow(app, demo, session) -> Flow:
    """The approval test process, deployed; cases driven with the services."""
    definition_service().deploy(read_bundle(DATA / "approval"), deployed_by="test")
    return Flow(session)


def test_a_surrogate_in_a_login_name_is_422_not_500(client, demo):
    response = post_raw(client, "/api/v1/auth/token", '{"username": "' + SURROGATE + '", "password": "x"}')
    refused(response, "username")


@pytest.mark.parametrize("variables,path", [
    ('{"org_name": "' + SURROGATE + '"}', "variables.org_name"),
    ('{"org_name": "长春市' + SURROGATE + 'x协会"}', "variables.org_name"),
    ('{"members": [{"name": "ok"}, {"name": "\\udfff"}]}', "variables.members.1.name"),
    ('{"' + SURROGATE + '": 1}', "variables.\\ud800"),
    ('{"amount": ' + DIGITS_5000 + '}', "variables.amount"),
    ('{"amount": -' + "9" * 4000 + '}', "variables.amount"),
    ('{"amount": 1000000000000000001}', "variables.amount"),
    ('{"amount": NaN}', "variables.amount"),
    ('{"amount": -Infinity}', "variables.amount"),
    ('{"amount": 1e400}', "variables.amount"),
], ids=["surrogate", "surrogate inside text", "nested in a list", "surrogate key", "5000 digits",
        "4000 digits", "past 10^18", "NaN", "-Infinity", "1e400"])
def test_unstorable_start_variables_are_422_naming_the_path(client, auth, session, deployed_sample, variables, path):
    headers = auth("window_cc")
    before = counts(session)
    response = post_raw(client, INSTANCES, '{"process_key": "sample_review", "variables": ' + variables + "}", headers)
    refused(response, path)
    assert counts(session) == before


def test_a_large_but_sensible_integer_still_starts_a_case(client, auth, deployed_sample):
    response = post_raw(client, INSTANCES, '{"process_key": "sample_review", "variables": {"amount": -5, '
                        '"x": 1000000000000000000, "note": "长春"}}', auth("window_cc"))
    assert response.status_code == 201, response.get_json()


def test_every_bad_value_of_a_body_is_named_at_once(client, auth, deployed_sample):
    body = '{"process_key": "' + SURROGATE + '", "variables": {"a": ' + DIGITS_5000 + ', "b": ["' + SURROGATE + '"]}}'
    refused(post_raw(client, INSTANCES, body, auth("window_cc")), "process_key", "variables.a", "variables.b.0")


@pytest.mark.parametrize("data,path", [
    ('{"title": "' + SURROGATE + '", "amount": 5}', "data.title"),
    ('{"title": "年会", "amount": ' + DIGITS_5000 + '}', "data.amount"),
    ('{"title": "年会", "amount": 5, "contact": {"phone": "\\ud83d"}}', "data.contact.phone"),
], ids=["surrogate", "5000 digits", "nested"])
def test_unstorable_task_form_data_is_422_and_the_task_stays_open(flow, client, auth, session, data, path):
    instance_id = flow.start()
    task = flow.open(instance_id)
    before = counts(session)
    response = post_raw(client, f"/api/v1/tasks/{task.id}/complete", '{"data": ' + data + "}", auth("applicant"))
    refused(response, path)
    assert counts(session) == before
    assert flow.open(instance_id).id == task.id


def test_a_surrogate_in_an_opinion_or_comment_is_refused(flow, client, auth):
    instance_id, accept = flow.to("accept")
    headers = auth("window_cc")
    response = post_raw(client, f"/api/v1/tasks/{accept.id}/comments", '{"text": "' + SURROGATE + '"}', headers)
    refused(response, "text")
    response = post_raw(client, f"/api/v1/tasks/{accept.id}/complete",
                        '{"data": {"received": true}, "opinion": "' + SURROGATE + '"}', headers)
    refused(response, "opinion")


def test_organization_requests_refuse_unstorable_values(client, auth):
    headers = auth("admin")
    response = post_raw(client, "/api/v1/organizations/zombie-cleanup",
                        '{"organization_ids": [' + DIGITS_5000 + '], "flagged": false}', headers)
    refused(response, "organization_ids.0")
    response = post_raw(client, "/api/v1/organizations/zombie-cleanup", '{"' + SURROGATE + '": 1}', headers)
    refused(response, "\\ud800")


def test_a_top_level_bad_value_is_named_body(client, auth):
    refused(post_raw(client, INSTANCES, '"' + SURROGATE + '"', auth("admin")), "body")


@pytest.mark.parametrize("url", [
    "/api/v1/organizations?q=%ED%A0%80",
    "/api/v1/organizations?q=%F0%9F%98%80%ED%B0%80",
    "/api/v1/process-instances/%ED%A0%80",
    "/api/v1/tasks?q=%ED%A0%80&status=%ED%A0%80",
    "/%ED%A0%80",
])
def test_surrogate_bytes_in_urls_never_give_a_500(client, auth, url):
    # Werkzeug decodes URLs with replacement characters: these are 200/404/422 answers, not crashes.
    response = client.get(url, headers=auth("admin"))
    assert response.status_code < 500, response.get_data(as_text=True)


def test_malformed_json_stays_a_400_from_the_view(client, auth):
    response = post_raw(client, INSTANCES, '{"process_key": "sample_review", "variables": {', auth("admin"))
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"
