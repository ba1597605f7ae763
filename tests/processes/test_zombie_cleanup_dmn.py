"""zombie_cleanup_measure.dmn — 建议处置措施, row by row.

The decision runs as the case runs it: from a business rule task on the project's engine, so
every cell is evaluated in the RestrictedPython sandbox. Each row is hit by a case of its own,
and the cases that sit just beside a row show that the row order (hit policy FIRST) matters.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from lxml import etree

from tests.processes import dmn
from tests.processes.conftest import BPMN
from tests.processes.dmn import DMN_NS
from workflow_app.definitions.lint import lint_bundle

DMN_FILE = BPMN / "zombie_cleanup_measure.dmn"
CONFIRM_FORM = BPMN / "forms" / "zombie_cleanup_confirm_measure.json"
VERIFY_FORM = BPMN / "forms" / "zombie_cleanup_verify.json"

# The facts the 核查 form records; the DMN reads five of them.
NOTHING_SPECIAL: dict[str, bool] = {
    "reachable": True,
    "willing_to_dissolve": False,
    "is_charity": False,
    "no_annual_report_2y": False,
    "inactive_after_registration": False,
    "inactive_since_2019": False,
    "unreachable": False,
    "governance_deadlock": False,
}


@pytest.fixture(scope="module")
def propose() -> Any:
    """Run the decision for some facts as `propose_measure` does; return (proposed_measure, measure_reason)."""
    run = dmn.decision_runner(DMN_FILE, decision="zombie_cleanup_measure", task="propose_measure")

    def measure(**facts: bool) -> tuple[str, str]:
        data = run({**NOTHING_SPECIAL, **facts})
        return data["proposed_measure"], data["measure_reason"]

    return measure


def test_the_table_lints_clean_and_is_first_hit():
    tree = etree.parse(str(DMN_FILE))
    assert lint_bundle({}, {DMN_FILE.name: tree}, {}) == []
    table = tree.find(".//dmn:decisionTable", DMN_NS)
    assert table.get("hitPolicy") == "FIRST"
    assert [r.get("id") for r in dmn.rules(DMN_FILE)] == [
        "Rule_deregister", "Rule_unreachable_charity", "Rule_unreachable", "Rule_dormant_charity", "Rule_dormant",
        "Rule_rectify"]


def test_the_last_row_catches_everything():
    last = dmn.rules(DMN_FILE)[-1]
    assert set(dmn.input_cells(last)) == {"-"}


def test_the_inputs_are_fields_of_the_verify_form():
    verify = json.loads(VERIFY_FORM.read_text(encoding="utf-8"))
    inputs = [t.text for t in etree.parse(str(DMN_FILE)).findall(".//dmn:inputExpression/dmn:text", DMN_NS)]
    assert inputs and set(inputs) <= set(verify["required"])
    assert all(verify["properties"][name]["type"] == "boolean" for name in inputs)


def test_every_proposed_measure_can_be_chosen_by_the_supervisor():
    confirm = json.loads(CONFIRM_FORM.read_text(encoding="utf-8"))
    proposals = {r.find("dmn:outputEntry/dmn:text", DMN_NS).text.strip('"') for r in dmn.rules(DMN_FILE)}
    assert proposals == set(confirm["properties"]["changed_measure"]["enum"])


# -- row 1: reachable and willing to dissolve → 注销登记 --------------------------------------------------

def test_row_deregister_reachable_and_willing(propose):
    assert propose(willing_to_dissolve=True, no_annual_report_2y=True)[0] == "deregister"


def test_row_deregister_wins_over_the_dormant_rows(propose):
    measure, reason = propose(willing_to_dissolve=True, no_annual_report_2y=True, inactive_since_2019=True,
                              is_charity=True)
    assert measure == "deregister"
    assert "注销登记" in reason


def test_willing_but_unreachable_is_not_a_voluntary_deregistration(propose):
    # Who would run the liquidation? Nobody can be reached: the penalty rows apply.
    assert propose(reachable=False, willing_to_dissolve=True)[0] == "revoke"


# -- rows 2 and 3: unreachable → 吊销登记证书 (charity) / 撤销登记 --------------------------------------------

def test_row_unreachable_charity_revokes_the_certificate(propose):
    measure, reason = propose(reachable=False, unreachable=True, is_charity=True)
    assert measure == "revoke_certificate"
    assert "吊销登记证书" in reason


def test_row_unreachable_revokes_the_registration(propose):
    measure, reason = propose(reachable=False, unreachable=True)
    assert measure == "revoke"
    assert "撤销登记" in reason


# -- rows 4 and 5: two years without 年检 and no activity since 2019 ---------------------------------------

def test_row_dormant_charity_revokes_the_certificate(propose):
    assert propose(no_annual_report_2y=True, inactive_since_2019=True, is_charity=True)[0] == "revoke_certificate"


def test_row_dormant_revokes_the_registration(propose):
    measure, reason = propose(no_annual_report_2y=True, inactive_since_2019=True)
    assert measure == "revoke"
    assert "年检" in reason


@pytest.mark.parametrize("facts", [
    {"no_annual_report_2y": True},
    {"inactive_since_2019": True},
    {"no_annual_report_2y": True, "inactive_after_registration": True},
])
def test_one_of_the_two_dormancy_signs_alone_is_not_enough(propose, facts):
    assert propose(**facts)[0] == "rectify"


# -- row 6: the catch-all → 推动整改 ------------------------------------------------------------------------

@pytest.mark.parametrize("facts", [
    {"inactive_after_registration": True},
    {"governance_deadlock": True},
    {"unreachable": True},  # found another way (a member, the 业务主管单位): can still be rectified
    {"is_charity": True, "governance_deadlock": True},
    {},
])
def test_row_rectify_catches_the_rest(propose, facts):
    measure, reason = propose(**facts)
    assert measure == "rectify"
    assert "限期整改" in reason
