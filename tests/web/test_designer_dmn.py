"""流程设计 · 决策表: the DMN editor page and its deploy — row tests run first, a failing one refuses the deploy."""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

import pytest

from tests.conftest import DATA, read_bundle
from tests.web.test_session import login
from workflow_app.definitions.models import ProcessDefinition
from workflow_app.services import definition_service

URL = "/designer/isolation_dmn/dmn/classify.dmn"
ROWS = [{"name": "大数量", "inputs": {"n": 50}, "expected": {"size": "big"}}]


def table(input_cell: str) -> str:
    xml = read_bundle(DATA / "isolation_dmn")["classify.dmn"].decode()
    return xml.replace("INPUT_CELL", escape(input_cell)).replace("OUTPUT_CELL", escape('"big"'))


@pytest.fixture
def deployed_dmn(app) -> None:
    files = read_bundle(DATA / "isolation_dmn")
    files["classify.dmn"] = table(">= 10").encode()
    definition_service().deploy(files, deployed_by="test")


def post(web, body: dict, token: str):
    return web.post(f"{URL}/deploy", json=body, headers={"X-CSRFToken": token})


def test_a_dmn_edit_with_a_failing_row_test_is_refused(web, deployed_dmn, session):
    login(web, "designer")
    page = web.get(URL).get_data(as_text=True)
    assert "决策表 classify.dmn" in page and "行测试" in page and "dmn-modeler.production.min.js" in page
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    refused = post(web, {"xml": table("> 100"), "tests": ROWS, "base_version": 1}, token)
    assert refused.status_code == 422
    [problem] = refused.get_json()["problems"]
    assert problem["message_zh"].startswith("第 1 条行测试（大数量）未通过")
    assert session.query(ProcessDefinition).count() == 1

    checked = post(web, {"xml": table(">= 10"), "tests": ROWS, "base_version": 1, "check_only": True}, token)
    assert checked.get_json() == {"checked": True, "tests": 1}
    assert session.query(ProcessDefinition).count() == 1
    deployed = post(web, {"xml": table(">= 20"), "tests": ROWS, "base_version": 1}, token)
    assert deployed.status_code == 200 and deployed.get_json()["version"] == 2
    session.rollback()
    v2 = definition_service().get("isolation_dmn", 2)
    assert "&gt;= 20" in v2.files["classify.dmn"] and json.loads(v2.files["dmn-tests/classify.dmn.json"]) == ROWS
    assert '"size": "big"' in web.get(f"{URL}?version=2").get_data(as_text=True)  # the tests reopen with it


def test_the_dmn_editor_is_for_designers_only_and_needs_the_csrf_header(web, deployed_dmn):
    login(web, "window_cc")
    assert web.get(URL).status_code == 403
    assert web.post(f"{URL}/deploy", json={}).status_code in (400, 403)
    web.delete_cookie("session")
    login(web, "designer")
    assert web.post(f"{URL}/deploy", json={"xml": "<x/>", "tests": [], "base_version": 1}).status_code == 400
    assert web.get("/designer/isolation_dmn/dmn/nothing.dmn").status_code == 404
    assert web.get("/designer/isolation_dmn/dmn/isolation_dmn.bpmn").status_code == 404
