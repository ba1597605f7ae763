"""The registry's own decisions on a change an organization made: 变更登记 and 章程核准.

One handler for every process that ends in such a decision (major_event after a 换届, a 负责人 change
or a charter amendment; party_building after 党建入章 by a charter amendment), so the registry row is
written the same way whichever case carried the change: the fields, the date and the case behind it.
社团条例 art 18, 民非条例 art 15, 基金会条例 art 15: a change of a registered item is registered, a
charter amendment is 核准 by the registration authority (docs/processes/major_event.md).
"""

from __future__ import annotations

from typing import Any

from handlers import HandlerContext
from handlers.support import boolean, fail, handler, text
from workflow_app import clock
from workflow_app.instances.audit import record
from workflow_app.organizations.models import Organization
from workflow_app.organizations.service import OrganizationService

_KINDS = {"change": "变更登记", "charter": "章程核准"}


@handler("registry.register_change")
def register_change(context: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Write an approved 变更登记 (``kind="change"``: the new legal representative) or 章程核准
    (``kind="charter"``: whether the charter now carries the party-building clause) to the case's organization."""
    op = "registry.register_change"
    kind = text(params, "kind", op, max_length=16)
    if kind not in _KINDS:
        raise fail(op, "kind 应为 change 或 charter", f"kind must be one of {sorted(_KINDS)}, got {kind!r}")
    org_id = context.instance.organization_id
    org = context.session.get(Organization, org_id) if org_id is not None else None
    if org is None:
        raise fail(op, "案件未关联社会组织", "the case has no organization")
    fields: dict[str, Any] = {}
    representative = text(params, "legal_representative", op, required=False, max_length=64)
    if representative is not None:
        fields["legal_representative"] = representative
    clause = boolean(params, "charter_party_clause", op)
    if clause is not None:
        fields["charter_party_clause"] = clause
    summary = text(params, "summary", op, max_length=500)
    today = clock.now().astimezone(clock.LOCAL_TZ).date().isoformat()
    prefix = "change" if kind == "change" else "charter_approved"
    flags = {f"{prefix}_on": today, f"{prefix}_case": context.instance.id, f"{prefix}_summary": summary}
    changed = OrganizationService(context.session).change(org, fields=fields, flags=flags)
    record(context.session, context.instance.id, action=f"registry_{kind}", actor=context.actor,
           details={"organization_id": org.id, "text": f"{_KINDS[kind]}：{summary}", "changed": sorted(changed)})
    return {"organization_id": org.id, "kind": kind, "on": today, "changed": sorted(changed)}
