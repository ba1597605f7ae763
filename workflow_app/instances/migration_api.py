"""Moving running cases between versions over HTTP: the dry run (designer, admin) and the move (admin only)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from workflow_app.api.errors import documents_errors
from workflow_app.auth.current import auth_required, current_user
from workflow_app.directory.models import Role
from workflow_app.instances.migration import MAX_CASES, MAX_RENAMES, MigrationService
from workflow_app.services import instance_service

blp = Blueprint("migrations", __name__, url_prefix="/process-definitions",
                description="Moving running cases of one version of a process to a newer one (dry run, then move).")

_ID = fields.String(validate=validate.Length(min=1, max=128))


class MigrationRequestSchema(Schema):
    """Which versions, and the explicit step mapping for renamed steps."""

    from_version = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    to_version = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    renames = fields.Dict(keys=_ID, values=_ID, load_default=dict,
                          validate=validate.Length(max=MAX_RENAMES),
                          metadata={"description": "old BPMN id → new BPMN id, for steps renamed in the new version"})


class MoveRequestSchema(MigrationRequestSchema):
    """A move: optionally only the cases of the dry run, at the lock versions it showed."""

    cases = fields.Dict(keys=fields.String(validate=validate.Length(max=64)), values=fields.Integer(),
                        load_default=None, validate=validate.Length(max=MAX_CASES), metadata={
                            "description": "case id → its `lock` in the dry run; a case changed since is refused"})


class CasePlanSchema(Schema):
    """One case of the dry run."""

    instance_id = fields.String(required=True)
    business_key = fields.String(allow_none=True)
    lock = fields.Integer(required=True, metadata={"description": "the case's optimistic-lock version"})
    waiting_at = fields.List(fields.Dict(), required=True)
    movable = fields.Boolean(required=True)
    reasons = fields.List(fields.String(), required=True, metadata={"description": "why it cannot move (Chinese)"})


class MigrationPlanSchema(Schema):
    """The dry run: nothing was changed."""

    process_key = fields.String(required=True)
    from_version = fields.Integer(required=True)
    to_version = fields.Integer(required=True)
    renames = fields.Dict(required=True)
    movable = fields.Integer(required=True)
    truncated = fields.Boolean(required=True)
    cases = fields.List(fields.Nested(CasePlanSchema), required=True)


class MoveOutcomeSchema(Schema):
    """What happened to one case."""

    instance_id = fields.String(required=True)
    moved = fields.Boolean(required=True)
    reason = fields.String(allow_none=True)


class MoveResultSchema(Schema):
    """The move, case by case."""

    moved = fields.Integer(required=True)
    outcomes = fields.List(fields.Nested(MoveOutcomeSchema), required=True)


def migration_service() -> MigrationService:
    """The migration service on the request's session."""
    service = instance_service()
    return MigrationService(service.session, service)


@blp.route("/<key>/migrations/dry-run", methods=["POST"])
@auth_required(Role.DESIGNER)
@blp.arguments(MigrationRequestSchema)
@blp.response(200, MigrationPlanSchema)
@documents_errors(blp, 401, 403, 404, 422)
def dry_run(body: dict[str, Any], key: str) -> dict[str, Any]:
    """Designer or admin: which running cases of ``from_version`` can move to ``to_version``, and why not; changes nothing."""
    plan = migration_service().plan(key, body["from_version"], body["to_version"], body["renames"])
    return {**asdict(plan), "movable": plan.movable}


@blp.route("/<key>/migrations", methods=["POST"])
@auth_required(Role.ADMIN)
@blp.arguments(MoveRequestSchema)
@blp.response(200, MoveResultSchema)
@documents_errors(blp, 401, 403, 404, 422)
def move(body: dict[str, Any], key: str) -> dict[str, Any]:
    """Admin (approving the designer's request): move the cases, one transaction and one 迁移 history entry each."""
    outcomes = migration_service().execute(key, body["from_version"], body["to_version"],
                                           actor=current_user().username, renames=body["renames"],
                                           expected=body["cases"])
    return {"moved": sum(1 for o in outcomes if o.moved), "outcomes": [asdict(o) for o in outcomes]}
