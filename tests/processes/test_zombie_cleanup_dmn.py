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

# The facts the 核查 form records, and the two the case reads from the registry (org_type, charity_recognized).
NOTHING_SPECIAL: dict[str, Any] = {
    "willing_to_dissolve": False,
    "no_annual_report_2y": False,
    "inactive_after_registration": False,
    "inactive_since_2019": False,
    "unreachable": False,
    "governance_deadlock": False,
    "org_type": "social_group",
    "charity_recognized": False,
}
REGISTRY_FACTS = {"org_type", "charity_recognized"}


@pytest.fixture(scope="module")
def propose() -> Any:
    """Run the decision for some facts as `propose_measure` does; return (proposed_measure, measure_reason)."""
    run = dmn.decision_runner(DMN_FILE, decision="zombie_cleanup_measure", task="propose_measure")

    def measure(**facts: Any) -> tuple[str, str]:
        data = run({**NOTHING_SPECIAL, **facts})
        return data["proposed_measure"], data["measure_reason"]

    return measure


def test_the_table_lints_clean_and_is_first_hit():
    tree = etree.parse(str(DMN_FILE))
    assert lint_bundle({}, {DMN_FILE.name: tree}, {}) == []
    table = tree.find(".//dmn:decisionTable", DMN_NS)
    assert table.get("hitPolicy") == "FIRST"
    assert [r.get("id") for r in dmn.rules(DMN_FILE)] == [
        "Rule_deregister", "Rule_inactive_social_group", "Rule_inactive_foundation", "Rule_charity",
        "Rule_unreachable_social_group", "Rule_unreachable_private_non_enterprise", "Rule_unreachable_foundation",
        "Rule_dormant_social_group", "Rule_dormant_private_non_enterprise", "Rule_dormant_foundation",
        "Rule_rectify"]


def test_the_last_row_catches_everything():
    last = dmn.rules(DMN_FILE)[-1]
    assert set(dmn.input_cells(last)) == {"-"}


def test_the_inputs_are_fields_of_the_verify_form():
    verify = json.loads(VERIFY_FORM.read_text(encoding="utf-8"))
    inputs = [t.text for t in etree.parse(str(DMN_FILE)).findall(".//dmn:inputExpression/dmn:text", DMN_NS)]
    from_form = set(inputs) - REGISTRY_FACTS
    assert from_form and from_form <= set(verify["required"]) and REGISTRY_FACTS <= set(inputs)
    assert all(verify["properties"][name]["type"] == "boolean" for name in from_form)
    # Reachability is one field: no second, contradicting one; the charity status is the registry's.
    assert "reachable" not in verify["properties"] and "is_charity" not in verify["properties"]


def test_every_proposed_measure_can_be_chosen_by_the_supervisor():
    confirm = json.loads(CONFIRM_FORM.read_text(encoding="utf-8"))
    proposals = {r.find("dmn:outputEntry/dmn:text", DMN_NS).text.strip('"') for r in dmn.rules(DMN_FILE)}
    assert proposals == set(confirm["properties"]["changed_measure"]["enum"])
    assert "revoke_certificate" not in proposals  # 吊销 only after a 慈善组织 failed to rectify (慈善法)


@pytest.fixture(scope="module")
def basis() -> Any:
    """The legal basis the decision gives for some facts."""
    run = dmn.decision_runner(DMN_FILE, decision="zombie_cleanup_measure", task="propose_measure")
    return lambda **facts: run({**NOTHING_SPECIAL, **facts})["legal_basis"]


def test_every_row_gives_an_article():
    for rule in dmn.rules(DMN_FILE):
        outputs = [e.text for e in rule.findall("dmn:outputEntry/dmn:text", DMN_NS)]
        assert len(outputs) == 3 and ("条" in outputs[2] or "民发〔2021〕63号" in outputs[2]), rule.get("id")


# -- row 1: reachable and willing to dissolve → 注销登记 --------------------------------------------------

def test_row_deregister_reachable_and_willing(propose):
    assert propose(willing_to_dissolve=True, no_annual_report_2y=True)[0] == "deregister"


def test_row_deregister_wins_over_the_penalty_rows(propose):
    measure, reason = propose(willing_to_dissolve=True, no_annual_report_2y=True, inactive_since_2019=True,
                              inactive_after_registration=True)
    assert measure == "deregister"
    assert "注销登记" in reason


def test_willing_but_unreachable_is_not_a_voluntary_deregistration(propose):
    # Who would run the liquidation? Nobody can be reached: the penalty rows apply.
    assert propose(unreachable=True, willing_to_dissolve=True)[0] == "revoke"


# -- probe 1: situation 2 alone (no activity within a year of registration) is an express 撤销 ground ---------

def test_probe_situation_two_alone_revokes_a_social_group_under_article_29(propose, basis):
    assert propose(inactive_after_registration=True)[0] == "revoke"
    assert basis(inactive_after_registration=True).startswith("《社会团体登记管理条例》第二十九条")


def test_probe_situation_two_alone_revokes_a_foundation_under_article_41(propose, basis):
    facts = {"inactive_after_registration": True, "org_type": "foundation"}
    assert propose(**facts)[0] == "revoke"
    assert basis(**facts).startswith("《基金会管理条例》第四十一条第（一）项")


def test_situation_two_of_a_recognized_charity_foundation_is_still_a_revocation(propose):
    assert propose(inactive_after_registration=True, org_type="foundation", charity_recognized=True)[0] == "revoke"


def test_situation_two_is_no_revocation_ground_for_a_private_non_enterprise_unit(propose):
    # The 民非 regulation has no one-year-inactivity ground (its art 24 is 骗取登记 / 业务主管单位撤销批准).
    assert propose(inactive_after_registration=True, org_type="private_non_enterprise")[0] == "rectify"


# -- probe 2: reachability is one field: unreachable means unreachable ------------------------------------

@pytest.mark.parametrize(("org_type", "article"), [
    ("social_group", "《社会团体登记管理条例》第三十条"),
    ("private_non_enterprise", "《民办非企业单位登记管理暂行条例》第二十五条"),
    ("foundation", "《基金会管理条例》第四十二条"),
])
def test_probe_unreachable_revokes_with_the_article_of_its_type(propose, basis, org_type, article):
    measure, reason = propose(unreachable=True, org_type=org_type)
    assert measure == "revoke" and "撤销登记" in reason
    assert basis(unreachable=True, org_type=org_type).startswith(article)


# -- probe 3: 吊销 only for a recognized 慈善组织, and only after 责令限期改正 ----------------------------------

@pytest.mark.parametrize("facts", [
    {"unreachable": True},
    {"no_annual_report_2y": True, "inactive_since_2019": True},
])
def test_probe_a_recognized_charity_is_first_ordered_to_rectify(propose, basis, facts):
    measure, reason = propose(charity_recognized=True, org_type="foundation", **facts)
    assert measure == "rectify" and "吊销" in reason
    assert "慈善法" in basis(charity_recognized=True, org_type="foundation", **facts)


def test_probe_a_foundation_that_is_no_charity_is_revoked_under_the_foundation_regulation(propose, basis):
    facts = {"no_annual_report_2y": True, "inactive_since_2019": True, "org_type": "foundation"}
    assert propose(**facts)[0] == "revoke"
    assert basis(**facts).startswith("《基金会管理条例》")


# -- the dormant rows: two years without 年检 and no activity since 2019 -----------------------------------

def test_row_dormant_revokes_the_registration(propose):
    measure, reason = propose(no_annual_report_2y=True, inactive_since_2019=True)
    assert measure == "revoke"
    assert "年检" in reason


@pytest.mark.parametrize("facts", [
    {"no_annual_report_2y": True},
    {"inactive_since_2019": True},
])
def test_one_of_the_two_dormancy_signs_alone_is_not_enough(propose, facts):
    assert propose(**facts)[0] == "rectify"


# -- the catch-all → 推动整改 -------------------------------------------------------------------------------

@pytest.mark.parametrize("facts", [
    {"governance_deadlock": True},
    {"charity_recognized": True, "governance_deadlock": True},
    {},
])
def test_row_rectify_catches_the_rest(propose, basis, facts):
    measure, reason = propose(**facts)
    assert measure == "rectify"
    assert "限期" in reason
