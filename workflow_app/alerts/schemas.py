"""Marshmallow schemas of the alerts API (created once per module)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

MAX_PAGE = 1_000_000  # an offset beyond any real list, still a valid SQL integer


class AlertQuerySchema(Schema):
    """Filters and paging of ``GET /alerts``."""

    status = fields.String(load_default="open", validate=validate.OneOf(["open", "acknowledged", "closed", "all"]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class AlertTaskSchema(Schema):
    """The task an alert is about, as the inbox shows it."""

    id = fields.String()
    instance_id = fields.String()
    process_key = fields.String()
    business_key = fields.String(allow_none=True)
    name = fields.String()
    title = fields.String()
    candidate_group = fields.String(allow_none=True)
    region = fields.String(attribute="region_code", allow_none=True)
    assignee = fields.String(allow_none=True)
    status = fields.Function(lambda t: t.status.value)
    created_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)
    due_warning = fields.String(allow_none=True)
    escalation_level = fields.Integer()


class AlertSchema(Schema):
    """An alert of the escalation ladder with its task."""

    id = fields.Integer()
    task_id = fields.String()
    instance_id = fields.String()
    level = fields.Integer()
    kind = fields.String()
    status = fields.String()
    region = fields.String(allow_none=True)
    task_region = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    acknowledged_at = fields.DateTime(allow_none=True)
    acknowledged_by = fields.String(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    task = fields.Nested(AlertTaskSchema)


class AlertPageSchema(Schema):
    """A page of alerts."""

    items = fields.List(fields.Nested(AlertSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


def alert_view(alert: Any, task: Any) -> dict[str, Any]:
    """The mapping AlertSchema dumps: the alert's columns (enums by value) plus its task."""
    return {
        "id": alert.id, "task_id": alert.task_id, "instance_id": alert.instance_id, "level": alert.level,
        "kind": alert.kind.value, "status": alert.status.value, "region": alert.region_code,
        "task_region": alert.task_region_code, "assignee": alert.assignee, "due_at": alert.due_at,
        "created_at": alert.created_at, "acknowledged_at": alert.acknowledged_at,
        "acknowledged_by": alert.acknowledged_by, "closed_at": alert.closed_at, "task": task,
    }
