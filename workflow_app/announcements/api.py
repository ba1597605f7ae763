"""GET /announcements (the public list), /announcements/{id} and /announcements/{id}/print."""

from __future__ import annotations

from flask import Response
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from workflow_app import db
from workflow_app.announcements.service import AnnouncementService
from workflow_app.api.paging import PageArgsSchema, id_field
from workflow_app.auth.current import auth_required
from workflow_app.documents.api import PRINT_CSP

blp = Blueprint("announcements", __name__, url_prefix="/announcements", description="Public announcements (公告).")


class AnnouncementArgsSchema(PageArgsSchema):
    """Filters and paging of the list."""

    kind = fields.String(validate=validate.Length(max=32))
    region = fields.String(validate=validate.Length(max=12), metadata={"description": "this region and below"})
    q = fields.String(validate=validate.Length(max=128), metadata={"description": "title, organization name or USCC"})
    organization_id = id_field()


class AnnouncementSchema(Schema):
    """An announcement without its page."""

    id = fields.Integer(dump_only=True)
    kind = fields.String(dump_only=True)
    title = fields.String(dump_only=True)
    region = fields.String(attribute="region_code", dump_only=True, allow_none=True)
    organization_id = fields.Integer(dump_only=True, allow_none=True)
    instance_id = fields.String(dump_only=True, allow_none=True)
    published_at = fields.DateTime(dump_only=True)
    published_by = fields.String(dump_only=True, allow_none=True)


class AnnouncementDetailSchema(AnnouncementSchema):
    """An announcement with its HTML page."""

    html = fields.String(dump_only=True)


class AnnouncementListSchema(Schema):
    """A page of announcements."""

    items = fields.List(fields.Nested(AnnouncementSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


@blp.route("")
@auth_required()
@blp.arguments(AnnouncementArgsSchema, location="query")
@blp.response(200, AnnouncementListSchema)
def announcements(args: dict) -> dict:
    """Announcements, newest first (every logged-in user sees all: they are public)."""
    items, total = AnnouncementService(db.session()).list(**args)
    return {"items": items, "total": total, "page": args["page"], "per_page": args["per_page"]}


@blp.route("/<int:announcement_id>")
@auth_required()
@blp.response(200, AnnouncementDetailSchema)
def announcement(announcement_id: int) -> object:
    """One announcement with its HTML."""
    return AnnouncementService(db.session()).get(announcement_id)


@blp.route("/<int:announcement_id>/print")
@auth_required()
@blp.doc(responses={200: {"description": "the announcement as a printable HTML page",
                          "content": {"text/html": {"schema": {"type": "string"}}}}})
def print_announcement(announcement_id: int) -> Response:
    """The announcement as a printable HTML page."""
    item = AnnouncementService(db.session()).get(announcement_id)
    response = Response(item.html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PRINT_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
