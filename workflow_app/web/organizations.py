"""社会组织: the registry for staff — list with search and filters, Excel export, and one organization's page
(registry data, status history, its cases, documents and announcements).

Who sees which organizations is the registry API's rule (``organization_visible``): staff their region
and below, admins all. An applicant has no list; ``/organizations`` takes them to their own
organization's page, the only one they may open.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from workflow_app import db
from workflow_app.announcements.service import AnnouncementService
from workflow_app.directory.models import Region, Role, User
from workflow_app.documents.life import STATUS_LABELS as DOCUMENT_STATUS
from workflow_app.instances.queries import InstanceAccess
from workflow_app.organizations.export import FLAG_LABELS, SITUATION_LABELS, flag_labels, workbook
from workflow_app.organizations.labels import ORG_TYPE_LABELS, PARTY_LABELS, STATUS_LABELS
from workflow_app.organizations.models import OrgStatus, OrgType, PartyOrgStatus
from workflow_app.organizations.service import (
    OrganizationNotFound,
    OrganizationService,
    OrgFilter,
    documents_of,
    status_history,
)
from workflow_app.services import definition_service, instance_service
from workflow_app.web.case_context import INSTANCE_STATUS
from workflow_app.web.downloads import xlsx_response
from workflow_app.web.inbox import page_number, query_text
from workflow_app.web.session import current_web_user, login_required

bp = Blueprint("web_organizations", __name__, url_prefix="/organizations")
STAFF = (Role.CASEWORKER, Role.SUPERVISOR)  # admins pass every check
PER_PAGE = 20
EXPORT_LIMIT = 100_000  # more than a province registers; a bound all the same
CASES_SHOWN = 50
PICKER_SIZE = 30  # as many as the 发起业务 page lists
FIELD_LABELS = {"status": "登记状态", "party_org_status": "党组织覆盖", "charter_party_clause": "党建入章",
                "name": "名称", "residence": "住所", "legal_representative": "法定代表人", "category": "类别",
                "flags": "标记", "uscc": "统一社会信用代码"}
VALUE_LABELS: dict[str, dict[str, str]] = {
    "status": {s.value: label for s, label in STATUS_LABELS.items()},
    "party_org_status": {s.value: label for s, label in PARTY_LABELS.items()},
}


def _regions(user: User) -> list[Region]:
    """Regions the user's filter may name: their own and those below it."""
    query = select(Region).order_by(Region.path)
    if user.role is not Role.ADMIN:
        query = query.where(Region.path.like(user.region.path + "%"))
    return list(db.session().scalars(query))


def _choice(name: str, allowed: Any) -> str | None:
    """A query-string value if it is one of ``allowed``, else nothing (an unknown filter is no filter)."""
    value = request.args.get(name, "").strip()
    return value if value in allowed else None


def _filters(regions: list[Region]) -> OrgFilter:
    charter = {"1": True, "0": False}.get(request.args.get("charter", ""))
    return OrgFilter(
        q=query_text("q", 100), status=_choice("status", {s.value for s in OrgStatus}),
        region=_choice("region", {r.code for r in regions}), org_type=_choice("org_type", {t.value for t in OrgType}),
        party_org_status=_choice("party_org_status", {p.value for p in PartyOrgStatus}),
        flag=_choice("flag", FLAG_LABELS), situation=_choice("situation", SITUATION_LABELS),
        charter_party_clause=charter,
    )


def _filter_args(filters: OrgFilter) -> dict[str, str]:
    """The filters as query-string arguments (for the pager and the export link)."""
    args = {k: v for k, v in vars(filters).items() if isinstance(v, str) and v and k != "charter_party_clause"}
    if filters.charter_party_clause is not None:
        args["charter"] = "1" if filters.charter_party_clause else "0"
    return args


@bp.get("")
@login_required(Role.APPLICANT, *STAFF)
def index() -> ResponseReturnValue:
    """社会组织: search by name or 统一社会信用代码, filter by region, status, type, party coverage and flags."""
    user = current_web_user()
    if user.role is Role.APPLICANT:
        if user.organization_id is None:
            raise OrganizationNotFound("您的账号未关联社会组织")
        return redirect(url_for("web_organizations.show", organization_id=user.organization_id))
    regions = _regions(user)
    filters = _filters(regions)
    page = page_number()
    items, total = OrganizationService(db.session()).list(user, filters, page=page, per_page=PER_PAGE)
    args = _filter_args(filters)
    return render_template(
        "organizations/index.html", items=items, total=total, page=page, filters=filters,
        charter=args.get("charter", ""), last_page=max((total + PER_PAGE - 1) // PER_PAGE, 1), regions=regions,
        region_names={r.code: r.name for r in regions}, labels=_labels(), flag_labels=flag_labels,
        export_url=url_for("web_organizations.export", **args),
        page_url=lambda n: url_for("web_organizations.index", **{**args, "page": n}),
    )


@bp.get("/export.xlsx")
@login_required(*STAFF)
def export() -> ResponseReturnValue:
    """The filtered list as an Excel file (every matching organization, not one page)."""
    user = current_web_user()
    regions = _regions(user)
    filters = _filters(regions)
    rows = OrganizationService(db.session()).export_rows(user, filters, limit=EXPORT_LIMIT)
    names = dict(db.session().execute(select(Region.code, Region.name)).all())
    return xlsx_response(workbook(rows, names), "organizations", "社会组织")


@bp.get("/options")
@login_required(*STAFF)
def options() -> ResponseReturnValue:
    """The 发起业务 picker's search-as-you-type: active organizations the user may see matching ``q`` (JSON)."""
    filters = OrgFilter(q=query_text("q", 100), status=OrgStatus.ACTIVE.value)
    items, total = OrganizationService(db.session()).list(current_web_user(), filters, per_page=PICKER_SIZE)
    return jsonify({"items": [{"id": o.id, "name": o.name, "uscc": o.uscc} for o in items], "total": total})


@bp.get("/<int:organization_id>")
@login_required(Role.APPLICANT, *STAFF)
def show(organization_id: int) -> ResponseReturnValue:
    """One organization: registry data, status history (from its cases' audit), cases, documents, announcements."""
    user = current_web_user()
    session = db.session()
    org = OrganizationService(session).get(user, organization_id)
    cases = InstanceAccess(session, user, instance_service()).list(page=1, per_page=CASES_SHOWN,
                                                                   organization_id=org.id)
    visible_cases = {c["id"] for c in cases.items}
    announcements, announcement_total = AnnouncementService(session).list(organization_id=org.id, per_page=50)
    region = session.get(Region, org.region_code)
    return render_template(
        "organizations/detail.html", org=org, region=region, labels=_labels(), flags=flag_labels(org.flags),
        history=[_history_row(change) for change in status_history(session, org)], visible_cases=visible_cases,
        cases=cases, documents=documents_of(session, user, org.id), announcements=announcements,
        announcement_total=announcement_total, processes={d.key: d.name for d in definition_service().list()},
        case_statuses={s.value: label for s, label in INSTANCE_STATUS.items()},
        may_start=user.role is not Role.APPLICANT and org.status is OrgStatus.ACTIVE,
        document_status=DOCUMENT_STATUS,
    )


def _labels() -> dict[str, dict[str, str]]:
    return {
        "status": {s.value: label for s, label in STATUS_LABELS.items()},
        "org_type": {t.value: label for t, label in ORG_TYPE_LABELS.items()},
        "party": {p.value: label for p, label in PARTY_LABELS.items()},
        "flag": dict(FLAG_LABELS), "situation": dict(SITUATION_LABELS),
    }


def _history_row(change: Any) -> dict[str, Any]:
    """A registry change in Chinese: ``登记状态：正常 → 撤销登记``."""
    if change.action == "registry_create":
        lines = ["登记成立，赋予统一社会信用代码 " + str(change.changed.get("uscc", [None, ""])[1] or "")]
    else:
        lines = [_change_line(field, values) for field, values in change.changed.items()]
    return {"at": change.at, "lines": lines, "instance_id": change.instance_id, "process_key": change.process_key,
            "business_key": change.business_key}


def _change_line(field: str, values: Any) -> str:
    old, new = (values + [None, None])[:2] if isinstance(values, list) else (None, values)
    if field == "flags":
        before, after = set(flag_labels(old if isinstance(old, dict) else {})), \
            flag_labels(new if isinstance(new, dict) else {})
        added = [f for f in after if f not in before]
        removed = [f for f in before if f not in set(after)]
        parts = ([f"新增：{'、'.join(added)}"] if added else []) + ([f"解除：{'、'.join(removed)}"] if removed else [])
        return "标记" + ("（" + "；".join(parts) + "）" if parts else "更新")
    names = VALUE_LABELS.get(field, {})

    def shown(value: Any) -> str:
        if isinstance(value, bool):
            return "是" if value else "否"
        return names.get(str(value), "—" if value in (None, "") else str(value))

    return f"{FIELD_LABELS.get(field, field)}：{shown(old)} → {shown(new)}"
