"""GET /calendar/{year} (any user): the days that differ from the plain week; PUT (admins) replaces them."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from workflow_app import db
from workflow_app.auth.current import auth_required, current_user
from workflow_app.calendar.service import MAX_NAME, CalendarService
from workflow_app.calendar.workdays import DayKind
from workflow_app.directory.models import Role

blp = Blueprint("calendar", __name__, url_prefix="/calendar",
                description="The working-day calendar: statutory holidays and 调休 make-up working days.")


class DaySchema(Schema):
    """A day that differs from the plain Mon–Fri week."""

    date = fields.Date(required=True)
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in DayKind]))
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=MAX_NAME))
    source = fields.String(dump_only=True, metadata={"description": "library (built-in), override (admin) or statutory (computed for a year not yet published; provisional)"})


class CalendarYearSchema(Schema):
    """A year's schedule: its special days, whether an admin marked it complete, whether it is covered."""

    year = fields.Integer()
    complete = fields.Boolean(metadata={"description": "an admin marked the year's schedule as fully entered"})
    covered = fields.Boolean(metadata={"description": "due dates in this year follow a known schedule"})
    days = fields.List(fields.Nested(DaySchema))


class CalendarUpdateSchema(Schema):
    """The year's overrides, replacing the previous ones; ``complete`` marks the year as entered."""

    days = fields.List(fields.Nested(DaySchema), required=True)
    complete = fields.Boolean(load_default=None, allow_none=True)


def year_view(service: CalendarService, year: int, days: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The response body for ``year``."""
    return {
        "year": year,
        "complete": service.is_complete(year),
        "covered": service.calendar().covers(year),
        "days": days if days is not None else service.year(year),
    }


@blp.route("/<int:year>")
@auth_required()
@blp.response(200, CalendarYearSchema)
def get_year(year: int) -> dict[str, Any]:
    """The year's holidays on weekdays and working weekend days (built-in and admin overrides)."""
    service = CalendarService(db.session())
    return year_view(service, year, service.year(year))


@blp.route("/<int:year>", methods=["PUT"], endpoint="put_year")
@auth_required(Role.ADMIN)
@blp.arguments(CalendarUpdateSchema)
@blp.response(200, CalendarYearSchema)
def put_year(body: dict[str, Any], year: int) -> dict[str, Any]:
    """Replace the year's overrides (and optionally mark it complete); 422 naming each bad day."""
    service = CalendarService(db.session())
    days = service.set_days(year, body["days"], actor=current_user().username, complete=body.get("complete"))
    return year_view(service, year, days)
