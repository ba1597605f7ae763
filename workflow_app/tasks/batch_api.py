"""批量签收 / 批量办理 over HTTP: each task of the batch is reported on separately (200 with one item per
task; a batch that is itself malformed — no task, more than 100, no decision — is 422)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from workflow_app.api.errors import documents_errors
from workflow_app.auth.current import auth_required, current_user
from workflow_app.instances.schemas import no_control_characters
from workflow_app.tasks.batch import MAX_BATCH, BatchService, ItemResult
from workflow_app.tasks.schemas import opinion_field
from workflow_app.tasks.service import task_service

blp = Blueprint("task_batches", __name__, url_prefix="/tasks/batch",
                description="批量签收 and 批量办理: many tasks at once, each reported on separately.")

_IDS = fields.List(fields.String(validate=[validate.Length(min=1, max=64), no_control_characters]),
                   required=True, validate=validate.Length(min=1, max=MAX_BATCH))


class BatchClaimSchema(Schema):
    """The tasks to claim (at most 100)."""

    task_ids = _IDS


class BatchCompleteSchema(Schema):
    """The tasks to complete with one decision and one opinion (steps whose form needs nothing else)."""

    task_ids = _IDS
    decision = fields.String(required=True, validate=[validate.Length(min=1, max=64), no_control_characters])
    opinion = opinion_field(allow_none=True)


class ItemErrorSchema(Schema):
    code = fields.String()
    message = fields.String()
    details = fields.Dict()


class ItemResultSchema(Schema):
    task_id = fields.String()
    ok = fields.Boolean()
    title = fields.String(allow_none=True)
    error = fields.Nested(ItemErrorSchema, allow_none=True)


class BatchResultSchema(Schema):
    items = fields.List(fields.Nested(ItemResultSchema))
    succeeded = fields.Integer()
    failed = fields.Integer()


def _body(results: list[ItemResult]) -> dict[str, Any]:
    items = [{"task_id": r.task_id, "ok": r.ok, "title": r.title,
              "error": None if r.ok else {"code": r.code, "message": r.message, "details": {"fields": r.fields}}}
             for r in results]
    succeeded = sum(r.ok for r in results)
    return {"items": items, "succeeded": succeeded, "failed": len(results) - succeeded}


@blp.route("/claim", methods=["POST"])
@auth_required()
@blp.arguments(BatchClaimSchema)
@blp.response(200, BatchResultSchema)
@documents_errors(blp, 401, 422)
def claim(body: dict[str, Any]) -> dict[str, Any]:
    """批量签收: claim each task (each in its own transaction)."""
    return _body(BatchService(task_service()).claim(current_user(), body["task_ids"]))


@blp.route("/complete", methods=["POST"])
@auth_required()
@blp.arguments(BatchCompleteSchema)
@blp.response(200, BatchResultSchema)
@documents_errors(blp, 401, 422)
def complete(body: dict[str, Any]) -> dict[str, Any]:
    """批量办理: complete each task with the decision and opinion; a step whose form needs more is refused
    for that task (``not_batchable``), a decision its form refuses is that task's 422 ``details``."""
    return _body(BatchService(task_service()).complete(current_user(), body["task_ids"], body["decision"],
                                                       body.get("opinion")))
