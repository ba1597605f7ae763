"""The Chinese names pages show for roles and lane groups: the one map every page and template reads."""

from __future__ import annotations

import re

# A user's role (directory.models.Role values).
ROLE_LABELS = {"applicant": "申请人", "caseworker": "经办人", "supervisor": "监督人", "designer": "流程设计",
               "admin": "系统管理员"}

# A BPMN lane / candidate group (the lane's name in the process files).
GROUP_LABELS = {"applicant": "申请人", "window": "窗口受理", "reviewer": "审查", "approver": "审批",
                "supervisor": "监督", "party_officer": "党建指导员", "party_committee": "综合党委",
                "inspector": "核查人员"}


def role_label(role: object) -> str:
    """A role (enum or value) in Chinese; an unknown one as it is."""
    value = str(getattr(role, "value", role) or "")
    return ROLE_LABELS.get(value, value)


def group_label(name: str | None) -> str:
    """A lane / candidate group in Chinese; an unknown one as it is."""
    return GROUP_LABELS.get(name or "", name or "")


_LANE_NAME = re.compile(r'(<(?:\w+:)?lane\b[^>]*?\bname=")([^"]*)(")')


def chinese_lanes(bpmn_xml: str) -> str:
    """The diagram with each lane named in Chinese for display (the stored definition keeps its names)."""
    return _LANE_NAME.sub(lambda m: m.group(1) + group_label(m.group(2)) + m.group(3), bpmn_xml)


_GROUP_CODES = {label: code for code, label in GROUP_LABELS.items()}


def group_codes(bpmn_xml: str) -> str:
    """The modeler's diagram with each lane named by its group again (the inverse of ``chinese_lanes``)."""
    return _LANE_NAME.sub(lambda m: m.group(1) + _GROUP_CODES.get(m.group(2).strip(), m.group(2)) + m.group(3),
                          bpmn_xml)
