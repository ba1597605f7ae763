"""Shared pieces of the deploy-time lint: namespaces, the per-file collector, source checks."""

from __future__ import annotations

import ast
from collections.abc import Callable
from types import CodeType

from lxml import etree

from workflow_app.definitions.errors import Problem
from workflow_app.engine.sandbox import SandboxError

Compiler = Callable[..., CodeType]
DMN_NAMESPACES = (
    "https://www.omg.org/spec/DMN/20191111/MODEL/",  # DMN 1.3
    "http://www.omg.org/spec/DMN/20180521/MODEL/",  # DMN 1.2
)


class FileLint:
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


def parses(source: str, mode: str = "exec") -> bool:
    # The same test Spiff uses (ast.parse) to decide how to build the comparison.
    try:
        ast.parse(source, mode=mode)
    except (SyntaxError, ValueError):
        return False
    return True
