"""消息: the caller's in-app messages, mark one or all read; the bell's unread count on every page."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from workflow_app import db
from workflow_app.directory.models import Role, User
from workflow_app.messages.models import MessageKind, UserMessage
from workflow_app.messages.service import MessageService
from workflow_app.web.inbox import page_number
from workflow_app.web.session import current_web_user, login_required

bp = Blueprint("web_messages", __name__, url_prefix="/messages")
PER_PAGE = 20
KIND_LABELS = {
    MessageKind.URGE: "催办", MessageKind.CC: "抄送", MessageKind.DELEGATE: "委派", MessageKind.DELEGATE_DONE: "委派办结",
    MessageKind.TRANSFER: "转办", MessageKind.RETURNED: "退回", MessageKind.ALERT: "预警",
    MessageKind.CASE_MOVED: "案件进展",
}


def message_link(message: UserMessage, user: User) -> str | None:
    """Where a message leads: its task, the alerts list (supervisors) or the inbox, or its case."""
    if message.task_id:
        return url_for("web_task.show", task_id=message.task_id)
    if message.kind is MessageKind.ALERT:
        if user.role in (Role.SUPERVISOR, Role.ADMIN):
            return url_for("web_supervisor.alerts")
        return url_for("web_inbox.index")
    if message.instance_id:
        return url_for("web_cases.show", instance_id=message.instance_id)
    return None


@bp.get("")
@login_required()
def index() -> ResponseReturnValue:
    """The caller's messages, newest first (``?unread=1``: unread only)."""
    user = current_web_user()
    unread_only = request.args.get("unread") == "1"
    page = page_number()
    found = MessageService(db.session()).list(user, unread_only=unread_only, page=page, per_page=PER_PAGE)
    rows = [{"message": m, "label": KIND_LABELS.get(m.kind, ""), "link": message_link(m, user)} for m in found.items]
    last_page = max((found.total + PER_PAGE - 1) // PER_PAGE, 1)
    return render_template("messages/index.html", rows=rows, found=found, unread_only=unread_only, page=page,
                           last_page=last_page,
                           page_url=lambda n: url_for("web_messages.index", page=n, **({"unread": "1"} if unread_only else {})))


@bp.post("/<int:message_id>/read")
@login_required()
def mark_read(message_id: int) -> ResponseReturnValue:
    """Mark one message read; with ``open=1`` go on to what it is about."""
    user = current_web_user()
    message = MessageService(db.session()).mark_read(user, message_id)
    target = message_link(message, user) if request.form.get("open") == "1" else None
    return redirect(target or url_for("web_messages.index", unread=request.args.get("unread")), 303)


@bp.post("/read-all")
@login_required()
def mark_all_read() -> ResponseReturnValue:
    """Mark every unread message read."""
    MessageService(db.session()).mark_all_read(current_web_user())
    return redirect(url_for("web_messages.index"), 303)
