"""Attachments in the web UI: the download link of a file (the same visibility rule as the API: 404)."""

from __future__ import annotations

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from workflow_app.attachments.api import file_response
from workflow_app.attachments.service import attachment_service
from workflow_app.web.session import current_web_user, login_required

bp = Blueprint("web_attachments", __name__, url_prefix="/files")


@bp.get("/<attachment_id>")
@login_required()
def download(attachment_id: str) -> ResponseReturnValue:
    """The file as a download (``?inline=1``: PDF and images shown in the browser)."""
    return file_response(attachment_service().download(current_web_user(), attachment_id),
                         request.args.get("inline") == "1")
