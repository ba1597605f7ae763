"""GET /alerts (escalation alerts visible to the caller), POST /alerts/{id}/acknowledge."""

from __future__ import annotations

from flask_smorest import Blueprint

from workflow_app import db
from workflow_app.alerts.schemas import AlertPageSchema, AlertQuerySchema, AlertSchema, alert_view
from workflow_app.alerts.service import AlertService
from workflow_app.auth.current import auth_required, current_user

blp = Blueprint("alerts", __name__, url_prefix="/alerts",
                description="Escalation alerts: reminders, overdue and escalated tasks.")


@blp.route("")
@auth_required()
@blp.arguments(AlertQuerySchema, location="query")
@blp.response(200, AlertPageSchema)
def list_alerts(query: dict) -> dict:
    """Alerts the caller may see (supervisors: their region and below; others: reminders to them)."""
    page = AlertService(db.session()).list(current_user(), query["status"], query["page"], query["per_page"])
    return {"items": [alert_view(a, t) for a, t in page.items], "total": page.total,
            "page": page.page, "per_page": page.per_page}


@blp.route("/<int:alert_id>/acknowledge", methods=["POST"])
@auth_required()
@blp.response(200, AlertSchema)
def acknowledge(alert_id: int) -> dict:
    """Acknowledge an open alert: 404 when not visible, 409 when already acknowledged or closed."""
    return alert_view(*AlertService(db.session()).acknowledge(current_user(), alert_id))
