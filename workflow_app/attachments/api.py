"""Attachments over HTTP: upload to a task's attachment field, download by id, withdraw (撤回) one's own."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, current_app, request, send_file
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate
from werkzeug.exceptions import RequestEntityTooLarge

from workflow_app import db
from workflow_app.api.errors import documents_errors, error_response
from workflow_app.attachments.checks import megabytes
from workflow_app.attachments.models import Attachment
from workflow_app.attachments.service import attachment_service
from workflow_app.auth.current import auth_required, current_user

blp = Blueprint("attachments", __name__, url_prefix="", description="Attachments (附件) of task forms.")

# Room for the multipart framing and the field name around one file of the largest size.
MULTIPART_OVERHEAD = 64 * 1024


class AttachmentUploadSchema(Schema):
    """A multipart upload: the ``file`` and the attachment ``field`` of the task's form it is for."""

    file = Upload(required=True, metadata={"description": "the file; its type is read from its bytes"})
    # A plain form part (read from request.form): documented here, as smorest documents one body per view.
    field = fields.String(validate=validate.Length(max=128), metadata={
        "description": "the attachment field (optional when the form has exactly one)"})


class AttachmentSchema(Schema):
    """An uploaded file: put its id into the attachment field's list when completing the task."""

    id = fields.String(dump_only=True)
    filename = fields.String(dump_only=True)
    size = fields.Integer(dump_only=True)
    sha256 = fields.String(dump_only=True)
    content_type = fields.String(dump_only=True)
    field = fields.String(dump_only=True)
    task_id = fields.String(dump_only=True)
    uploaded_by = fields.String(dump_only=True)
    uploaded_at = fields.DateTime(dump_only=True)


class DownloadArgsSchema(Schema):
    """``?inline=1``: show a PDF or image in the browser instead of downloading it."""

    inline = fields.Boolean(load_default=False)


@blp.before_request
def _room_for_one_file() -> None:
    """Uploads may be larger than other request bodies (set before anything reads the body)."""
    if request.method == "POST":
        request.max_content_length = int(current_app.config["MAX_ATTACHMENT_BYTES"]) + MULTIPART_OVERHEAD


@blp.errorhandler(RequestEntityTooLarge)
def too_large(_exc: RequestEntityTooLarge) -> tuple[Response, int]:
    """413 saying what the limit is."""
    db.session().rollback()
    limit = megabytes(int(current_app.config["MAX_ATTACHMENT_BYTES"]))
    return error_response(413, "payload_too_large", f"文件过大：每个附件最大 {limit}（file too large）",
                          {"fields": {"file": [f"文件过大：每个附件最大 {limit}"]}})


@blp.route("/tasks/<task_id>/attachments", methods=["POST"])
@auth_required()
@blp.arguments(AttachmentUploadSchema, location="files")
@blp.response(201, AttachmentSchema)
@documents_errors(blp, 401, 403, 404, 409, 413, 422)
def upload(files: dict[str, Any], task_id: str) -> Attachment:
    """Upload one file to an attachment field of a task one may complete; 422 naming the problem."""
    file, field = files["file"], request.form.get("field")
    if field is not None and len(field) > 128:
        field = field[:128]
    return attachment_service().upload(current_user(), task_id, field, file.filename, file.stream)


@blp.route("/attachments/<attachment_id>", methods=["GET"])
@auth_required()
@blp.arguments(DownloadArgsSchema, location="query")
@blp.doc(responses={200: {"description": "the file's bytes", "content": {
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}})
@documents_errors(blp, 401, 404)
def download(args: dict[str, Any], attachment_id: str) -> Response:
    """The file (``Content-Disposition: attachment``; ``?inline=1`` shows PDF and images); 404 when the case
    is not visible to the caller."""
    return file_response(attachment_service().download(current_user(), attachment_id), args["inline"])


@blp.route("/attachments/<attachment_id>", methods=["DELETE"])
@auth_required()
@blp.response(204)
@documents_errors(blp, 401, 403, 404, 409)
def withdraw(attachment_id: str) -> None:
    """Withdraw (撤回) a file one uploaded by mistake, while its step is open and one may work it.

    The row goes, so the field's count frees up, and the case's history records the withdrawal. 404 for
    a file one may not see; 403 for another person's file; 409 once the step is completed or cancelled,
    or a submission or a 送达回证 record names the file.
    """
    attachment_service().withdraw(current_user(), attachment_id)


def file_response(found: Any, inline: bool) -> Response:
    """The bytes of a :class:`Download` with safe headers (shared with the web pages)."""
    attachment = found.attachment
    response = send_file(found.body, mimetype=attachment.content_type, conditional=False, max_age=0)
    disposition = "inline" if inline and found.previewable else "attachment"
    response.headers["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(attachment.filename, safe='')}"
    response.headers["Content-Length"] = str(attachment.size)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response
