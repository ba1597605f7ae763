"""The Chinese web UI (server-rendered pages)."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template
from flask.typing import ResponseReturnValue

from workflow_app import db
from workflow_app.definitions.service import DefinitionService
from workflow_app.engine import get_engine

bp = Blueprint("web", __name__, template_folder="templates")


@bp.get("/")
def index() -> ResponseReturnValue:
    """The landing page: what the service is and which processes are deployed."""
    service = DefinitionService(db.session(), get_engine(), max_bytes=0)
    return render_template("index.html", definitions=service.list())


def init_app(app: Flask) -> None:
    """Register the UI blueprint."""
    app.register_blueprint(bp)
