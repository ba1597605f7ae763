"""Deploy-time warnings (shown, never blocking): sequence-flow cycles, i.e. gateway loops with no bound.

The engine keeps every pass of a loop in the case's task tree, which SpiffWorkflow can walk only
about 1000 levels deep; a case that loops a few hundred times is stopped in error (see
``engine/runtime.py``). Repetition should be a standard loop or one follow-up case per cycle
(docs/bpmn-conventions.md).
"""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree

from workflow_app.definitions.errors import Problem

_NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
_CONTAINERS = ".//bpmn:subProcess | .//bpmn:transaction | .//bpmn:adHocSubProcess"
LOOP_WARNING = (
    "流程图中有回到前面步骤的循环（{path}），每走一轮案件都会变大，约三百轮后案件将因过深而停止；"
    "请改用标准循环（standardLoopCharacteristics，设 loopMaximum）或每轮新建一个后续案件"
    "（a sequence-flow loop with no bound: {path}; a case stops after a few hundred passes. "
    "Use a standard loop with loopMaximum, or one follow-up case per cycle)"
)


def loop_warnings(bpmn: Mapping[str, etree._ElementTree]) -> dict[str, list[Problem]]:
    """Process id → one warning per sequence-flow cycle in it (or its sub-processes)."""
    found: dict[str, list[Problem]] = {}
    for name, tree in bpmn.items():
        for process in tree.xpath("//bpmn:process", namespaces=_NS):
            problems = found.setdefault(process.get("id"), [])
            for container in [process, *process.xpath(_CONTAINERS, namespaces=_NS)]:
                for cycle in _cycles(container):
                    first = container.xpath(".//*[@id=$ref]", ref=cycle[0])
                    line = first[0].sourceline if first else None
                    path = " → ".join([*cycle, cycle[0]])
                    problems.append(Problem(name, LOOP_WARNING.format(path=path), cycle[0], line))
    return {key: value for key, value in found.items() if value}


def _cycles(container: etree._Element) -> list[list[str]]:
    """The strongly connected parts of the container's own sequence-flow graph that loop (Tarjan)."""
    edges: dict[str, list[str]] = {}
    for flow in container.iterfind("bpmn:sequenceFlow", _NS):
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        if source and target:
            edges.setdefault(source, []).append(target)
            edges.setdefault(target, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    loops: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                part = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    part.append(member)
                    if member == node:
                        break
                if len(part) > 1 or node in edges[node]:
                    loops.append(_in_flow_order(part, edges))
    return loops


def _in_flow_order(part: list[str], edges: Mapping[str, list[str]]) -> list[str]:
    """The members of a cycle from its smallest id, following flows where they lead inside it."""
    members, order = set(part), [min(part)]
    while True:
        nxt = next((t for t in edges[order[-1]] if t in members and t not in order), None)
        if nxt is None:
            return order + sorted(members - set(order))
        order.append(nxt)
