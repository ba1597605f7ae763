"""The deploy-time lint finds what SpiffWorkflow's parser lets through, element by element.

Every test starts from the valid bundle in tests/data/lint/, breaks one thing in the parsed
trees, and checks the problem names the file, the element id and what is wrong.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
from lxml import etree
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.spiff.parser import VALIDATOR, SpiffBpmnParser

from workflow_app.definitions.errors import Problem
from workflow_app.definitions.lint import BPMN_NS, NS, check_form_schema, lint_bundle
from workflow_app.definitions.lint_dmn import _cell_expression
from workflow_app.definitions.xmlsafe import parse_xml

DATA = Path(__file__).parent.parent / "data" / "lint"
MAIN, CALLED, DMN, FORM = "registration.bpmn", "correction.bpmn", "fee.dmn", "forms/review.json"
KNOWN_OPERATORS = frozenset({"notify_applicant", "generate_document"})


@dataclass
class Bundle:
    bpmn: dict[str, etree._ElementTree]
    dmn: dict[str, etree._ElementTree]
    forms: dict[str, object]

    def element(self, element_id: str) -> etree._Element:
        """The element with ``element_id`` in any file of the bundle."""
        for tree in [*self.bpmn.values(), *self.dmn.values()]:
            if found := tree.xpath("//*[@id=$id]", id=element_id):
                return found[0]
        raise KeyError(element_id)

    def first(self, element_id: str, path: str) -> etree._Element:
        """The first node at ``path`` (BPMN/Spiff namespaces, or ``dmn:`` in DMN) below an element."""
        element = self.element(element_id)
        return element.xpath(path, namespaces={**NS, "dmn": etree.QName(element).namespace})[0]

    def lint(self, known_operators: frozenset[str] | None = KNOWN_OPERATORS) -> list[Problem]:
        return lint_bundle(self.bpmn, self.dmn, self.forms, known_operators)


@pytest.fixture
def bundle() -> Bundle:
    return Bundle(
        bpmn={name: parse_xml((DATA / name).read_bytes(), name) for name in (MAIN, CALLED)},
        dmn={DMN: parse_xml((DATA / DMN).read_bytes(), DMN)},
        forms={FORM: json.loads((DATA / "review.json").read_text(encoding="utf-8"))},
    )


def the_problem(problems: list[Problem], file: str, element_id: str | None) -> Problem:
    """Assert there is exactly one problem, about ``element_id`` in ``file``; return it."""
    assert len(problems) == 1, problems
    (problem,) = problems
    assert (problem.file, problem.element_id) == (file, element_id)
    return problem


def remove_lane_ref(bundle: Bundle, file: str, node_id: str) -> None:
    (ref,) = bundle.bpmn[file].xpath("//bpmn:flowNodeRef[text()=$id]", namespaces=NS, id=node_id)
    ref.getparent().remove(ref)


def set_timer(bundle: Bundle, kind: str, text: str) -> None:
    definition = bundle.element("TimerDef_Review")
    for old in list(definition):
        definition.remove(old)
    etree.SubElement(definition, f"{{{BPMN_NS}}}{kind}").text = text


# -- the valid bundle ------------------------------------------------------------------------------


def test_valid_bundle_has_no_problems(bundle: Bundle) -> None:
    assert bundle.lint() == []


def test_valid_bundle_is_accepted_by_spiffs_own_parser(bundle: Bundle) -> None:
    # Keeps the test data honest: every failure below is a change from a definition Spiff deploys.
    parser = SpiffBpmnParser(validator=VALIDATOR)
    for name, tree in bundle.bpmn.items():
        parser.add_bpmn_xml(tree, filename=name)
    for name, tree in bundle.dmn.items():
        parser.add_dmn_xml(tree.getroot(), filename=name)
    assert "correction" in parser.get_subprocess_specs("registration")


def test_problems_carry_the_source_line(bundle: Bundle) -> None:
    bundle.first("Task_Score", "bpmn:script").text = "x = ("
    problem = the_problem(bundle.lint(), MAIN, "Task_Score")
    assert problem.line == bundle.element("Task_Score").sourceline


# -- scripts and conditions ------------------------------------------------------------------------


def test_script_using_import_is_reported(bundle: Bundle) -> None:
    bundle.first("Task_Score", "bpmn:script").text = "__import__('os').system('id')"
    problem = the_problem(bundle.lint(), MAIN, "Task_Score")
    assert "script does not compile" in problem.message and "__import__" in problem.message


def test_script_reaching_dunder_attributes_is_reported(bundle: Bundle) -> None:
    bundle.first("Task_Score", "bpmn:script").text = "x = ().__class__.__base__.__subclasses__()"
    assert "__class__" in the_problem(bundle.lint(), MAIN, "Task_Score").message


def test_endless_loop_script_compiles_so_is_not_a_lint_problem(bundle: Bundle) -> None:
    bundle.first("Task_Score", "bpmn:script").text = "while True:\n    pass"
    assert bundle.lint() == []


def test_empty_script_task_is_reported(bundle: Bundle) -> None:
    bundle.first("Task_Score", "bpmn:script").text = "  "
    assert "no script" in the_problem(bundle.lint(), MAIN, "Task_Score").message


def test_post_script_that_does_not_compile_is_reported(bundle: Bundle) -> None:
    bundle.first("Task_Review", "bpmn:extensionElements/spiff:postScript").text = "reviewed = = True"
    assert "postScript does not compile" in the_problem(bundle.lint(), MAIN, "Task_Review").message


def test_condition_that_is_an_assignment_is_reported(bundle: Bundle) -> None:
    bundle.first("Flow_Approve", "bpmn:conditionExpression").text = 'decision = "approve"'
    assert "condition does not compile" in the_problem(bundle.lint(), MAIN, "Flow_Approve").message


def test_condition_indented_by_the_editor_compiles(bundle: Bundle) -> None:
    bundle.first("Flow_Approve", "bpmn:conditionExpression").text = '    decision == "approve"\n'
    assert bundle.lint() == []


# -- timers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "text"), [
    ("timeDuration", '"P15D"'), ("timeDuration", "'PT4H'"), ("timeDuration", "review_period"),
    ("timeDate", '"2026-01-01T00:00:00+08:00"'), ("timeDate", "due_at"),
    ("timeCycle", '"R3/PT1H"'), ("timeCycle", '"R/P1D"'),
])
def test_valid_timer_expressions_pass(bundle: Bundle, kind: str, text: str) -> None:
    set_timer(bundle, kind, text)
    assert bundle.lint() == []


@pytest.mark.parametrize(("kind", "text"), [
    ("timeDuration", '"P15X"'), ("timeDuration", '"15 days"'), ("timeDuration", '"P"'),
    ("timeDate", '"2026-13-01T00:00:00"'), ("timeDate", '"P15D"'),
    ("timeCycle", '"R3/PT1X"'), ("timeCycle", '"PT1H"'),
])
def test_timer_literal_that_is_not_iso_8601_is_reported(bundle: Bundle, kind: str, text: str) -> None:
    set_timer(bundle, kind, text)
    problem = the_problem(bundle.lint(), MAIN, "Timer_Review")
    assert f"timer {kind} {text} is not a valid ISO 8601 value" in problem.message


@pytest.mark.parametrize(("kind", "text"), [
    ("timeDuration", "P15D"), ("timeDuration", "PT4H"), ("timeCycle", "R3/PT1H"),
    ("timeDate", "2026-01-01T00:00:00+08:00"),
])
def test_unquoted_iso_timer_value_is_reported_with_a_hint_to_quote_it(
    bundle: Bundle, kind: str, text: str
) -> None:
    set_timer(bundle, kind, text)
    problem = the_problem(bundle.lint(), MAIN, "Timer_Review")
    assert "not quoted" in problem.message and f'"{text}"' in problem.message


def test_timer_expression_that_does_not_compile_is_reported(bundle: Bundle) -> None:
    set_timer(bundle, "timeDuration", "review_period +")
    assert "does not compile" in the_problem(bundle.lint(), MAIN, "Timer_Review").message


def test_empty_timer_is_reported(bundle: Bundle) -> None:
    set_timer(bundle, "timeDate", "")
    assert "empty" in the_problem(bundle.lint(), MAIN, "Timer_Review").message


# -- service tasks ---------------------------------------------------------------------------------


def test_unknown_service_operator_is_reported(bundle: Bundle) -> None:
    bundle.first("Task_Notify", ".//spiff:serviceTaskOperator").set("id", "send_fax")
    problem = the_problem(bundle.lint(), MAIN, "Task_Notify")
    assert "unknown service operator 'send_fax'" in problem.message
    assert "notify_applicant" in problem.message


def test_operator_names_are_not_checked_without_a_known_set(bundle: Bundle) -> None:
    bundle.first("Task_Notify", ".//spiff:serviceTaskOperator").set("id", "send_fax")
    assert bundle.lint(known_operators=None) == []


def test_operator_parameter_value_that_does_not_compile_is_reported(bundle: Bundle) -> None:
    bundle.first("Task_Notify", ".//spiff:parameter[@id='subject']").set("value", '"unterminated')
    problem = the_problem(bundle.lint(), MAIN, "Task_Notify")
    assert "parameter 'subject'" in problem.message and "does not compile" in problem.message


# -- sequence flows --------------------------------------------------------------------------------


def test_dangling_sequence_flow_target_is_reported(bundle: Bundle) -> None:
    bundle.element("Flow_Notified").set("targetRef", "End_Missing")
    problem = the_problem(bundle.lint(), MAIN, "Flow_Notified")
    assert "targetRef 'End_Missing' names no element of process 'registration'" in problem.message


def test_dangling_sequence_flow_source_is_reported(bundle: Bundle) -> None:
    bundle.element("Flow_Start").set("sourceRef", "Start_Missing")
    assert "sourceRef 'Start_Missing'" in the_problem(bundle.lint(), MAIN, "Flow_Start").message


def test_sequence_flow_into_a_sub_process_element_is_reported(bundle: Bundle) -> None:
    bundle.element("Flow_C1").set("targetRef", "Task_Prepare")
    problem = the_problem(bundle.lint(), CALLED, "Flow_C1")
    assert "cannot cross sub-process borders" in problem.message


# -- lanes -----------------------------------------------------------------------------------------


def test_user_task_without_lane_is_reported(bundle: Bundle) -> None:
    remove_lane_ref(bundle, MAIN, "Task_Review")
    assert "userTask is in no lane" in the_problem(bundle.lint(), MAIN, "Task_Review").message


def test_manual_task_in_sub_process_without_lane_is_reported(bundle: Bundle) -> None:
    # The manual task is not listed itself: it inherits the lane of its sub-process, as in Spiff.
    remove_lane_ref(bundle, CALLED, "Sub_Correct")
    assert "manualTask is in no lane" in the_problem(bundle.lint(), CALLED, "Task_Prepare").message


def test_user_task_in_unnamed_lane_is_reported(bundle: Bundle) -> None:
    del bundle.element("Lane_caseworker").attrib["name"]
    assert "has no name" in the_problem(bundle.lint(), MAIN, "Task_Review").message


# -- forms and time limits -------------------------------------------------------------------------


def test_user_task_without_form_is_reported(bundle: Bundle) -> None:
    prop = bundle.first("Task_Review", ".//spiff:property[@name='formJsonSchemaFilename']")
    prop.getparent().remove(prop)
    assert "user task has no form" in the_problem(bundle.lint(), MAIN, "Task_Review").message


def test_form_missing_from_bundle_is_reported(bundle: Bundle) -> None:
    form = bundle.first("Task_Review", ".//spiff:property[@name='formJsonSchemaFilename']")
    form.set("value", "accept.json")
    problem = the_problem(bundle.lint(), MAIN, "Task_Review")
    assert "'accept.json' is not among the bundle's forms (review.json)" in problem.message


def test_form_that_is_not_a_valid_json_schema_is_reported(bundle: Bundle) -> None:
    bundle.forms[FORM] = {"type": "object", "properties": {"decision": {"type": "text"}}}
    problem = the_problem(bundle.lint(), FORM, "/properties/decision/type")
    assert "not a valid JSON Schema" in problem.message


@pytest.mark.parametrize(("value", "phrase"), [
    ({"type": "array", "items": {"type": "string"}}, '"type": "object"'),
    ({"properties": {}}, '"type": "object"'),
    (["not", "a", "schema"], "must be a JSON object"),
])
def test_form_that_is_not_an_object_schema_is_reported(value: object, phrase: str) -> None:
    problem = the_problem(check_form_schema("forms/x.json", value), "forms/x.json", None)
    assert phrase in problem.message


def test_two_forms_with_the_same_file_name_are_reported(bundle: Bundle) -> None:
    bundle.forms["other/review.json"] = bundle.forms[FORM]
    assert "also named 'review.json'" in the_problem(bundle.lint(), "other/review.json", None).message


@pytest.mark.parametrize("limit", ["5wd", "30d", "PT4H", "P2D", "P1DT2H", "PT30M"])
def test_valid_time_limits_pass(bundle: Bundle, limit: str) -> None:
    bundle.first("Task_Review", ".//spiff:property[@name='timeLimit']").set("value", limit)
    assert bundle.lint() == []


@pytest.mark.parametrize("limit", ["5", "5 days", "0wd", "P", "PT", "P1DT", "4h", "wd"])
def test_bad_time_limit_is_reported(bundle: Bundle, limit: str) -> None:
    bundle.first("Task_Review", ".//spiff:property[@name='timeLimit']").set("value", limit)
    problem = the_problem(bundle.lint(), MAIN, "Task_Review")
    assert f"timeLimit {limit!r} is not a time limit" in problem.message


def add_task_property(bundle: Bundle, task_id: str, name: str, value: str) -> None:
    """Give a user task one more spiffworkflow property."""
    properties = bundle.first(task_id, ".//spiff:properties")
    etree.SubElement(properties, f"{{{NS['spiff']}}}property", name=name, value=value)


@pytest.mark.parametrize(("name", "value"), [("opinionToApplicant", "true"), ("opinionToApplicant", "false"),
                                             ("opinionToApplicant", "reject"), ("fieldsToApplicant", "opinion")])
def test_what_a_step_gives_the_organization_passes_when_its_form_has_it(bundle: Bundle, name: str, value: str) -> None:
    add_task_property(bundle, "Task_Review", name, value)
    assert bundle.lint() == []


@pytest.mark.parametrize(("name", "value", "phrase"), [
    ("opinionToApplicant", "reject,refuse", "names decisions refuse that form"),
    ("fieldsToApplicant", "opinion,reasons", "names fields reasons that form"),
])
def test_a_reason_the_form_does_not_have_is_reported(bundle: Bundle, name: str, value: str, phrase: str) -> None:
    add_task_property(bundle, "Task_Review", name, value)
    assert phrase in the_problem(bundle.lint(), MAIN, "Task_Review").message


def set_process_property(bundle: Bundle, name: str, value: str) -> None:
    """Give the main process its own spiffworkflow property ``name`` (before its first child)."""
    process = bundle.element("registration")
    extensions = etree.Element(f"{{{BPMN_NS}}}extensionElements")
    properties = etree.SubElement(extensions, f"{{{NS['spiff']}}}properties")
    etree.SubElement(properties, f"{{{NS['spiff']}}}property", name=name, value=value)
    process.insert(0, extensions)


@pytest.mark.parametrize("setting", ["escalationReminderBefore", "escalationParentAfter"])
@pytest.mark.parametrize("value", ["1wd", "3", "PT8H", "2d", "off"])
def test_valid_escalation_settings_pass(bundle: Bundle, setting: str, value: str) -> None:
    set_process_property(bundle, setting, value)
    assert bundle.lint() == []


@pytest.mark.parametrize("setting", ["escalationReminderBefore", "escalationParentAfter"])
@pytest.mark.parametrize("value", ["soon", "5 days", "P", "-1wd"])
def test_bad_escalation_setting_is_reported_at_deploy(bundle: Bundle, setting: str, value: str) -> None:
    set_process_property(bundle, setting, value)
    problem = the_problem(bundle.lint(), MAIN, "registration")
    assert problem.message.startswith(f"{setting}: ") and "working days (1wd)" in problem.message


def test_start_variables_listing_names_pass(bundle: Bundle) -> None:
    set_process_property(bundle, "startVariables", "inspection_year, source，note")
    assert bundle.lint() == []


def test_start_variables_that_are_no_names_are_reported(bundle: Bundle) -> None:
    set_process_property(bundle, "startVariables", "year, 2nd, org-name")
    problem = the_problem(bundle.lint(), MAIN, "registration")
    assert problem.message == "startVariables lists names that are no variable name: 2nd, org-name"


# -- references between files ----------------------------------------------------------------------


def test_missing_dmn_decision_is_reported(bundle: Bundle) -> None:
    bundle.first("Task_Fee", ".//spiff:calledDecisionId").text = "annual_fee"
    problem = the_problem(bundle.lint(), MAIN, "Task_Fee")
    assert "decision 'annual_fee' is not in any DMN file" in problem.message
    assert "fee_decision" in problem.message


def test_call_activity_naming_an_unknown_process_is_reported(bundle: Bundle) -> None:
    bundle.element("Call_Correction").set("calledElement", "rectification")
    problem = the_problem(bundle.lint(), MAIN, "Call_Correction")
    assert "'rectification' is not in the bundle" in problem.message


# -- DMN -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", [
    ">= 10000", "< limit", '"foundation"', '? in ["a", "b"]', "1000 < ? < 30000", '"what?"', " in [1, 2]",
    "-",
])
def test_working_dmn_cells_pass(bundle: Bundle, cell: str) -> None:
    bundle.first("Cell_2_2", "dmn:text").text = cell
    assert bundle.lint() == []


@pytest.mark.parametrize(("cell_id", "cell", "phrase"), [
    ("Cell_2_2", "[1..3]", "FEEL ranges"),
    ("Cell_2_2", ">=", "not a Python comparison"),
    ("Cell_2_1", 'in ["social_group"]', "without a space"),
    ("Cell_2_1", '"social_group","foundation"', "tuple"),
    ("Cell_2_1", "true", "write True"),
    ("Cell_2_1", 'not("foundation")', "not(...)"),
    ("Cell_2_1", "?.__class__", "__class__"),
    ("Cell_2_2", "   ", "only blanks"),
])
def test_bad_dmn_input_cell_is_reported_on_its_rule(
    bundle: Bundle, cell_id: str, cell: str, phrase: str
) -> None:
    bundle.first(cell_id, "dmn:text").text = cell
    problem = the_problem(bundle.lint(), DMN, "Rule_group")
    assert phrase in problem.message and repr(cell) in problem.message


def test_dmn_output_cell_that_does_not_compile_is_reported(bundle: Bundle) -> None:
    bundle.first("Out_2", "dmn:text").text = "50 +"
    assert "output cell 1 '50 +' does not compile" in the_problem(bundle.lint(), DMN, "Rule_group").message


def test_dmn_input_expression_that_does_not_compile_is_reported(bundle: Bundle) -> None:
    bundle.first("InputExpression_capital", "dmn:text").text = "capital +"
    assert "input expression does not compile" in the_problem(bundle.lint(), DMN, "Input_capital").message


def test_unsupported_hit_policy_is_reported(bundle: Bundle) -> None:
    bundle.element("Table_fee").set("hitPolicy", "PRIORITY")
    assert "hit policy PRIORITY" in the_problem(bundle.lint(), DMN, "Table_fee").message


def test_rule_with_missing_cell_is_reported(bundle: Bundle) -> None:
    cell = bundle.element("Cell_3_2")
    cell.getparent().remove(cell)
    assert "1 input and 1 output cells" in the_problem(bundle.lint(), DMN, "Rule_other").message


def test_dmn_1_2_namespace_is_understood(bundle: Bundle) -> None:
    data = (DATA / DMN).read_bytes().replace(
        b"https://www.omg.org/spec/DMN/20191111/MODEL/", b"http://www.omg.org/spec/DMN/20180521/MODEL/"
    )
    bundle.dmn[DMN] = parse_xml(data, DMN)
    assert bundle.lint() == []


class RecordingScriptEngine:
    """Stands in for Spiff's script engine and records the Python DMNEngine asks it to evaluate."""

    def __init__(self) -> None:
        self.evaluated: list[str] = []

    def validate(self, expression: str) -> None:
        ast.parse(expression)

    def evaluate(self, task: object, expression: str, external_context: dict | None = None) -> bool:
        self.evaluated.append(expression)
        return True


@pytest.mark.parametrize("cell", [
    ">= 10000", '"x"', '? in ["a","b"]', "1000 < ? < 30000", '"what?"', "'a?' if ? else \"b\"",
    'in ["a"]', '"a","b"', " in [1]", 'not("x")',
])
def test_cell_translation_matches_spiffs_dmn_engine(cell: str) -> None:
    engine = RecordingScriptEngine()
    task = SimpleNamespace(workflow=SimpleNamespace(script_engine=engine), data={})
    DMNEngine(decision_table=None).evaluate("amount", cell, task)
    expression, _hint = _cell_expression("amount", cell)
    assert expression == engine.evaluated[-1]


@pytest.mark.parametrize("field", ["date", "now", "Decimal", "workdays_later"])
def test_form_field_shadowing_a_script_helper_is_a_problem(field):
    form = {"type": "object", "properties": {field: {"type": "string"}, "title": {"type": "string"}}}
    [problem] = check_form_schema("forms/x.json", form)
    assert problem.element_id == f"/properties/{field}" and "shadows" in problem.message


def test_form_field_named_like_a_builtin_is_fine():
    assert check_form_schema("forms/x.json", {"type": "object", "properties": {"round": {"type": "integer"}}}) == []
