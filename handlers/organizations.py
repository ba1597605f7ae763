"""Registry handlers: enter a newly registered organization, change a registry row.

(Not `handlers/registry.py`: that name would shadow `handlers.registry`, the operator registry.)
"""

from __future__ import annotations

from typing import Any

from handlers import HandlerContext
from handlers.support import boolean, fail, handler, integer, mapping, region_code, text, text_list
from workflow_app.instances.audit import record
from workflow_app.organizations.labels import parse_enum
from workflow_app.organizations.models import Organization, OrgStatus, OrgType, PartyOrgStatus
from workflow_app.organizations.service import OrganizationService, StatusChangeRefused, link_case


def _enum(kind: type, params: dict[str, Any], name: str, op: str, *, required: bool = False) -> Any:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise fail(op, f"缺少参数 {name}", f"parameter '{name}' is required")
        return None
    try:
        return parse_enum(kind, value)
    except ValueError as exc:
        raise fail(op, f"参数 {name} 取值无效", f"parameter '{name}': {exc}") from None


@handler("registry.create_organization")
def create_organization(context: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Enter a newly registered organization as active with a new USCC, and link the case to it."""
    op = "registry.create_organization"
    name = text(params, "name", op, max_length=128)
    org_type = _enum(OrgType, params, "org_type", op, required=True)
    category = text(params, "category", op, max_length=32)
    code = region_code(context, params.get("region_code"), op)
    residence = text(params, "residence", op, required=False)
    legal_representative = text(params, "legal_representative", op, required=False, max_length=64)
    clause = boolean(params, "charter_party_clause", op, default=False)
    members = integer(params, "party_members", op, minimum=0, maximum=100000)
    party = _enum(PartyOrgStatus, params, "party_org_status", op) or PartyOrgStatus.NONE
    service = OrganizationService(context.session)
    taken = service.name_taken(name, code)
    if taken is not None:
        raise fail(op, f"名称“{name}”已在该登记管理机关登记（#{taken.id}）",
                   f"an organization named {name!r} is already registered there (#{taken.id})")
    # Registry facts the case collected (宗旨, 业务范围, 活动地域, a 异地商会's origin); empty ones are left out.
    flags: dict[str, Any] = {k: v for k, v in mapping(params, "flags", op).items() if v not in (None, "")}
    flags["registered_by_case"] = context.instance.id
    if members is not None:
        flags["party_members"] = members
    org = service.create(name=name, org_type=org_type, category=category, region_code=code, residence=residence,
                         legal_representative=legal_representative, charter_party_clause=bool(clause),
                         party_org_status=party, flags=flags)
    link_case(context.session, context.instance, org.id)
    record(context.session, context.instance.id, action="registry_create", actor=context.actor,
           details={"organization_id": org.id, "uscc": org.uscc, "name": org.name})
    return {"organization_id": org.id, "uscc": org.uscc}


# Registry facts a case may read back with ``include`` (the zombie measure table needs the type and
# whether the organization is a recognized 慈善组织).
_READABLE: dict[str, Any] = {
    "org_type": lambda org: org.org_type.value,
    "charity_recognized": lambda org: bool(org.charity_recognized),
    "registered_at": lambda org: org.registered_at.date().isoformat() if org.registered_at else None,
    # 业务主管单位 ("" when registered directly or decoupled): major_event asks its opinion only when there is
    # one; party_building's higher party organization is its party organization.
    "sponsor_unit": lambda org: org.sponsor_unit or "",
    "activity_abnormal": lambda org: bool((org.flags or {}).get("activity_abnormal")),
}

# Optional plain fields the handler may also change (a 变更 reported through major_event).
_FIELDS = {"name": 128, "residence": 255, "legal_representative": 64, "category": 32}


@handler("registry.update_organization")
def update_organization(context: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Change the case's (or the given) organization: status (checked transitions), party data, flags;
    ``include`` reads registry facts back (org_type, charity_recognized, registered_at, sponsor_unit,
    activity_abnormal)."""
    op = "registry.update_organization"
    org_id = integer(params, "organization_id", op, minimum=1) or context.instance.organization_id
    if org_id is None:
        raise fail(op, "案件未关联社会组织，且未给出 organization_id",
                   "the case has no organization and no organization_id was given")
    org = context.session.get(Organization, org_id)
    if org is None:
        raise fail(op, f"社会组织 {org_id} 不存在", f"no organization {org_id}")
    status = _enum(OrgStatus, params, "status", op)
    fields: dict[str, Any] = {}
    party = _enum(PartyOrgStatus, params, "party_org_status", op)
    if party is not None:
        fields["party_org_status"] = party
    clause = boolean(params, "charter_party_clause", op)
    if clause is not None:
        fields["charter_party_clause"] = clause
    for name, limit in _FIELDS.items():
        value = text(params, name, op, required=False, max_length=limit)
        if value is not None:
            fields[name] = value
    flags = mapping(params, "flags", op)
    clear = text_list(params, "clear_flags", op)
    try:
        changed = OrganizationService(context.session).change(org, status=status, fields=fields, flags=flags,
                                                               clear_flags=clear)
    except StatusChangeRefused as exc:
        raise fail(op, "登记状态变更不允许", str(exc)) from None
    if changed:
        record(context.session, context.instance.id, action="registry_update", actor=context.actor,
               details={"organization_id": org.id, "changed": changed})
    result: dict[str, Any] = {"organization_id": org.id, "changed": sorted(changed)}
    for name in text_list(params, "include", op) or []:
        if name not in _READABLE:
            raise fail(op, f"不能读取字段 {name}", f"include: {name!r} is not one of {sorted(_READABLE)}")
        result[name] = _READABLE[name](org)
    return result
