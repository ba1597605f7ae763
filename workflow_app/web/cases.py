"""Cases: 发起 (start a case from the processes one may start), 我发起的 / 案件 lists, the case page, and
the print view of a case's documents."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import escape
from sqlalchemy import select

from workflow_app import clock, db
from workflow_app.casefile.reading import as_text
from workflow_app.definitions.properties import organization_bound
from workflow_app.directory.models import Region, Role, User
from workflow_app.documents.api import PRINT_CSP
from workflow_app.documents.life import SERVICE_METHOD_LABELS, STATUS_LABELS
from workflow_app.documents.service import DocumentService
from workflow_app.errors import Forbidden, InvalidInput
from workflow_app.instances.errors import TaskNotFound
from workflow_app.instances.export import workbook
from workflow_app.instances.models import InstanceStatus
from workflow_app.instances.queries import APPLICANT_PROCESSES, STARTER_ROLES, InstanceAccess
from workflow_app.organizations.models import Organization, OrgStatus
from workflow_app.organizations.service import OrganizationNotFound, OrganizationService, OrgFilter
from workflow_app.services import definition_service, instance_service
from workflow_app.tasks.models import HumanTask
from workflow_app.tasks.service import TaskService, task_service
from workflow_app.web.case_context import INSTANCE_STATUS, calendar, case_view, region_names, time_left
from workflow_app.web.case_search import case_filter, filter_args
from workflow_app.web.casefile import submission_views
from workflow_app.web.downloads import xlsx_response
from workflow_app.web.inbox import STAFF_WORKERS, WORKERS, page_number
from workflow_app.web.session import current_web_user, login_required

bp = Blueprint("web_cases", __name__)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PER_PAGE = 20
PICKER_SIZE = 30
ORG_ID = re.compile(r"[1-9][0-9]{0,11}")


def _access() -> InstanceAccess:
    return InstanceAccess(db.session(), current_web_user(), instance_service())


def startable(user: User) -> list:
    """The latest definitions the user may start (InstanceAccess's start policy)."""
    definitions = definition_service().list()
    if user.role is Role.APPLICANT:
        return [d for d in definitions if d.key in APPLICANT_PROCESSES]
    return definitions if user.role in STARTER_ROLES else []


def _regions(user: User) -> list[Region]:
    """Regions a staff starter may put a case in: their own and those below it."""
    query = select(Region).order_by(Region.path)
    if user.role is not Role.ADMIN:
        query = query.where(Region.path.like(user.region.path + "%"))
    return list(db.session().scalars(query))


@bp.route("/cases/new", methods=["GET", "POST"])
@login_required(*WORKERS)
def new() -> ResponseReturnValue:
    """发起: pick a process (and, for an organization-bound one, the organization: searched on the server); the
    case starts and the starter lands on its first task (the start form). ``?process_key=&organization_id=``
    preselect (the organization page links here)."""
    user = current_web_user()
    choices = startable(user)
    source = request.form if request.method == "POST" else request.args
    typed = {k: "".join(ch for ch in source.get(k, "") if ch.isprintable()).strip()[:100]
             for k in ("process_key", "region", "organization_id", "org_q")}
    if user.role is Role.APPLICANT:
        typed["region"] = typed["organization_id"] = ""  # an applicant's case is their organization's
    regions = _regions(user)

    def page(errors: dict[str, list[str]], status: int = 200) -> ResponseReturnValue:
        return render_template("cases/new.html", choices=choices, typed=typed, errors=errors, regions=regions,
                               organizations=_organization_choices(user, typed),
                               bound={d.key for d in choices if organization_bound(d.properties)}), status

    if request.method == "GET" or not choices or request.form.get("action") == "search":
        return page({})
    errors: dict[str, list[str]] = {}
    if typed["process_key"] not in {d.key for d in choices}:
        errors["process_key"] = ["请选择要发起的业务"]
    if typed["region"] and typed["region"] not in {r.code for r in regions}:
        errors["region"] = ["所选区划不在您的管辖范围内"]
    if typed["organization_id"] and _organization_id(typed) is None:
        errors["organization_id"] = ["请从列表中选择社会组织"]
    if not errors:
        try:
            started = _access().start(typed["process_key"], region=typed["region"] or None,
                                      organization_id=_organization_id(typed))
        except (InvalidInput, Forbidden) as exc:
            db.session().rollback()
            errors = _start_errors(exc, typed)
    if errors:
        return page(errors, 422)
    name = next(d.name for d in choices if d.key == typed["process_key"])
    service = task_service()
    mine = [t for t in started["active_tasks"] if t["assignee"] == user.username
            or (t["assignee"] is None and (row := _visible_task(service, user, t["id"])) and service.in_pool(user, row))]
    if mine:
        flash(f"已发起「{name}」，请填写「{mine[0]['title']}」", "success")
        return redirect(url_for("web_task.show", task_id=mine[0]["id"]))
    flash(f"已发起「{name}」", "success")
    return redirect(url_for("web_cases.show", instance_id=started["id"]))


@bp.get("/cases")
@login_required(*WORKERS)
def index() -> ResponseReturnValue:
    """我发起的 (applicants: their organization's cases) / 案件查询 (staff: the cases of their region, with a
    keyword, process, status, region, date range and overdue filter, and an Excel export)."""
    user = current_web_user()
    page = page_number()
    regions = _regions(user) if user.role is not Role.APPLICANT else []
    found, errors = case_filter(regions)
    result = _access().list(page=page, per_page=PER_PAGE, **vars(found))
    work_calendar = calendar()
    rows = [{"case": c, "clock": time_left(c["due_at"], work_calendar)
             if c["due_at"] and c["status"] == "running" and not c["clock_paused"] else None} for c in result.items]
    args = filter_args(found)
    return render_template(
        "cases/index.html", rows=rows, total=result.total, page=page, last_page=max(
            (result.total + PER_PAGE - 1) // PER_PAGE, 1), found=found, errors=errors, region_choices=regions,
        statuses={s.value: label for s, label in INSTANCE_STATUS.items()},
        processes={d.key: d.name for d in definition_service().list()},
        regions=region_names(db.session(), [c["region"] for c in result.items]),
        can_start=bool(startable(user)),
        export_url=url_for("web_cases.export", **args) if user.role is not Role.APPLICANT else None,
        page_url=lambda n: url_for("web_cases.index", **{**args, "page": n}),
    )


@bp.get("/cases/export.xlsx")
@login_required(*STAFF_WORKERS)
def export() -> ResponseReturnValue:
    """The filtered case list as an Excel file (every matching case up to EXPORT_LIMIT, not one page)."""
    found, _errors = case_filter(_regions(current_web_user()))
    rows = _access().export(found)
    processes = {d.key: d.name for d in definition_service().list()}
    names = region_names(db.session(), [instance.region_code for instance, _ in rows])
    return xlsx_response(workbook(rows, processes, names, INSTANCE_STATUS), "cases", "案件")


@bp.get("/cases/<instance_id>")
@login_required(*WORKERS)
def show(instance_id: str) -> ResponseReturnValue:
    """The case: summary, statutory clock, current tasks, diagram, history with opinions, documents."""
    user = current_web_user()
    access = _access()
    instance = access.visible(instance_id)
    variables = access.detail(instance_id)["variables"]
    case = case_view(user, instance, variables)
    service = task_service()
    visible_tasks = {t.id for t in case.open_tasks if _visible_task(service, user, t.id) is not None}
    may_urge = user.role is Role.ADMIN or instance.started_by == user.username
    open_case = instance.status in (InstanceStatus.RUNNING, InstanceStatus.ERROR)
    return render_template("cases/detail.html", case=case, visible_tasks=visible_tasks, calendar=calendar(),
                           time_left=time_left, may_urge=may_urge and instance.status is InstanceStatus.RUNNING,
                           submissions=submission_views(user, instance.id), names=case.names, as_text=as_text,
                           may_cancel=open_case and access.may_cancel(instance),
                           may_retry=user.role is Role.ADMIN and instance.status is InstanceStatus.ERROR,
                           service_methods=SERVICE_METHOD_LABELS, document_status=STATUS_LABELS,
                           today=clock.local_now().date().isoformat())


def _organization_id(typed: dict[str, str]) -> int | None:
    """The picked organization's id, if the field holds one."""
    return int(typed["organization_id"]) if ORG_ID.fullmatch(typed["organization_id"]) else None


def _start_errors(exc: InvalidInput | Forbidden, typed: dict[str, str]) -> dict[str, list[str]]:
    """A refused start as page errors: an organization problem beside the picker, anything else on top."""
    if "organization_id" not in ((exc.details or {}).get("fields") or {}):
        return {"": [exc.message]}
    if typed["organization_id"]:
        return {"organization_id": ["所选社会组织不存在或不在您的管辖范围内"]}
    return {"organization_id": ["本业务须选择社会组织，请先查找并选择"]}


def _organization_choices(user: User, typed: dict[str, str]) -> list[Organization]:
    """The picker's options: active organizations the user may see matching the search (name or 统一社会信用代码),
    the chosen one first; none for applicants."""
    if user.role is Role.APPLICANT:
        return []
    service = OrganizationService(db.session())
    items, _ = service.list(user, OrgFilter(q=typed["org_q"] or None, status=OrgStatus.ACTIVE.value),
                            per_page=PICKER_SIZE)
    chosen = _organization_id(typed)
    if chosen is not None and all(o.id != chosen for o in items):
        try:
            items.insert(0, service.get(user, chosen))
        except OrganizationNotFound:
            pass  # not visible: the start refuses it with a message
    return items


def _visible_task(service: TaskService, user: User, task_id: str) -> HumanTask | None:
    try:
        return service.visible(user, task_id)
    except TaskNotFound:
        return None


# A bar above the stored document (hidden when printing): the way back and how to print. No script: the
# print view keeps its own strict CSP (inline styles only).
PRINT_BAR = ('<div class="socorg-print-bar" style="font:14px sans-serif;padding:8px 12px;margin-bottom:12px;'
             'background:#f3f4f6;border-bottom:1px solid #d1d5db"><a href="{back}">← 返回案件</a>'
             '　打印请使用浏览器菜单中的“打印”，本栏不会打印。</div>'
             '<style>@media print{{.socorg-print-bar{{display:none}}}}</style>')
_BODY = re.compile(r"<body\b[^>]*>", re.I)


def with_print_bar(html: str, back: str) -> str:
    """The document's page with the bar inserted at the top of its body."""
    bar = PRINT_BAR.format(back=escape(back))
    found = _BODY.search(html)
    return html[:found.end()] + bar + html[found.end():] if found else bar + html


@bp.get("/documents/<document_id>/print")
@login_required(*WORKERS)
def print_document(document_id: str) -> ResponseReturnValue:
    """The document as the printable page it was issued as (the same page as the API's print view)."""
    if not UUID.fullmatch(document_id):  # never a malformed id (a NUL byte) down to the database
        abort(404)
    document = DocumentService(db.session()).get(current_web_user(), document_id)
    back = url_for("web_cases.show", instance_id=document.instance_id)
    response = Response(with_print_bar(document.html, back), mimetype="text/html")
    response.headers["Content-Security-Policy"] = PRINT_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
