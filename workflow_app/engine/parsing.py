"""Turn already-sanitised BPMN/DMN trees into SpiffWorkflow specs, and read what the inbox needs from them."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.spiff.parser.process import VALIDATOR as _VALIDATOR
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from workflow_app.definitions.errors import DefinitionInvalid, Problem

FORM_PROPERTY = "formJsonSchemaFilename"
UI_PROPERTY = "formUiSchemaFilename"
TIME_LIMIT_PROPERTY = "timeLimit"


@dataclass(frozen=True)
class ParsedProcess:
    """One executable process found in a bundle, ready to be stored as a definition version."""

    key: str
    name: str
    bpmn_file: str
    spec: Any
    subprocess_specs: dict[str, Any]
    # Files the process's own spec and its called processes live in.
    bpmn_files: frozenset[str]
    task_meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    decision_ids: frozenset[str] = frozenset()
    # Process-level ``spiffworkflow:properties`` (e.g. the escalation ladder's settings).
    properties: dict[str, str] = field(default_factory=dict)


@functools.cache
def _validator() -> Any:
    # Building the XSD validator costs ~10 ms; build it once per process.
    return _VALIDATOR


def parse_bundle(bpmn: Mapping[str, etree._ElementTree], dmn: Mapping[str, etree._ElementTree]) -> list[ParsedProcess]:
    """Parse every file with XSD validation; raise DefinitionInvalid naming the file and element on failure."""
    parser = SpiffBpmnParser(validator=_validator())
    try:
        for name, tree in dmn.items():
            parser.add_dmn_xml(tree.getroot(), filename=name)  # Spiff reads nsmap off the root element
        for name, tree in bpmn.items():
            parser.add_bpmn_xml(tree, filename=name)
        keys = parser.get_process_ids()
        processes = []
        for key in keys:
            spec = parser.get_spec(key)
            subprocess_specs = parser.get_subprocess_specs(key)
            processes.append(_describe(parser, key, spec, subprocess_specs))
    except ValidationException as exc:
        raise DefinitionInvalid([_problem(exc)]) from exc
    if not processes:
        files = ", ".join(sorted(bpmn)) or "(no BPMN file)"
        raise DefinitionInvalid([Problem(file=files, message="no executable process (isExecutable=\"true\") found")])
    return processes


def _problem(exc: ValidationException) -> Problem:
    message = str(exc).split("\n")[0]
    return Problem(
        file=getattr(exc, "file_name", None) or "(bundle)",
        element_id=getattr(exc, "id", None) or None,
        line=getattr(exc, "line_number", None) or None,
        message=message,
    )


def _describe(parser: SpiffBpmnParser, key: str, spec: Any, subprocess_specs: dict[str, Any]) -> ParsedProcess:
    files = {parser.get_process_parser(key).filename}
    files.update(parser.get_process_parser(name).filename for name in subprocess_specs)
    meta: dict[str, dict[str, Any]] = {}
    decisions: set[str] = set()
    for one in [spec, *subprocess_specs.values()]:
        for task_spec in one.task_specs.values():
            if getattr(task_spec, "manual", False):
                meta[task_spec.bpmn_id] = human_task_meta(task_spec)
            # A business rule task keeps its table on its DMN engine (not on the spec itself).
            table = getattr(getattr(task_spec, "dmnEngine", None), "decision_table", None)
            decision = getattr(table, "id", None)
            if decision:
                decisions.add(decision)
    return ParsedProcess(
        key=key,
        name=spec.description or key,
        bpmn_file=parser.get_process_parser(key).filename,
        spec=spec,
        subprocess_specs=subprocess_specs,
        bpmn_files=frozenset(files),
        task_meta=meta,
        decision_ids=frozenset(decisions),
        properties=process_properties(parser.get_process_parser(key).node),
    )


def process_properties(process_node: Any) -> dict[str, str]:
    """The process element's own ``spiffworkflow:properties`` (not those of its tasks)."""
    found = process_node.xpath(
        "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property",
        namespaces={"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
                    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"},
    )
    return {str(node.get("name")): str(node.get("value", "")) for node in found if node.get("name")}


def human_task_meta(task_spec: Any) -> dict[str, Any]:
    """What the human-task table and the inbox need to know of a user task, read from its spec."""
    properties = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
    return {
        "title": task_spec.bpmn_name or task_spec.bpmn_id,
        "lane": task_spec.lane,
        "form": properties.get(FORM_PROPERTY),
        "ui": properties.get(UI_PROPERTY),
        "time_limit": properties.get(TIME_LIMIT_PROPERTY),
        "documentation": task_spec.documentation,
        "properties": dict(properties),
    }


def is_subworkflow(task_spec: Any) -> bool:
    """True for call activities and embedded subprocesses."""
    return isinstance(task_spec, SubWorkflowTask)
