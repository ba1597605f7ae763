"""流程设计 · 试运行: run a draft (the modeler's XML, or a deployed version) against sample data in memory,
and show the path it took on the diagram. Designers only; nothing is stored (definitions/trial.py)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue

from workflow_app.definitions.errors import DefinitionInvalid
from workflow_app.definitions.models import ProcessDefinition
from workflow_app.definitions.trial import TrialInvalid, TrialRunner, default_data
from workflow_app.directory.models import Role
from workflow_app.engine import get_engine
from workflow_app.services import definition_service
from workflow_app.tasks.forms import form_from_files
from workflow_app.web import trial_forms
from workflow_app.web.labels import group_codes
from workflow_app.web.lint_zh import chinese_problems
from workflow_app.web.session import login_required

bp = Blueprint("web_designer_try", __name__, url_prefix="/designer")

MAX_JSON = 200_000  # characters of the sample data and start variables fields


@bp.route("/<key>/try", methods=["GET", "POST"])
@login_required(Role.DESIGNER)
def trial(key: str) -> ResponseReturnValue:
    """The trial page: each user task's form (prefilled with the data the trial would make), or sample data
    as JSON (advanced: ``use_json``, or a post without the forms), then the run and its path."""
    form = request.form if request.method == "POST" else request.args
    base = definition_service().get(key, _int(form.get("base_version") or form.get("version")))
    xml = form.get("xml") or ""
    draft = xml if xml.strip() and len(xml) <= current_app.config["MAX_UPLOAD_BYTES"] else base.bpmn_xml
    context: dict[str, Any] = {"definition": base, "xml": xml if draft == xml else "", "draft_xml": draft,
                               "samples_text": form.get("samples") or _defaults(base),
                               "start_text": form.get("start_variables") or "{}", "run": None, "run_message": None, "problems": [],
                               "show_json": _show_json, "use_json": bool(form.get("use_json"))}
    from_forms = request.method == "POST" and form.get("source") == "forms" and not context["use_json"]
    context["sections"] = trial_forms.sections(base, request.form if from_forms else None)
    if request.method == "GET":
        return render_template("designer/try.html", **context)
    try:
        if from_forms:
            samples = trial_forms.samples_from(base, request.form)
        else:
            samples = _json(context["samples_text"], "样例数据")
        start = _json(context["start_text"], "启动变量")
        files = {name: text.encode() for name, text in base.files.items()}
        files[base.bpmn_file] = group_codes(draft).encode()  # the modeler names lanes in Chinese
        context["run"] = TrialRunner(definition_service(), get_engine()).run(files, key, samples, start)
        context["run_message"] = trial_forms.show_refusal(context["sections"], context["run"], from_forms)
    except TrialInvalid as exc:
        context["problems"] = [{"file": "样例数据", "element_id": None, "line": None, "message_zh": exc.message}]
        return render_template("designer/try.html", **context), 422
    except DefinitionInvalid as exc:
        context["problems"] = chinese_problems(exc.problems)
        return render_template("designer/try.html", **context), 422
    return render_template("designer/try.html", **context)


def _show_json(value: Any, indent: int | None = None) -> str:
    """Data as readable JSON (Chinese kept as it is; the template escapes it)."""
    return json.dumps(value, ensure_ascii=False, indent=indent, default=str, sort_keys=True)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


def _json(text: str, what: str) -> dict[str, Any]:
    if len(text) > MAX_JSON:
        raise TrialInvalid(f"{what}超过 {MAX_JSON} 个字符")
    try:
        value = json.loads(text or "{}")
    except ValueError as exc:
        raise TrialInvalid(f"{what}不是有效的 JSON：{exc}") from exc
    if not isinstance(value, dict):
        raise TrialInvalid(f"{what}必须是 JSON 对象")
    return value


def _defaults(definition: ProcessDefinition) -> str:
    """Sample data to start from: for each user task, the data its form's defaults make."""
    samples = {name: default_data(form_from_files(definition.task_meta, definition.files, name))
               for name in definition.task_meta}
    return json.dumps(samples, ensure_ascii=False, indent=2)
