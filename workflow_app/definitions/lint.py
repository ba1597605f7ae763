"""Deploy-time checks that SpiffWorkflow does not make when it parses a bundle.

Spiff accepts scripts, conditions and timer expressions that cannot compile, DMN cells
that silently never match, and user tasks our inbox cannot route; all of that would only
surface when a case reaches the element. These checks run on the XML trees (from
``xmlsafe.parse_xml``) before a definition is deployed; every problem names the file and
the element id.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Collection, Mapping
from datetime import datetime
from pathlib import PurePosixPath

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from workflow_app.alerts.ladder import PARENT_PROPERTY, REMINDER_PROPERTY, LadderConfigError, parse_setting
from workflow_app.definitions.errors import Problem
from workflow_app.definitions.lint_base import FileLint
from workflow_app.definitions.lint_dmn import DmnLint
from workflow_app.definitions.properties import START_VARIABLES_PROPERTY, invalid_start_variable_names
from workflow_app.engine.helpers import reserved_names
from workflow_app.engine.sandbox import compile_expression, compile_script
from workflow_app.instances.disclosure import FIELDS_PROPERTY, OPINION_PROPERTY, parse_step_rule

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiff": SPIFF_NS}

FORM_PROPERTY = "formJsonSchemaFilename"
TIME_LIMIT_PROPERTY = "timeLimit"

# Working days (5wd), calendar days (30d) or an ISO 8601 duration (PT4H, P2D, P1DT2H).
_TIME_LIMIT = re.compile(
    r"^(?:[1-9]\d*wd|[1-9]\d*d"
    r"|P(?=\d|T\d)(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+S)?)?)$"
)
# What a designer types when they forget that timer expressions are Python: P15D, R3/PT1H, 2026-01-01T...
_UNQUOTED_ISO = re.compile(
    r"^(?:R\d*/)?(?:P(?=[^/]*\d)[\dYMWDTHS.,]+|\d{4}-\d{2}-\d{2}\S*)(?:/\S+)?$", re.IGNORECASE
)
_DURATION_SHAPE = re.compile(r"^P(?=.*\d)", re.IGNORECASE)
_TIMER_KINDS = ("timeDate", "timeDuration", "timeCycle")
# Children of a process or sub-process that cannot be the end of a sequence flow.
_NOT_FLOW_NODES = {
    "sequenceFlow", "laneSet", "dataObject", "dataObjectReference", "dataStoreReference", "textAnnotation",
    "association", "group", "documentation", "extensionElements", "ioSpecification", "ioBinding", "property",
    "incoming", "outgoing", "dataInputAssociation", "dataOutputAssociation", "auditing", "monitoring",
    "multiInstanceLoopCharacteristics", "standardLoopCharacteristics", "correlationSubscription",
    "resourceRole",
}



def lint_bundle(
    bpmn: Mapping[str, etree._ElementTree],
    dmn: Mapping[str, etree._ElementTree],
    forms: Mapping[str, object],
    known_operators: Collection[str] | None = None,
) -> list[Problem]:
    """Return every problem found in a bundle of BPMN trees, DMN trees and decoded JSON forms."""
    problems: list[Problem] = []
    forms_by_name: dict[str, str] = {}
    decoded: dict[str, object] = {}
    for name, value in forms.items():
        base = _basename(name)
        if base in forms_by_name:
            problems.append(Problem(name, f"another form is also named {base!r} ({forms_by_name[base]})"))
        forms_by_name[base], decoded[base] = name, value
        problems += check_form_schema(name, value)

    decisions: dict[str, str] = {}
    for name, tree in dmn.items():
        linter = DmnLint(name, tree)
        problems += linter.run()
        for decision_id in linter.decision_ids:
            if decision_id in decisions:
                message = f"decision id is also used in {decisions[decision_id]}"
                problems.append(Problem(name, message, decision_id))
            decisions[decision_id] = name

    process_ids = {pid for tree in bpmn.values() for pid in tree.xpath("//bpmn:process/@id", namespaces=NS)}
    for name, tree in bpmn.items():
        problems += _BpmnLint(name, tree, forms_by_name, decisions, process_ids, known_operators, decoded).run()
    return problems


def check_form_schema(name: str, value: object) -> list[Problem]:
    """Return the problems that keep a decoded JSON value from serving as a task form schema."""
    if not isinstance(value, dict):
        return [Problem(name, f"form must be a JSON object (a JSON Schema), not {type(value).__name__}")]
    try:
        Draft202012Validator.check_schema(value)
    except SchemaError as exc:
        pointer = "/" + "/".join(str(part) for part in exc.path) if exc.path else None
        return [Problem(name, f"form is not a valid JSON Schema: {exc.message}", pointer)]
    if value.get("type") != "object":
        return [Problem(name, 'form schema must declare "type": "object" at its top level')]
    properties = value.get("properties")
    taken = sorted(set(properties) & reserved_names()) if isinstance(properties, dict) else []
    return [Problem(name, f"field {field!r} shadows the script helper of that name; rename it (e.g. event_{field})",
                    f"/properties/{field}") for field in taken]


class _BpmnLint(FileLint):
    def __init__(
        self,
        file: str,
        tree: etree._ElementTree,
        forms: Mapping[str, str],
        decisions: Mapping[str, str],
        process_ids: Collection[str],
        known_operators: Collection[str] | None,
        decoded_forms: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(file, tree, NS)
        self.forms = forms
        self.decoded_forms = decoded_forms or {}
        self.decisions = decisions
        self.process_ids = process_ids
        self.known_operators = known_operators

    def run(self) -> list[Problem]:
        self.check_scripts()
        self.check_conditions()
        self.check_timers()
        self.check_service_operators()
        self.check_user_tasks()
        self.check_references()
        for process in self.xpath("//bpmn:process"):
            self.check_lanes(process)
            self.check_flows(process)
            self.check_escalation(process)
        return self.problems

    def check_scripts(self) -> None:
        for task in self.xpath("//bpmn:scriptTask"):
            source = task.findtext("bpmn:script", namespaces=NS)
            if not source or not source.strip():
                self.add(task, "script task has no script")
            elif error := self.compile_error(compile_script, source, task):
                self.add(task, f"script does not compile: {error}")
        scripts = "//bpmn:extensionElements/spiff:*[self::spiff:preScript or self::spiff:postScript]"
        for node in self.xpath(scripts):
            owner, kind = node.getparent().getparent(), etree.QName(node).localname
            if not node.text or not node.text.strip():
                continue  # an empty pre/post script does nothing
            if error := self.compile_error(compile_script, node.text, owner):
                self.add(owner, f"{kind} does not compile: {error}")

    def check_conditions(self) -> None:
        for node in self.xpath("//bpmn:sequenceFlow/bpmn:conditionExpression"):
            flow = node.getparent()
            if not node.text or not node.text.strip():
                self.add(flow, "condition expression is empty")
            elif error := self.compile_error(compile_expression, node.text, flow):
                self.add(flow, f"condition does not compile: {error}")

    def check_timers(self) -> None:
        for kind in _TIMER_KINDS:
            for node in self.xpath(f"//bpmn:timerEventDefinition/bpmn:{kind}"):
                event = node.getparent().getparent()
                text = (node.text or "").strip()
                if not text:
                    self.add(event, f"timer {kind} is empty")
                elif _UNQUOTED_ISO.match(text):
                    message = f'timer {kind} {text} is not quoted: timers are Python; write "{text}"'
                    self.add(event, message)
                elif error := self.compile_error(compile_expression, node.text, event):
                    # Compiled as written, as Spiff evaluates it: a value on its own indented
                    # line fails at run time too.
                    self.add(event, f"timer {kind} does not compile: {error}")
                elif (literal := _string_literal(text)) is not None and (error := _iso_error(kind, literal)):
                    self.add(event, f"timer {kind} {text} is not a valid ISO 8601 value: {error}")

    def check_service_operators(self) -> None:
        for operator in self.xpath("//bpmn:extensionElements/spiff:serviceTaskOperator"):
            task, name = operator.getparent().getparent(), operator.get("id")
            known = self.known_operators
            if not name:
                self.add(task, "service task operator has no id")
            elif known is not None and name not in known:
                self.add(task, f"unknown service operator {name!r}; known: {_listing(known)}")
            for param in operator.iterfind(".//spiff:parameter", NS):
                pid = param.get("id")
                if "value" not in param.attrib:
                    continue  # Spiff skips parameters without a value
                if "type" not in param.attrib:
                    self.add(task, f"operator parameter {pid!r} has no type attribute")
                if error := self.compile_error(compile_expression, param.get("value"), task):
                    self.add(task, f"operator parameter {pid!r} value does not compile: {error}")

    def check_user_tasks(self) -> None:
        for task in self.xpath("//bpmn:userTask"):
            form = _properties(task).get(FORM_PROPERTY, "").strip()
            if not form:
                self.add(task, f"user task has no form: add the spiffworkflow property {FORM_PROPERTY}")
            elif _basename(form) not in self.forms:
                self.add(task, f"form {form!r} is not among the bundle's forms ({_listing(self.forms)})")
            else:
                self.check_disclosure(task, form, self.decoded_forms.get(_basename(form)))
        path = f"//bpmn:extensionElements/spiff:properties//spiff:property[@name='{TIME_LIMIT_PROPERTY}']"
        for prop in self.xpath(path):
            value = prop.get("value", "")
            if not _TIME_LIMIT.match(value.strip()):
                owner = prop.getparent().getparent().getparent()
                self.add(owner, f"timeLimit {value!r} is not a time limit: write working days (5wd), "
                                "calendar days (30d) or an ISO 8601 duration (PT4H, P2D, P1DT2H)")

    def check_disclosure(self, task: etree._Element, form: str, schema: object) -> None:
        """``opinionToApplicant`` names decisions the form offers; ``fieldsToApplicant`` fields it declares
        (docs/visibility.md): a typo would silently keep a reason from the organization."""
        props = _properties(task)
        rule = parse_step_rule(props)
        fields = (schema.get("properties") if isinstance(schema, dict) else None) or {}
        if isinstance(rule.opinion, frozenset):
            offered = {str(v) for v in ((fields.get("decision") or {}).get("enum") or [])} \
                if isinstance(fields.get("decision"), dict) else set()
            unknown = sorted(rule.opinion - offered)
            if unknown:
                self.add(task, f"{OPINION_PROPERTY} names decisions {', '.join(unknown)} that form {form!r} does not "
                               f"offer ({_listing(offered)}); write true, false or its decision values")
        unknown_fields = sorted(rule.fields - set(fields))
        if unknown_fields:
            self.add(task, f"{FIELDS_PROPERTY} names fields {', '.join(unknown_fields)} that form {form!r} "
                           "does not declare")

    def check_references(self) -> None:
        for task in self.xpath("//bpmn:businessRuleTask"):
            ref = task.findtext("bpmn:extensionElements/spiff:calledDecisionId", namespaces=NS)
            if not ref:
                self.add(task, "business rule task names no decision (spiffworkflow:calledDecisionId)")
            elif ref not in self.decisions:
                known = _listing(self.decisions)
                self.add(task, f"decision {ref!r} is not in any DMN file of the bundle (decisions: {known})")
        for call in self.xpath("//bpmn:callActivity"):
            ref = call.get("calledElement")
            if not ref:
                self.add(call, "call activity has no calledElement")
            elif ref not in self.process_ids:
                self.add(call, f"called process {ref!r} is not in the bundle")

    def check_escalation(self, process: etree._Element) -> None:
        """The ladder's settings among the process's own properties parse (else the scan would fall back
        to the defaults at run time, with only a log line to say so)."""
        for name, value in _properties(process).items():
            if name in (REMINDER_PROPERTY, PARENT_PROPERTY):
                try:
                    parse_setting(value, name=name)
                except LadderConfigError as exc:
                    self.add(process, f"{exc}: write working days (1wd), calendar days (2d), an ISO 8601 "
                                      "duration (PT4H) or off")
            elif name == START_VARIABLES_PROPERTY and invalid_start_variable_names(value):
                bad = ", ".join(invalid_start_variable_names(value))
                self.add(process, f"startVariables lists names that are no variable name: {bad}")

    def check_lanes(self, process: etree._Element) -> None:
        lane_of: dict[str, etree._Element] = {}
        for lane in self.xpath("bpmn:laneSet//bpmn:lane", process):
            for ref in lane.iterfind("bpmn:flowNodeRef", NS):
                lane_of[(ref.text or "").strip()] = lane  # nested lanes: the innermost wins, as in Spiff
        for task in self.xpath(".//bpmn:userTask | .//bpmn:manualTask", process):
            # A task inside a sub-process takes the sub-process's lane, as in Spiff; the
            # outermost listed element wins.
            lane = None
            node = task
            while node is not None and node is not process:
                lane = lane_of.get(node.get("id"), lane)
                node = node.getparent()
            kind = etree.QName(task).localname
            if lane is None:
                self.add(task, f"{kind} is in no lane: its candidate group comes from its lane")
            elif not (lane.get("name") or "").strip():
                self.add(task, f"{kind} is in lane {lane.get('id')!r}, which has no name (candidate group)")

    def check_flows(self, process: etree._Element) -> None:
        nested = self.xpath(".//bpmn:subProcess | .//bpmn:transaction | .//bpmn:adHocSubProcess", process)
        for container in [process, *nested]:
            siblings = {
                child.get("id") for child in container
                if isinstance(child.tag, str) and etree.QName(child).localname not in _NOT_FLOW_NODES
            }
            where = f"{etree.QName(container).localname} {container.get('id')!r}"
            for flow in container.iterfind("bpmn:sequenceFlow", NS):
                for attr in ("sourceRef", "targetRef"):
                    ref = flow.get(attr)
                    if not ref:
                        self.add(flow, f"sequence flow has no {attr}")
                    elif ref not in siblings:
                        hint = ""
                        if self.root.xpath("//*[@id=$ref]", ref=ref):
                            hint = " (that id is elsewhere: flows cannot cross sub-process borders)"
                        self.add(flow, f"sequence flow {attr} {ref!r} names no element of {where}{hint}")


def _string_literal(text: str) -> str | None:
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return None
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _iso_error(kind: str, value: str) -> str | None:
    """Return why a literal timer value would fail when the timer is reached, or None."""
    try:
        if kind == "timeDuration":
            if not _DURATION_SHAPE.match(value):
                raise ValueError("expected a duration such as P15D or PT4H")
            TimerEventDefinition.parse_iso_duration(value)
        elif kind == "timeDate":
            if not isinstance(TimerEventDefinition.parse_time_or_duration(value), datetime):
                raise ValueError("expected a date-time such as 2026-01-01T00:00:00+08:00")
        else:
            TimerEventDefinition.parse_iso_recurring_interval(value)
    except Exception as exc:  # Spiff's parsers raise bare Exception, ValueError, IndexError ...
        return str(exc) or type(exc).__name__
    return None


def _properties(task: etree._Element) -> dict[str, str]:
    props = task.xpath("bpmn:extensionElements/spiff:properties//spiff:property", namespaces=NS)
    return {prop.get("name"): prop.get("value", "") for prop in props}


def _listing(names: Collection[str]) -> str:
    return ", ".join(sorted(names)) or "none"


def _basename(name: str) -> str:
    return PurePosixPath(name.replace("\\", "/")).name
