"""Acting on a whole case from its page: 撤销 (cancel, with a reason), 重新执行 (an admin's retry of a case in
error), and a document's 送达 record or 作废. Each posts, then goes back to the case page with a message."""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from workflow_app import db
from workflow_app.directory.models import Role
from workflow_app.documents.life import SERVICE_METHOD_LABELS, DocumentLife
from workflow_app.documents.models import ServiceMethod
from workflow_app.errors import InvalidInput
from workflow_app.instances.queries import InstanceAccess
from workflow_app.services import instance_service
from workflow_app.web.inbox import WORKERS
from workflow_app.web.page_messages import chinese, for_page
from workflow_app.web.session import current_web_user, login_required

bp = Blueprint("web_case_actions", __name__)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _back(instance_id: str) -> Response:
    return redirect(url_for("web_cases.show", instance_id=instance_id))


def _checked(identifier: str) -> str:
    if not UUID.fullmatch(identifier):  # never a malformed id (a NUL byte) down to the database
        abort(404)
    return identifier


def _refused(instance_id: str, exc: InvalidInput) -> Response:
    fields = exc.details.get("fields") or {}
    texts = [chinese(m, exc.status) for messages in fields.values() for m in messages]
    flash("；".join(texts) or for_page(exc), "error")
    return _back(instance_id)


@bp.post("/cases/<instance_id>/cancel")
@login_required(*WORKERS)
def cancel(instance_id: str) -> ResponseReturnValue:
    """撤销: the starter, a supervisor over the case's region or an admin, with a reason."""
    reason = request.form.get("reason", "").strip()
    if not reason:
        flash("撤销案件须填写理由", "error")
        return _back(_checked(instance_id))
    InstanceAccess(db.session(), current_web_user(), instance_service()).cancel(_checked(instance_id), reason)
    flash("案件已撤销", "success")
    return _back(instance_id)


@bp.post("/cases/<instance_id>/retry")
@login_required(Role.ADMIN)
def retry(instance_id: str) -> ResponseReturnValue:
    """重新执行: an admin runs the failed step of a case in error again (after the cause was fixed), on its own
    version or moved to the latest one (the designer fixed the script)."""
    detail = InstanceAccess(db.session(), current_web_user(), instance_service()).retry(
        _checked(instance_id), latest_version=request.form.get("latest_version") is not None)
    if detail["status"] == "error":
        flash("重新执行后仍然出错：" + str((detail.get("error") or {}).get("message", "")), "error")
    else:
        flash("已重新执行，案件恢复办理", "success")
    return _back(instance_id)


@bp.post("/documents/<document_id>/service")
@login_required(*WORKERS)
def record_service(document_id: str) -> ResponseReturnValue:
    """送达: record the method, the day the party received it, the 回证 and a note."""
    life = DocumentLife(db.session())
    try:
        method = ServiceMethod(request.form.get("method", ""))
        served_on = date.fromisoformat(request.form.get("served_at", ""))
    except ValueError:
        document = life_document(document_id)
        flash("请选择送达方式并填写送达日期（年-月-日）", "error")
        return _back(document.instance_id)
    try:
        document = life.record_service(
            current_web_user(), _checked(document_id), method=method, served_on=served_on,
            receipt=request.form.get("receipt", "").strip() or None, note=request.form.get("note", "").strip() or None,
            consent=request.form.get("consent") is not None)
    except InvalidInput as exc:
        db.session().rollback()
        return _refused(life_document(document_id).instance_id, exc)
    flash(f"已记录「{document.title}」{SERVICE_METHOD_LABELS[method]}，送达日期 {served_on.isoformat()}", "success")
    return _back(document.instance_id)


@bp.post("/documents/<document_id>/void")
@login_required(Role.SUPERVISOR)
def void(document_id: str) -> ResponseReturnValue:
    """作废: a supervisor or an admin voids a document with a reason."""
    try:
        document = DocumentLife(db.session()).void(current_web_user(), _checked(document_id),
                                                   request.form.get("reason", ""))
    except InvalidInput as exc:
        db.session().rollback()
        return _refused(life_document(document_id).instance_id, exc)
    flash(f"「{document.title}」已作废", "success")
    return _back(document.instance_id)


def life_document(document_id: str):  # noqa: ANN201 - a Document
    """The document (visible to the caller) a refused form was about, to go back to its case."""
    from workflow_app.documents.service import DocumentService

    return DocumentService(db.session()).get(current_web_user(), _checked(document_id))
