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
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from pathlib import PurePosixPath
from types import CodeType

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from workflow_app.definitions.errors import Problem
from workflow_app.engine.sandbox import SandboxError, compile_expression, compile_script

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
DMN_NAMESPACES = (
    "https://www.omg.org/spec/DMN/20191111/MODEL/",  # DMN 1.3
    "http://www.omg.org/spec/DMN/20180521/MODEL/",  # DMN 1.2
)
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
_SUPPORTED_HIT_POLICIES = ("UNIQUE", "FIRST", "COLLECT")
_FEEL_LITERALS = {"true": "True", "false": "False", "null": "None"}
# Children of a process or sub-process that cannot be the end of a sequence flow.
_NOT_FLOW_NODES = {
    "sequenceFlow", "laneSet", "dataObject", "dataObjectReference", "dataStoreReference", "textAnnotation",
    "association", "group", "documentation", "extensionElements", "ioSpecification", "ioBinding", "property",
    "incoming", "outgoing", "dataInputAssociation", "dataOutputAssociation", "auditing", "monitoring",
    "multiInstanceLoopCharacteristics", "standardLoopCharacteristics", "correlationSubscription",
    "resourceRole",
}

Compiler = Callable[..., CodeType]


def lint_bundle(
    bpmn: Mapping[str, etree._ElementTree],
    dmn: Mapping[str, etree._ElementTree],
    forms: Mapping[str, object],
    known_operators: Collection[str] | None = None,
) -> list[Problem]:
    """Return every problem found in a bundle of BPMN trees, DMN trees and decoded JSON forms."""
    problems: list[Problem] = []
    forms_by_name: dict[str, str] = {}
    for name, value in forms.items():
        base = _basename(name)
        if base in forms_by_name:
            problems.append(Problem(name, f"another form is also named {base!r} ({forms_by_name[base]})"))
        forms_by_name[base] = name
        problems += check_form_schema(name, value)

    decisions: dict[str, str] = {}
    for name, tree in dmn.items():
        linter = _DmnLint(name, tree)
        problems += linter.run()
        for decision_id in linter.decision_ids:
            if decision_id in decisions:
                message = f"decision id is also used in {decisions[decision_id]}"
                problems.append(Problem(name, message, decision_id))
            decisions[decision_id] = name

    process_ids = {pid for tree in bpmn.values() for pid in tree.xpath("//bpmn:process/@id", namespaces=NS)}
    for name, tree in bpmn.items():
        problems += _BpmnLint(name, tree, forms_by_name, decisions, process_ids, known_operators).run()
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
    return []


class _FileLint:
    """Collects problems for one XML file; ``add`` pins each to an element and its line."""

    def __init__(self, file: str, tree: etree._ElementTree, ns: dict[str, str]) -> None:
        self.file = file
        self.root = tree.getroot()
        self.ns = ns
        self.problems: list[Problem] = []

    def xpath(self, path: str, node: etree._Element | None = None) -> list:
        return (self.root if node is None else node).xpath(path, namespaces=self.ns)

    def add(self, element: etree._Element, message: str) -> None:
        self.problems.append(Problem(self.file, message, element.get("id"), element.sourceline))

    def compile_error(self, compiler: Compiler, source: str, element: etree._Element) -> str | None:
        try:
            compiler(source, f"{self.file}#{element.get('id')}")
        except SandboxError as exc:
            return str(exc)
        return None


class _BpmnLint(_FileLint):
    def __init__(
        self,
        file: str,
        tree: etree._ElementTree,
        forms: Mapping[str, str],
        decisions: Mapping[str, str],
        process_ids: Collection[str],
        known_operators: Collection[str] | None,
    ) -> None:
        super().__init__(file, tree, NS)
        self.forms = forms
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
        path = f"//bpmn:extensionElements/spiff:properties//spiff:property[@name='{TIME_LIMIT_PROPERTY}']"
        for prop in self.xpath(path):
            value = prop.get("value", "")
            if not _TIME_LIMIT.match(value.strip()):
                owner = prop.getparent().getparent().getparent()
                self.add(owner, f"timeLimit {value!r} is not a time limit: write working days (5wd), "
                                "calendar days (30d) or an ISO 8601 duration (PT4H, P2D, P1DT2H)")

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


class _DmnLint(_FileLint):
    def __init__(self, file: str, tree: etree._ElementTree) -> None:
        super().__init__(file, tree, {})
        self.decision_ids: list[str] = []

    def run(self) -> list[Problem]:
        namespace = etree.QName(self.root).namespace
        if namespace not in DMN_NAMESPACES:
            self.add(self.root, f"not a DMN 1.2 or 1.3 document (namespace {namespace!r})")
            return self.problems
        self.ns = {"dmn": namespace}
        decisions = self.xpath("//dmn:decision")
        if not decisions:
            self.add(self.root, "DMN file has no decision")
        elif len(decisions) > 1:
            self.add(self.root, f"DMN file has {len(decisions)} decisions; SpiffWorkflow reads one per file")
        # Spiff registers a DMN file under the id of its first decision only.
        self.decision_ids = [decisions[0].get("id")] if decisions else []
        for decision in decisions:
            tables = self.xpath("dmn:decisionTable", decision)
            if not tables:
                self.add(decision, "decision has no decision table")
            for table in tables:
                self.check_table(table)
        return self.problems

    def check_table(self, table: etree._Element) -> None:
        policy = table.get("hitPolicy", "UNIQUE").upper()
        if policy not in _SUPPORTED_HIT_POLICIES:
            self.add(table, f"hit policy {policy} is not supported by SpiffWorkflow (it behaves like FIRST)")
        if table.get("aggregation"):
            aggregation = table.get("aggregation")
            self.add(table, f"aggregation {aggregation} is ignored by SpiffWorkflow: COLLECT returns lists")
        inputs: list[str | None] = []
        for column in self.xpath("dmn:input", table):
            text = column.findtext("dmn:inputExpression/dmn:text", namespaces=self.ns)
            if not text or not text.strip():
                self.add(column, "decision table input has no expression")
                inputs.append(None)
                continue
            error = self.compile_error(compile_expression, text, column)
            if error:
                self.add(column, f"input expression does not compile: {error}")
            # A broken column would fail every cell below it too; one problem is enough.
            inputs.append(None if error else text)
        outputs = self.xpath("dmn:output", table)
        for rule in self.xpath("dmn:rule", table):
            cells = self.xpath("dmn:inputEntry", rule)
            results = self.xpath("dmn:outputEntry", rule)
            if len(cells) != len(inputs) or len(results) != len(outputs):
                self.add(rule, f"rule has {len(cells)} input and {len(results)} output cells; "
                               f"the table has {len(inputs)} inputs and {len(outputs)} outputs")
            for number, (cell, input_expr) in enumerate(zip(cells, inputs, strict=False), start=1):
                if input_expr is not None:
                    text = cell.findtext("dmn:text", namespaces=self.ns)
                    self.check_input_cell(rule, number, input_expr, text)
            for number, cell in enumerate(results, start=1):
                text = cell.findtext("dmn:text", namespaces=self.ns)
                if text and (error := self.compile_error(compile_expression, text, rule)):
                    self.add(rule, f"output cell {number} {text!r} does not compile: {error}")

    def check_input_cell(self, rule: etree._Element, number: int, input_expr: str, text: str | None) -> None:
        if text is None or text == "" or text == "-":
            return  # an empty cell or "-" matches anything
        where = f"input cell {number} {text!r}"
        if not text.strip():
            self.add(rule, f"{where} is only blanks: Spiff compares the input to (); leave it empty or use -")
            return
        expression, hint = _cell_expression(input_expr, text)
        if expression is None:
            feel = "; FEEL ranges like [1..3] are not supported, write 1 <= ? <= 3" if ".." in text else ""
            self.add(rule, f"{where} is not a Python comparison (cells are Python, not FEEL){feel}")
        elif hint:
            self.add(rule, f"{where}: {hint}")
        elif error := self.compile_error(compile_expression, expression, rule):
            self.add(rule, f"{where} does not compile as {expression!r}: {error}")


def _cell_expression(input_expr: str, cell: str) -> tuple[str | None, str | None]:
    """Return the Python SpiffWorkflow's DMNEngine evaluates for an input cell, and a hint if it misleads."""
    # Spiff replaces every "?" outside quotes by a variable holding the input value.
    pieces: list[str] = []
    quotes_after = 0
    for char in reversed(cell):
        pieces.append("dmninputexpr" if char == "?" and quotes_after % 2 == 0 else char)
        quotes_after += char in "'\""
    replaced = "".join(reversed(pieces))
    hint = _feel_hint(cell)
    if "dmninputexpr" in replaced:
        return replaced, hint
    if _parses(cell):
        body = ast.parse(cell, mode="eval").body if _parses(cell, "eval") else None
        if isinstance(body, ast.Tuple):
            hint = hint or "a comma-separated list compares the input to a tuple, never equal; use ? in [...]"
        elif isinstance(body, ast.UnaryOp) and isinstance(body.op, ast.Not):
            hint = hint or "not(...) is Python's not here: it compares the input to True/False; use ? != ..."
        return f"({input_expr}) == ({cell})", hint
    if _parses(f"v {cell}"):
        # Spiff glues the cell to the input expression without a space.
        if re.match(r"\w", cell) and re.search(r"\w$", input_expr.rstrip()):
            glued = input_expr + cell
            hint = hint or f"Spiff appends this cell to the input without a space ({glued!r}); write ? {cell}"
        return input_expr + cell, hint
    return None, None


def _feel_hint(cell: str) -> str | None:
    try:
        names = {node.id for node in ast.walk(ast.parse(cell.replace("?", "dmninputexpr"), mode="eval"))
                 if isinstance(node, ast.Name)}
    except SyntaxError:
        return None
    feel = sorted(names & _FEEL_LITERALS.keys())
    if feel:
        python = ", ".join(_FEEL_LITERALS[name] for name in feel)
        return f"{', '.join(feel)} is FEEL; cells are Python: write {python}"
    return None


def _parses(source: str, mode: str = "exec") -> bool:
    # The same test Spiff uses (ast.parse) to decide how to build the comparison.
    try:
        ast.parse(source, mode=mode)
    except (SyntaxError, ValueError):
        return False
    return True


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
