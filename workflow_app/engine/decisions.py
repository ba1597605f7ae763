"""Evaluating one DMN decision the way a case does, for the row tests a designer stores with the table.

The decision is called from a one-task harness process whose business rule task names it, on the
project's engine: every cell runs in the RestrictedPython sandbox, as in a case (tests/processes/dmn.py
does the same for the shipped tables).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser import SpiffBpmnParser

from workflow_app.engine.parsing import _validator
from workflow_app.engine.runtime import CompiledDefinition, Engine

_HARNESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="Definitions_row_test" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="socorg_row_test" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:businessRuleTask id="decide">
      <bpmn:extensionElements>
        <spiffworkflow:calledDecisionId>{decision}</spiffworkflow:calledDecisionId>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:businessRuleTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="decide" />
    <bpmn:sequenceFlow id="f2" sourceRef="decide" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


class DecisionUnavailable(Exception):
    """The decision cannot be called (the file does not parse for Spiff)."""


def decision_evaluator(engine: Engine, dmn_file: str, dmn_root: etree._Element,
                       decision_id: str) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """A function that runs ``decision_id`` on some inputs and returns the data it produced."""
    from xml.sax.saxutils import escape

    parser = SpiffBpmnParser(validator=_validator())
    try:
        parser.add_dmn_xml(dmn_root, filename=dmn_file)
        parser.add_bpmn_xml(etree.fromstring(_HARNESS.format(decision=escape(decision_id)).encode()),
                            filename="socorg_row_test.bpmn")
        compiled = CompiledDefinition(spec=parser.get_spec("socorg_row_test"), subprocess_specs={})
    except ValidationException as exc:
        raise DecisionUnavailable(str(exc).split("\n")[0]) from exc

    def evaluate(inputs: Mapping[str, Any]) -> dict[str, Any]:
        workflow = engine.create(compiled, inputs)
        engine.run(workflow)  # an EngineError (a cell failing) goes to the caller
        return engine.data(workflow)

    return evaluate
