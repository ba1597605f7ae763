"""GET /admin/outbox (e.g. ?status=dead), POST /admin/outbox/{id}/retry — admins only."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from workflow_app import db
from workflow_app.auth.current import auth_required
from workflow_app.directory.models import Role
from workflow_app.notifications.models import OutboxStatus
from workflow_app.notifications.service import OutboxService

blp = Blueprint("admin_outbox", __name__, url_prefix="/admin/outbox",
                description="The notification outbox: delivery state, dead letters, retry (admins).")


MAX_PAGE = 1_000_000  # an offset beyond any real list, still a valid SQL integer


class OutboxQuerySchema(Schema):
    """Filters and paging of the outbox list."""

    status = fields.String(load_default=None, validate=validate.OneOf([s.value for s in OutboxStatus]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class OutboxMessageSchema(Schema):
    """One outbox message and its delivery state."""

    id = fields.Integer()
    channel = fields.Function(lambda m: m.channel.value)
    recipient = fields.String()
    subject = fields.String()
    status = fields.Function(lambda m: m.status.value)
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime()
    last_error = fields.String(allow_none=True)
    instance_id = fields.String(allow_none=True)
    dedupe_key = fields.String(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)


class OutboxPageSchema(Schema):
    """A page of outbox messages."""

    items = fields.List(fields.Nested(OutboxMessageSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


@blp.route("")
@auth_required(Role.ADMIN)
@blp.arguments(OutboxQuerySchema, location="query")
@blp.response(200, OutboxPageSchema)
def list_messages(query: dict) -> object:
    """Outbox messages, newest first; ``?status=dead`` lists the ones delivery gave up on."""
    return OutboxService(db.session()).list(query["status"], query["page"], query["per_page"])


@blp.route("/<int:message_id>/retry", methods=["POST"])
@auth_required(Role.ADMIN)
@blp.response(200, OutboxMessageSchema)
def retry(message_id: int) -> object:
    """Queue a dead message again (fresh attempts, due now); 409 unless it is dead."""
    return OutboxService(db.session()).retry(message_id)
