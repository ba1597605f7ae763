"""How a shipped BPMN diagram is drawn: one pool, lanes as bands, shapes of the house sizes, straight edges.

Each process test calls these checks with its own file and keeps its own expectations (how many
nodes and flows, the lane names, the main line): a check asserts the drawing rule and returns what
the caller pins.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from lxml import etree

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "spiff": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
Box = tuple[float, float, float, float]
Point = tuple[float, float]

# The size of a flow node's shape, by its kind (the modeller's defaults, kept throughout).
SIZES: dict[str, tuple[float, float]] = {
    "userTask": (100, 80), "serviceTask": (100, 80), "scriptTask": (100, 80), "businessRuleTask": (100, 80),
    "exclusiveGateway": (50, 50), "parallelGateway": (50, 50),
    "startEvent": (36, 36), "endEvent": (36, 36), "boundaryEvent": (36, 36), "intermediateCatchEvent": (36, 36),
}
# The children of a process that are not flow nodes.
NOT_FLOW_NODES = {"laneSet", "sequenceFlow", "documentation", "extensionElements"}


def parse(path: Path) -> etree._ElementTree:
    """The BPMN file, parsed."""
    return etree.parse(str(path))


def the_process(tree: etree._ElementTree) -> etree._Element:
    """The file's one process."""
    [process] = tree.findall("bpmn:process", NS)
    return process


def shape_bounds(tree: etree._ElementTree) -> dict[str, Box]:
    """Element id → (x, y, width, height) of its shape."""
    found = {}
    for shape in tree.iterfind(".//bpmndi:BPMNShape", NS):
        box = shape.find("dc:Bounds", NS)
        found[shape.get("bpmnElement")] = tuple(float(box.get(k)) for k in ("x", "y", "width", "height"))
    return found


def flow_nodes(process: etree._Element) -> list[etree._Element]:
    """The process's flow nodes (events, tasks, gateways), in document order."""
    return [el for el in process if isinstance(el.tag, str) and etree.QName(el).localname not in NOT_FLOW_NODES]


def on_border(point: Point, box: Box) -> bool:
    """Whether ``point`` lies exactly on the outline of ``box``."""
    (px, py), (x, y, w, h) = point, box
    return (px in (x, x + w) and y <= py <= y + h) or (py in (y, y + h) and x <= px <= x + w)


def overlap(a: Box, b: Box) -> bool:
    """Whether two boxes share more than an edge."""
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _containers(tree: etree._ElementTree) -> set[str]:
    """The ids of the pool and its lanes: shapes that hold others."""
    return {e.get("id") for e in tree.iterfind(".//bpmn:participant", NS)} | \
           {e.get("id") for e in tree.iterfind(".//bpmn:lane", NS)}


def _waypoints(edge: etree._Element) -> list[Point]:
    return [(float(p.get("x")), float(p.get("y"))) for p in edge.iterfind("di:waypoint", NS)]


def check_flow_nodes_drawn_in_their_lanes(path: Path) -> int:
    """Assert each flow node is in a lane, drawn at its kind's size inside it; return how many there are."""
    tree = parse(path)
    process = the_process(tree)
    bounds = shape_bounds(tree)
    lane_of = {ref.text: lane.get("id") for lane in process.iterfind(".//bpmn:lane", NS)
               for ref in lane.iterfind("bpmn:flowNodeRef", NS)}
    nodes = flow_nodes(process)
    stale = set(lane_of) - {node.get("id") for node in nodes}
    assert not stale, f"lanes list what is no flow node: {sorted(stale)}"
    for node in nodes:
        nid, kind = node.get("id"), etree.QName(node).localname
        assert nid in lane_of, f"{nid} is in no lane"
        assert nid in bounds, f"{nid} has no shape"
        assert kind in SIZES, f"{nid}: no house size for a {kind}"
        x, y, w, h = bounds[nid]
        assert (w, h) == SIZES[kind], f"{nid}: {kind} drawn {w}x{h}"
        lx, ly, lw, lh = bounds[lane_of[nid]]
        assert lx <= x and x + w <= lx + lw and ly <= y and y + h <= ly + lh, f"{nid} is outside its lane"
    return len(nodes)


def check_lanes_are_stacked_bands_of_one_pool(path: Path) -> list[str]:
    """Assert the lanes, in document order, fill the process's one pool top to bottom; return their names."""
    tree = parse(path)
    process = the_process(tree)
    bounds = shape_bounds(tree)
    [participant] = tree.iterfind(".//bpmn:participant", NS)
    assert participant.get("processRef") == process.get("id")
    px, py, pw, ph = bounds[participant.get("id")]
    lanes = list(process.iterfind(".//bpmn:lane", NS))
    assert lanes, "the pool has no lanes"
    left = bounds[lanes[0].get("id")][0]
    top = py
    for lane in lanes:
        x, y, w, h = bounds[lane.get("id")]
        assert y == top and h > 0, "lanes must follow each other without gaps or overlaps"
        assert px < x and x == left and x + w == px + pw, f"{lane.get('name')} is not a band across the pool"
        top = y + h
    assert top == py + ph, "the lanes must fill the pool"
    return [lane.get("name") for lane in lanes]


def check_no_two_shapes_overlap(path: Path) -> None:
    """Assert no shape overlaps another, except a boundary event, whose centre is on its task's border."""
    tree = parse(path)
    process = the_process(tree)
    bounds = shape_bounds(tree)
    nodes = [node.get("id") for node in flow_nodes(process)]
    for nid in nodes:
        assert nid in bounds, f"{nid} has no shape"
    containers = _containers(tree)
    ids = nodes + [k for k in bounds if k not in containers and k not in nodes]
    attached = {(e.get("id"), e.get("attachedToRef")) for e in process.iterfind(".//bpmn:boundaryEvent", NS)}
    for a, b in itertools.combinations(ids, 2):
        if (a, b) in attached or (b, a) in attached:
            event, task = (a, b) if (a, b) in attached else (b, a)
            x, y, w, h = bounds[event]
            assert on_border((x + w / 2, y + h / 2), bounds[task]), f"{event} is not on the border of {task}"
            continue
        assert not overlap(bounds[a], bounds[b]), f"{a} overlaps {b}"


def check_sequence_flows_have_orthogonal_edges(path: Path) -> int:
    """Assert each sequence flow is an orthogonal edge from its source's border to its target's; return how many."""
    tree = parse(path)
    bounds = shape_bounds(tree)
    edges = {e.get("bpmnElement"): e for e in tree.iterfind(".//bpmndi:BPMNEdge", NS)}
    flows = list(tree.iterfind(".//bpmn:sequenceFlow", NS))
    for flow in flows:
        fid, source, target = flow.get("id"), flow.get("sourceRef"), flow.get("targetRef")
        assert fid in edges, f"{fid} has no edge"
        points = _waypoints(edges[fid])
        assert len(points) >= 2, fid
        for (x1, y1), (x2, y2) in itertools.pairwise(points):
            assert x1 == x2 or y1 == y2, f"{fid} has a diagonal segment"
        assert on_border(points[0], bounds[source]), f"{fid} does not leave {source}"
        assert on_border(points[-1], bounds[target]), f"{fid} does not reach {target}"
    return len(flows)


def check_edges_run_around_other_shapes(path: Path) -> None:
    """Assert no segment of an edge runs through a shape other than its own ends (and their boundary events)."""
    tree = parse(path)
    process = the_process(tree)
    bounds = shape_bounds(tree)
    containers = _containers(tree)
    attached = {e.get("id"): e.get("attachedToRef") for e in process.iterfind(".//bpmn:boundaryEvent", NS)}
    edges = {e.get("bpmnElement"): e for e in tree.iterfind(".//bpmndi:BPMNEdge", NS)}
    for flow in tree.iterfind(".//bpmn:sequenceFlow", NS):
        fid, source, target = flow.get("id"), flow.get("sourceRef"), flow.get("targetRef")
        own = {source, target, attached.get(source), attached.get(target)}
        for (x1, y1), (x2, y2) in itertools.pairwise(_waypoints(edges[fid])):
            for other, (bx, by, bw, bh) in bounds.items():
                if other in own or other in containers or attached.get(other) in (source, target):
                    continue
                crosses = min(x1, x2) < bx + bw and max(x1, x2) > bx and min(y1, y2) < by + bh and max(y1, y2) > by
                assert not crosses, f"{fid} runs through {other}"
