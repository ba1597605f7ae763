"""A shipped DMN table, run the way a case runs it and read row by row, for the decision tests.

The table is called from a one-task process whose business rule task names the decision, as the
shipped BPMN's task does, on the project's engine: every cell is evaluated in the RestrictedPython
sandbox, not by a test-only evaluator.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.spiff.parser import VALIDATOR, SpiffBpmnParser

from workflow_app.engine import CompiledDefinition, Engine

DMN_NS = {"dmn": "https://www.omg.org/spec/DMN/20191111/MODEL/"}

HARNESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="Definitions_{task}_only" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{task}_only" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:businessRuleTask id="{task}">
      <bpmn:extensionElements>
        <spiffworkflow:calledDecisionId>{decision}</spiffworkflow:calledDecisionId>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:businessRuleTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="{task}" />
    <bpmn:sequenceFlow id="f2" sourceRef="{task}" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


def decision_runner(dmn_file: Path, decision: str, task: str) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """A function that runs ``decision`` of ``dmn_file`` from a business rule task ``task``; it returns the case data."""
    process = f"{task}_only"
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_dmn_xml(etree.parse(str(dmn_file)).getroot(), filename=dmn_file.name)
    parser.add_bpmn_xml(etree.fromstring(HARNESS.format(task=task, decision=decision).encode()),
                        filename=f"{process}.bpmn")
    compiled = CompiledDefinition(spec=parser.get_spec(process), subprocess_specs={})
    engine = Engine()

    def run(variables: Mapping[str, Any]) -> dict[str, Any]:
        workflow = engine.create(compiled, variables)
        engine.run(workflow)
        assert engine.is_completed(workflow)
        return engine.data(workflow)

    return run


def rules(dmn_file: Path) -> list[etree._Element]:
    """The rows of the file's tables, in order."""
    return etree.parse(str(dmn_file)).findall(".//dmn:rule", DMN_NS)


def input_cells(rule: etree._Element) -> list[str | None]:
    """The text of each input cell of a row."""
    return [cell.findtext("dmn:text", namespaces=DMN_NS) for cell in rule.findall("dmn:inputEntry", DMN_NS)]
