"""Deploy-time checks of DMN decision tables: expressions compile, cells are the Python Spiff will run."""

from __future__ import annotations

import ast
import re

from lxml import etree

from workflow_app.definitions.errors import Problem
from workflow_app.definitions.lint_base import DMN_NAMESPACES, FileLint, parses
from workflow_app.engine.sandbox import compile_expression

_SUPPORTED_HIT_POLICIES = ("UNIQUE", "FIRST", "COLLECT")
_FEEL_LITERALS = {"true": "True", "false": "False", "null": "None"}


class DmnLint(FileLint):
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
    if parses(cell):
        body = ast.parse(cell, mode="eval").body if parses(cell, "eval") else None
        if isinstance(body, ast.Tuple):
            hint = hint or "a comma-separated list compares the input to a tuple, never equal; use ? in [...]"
        elif isinstance(body, ast.UnaryOp) and isinstance(body.op, ast.Not):
            hint = hint or "not(...) is Python's not here: it compares the input to True/False; use ? != ..."
        return f"({input_expr}) == ({cell})", hint
    if parses(f"v {cell}"):
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
