"""Row tests of DMN decision tables: inputs → expected outputs a designer writes, run before every deploy.

They live with the table in the version's files, as ``dmn-tests/<table file>.json`` (for
``classify.dmn``: ``dmn-tests/classify.dmn.json``)::

    [{"name": "大额", "inputs": {"amount": 5000}, "expected": {"size": "big"}}, ...]

Each test runs the file's decision on the engine, as a case would; the deploy is refused when an
expected output differs (or the table fails on the inputs), with a message naming the test row. An
output not named in ``expected`` is not compared.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from lxml import etree

from workflow_app.definitions.errors import Problem
from workflow_app.definitions.lint_base import DMN_NAMESPACES
from workflow_app.engine import Engine, EngineError
from workflow_app.engine.decisions import DecisionUnavailable, decision_evaluator

TESTS_DIR = "dmn-tests"
MAX_ROW_TESTS = 200
_MAX_SHOWN = 200  # characters of a value quoted in a message


def tests_file_for(dmn_file: str) -> str:
    """The bundle name of the row tests of ``dmn_file``."""
    return f"{TESTS_DIR}/{PurePosixPath(dmn_file).name}.json"


def is_tests_file(name: str) -> bool:
    """Whether a bundle name is a row-test file (not a form)."""
    return name.startswith(f"{TESTS_DIR}/") and name.endswith(".dmn.json")


def check_shape(name: str, data: object) -> list[Problem]:
    """Problems with the structure of a row-test file (before anything runs)."""
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        return [Problem(file=name, message="row tests must be a JSON list of objects with inputs and expected")]
    if len(data) > MAX_ROW_TESTS:
        return [Problem(file=name, message=f"more than {MAX_ROW_TESTS} row tests")]
    problems = []
    for number, row in enumerate(data, start=1):
        inputs, expected, label = row.get("inputs"), row.get("expected"), _label(row)
        if not isinstance(inputs, dict) or not isinstance(expected, dict) or not expected:
            problems.append(Problem(name, f"row test {number} ({label}): inputs and expected must be objects"))
        elif not all(isinstance(k, str) and k.isidentifier() and not k.startswith("_") for k in inputs):
            problems.append(Problem(name, f"row test {number} ({label}): input names must be identifiers"))
    return problems


def run_row_tests(engine: Engine, dmn: Mapping[str, etree._ElementTree],
                  tests: Mapping[str, object]) -> list[Problem]:
    """Run every row test of the bundle against its table; the problems refuse the deploy."""
    by_tests_file = {tests_file_for(name): name for name in dmn}
    problems: list[Problem] = []
    for name, rows in sorted(tests.items()):
        dmn_file = by_tests_file.get(name)
        if dmn_file is None:
            problems.append(Problem(file=name, message=f"row tests for a DMN file that is not in the bundle: {name}"))
            continue
        root = dmn[dmn_file].getroot()
        decision = root.find("dmn:decision", {"dmn": etree.QName(root).namespace or DMN_NAMESPACES[0]})
        if decision is None or not isinstance(rows, list):
            continue  # the lint already says the file has no decision; check_shape the list
        try:
            evaluate = decision_evaluator(engine, dmn_file, root, decision.get("id") or "")
        except DecisionUnavailable as exc:
            problems.append(Problem(file=name, message=f"row tests cannot call the decision: {exc}"))
            continue
        for number, row in enumerate(rows, start=1):
            problem = _run_one(evaluate, name, number, row)
            if problem is not None:
                problems.append(problem)
    return problems


def _run_one(evaluate: Any, name: str, number: int, row: Mapping[str, Any]) -> Problem | None:
    try:
        result = evaluate(row["inputs"])
    except EngineError as exc:
        return Problem(file=name, message=f"row test {number} ({_label(row)}) could not run: {exc}")
    got = {key: result.get(key) for key in row["expected"]}
    if got == row["expected"]:
        return None
    inputs, expected = _show(row["inputs"]), _show(row["expected"])
    return Problem(file=name, message=f"row test {number} ({_label(row)}) failed: inputs {inputs}, expected {expected}, got {_show(got)}")


def _label(row: Mapping[str, Any]) -> str:
    label = row.get("name")
    return str(label)[:60] if label else "unnamed"


def _show(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "…"
