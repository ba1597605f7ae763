"""GET /messages (the caller's 消息), POST /messages/{id}/read, POST /messages/read-all."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from workflow_app import db
from workflow_app.auth.current import auth_required, current_user
from workflow_app.messages.models import UserMessage
from workflow_app.messages.service import MessageService

blp = Blueprint("messages", __name__, url_prefix="/messages",
                description="In-app messages (消息) of the caller: urges, copies, hand-overs, returns, alerts.")

MAX_PAGE = 1_000_000


class MessageQuerySchema(Schema):
    """Filter and paging of ``GET /messages``."""

    unread = fields.Boolean(load_default=False)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))


class MessageSchema(Schema):
    """One message."""

    id = fields.Integer()
    kind = fields.Function(lambda m: m.kind.value)
    title = fields.String()
    body = fields.String()
    instance_id = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    alert_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class MessagePageSchema(Schema):
    """A page of messages and the caller's unread count."""

    items = fields.List(fields.Nested(MessageSchema))
    total = fields.Integer()
    unread = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class ReadAllSchema(Schema):
    """How many messages ``read-all`` marked read."""

    marked = fields.Integer()


@blp.route("")
@auth_required()
@blp.arguments(MessageQuerySchema, location="query")
@blp.response(200, MessagePageSchema)
def list_messages(query: dict[str, Any]) -> object:
    """The caller's messages, newest first (``?unread=true``: unread only)."""
    return MessageService(db.session()).list(current_user(), unread_only=query["unread"], page=query["page"],
                                             per_page=query["per_page"])


@blp.route("/<int:message_id>/read", methods=["POST"])
@auth_required()
@blp.response(200, MessageSchema)
def mark_read(message_id: int) -> UserMessage:
    """Mark one of the caller's messages read (404 for anyone else's)."""
    return MessageService(db.session()).mark_read(current_user(), message_id)


@blp.route("/read-all", methods=["POST"])
@auth_required()
@blp.response(200, ReadAllSchema)
def mark_all_read() -> dict[str, int]:
    """Mark every unread message of the caller read."""
    return {"marked": MessageService(db.session()).mark_all_read(current_user())}
