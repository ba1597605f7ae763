"""A shipped DMN table, run the way a case runs it and read row by row, for the decision tests.

The table is called from a one-task process whose business rule task names the decision, on the
project's engine (the same harness the designer's row tests use, workflow_app/engine/decisions.py):
every cell is evaluated in the RestrictedPython sandbox, not by a test-only evaluator.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from lxml import etree

from workflow_app.engine import Engine
from workflow_app.engine.decisions import decision_evaluator

DMN_NS = {"dmn": "https://www.omg.org/spec/DMN/20191111/MODEL/"}

def decision_runner(dmn_file: Path, decision: str, task: str = "decide") -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """A function that runs ``decision`` of ``dmn_file`` the way the designer's row tests do
    (workflow_app.engine.decisions: a one-task process on the project's engine); it returns the case data.
    ``task`` is kept for the callers that name the shipped business rule task."""
    return decision_evaluator(Engine(), dmn_file.name, etree.parse(str(dmn_file)).getroot(), decision)


def rules(dmn_file: Path) -> list[etree._Element]:
    """The rows of the file's tables, in order."""
    return etree.parse(str(dmn_file)).findall(".//dmn:rule", DMN_NS)


def input_cells(rule: etree._Element) -> list[str | None]:
    """The text of each input cell of a row."""
    return [cell.findtext("dmn:text", namespaces=DMN_NS) for cell in rule.findall("dmn:inputEntry", DMN_NS)]
