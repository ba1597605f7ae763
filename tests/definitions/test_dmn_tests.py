"""Row tests stored with a DMN table run before every deploy: a failing row refuses it, naming the row."""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

import pytest

from tests.conftest import DATA, read_bundle
from workflow_app.definitions.errors import DefinitionInvalid
from workflow_app.services import definition_service
from workflow_app.web.lint_zh import chinese

TESTS = "dmn-tests/classify.dmn.json"


def bundle(rows: object, input_cell: str = ">= 10", output_cell: str = '"big"') -> dict[str, bytes]:
    files = read_bundle(DATA / "isolation_dmn")
    xml = files["classify.dmn"].decode()
    files["classify.dmn"] = xml.replace("INPUT_CELL", escape(input_cell)).replace(
        "OUTPUT_CELL", escape(output_cell)).encode()
    files[TESTS] = json.dumps(rows, ensure_ascii=False).encode()
    return files


ROWS = [{"name": "大数量", "inputs": {"n": 50}, "expected": {"size": "big"}},
        {"name": "小数量", "inputs": {"n": 3}, "expected": {"size": "small"}}]


def test_passing_row_tests_deploy_and_are_stored_with_the_table(app):
    [result] = definition_service().deploy(bundle(ROWS), deployed_by="designer")
    stored = definition_service().get(result.key, result.version).files
    assert json.loads(stored[TESTS]) == ROWS


def test_a_failing_row_test_refuses_the_deploy_naming_the_row(app):
    with pytest.raises(DefinitionInvalid) as refused:
        definition_service().deploy(bundle(ROWS, input_cell="> 100"), deployed_by="designer")
    [problem] = refused.value.problems
    assert problem.file == TESTS
    assert chinese(problem.message) == ('第 1 条行测试（大数量）未通过：输入 {"n": 50}，期望 {"size": "big"}，'
                                        '实际 {"size": "small"}')
    assert definition_service().list() == []


def test_a_table_failing_on_a_row_and_malformed_tests_are_refused_in_chinese(app):
    with pytest.raises(DefinitionInvalid) as refused:
        definition_service().deploy(bundle([{"name": "坏", "inputs": {"n": "x"}, "expected": {"size": "big"}}],
                                           input_cell="> 10 + undefined_name"), deployed_by="designer")
    assert chinese(refused.value.problems[0].message).startswith("第 1 条行测试（坏）无法运行")
    for rows in ({"not": "a list"}, [{"inputs": {}, "expected": {}}], [{"inputs": {"1x": 1}, "expected": {"a": 1}}]):
        with pytest.raises(DefinitionInvalid) as refused:
            definition_service().deploy(bundle(rows), deployed_by="designer")
        message = chinese(refused.value.problems[0].message)
        assert "行测试" in message and "流程文件校验未通过" not in message, message


def test_an_uploaded_row_test_file_is_read_as_row_tests_not_as_a_form(client, auth):
    import io

    files = bundle(ROWS, input_cell="> 100")
    body = {"files": [(io.BytesIO(data), name.rsplit("/", 1)[-1]) for name, data in files.items()]}
    response = client.post("/api/v1/process-definitions", data=body, headers=auth("designer"),
                           content_type="multipart/form-data")
    assert response.status_code == 422
    [problem] = response.get_json()["error"]["details"]["problems"]
    assert problem["file"] == TESTS and problem["message"].startswith("row test 1 (大数量) failed")
