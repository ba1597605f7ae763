"""``document.render``: render a template from bpmn/documents/ with the case's data and store it with the case."""

from __future__ import annotations

from typing import Any

from handlers import HandlerContext
from handlers.support import case_variables, fail, handler, mapping, task_id, task_name, text
from workflow_app.documents.service import DocumentService, TemplateProblem, check_template_name
from workflow_app.numbering.service import check_series


@handler("document.render")
def render_document(context: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Render ``template`` with ``case``/``vars``/``extra``, number it when ``number_series`` is given, store it."""
    op = "document.render"
    template = text(params, "template", op)
    title = text(params, "title", op)
    series = text(params, "number_series", op, required=False, max_length=64)
    prefix = text(params, "number_prefix", op, required=False, max_length=64, default="")
    extra = mapping(params, "extra", op)
    try:
        check_template_name(template)
        if series:
            check_series(series)
    except ValueError as exc:
        raise fail(op, "参数无效", str(exc)) from None
    try:
        document = DocumentService(context.session).issue(
            context.instance, template=template, title=title, variables=case_variables(context), extra=extra,
            number_series=series, number_prefix=prefix, actor=context.actor, task_name=task_name(context),
            task_id=task_id(context))
    except TemplateProblem as exc:
        raise fail(op, "文书生成失败", str(exc)) from None
    return {"document_id": document.id, "number": document.number, "title": document.title}
