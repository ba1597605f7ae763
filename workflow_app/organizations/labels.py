"""Chinese labels of the registry's enums, and reading either form back (importer, handlers)."""

from __future__ import annotations

import enum
from typing import TypeVar

from workflow_app.organizations.models import OrgStatus, OrgType, PartyOrgStatus

E = TypeVar("E", bound=enum.Enum)

ORG_TYPE_LABELS = {
    OrgType.SOCIAL_GROUP: "社会团体",
    OrgType.PRIVATE_NON_ENTERPRISE: "民办非企业单位",
    OrgType.FOUNDATION: "基金会",
}
STATUS_LABELS = {
    OrgStatus.APPLYING: "申请中",
    OrgStatus.ACTIVE: "正常",
    OrgStatus.DEREGISTERED: "注销",
    OrgStatus.REVOKED: "撤销登记",
    OrgStatus.CERTIFICATE_REVOKED: "吊销登记证书",
}
PARTY_LABELS = {
    PartyOrgStatus.NONE: "未建立",
    PartyOrgStatus.INSTRUCTOR: "党建工作指导员",
    PartyOrgStatus.JOINT: "联合组建",
    PartyOrgStatus.SINGLE: "单独组建",
    PartyOrgStatus.TEMPORARY: "临时组建",
}

# Other ways registers write the same values.
_ALIASES: dict[type[enum.Enum], dict[str, enum.Enum]] = {
    OrgType: {"民非": OrgType.PRIVATE_NON_ENTERPRISE, "社会服务机构": OrgType.PRIVATE_NON_ENTERPRISE,
              "社团": OrgType.SOCIAL_GROUP},
    OrgStatus: {"活动": OrgStatus.ACTIVE, "存续": OrgStatus.ACTIVE, "登记": OrgStatus.ACTIVE,
                "已注销": OrgStatus.DEREGISTERED, "注销登记": OrgStatus.DEREGISTERED,
                "撤销": OrgStatus.REVOKED, "已撤销": OrgStatus.REVOKED,
                "吊销": OrgStatus.CERTIFICATE_REVOKED, "已吊销": OrgStatus.CERTIFICATE_REVOKED,
                "吊销证书": OrgStatus.CERTIFICATE_REVOKED, "登记中": OrgStatus.APPLYING},
    PartyOrgStatus: {"无": PartyOrgStatus.NONE, "未建": PartyOrgStatus.NONE, "未覆盖": PartyOrgStatus.NONE,
                     "指导员": PartyOrgStatus.INSTRUCTOR, "选派党建工作指导员": PartyOrgStatus.INSTRUCTOR,
                     "联合": PartyOrgStatus.JOINT, "联合党支部": PartyOrgStatus.JOINT,
                     "单独": PartyOrgStatus.SINGLE, "单独党支部": PartyOrgStatus.SINGLE,
                     "临时": PartyOrgStatus.TEMPORARY, "临时党支部": PartyOrgStatus.TEMPORARY},
}
_LABELS: dict[type[enum.Enum], dict] = {OrgType: ORG_TYPE_LABELS, OrgStatus: STATUS_LABELS,
                                        PartyOrgStatus: PARTY_LABELS}


def parse_enum(kind: type[E], value: object) -> E:
    """The member of ``kind`` named by its value (``active``) or Chinese label (正常); ``ValueError`` otherwise."""
    if isinstance(value, kind):
        return value
    text = str(value or "").strip()
    try:
        return kind(text.lower())
    except ValueError:
        pass
    for member, label in _LABELS[kind].items():
        if text == label:
            return member
    alias = _ALIASES[kind].get(text)
    if alias is not None:
        return alias  # type: ignore[return-value]
    allowed = ", ".join(f"{m.value}/{_LABELS[kind][m]}" for m in kind)
    raise ValueError(f"不是有效取值 / {text!r} is not one of: {allowed}")


_TRUE = {"true", "yes", "y", "1", "是", "有", "已入章", "✓", "√"}
_FALSE = {"false", "no", "n", "0", "否", "无", "未入章", ""}


def parse_bool(value: object) -> bool:
    """A truth value from a bool, a number or text (是/否, yes/no, true/false, 1/0); ``ValueError`` otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = str(value if value is not None else "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"不是是/否 / {value!r} is not a yes/no value (是/否, true/false, 1/0)")
