"""``announcement.publish``: publish a 公告 about the case's organization (public list, printable)."""

from __future__ import annotations

from typing import Any

from handlers import HandlerContext
from handlers.support import case_variables, fail, handler, mapping, text
from workflow_app.announcements.service import AnnouncementService
from workflow_app.documents.service import TemplateProblem, check_template_name


@handler("announcement.publish")
def publish(context: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Render the announcement (``template`` or the standard ``_announcement.html``) and publish it."""
    op = "announcement.publish"
    kind = text(params, "kind", op, max_length=32)
    title = text(params, "title", op)
    template = text(params, "template", op, required=False)
    extra = mapping(params, "extra", op)
    try:
        if template:
            check_template_name(template)
        announcement = AnnouncementService(context.session).publish(
            context.instance, kind=kind, title=title, template=template, extra=extra,
            variables=case_variables(context), actor=context.actor)
    except TemplateProblem as exc:
        raise fail(op, "公告生成失败", str(exc)) from None
    return {"announcement_id": announcement.id}
