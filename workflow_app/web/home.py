"""The landing page after login."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from workflow_app.services import definition_service
from workflow_app.web.session import login_required

bp = Blueprint("web_home", __name__)


@bp.get("/")
@login_required()
def index() -> ResponseReturnValue:
    """首页: who you are and what is deployed."""
    return render_template("index.html", definitions=definition_service().list())
