"""``document.render``: render a template and store it with the case; ``document.record_service``: its 送达."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from handlers import HandlerContext
from handlers.support import (
    boolean,
    case_variables,
    fail,
    handler,
    integer,
    mapping,
    task_id,
    task_name,
    text,
)
from workflow_app import clock
from workflow_app.announcements.service import AnnouncementService
from workflow_app.calendar.service import CalendarService
from workflow_app.calendar.workdays import due_at
from workflow_app.documents.life import mark_served
from workflow_app.documents.models import Document, ServiceMethod
from workflow_app.documents.service import DocumentService, TemplateProblem, check_template_name
from workflow_app.errors import Conflict, InvalidInput
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


# 民事诉讼法 art 95: a document published for 公告送达 is deemed served 30 days after publication.
ANNOUNCEMENT_DAYS = 30


@handler("document.record_service")
def record_service(context: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """送达 of a document of this case: record method, day and 回证 on it; return the served day and, with
    ``period_workdays`` (or ``period_days``, calendar days), the end of the period that runs from it.

    公告送达 publishes the 公告 on the public announcements page now (naming the organization and the
    document, unless ``announce`` is false because the process publishes its own); the publication day is
    today and the document is deemed served 30 days later (民事诉讼法 95)."""
    op = "document.record_service"
    document_id = text(params, "document_id", op, max_length=36)
    document = context.session.get(Document, document_id)
    if document is None or document.instance_id != context.instance.id:
        raise fail(op, f"本案件没有文书 {document_id}", f"no document {document_id!r} in this case")
    try:
        method = ServiceMethod(text(params, "method", op, max_length=20))
    except ValueError:
        raise fail(op, "送达方式无效", f"method must be one of {[m.value for m in ServiceMethod]}") from None
    deemed = method is ServiceMethod.ANNOUNCEMENT
    day = clock.local_now().date() if deemed else _date(text(params, "served_on", op, max_length=32), op)
    served_on = day + timedelta(days=ANNOUNCEMENT_DAYS) if deemed else day
    receipt = text(params, "receipt", op, required=False, max_length=36) or None
    note = text(params, "note", op, required=False, max_length=2000) or None
    workdays = integer(params, "period_workdays", op, minimum=1, maximum=60)
    days = integer(params, "period_days", op, minimum=1, maximum=366)
    try:
        mark_served(context.session, document, method=method, served_on=served_on, receipt=receipt, note=note,
                    consent=bool(boolean(params, "consent", op, default=False)), actor=context.actor,
                    deemed=deemed)
    except (InvalidInput, Conflict) as exc:
        raise fail(op, "送达记录无效", f"{exc}: {getattr(exc, 'details', '')}") from None
    announcement_id = None
    if deemed and boolean(params, "announce", op, default=True):
        announcement_id = AnnouncementService(context.session).publish(
            context.instance, kind="公告送达", title=f"{document.title}公告送达", variables=case_variables(context),
            extra={"document_title": document.title, "document_number": document.number,
                   "published_on": day.isoformat(), "deemed_on": served_on.isoformat()},
            actor=context.actor).id
    due = None
    if workdays or days:
        start = datetime.combine(served_on, time(12), tzinfo=clock.LOCAL_TZ)
        limit = f"{workdays}wd" if workdays else f"{days}d"
        due = due_at(start, limit, CalendarService(context.session).calendar()).at.isoformat()
    return {"document_id": document.id, "method": method.value, "served_on": served_on.isoformat(),
            "published_on": day.isoformat() if deemed else None, "deemed": deemed, "due": due,
            "announcement_id": announcement_id}


def _date(value: str, op: str) -> date:
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise fail(op, f"日期 {value!r} 无效", f"{value!r} is not an ISO date") from None
