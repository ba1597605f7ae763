"""major_event_classification.dmn — 重大事项分类, row by row.

The table runs the way a case runs it: in a business rule task, on the project's engine (cells
evaluated in the RestrictedPython sandbox). Each row has at least one case here, the thresholds
are tested on both sides, and the report form's event types and the table must agree.
"""

from __future__ import annotations

import ast
import json
from typing import Any

import pytest
from lxml import etree

from tests.processes import dmn
from tests.processes.conftest import BPMN
from tests.processes.dmn import DMN_NS

DMN_FILE = BPMN / "major_event_classification.dmn"
REPORT_FORM = BPMN / "forms" / "major_event_report.json"
OUTPUTS = ("event_class", "lead_days_required", "needs_sponsor_opinion", "risk")


@pytest.fixture(scope="module")
def classify() -> Any:
    """Run the decision for some inputs from a task like major_event.bpmn's `classify`; return its four outputs."""
    run = dmn.decision_runner(DMN_FILE, decision="major_event_classification", task="classify")

    def outputs(event_type: str, participants: int = 50, amount: float = 0) -> dict[str, Any]:
        data = run({"event_type": event_type, "participants": participants, "amount": amount})
        return {name: data.get(name) for name in OUTPUTS}

    return outputs


def expect(event_class: str, lead: int, sponsor: bool, risk: str = "normal") -> dict[str, Any]:
    """The four outputs of one row."""
    return {"event_class": event_class, "lead_days_required": lead, "needs_sponsor_opinion": sponsor, "risk": risk}


# (rule id, inputs, outputs): every rule of the table appears at least once.
ROWS = [
    ("Rule_general_election", ("general_election", 200, 0), expect("approval", 60, True)),
    ("Rule_leader_change", ("leader_change", 0, 0), expect("approval", 60, True)),
    ("Rule_charter_amendment", ("charter_amendment", 150, 0), expect("approval", 15, True)),
    ("Rule_commendation", ("commendation", 30, 0), expect("approval", 15, True, "high")),
    ("Rule_commendation", ("commendation", 5000, 2_000_000), expect("approval", 15, True, "high")),
    ("Rule_large_gathering", ("assembly", 1000, 0), expect("approval", 15, True, "high")),
    ("Rule_large_gathering", ("festival", 3000, 200_000), expect("approval", 15, True, "high")),
    ("Rule_large_gathering", ("performance", 1200, 0), expect("approval", 15, True, "high")),
    ("Rule_large_gathering", ("sports", 1000, 0), expect("approval", 15, True, "high")),
    ("Rule_forum", ("forum", 5000, 0), expect("filing", 15, True)),
    ("Rule_activity", ("assembly", 999, 0), expect("filing", 15, False)),
    ("Rule_activity", ("festival", 300, 80_000), expect("filing", 15, False)),
    ("Rule_activity", ("performance", 0, 0), expect("filing", 15, False)),
    ("Rule_activity", ("sports", 999, 5_000_000), expect("filing", 15, False)),
    ("Rule_foreign", ("foreign_activity", 20, 0), expect("approval", 15, True)),
    ("Rule_foreign", ("overseas_donation", 0, 100), expect("approval", 15, True)),
    ("Rule_economic_entity", ("economic_entity", 0, 500_000), expect("filing", 15, True)),
    ("Rule_large_expenditure", ("large_expenditure", 0, 1_000_000), expect("approval", 15, True)),
    ("Rule_expenditure", ("large_expenditure", 0, 999_999.99), expect("filing", 15, False)),
    ("Rule_emergency", ("emergency", 3000, 0), expect("immediate", 0, False)),
    ("Rule_other", ("something_new", 0, 0), expect("approval", 15, True)),
    ("Rule_other", ("", 10_000, 10_000_000), expect("approval", 15, True)),
]


@pytest.mark.parametrize(("rule", "inputs", "outputs"), ROWS,
                         ids=[f"{rule}-{inputs[0] or 'empty'}-{inputs[1]}-{inputs[2]}" for rule, inputs, _o in ROWS])
def test_row_classifies_its_events(classify: Any, rule: str, inputs: tuple, outputs: dict[str, Any]) -> None:
    assert classify(*inputs) == outputs


def test_every_row_of_the_table_has_a_case_here() -> None:
    assert {rule.get("id") for rule in dmn.rules(DMN_FILE)} == {rule for rule, _i, _o in ROWS}


def test_table_uses_first_hit_and_ends_with_a_catch_all_row() -> None:
    table = etree.parse(str(DMN_FILE)).getroot().find(".//dmn:decisionTable", DMN_NS)
    assert table.get("hitPolicy") == "FIRST"
    last = dmn.rules(DMN_FILE)[-1]
    assert dmn.input_cells(last) == ["-", "-", "-"]


def test_large_gatherings_start_at_one_thousand_participants(classify: Any) -> None:
    assert classify("assembly", 999)["event_class"] == "filing"
    assert classify("assembly", 1000) == expect("approval", 15, True, "high")


def test_expenditure_needs_approval_from_one_million_yuan(classify: Any) -> None:
    assert classify("large_expenditure", 0, 999_999)["event_class"] == "filing"
    assert classify("large_expenditure", 0, 1_000_000)["event_class"] == "approval"


def test_changes_of_leadership_need_two_months_and_activities_fifteen_days(classify: Any) -> None:
    assert classify("general_election")["lead_days_required"] == 60
    assert classify("leader_change")["lead_days_required"] == 60
    for activity in ("festival", "performance", "sports", "assembly", "forum", "commendation"):
        assert classify(activity)["lead_days_required"] == 15, activity


def test_every_event_type_of_the_report_form_has_its_own_row() -> None:
    """The form's enum and the table agree: no listed type falls through to the catch-all row."""
    form_types = set(json.loads(REPORT_FORM.read_text(encoding="utf-8"))["properties"]["event_type"]["enum"])
    named: set[str] = set()
    for rule in dmn.rules(DMN_FILE)[:-1]:
        cell = rule.find("dmn:inputEntry/dmn:text", DMN_NS).text.strip()
        value = ast.literal_eval(cell.split(" in ", 1)[1] if cell.startswith("?") else cell)
        named |= set(value) if isinstance(value, list) else {value}
    assert form_types == named
