"""Comparing versions of a process: what changed between two versions (files, BPMN elements), and a
version's files as a ZIP.

Elements are matched by id. An element changed when its own attributes, its extension properties
(``spiffworkflow:property``, the service task's operator and parameters), its script, condition or timer
expression, or its flows (incoming/outgoing, lane membership) differ; moving a shape on the diagram is
not a change. Elements nested in an element (a lane's flow nodes, a subprocess's tasks) are compared
on their own.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath

from lxml import etree

from workflow_app.definitions.models import ProcessDefinition
from workflow_app.definitions.xmlsafe import parse_xml

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
# Containers whose children are compared as elements of their own, not as part of the container.
_SKIPPED = {"definitions", "laneSet", "extensionElements", "documentation"}
_MAX_XML = 5 * 1024 * 1024

# How an element's kind reads in Chinese (the diff page's table).
KIND_LABELS = {
    "process": "流程", "collaboration": "协作", "participant": "泳池", "lane": "泳道", "startEvent": "开始事件",
    "endEvent": "结束事件", "userTask": "用户任务", "manualTask": "人工任务", "scriptTask": "脚本任务",
    "serviceTask": "服务任务", "businessRuleTask": "业务规则任务", "sendTask": "发送任务", "receiveTask": "接收任务",
    "task": "任务", "callActivity": "调用活动", "subProcess": "子流程", "exclusiveGateway": "排他网关",
    "parallelGateway": "并行网关", "inclusiveGateway": "包容网关", "eventBasedGateway": "事件网关",
    "sequenceFlow": "顺序流", "boundaryEvent": "边界事件", "intermediateCatchEvent": "中间捕获事件",
    "intermediateThrowEvent": "中间抛出事件", "messageFlow": "消息流", "textAnnotation": "注释",
    "association": "关联", "dataObjectReference": "数据对象", "dataObject": "数据对象",
}


# How a compared aspect reads in Chinese; properties not listed show as 属性 <name>.
ASPECT_LABELS = {
    "type": "元素类型", "name": "名称", "incoming": "连入", "outgoing": "连出", "sourceRef": "起点", "targetRef": "终点",
    "flowNodeRef": "泳道成员", "script": "脚本", "conditionExpression": "条件", "default": "默认流",
    "timerEventDefinition": "定时设置", "attachedToRef": "附着环节", "cancelActivity": "是否中断",
    "serviceTaskOperator": "服务操作", "calledDecisionId": "决策表", "calledElement": "被调用流程",
    "property:formJsonSchemaFilename": "表单", "property:formUiSchemaFilename": "表单界面", "property:timeLimit": "办理时限",
    "property:startVariables": "启动变量", "property:startRoles": "可发起角色", "documentation": "说明",
    "isExecutable": "可执行", "processRef": "流程引用", "multiInstanceLoopCharacteristics": "多实例",
    "standardLoopCharacteristics": "循环",
}


def aspect_label(aspect: str) -> str:
    """What changed, in Chinese."""
    if aspect in ASPECT_LABELS:
        return ASPECT_LABELS[aspect]
    kind, _, name = aspect.partition(":")
    if kind == "property":
        return f"属性 {name}"
    if kind == "parameter":
        return f"参数 {name}"
    return aspect


@dataclass(frozen=True)
class ElementChange:
    """One element added, removed or changed, with what changed (attribute or property names)."""

    element_id: str
    kind: str
    name: str
    what: tuple[str, ...] = ()

    @property
    def kind_label(self) -> str:
        """The element's kind in Chinese."""
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def what_label(self) -> str:
        """What changed, in Chinese."""
        return "、".join(aspect_label(w) for w in self.what)


@dataclass
class VersionDiff:
    """What differs between two versions of a process."""

    files_added: list[str] = field(default_factory=list)
    files_removed: list[str] = field(default_factory=list)
    files_changed: list[str] = field(default_factory=list)
    added: list[ElementChange] = field(default_factory=list)
    removed: list[ElementChange] = field(default_factory=list)
    changed: list[ElementChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when nothing differs."""
        return not (self.files_added or self.files_removed or self.files_changed)

    def markers(self) -> dict[str, str]:
        """Element id → ``added``/``removed``/``changed``, for colouring the diagrams."""
        marks = {c.element_id: "changed" for c in self.changed}
        marks.update({c.element_id: "added" for c in self.added})
        marks.update({c.element_id: "removed" for c in self.removed})
        return marks


def bpmn_elements(xml: str) -> dict[str, tuple[str, str, dict[str, str]]]:
    """Every BPMN model element with an id: id → (kind, name, {aspect: value}) — the aspects compared."""
    root = parse_xml(xml.encode(), "(version)", max_bytes=_MAX_XML).getroot()
    found: dict[str, tuple[str, str, dict[str, str]]] = {}
    for element in root.iter(f"{{{BPMN_NS}}}*"):
        kind = etree.QName(element).localname
        element_id = element.get("id")
        if not element_id or not _own(kind):
            continue
        found[element_id] = (kind, element.get("name") or "", _aspects(element))
    return found


def _aspects(element: etree._Element) -> dict[str, str]:
    aspects = {f"@{etree.QName(k).localname}": v for k, v in element.attrib.items() if k != "id"}
    for prop in element.iter(f"{{{SPIFF_NS}}}property"):
        aspects[f"property:{prop.get('name')}"] = prop.get("value") or ""
    for child in element.iter(f"{{{SPIFF_NS}}}*"):
        local = etree.QName(child).localname
        if local not in ("property", "properties", "parameters"):
            text = (child.text or "").strip()
            attrs = " ".join(f"{etree.QName(k).localname}={v}" for k, v in sorted(child.attrib.items()))
            key = f"{local}:{child.get('id')}" if local == "parameter" else local
            aspects[key] = f"{attrs} {text}".strip()
    for child in element:
        if not isinstance(child.tag, str) or etree.QName(child).namespace != BPMN_NS:
            continue
        local = etree.QName(child).localname
        if (child.get("id") and _own(local)) or local in _SKIPPED:
            continue  # an element compared on its own, or a container of such
        text = " ".join(t.strip() for t in child.itertext() if t.strip())
        aspects[local] = (aspects.get(local, "") + "\n" + text).strip()
    return aspects


def _own(kind: str) -> bool:
    """Whether elements of this kind are compared on their own (flow elements, lanes, participants), not as
    part of their parent (event definitions, expressions, loop characteristics)."""
    return kind in KIND_LABELS or kind.endswith(("Task", "Event", "Gateway", "Flow"))


def diff_xml(old_xml: str, new_xml: str) -> tuple[list[ElementChange], list[ElementChange], list[ElementChange]]:
    """(added, removed, changed) elements between two BPMN documents, by id."""
    old, new = bpmn_elements(old_xml), bpmn_elements(new_xml)
    added = [ElementChange(i, new[i][0], new[i][1]) for i in new if i not in old]
    removed = [ElementChange(i, old[i][0], old[i][1]) for i in old if i not in new]
    changed = []
    for element_id in old.keys() & new.keys():
        (old_kind, _, before), (kind, name, after) = old[element_id], new[element_id]
        what = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
        if old_kind != kind:
            what.insert(0, "type")
        if what:
            changed.append(ElementChange(element_id, kind, name, tuple(w.lstrip("@") for w in what)))
    order = list(new) + [i for i in old if i not in new]
    return (sorted(added, key=lambda c: order.index(c.element_id)),
            sorted(removed, key=lambda c: order.index(c.element_id)),
            sorted(changed, key=lambda c: order.index(c.element_id)))


def diff_versions(old: ProcessDefinition, new: ProcessDefinition) -> VersionDiff:
    """Files and BPMN elements that differ from ``old`` to ``new`` (every BPMN file of the bundle)."""
    before, after = old.files, new.files
    result = VersionDiff(
        files_added=sorted(set(after) - set(before)), files_removed=sorted(set(before) - set(after)),
        files_changed=sorted(n for n in set(before) & set(after) if before[n] != after[n]))
    for name in sorted(set(before) | set(after)):
        if not name.endswith(".bpmn") or before.get(name) == after.get(name):
            continue
        added, removed, changed = diff_xml(before.get(name, _EMPTY), after.get(name, _EMPTY))
        result.added += added
        result.removed += removed
        result.changed += changed
    return result


def change_summaries(versions: Sequence[ProcessDefinition]) -> dict[int, VersionDiff | None]:
    """Each version's changes against the version before it (None for the first), by version number."""
    ordered = sorted(versions, key=lambda v: v.version)
    summaries: dict[int, VersionDiff | None] = {ordered[0].version: None} if ordered else {}
    for previous, current in zip(ordered, ordered[1:], strict=False):
        summaries[current.version] = diff_versions(previous, current)
    return summaries


def export_zip(definition: ProcessDefinition) -> bytes:
    """The version's files as a ZIP (the layout an upload or ``flask deploy`` reads back), with a manifest."""
    buffer = io.BytesIO()
    stamp = definition.deployed_at.astimezone(UTC) if definition.deployed_at.tzinfo else definition.deployed_at
    date_time = (stamp or datetime.now(UTC)).timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in sorted(_files(definition.files).items()):
            archive.writestr(zipfile.ZipInfo(name, date_time=date_time), text.encode("utf-8"))
        manifest = (f"key: {definition.key}\nversion: {definition.version}\nname: {definition.name}\n"
                    f"sha256: {definition.sha256}\ndeployed_by: {definition.deployed_by or ''}\n"
                    f"deployed_at: {stamp.isoformat()}\n")
        archive.writestr(zipfile.ZipInfo("MANIFEST.txt", date_time=date_time), manifest.encode("utf-8"))
    return buffer.getvalue()


def _files(files: Mapping[str, str]) -> dict[str, str]:
    # Stored names are relative (``x.bpmn``, ``forms/y.json``); never let one climb out of the archive.
    safe = {}
    for name, text in files.items():
        path = PurePosixPath(name)
        if path.is_absolute() or ".." in path.parts:
            continue
        safe[str(path)] = text
    return safe


_EMPTY = f'<definitions xmlns="{BPMN_NS}"/>'
