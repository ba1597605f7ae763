"""The designer's studio beside the modeler: the live lint of a draft, the timer preview, the form designer and
its preview. Every view is the designer's (an admin passes); the JSON posts carry the page's CSRF header.

The draft lives in the browser until it is deployed (static/js/studio/draft.js); these views check it with
the deploy's own lint and parser and store nothing.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, jsonify, render_template, render_template_string, request
from flask.typing import ResponseReturnValue

import handlers
from workflow_app import db
from workflow_app.calendar.service import CalendarService
from workflow_app.definitions.drafts import FORM_NAME, draft_files, form_files, read_draft
from workflow_app.definitions.errors import DefinitionInvalid
from workflow_app.definitions.lint import check_form_schema
from workflow_app.definitions.lint_base import DMN_NAMESPACES
from workflow_app.definitions.models import ProcessDefinition
from workflow_app.definitions.timer_preview import preview_timer
from workflow_app.definitions.xmlsafe import parse_xml
from workflow_app.directory.models import Role
from workflow_app.instances.queries import APPLICANT_PROCESSES, STARTER_ROLES
from workflow_app.services import definition_service
from workflow_app.web import schema_form
from workflow_app.web.labels import GROUP_LABELS, group_codes, role_label
from workflow_app.web.lint_zh import chinese, chinese_problems
from workflow_app.web.session import login_required

bp = Blueprint("web_studio", __name__, url_prefix="/designer")

MAX_PREVIEW_BYTES = 512 * 1024  # a form schema to preview; the shipped ones are under 10 KB

# The handler registry's operators in Chinese, with the parameters docs/handlers.md lists (required first).
OPERATORS = {
    "case.note": ("记录案件历史", ["text", "action"]),
    "case.set_business_key": ("设置业务编号", ["business_key"]),
    "case.set_region": ("转交其他机关（更改区划）", ["region_code"]),
    "case.clock_start": ("启动法定时限", ["limit"]),
    "case.clock_pause": ("暂停法定时限", ["reason"]),
    "case.clock_resume": ("恢复法定时限", []),
    "case.clock_stop": ("停止法定时限", []),
    "case.start_process": ("发起后续案件", ["process_key", "variables", "organization_id", "region_code"]),
    "number.next": ("取下一个编号", ["series", "prefix"]),
    "document.render": ("生成文书", ["template", "title", "number_series", "number_prefix", "extra"]),
    "document.record_service": ("记录送达", ["document_id", "method", "served_on", "receipt", "consent", "note",
                                            "period_workdays"]),
    "registry.create_organization": ("登记新社会组织", ["name", "org_type", "category", "region_code", "residence",
                                                      "legal_representative", "charter_party_clause",
                                                      "party_members", "party_org_status"]),
    "registry.update_organization": ("更新登记库", ["organization_id", "status", "party_org_status",
                                                  "charter_party_clause", "flags", "clear_flags", "include"]),
    "announcement.publish": ("发布公告", ["kind", "title", "template", "extra"]),
    "notify.send": ("发送通知", ["to_users", "to_group", "region_code", "to_organization", "subject", "body",
                                "kind"]),
}


def studio_context(definition: ProcessDefinition) -> dict[str, Any]:
    """What the modeler's properties panel offers: lanes, forms, operators, who may start (docs/studio.md)."""
    operators = sorted(handlers.load_builtin().names())
    starters = [role_label(role) for role in sorted(STARTER_ROLES, key=lambda r: r.value)]
    if definition.key in APPLICANT_PROCESSES:
        starters.insert(0, role_label(Role.APPLICANT))
    return {"studio": {
        "groups": GROUP_LABELS,
        "forms": form_files(definition),
        "operators": [{"id": op, "label": OPERATORS.get(op, (op, []))[0], "params": OPERATORS.get(op, (op, []))[1]}
                      for op in operators],
        "starters": starters,
        "decisions": decision_ids(definition),
    }}


def decision_ids(definition: ProcessDefinition) -> list[str]:
    """The decisions of a version's DMN files (a business rule task's ``calledDecisionId`` names one)."""
    found: set[str] = set()
    for name, text in definition.files.items():
        if name.endswith(".dmn"):
            tree = parse_xml(text.encode(), name)
            for namespace in DMN_NAMESPACES:
                found.update(str(i) for i in tree.xpath("//d:decision/@id", namespaces={"d": namespace}))
    return sorted(found)


def draft_bundle(key: str) -> dict[str, bytes]:
    """The request's draft as the bundle a deploy of ``key`` would get (lanes named by their groups again)."""
    draft = read_draft(request.get_json(silent=True))
    base = definition_service().get(key, draft.base_version)
    return draft_files(base, replace(draft, xml=group_codes(draft.xml)))


@bp.post("/<key>/lint")
@login_required(Role.DESIGNER)
def lint(key: str) -> ResponseReturnValue:
    """The deploy's problems with a draft, per element, without storing anything (200 even with problems)."""
    try:
        definition_service().validate(draft_bundle(key))
    except DefinitionInvalid as exc:
        return jsonify({"problems": chinese_problems(exc.problems)})
    return jsonify({"problems": []})


@bp.post("/timer-preview")
@login_required(Role.DESIGNER)
def timer_preview() -> ResponseReturnValue:
    """When a timer would fire if a case reached it now, counted on the working-day calendar."""
    body = request.get_json(silent=True) or {}
    kind, expression = body.get("kind"), body.get("expression")
    if not isinstance(kind, str) or not isinstance(expression, str):
        return jsonify({"ok": False, "text": "需要定时方式与表达式"}), 422
    result = preview_timer(kind, expression, CalendarService(db.session()).calendar())
    return jsonify({"ok": result.due is not None, "text": result.text, "workdays": result.workdays,
                    "due": result.due.isoformat() if result.due else None})


_PREVIEW = ('{% import "inbox/_fields.html" as forms %}'
            '<div class="form-grid">{% for f in fields %}{{ forms.field(f, true) }}{% endfor %}</div>')


@bp.post("/form-preview")
@login_required(Role.DESIGNER)
def form_preview() -> ResponseReturnValue:
    """A form schema rendered by the task page's renderer, with the deploy lint's problems with it."""
    if (request.content_length or 0) > MAX_PREVIEW_BYTES:
        return jsonify({"html": "", "problems": ["表单过大，无法预览"]}), 413
    schema = (request.get_json(silent=True) or {}).get("schema")
    problems = check_form_schema("form.json", schema)
    if problems:
        return jsonify({"html": "", "problems": [chinese(p.message) for p in problems]})
    fields = schema_form.build(schema)
    schema_form.fill(fields, schema_form.initial_values(fields, {}), {})
    return jsonify({"html": render_template_string(_PREVIEW, fields=fields), "problems": []})


@bp.get("/<key>/forms/<name>")
@login_required(Role.DESIGNER)
def form_designer(key: str, name: str) -> ResponseReturnValue:
    """The form designer on one form of a process (a new one when the base version has none of that name)."""
    if not FORM_NAME.fullmatch(name):
        return render_template("errors/error.html", status=404, title="表单不存在",
                               message="表单文件名只能含字母、数字、_ 或 -，并以 .json 结尾。"), 404
    definition = definition_service().get(key, request.args.get("version", type=int))
    schema = form_files(definition).get(name)
    return render_template("designer/form_designer.html", definition=definition, name=name, schema=schema,
                           task=request.args.get("task", "")[:100])
