"""GET /reports/figures: the supervisor figures of a region the caller oversees (supervisors and admins)."""

from __future__ import annotations

from flask_smorest import Blueprint

from workflow_app import db
from workflow_app.auth.current import auth_required, current_user
from workflow_app.directory.models import Role
from workflow_app.reports.figures import Figures, FiguresService
from workflow_app.reports.schemas import FiguresQuerySchema, FiguresSchema
from workflow_app.reports.scope import resolve_scope

blp = Blueprint("reports", __name__, url_prefix="/reports",
                description="Figures for supervisors: party coverage, the zombie cleanup, registration time.")


@blp.route("/figures")
@auth_required(Role.SUPERVISOR)
@blp.arguments(FiguresQuerySchema, location="query")
@blp.response(200, FiguresSchema)
def figures(query: dict) -> Figures:
    """The figures of ``region`` (default: the caller's): 403 for a region outside the caller's, 404 unknown."""
    session = db.session()
    return FiguresService(session).figures(resolve_scope(session, current_user(), query["region"]))
