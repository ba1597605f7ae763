"""Cases over HTTP: start, list, detail, history, cancel (撤销), and the admin's retry of a case in error."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from workflow_app import db
from workflow_app.api.errors import documents_errors
from workflow_app.auth.current import auth_required, current_user
from workflow_app.directory.models import Role
from workflow_app.instances.queries import InstanceAccess, Page
from workflow_app.instances.schemas import (
    CancelSchema,
    HistoryPageSchema,
    InstanceListArgsSchema,
    InstancePageSchema,
    InstanceSchema,
    PageArgsSchema,
    RetrySchema,
    StartInstanceSchema,
)
from workflow_app.services import instance_service

blp = Blueprint("instances", __name__, url_prefix="/process-instances",
                description="Cases (process instances): start, follow, cancel.")

start_schema = StartInstanceSchema()
cancel_schema = CancelSchema()
list_args_schema = InstanceListArgsSchema()
page_args_schema = PageArgsSchema()


def _access() -> InstanceAccess:
    return InstanceAccess(db.session(), current_user(), instance_service())


@blp.route("", methods=["GET"])
@auth_required()
@blp.arguments(list_args_schema, location="query")
@blp.response(200, InstancePageSchema)
@documents_errors(blp, 401)
def list_instances(args: dict[str, Any]) -> Page:
    """The cases the caller may see, newest first (items without variables; their tasks without forms)."""
    return _access().list(**args)


@blp.route("", methods=["POST"])
@auth_required()
@blp.arguments(start_schema)
@blp.response(201, InstanceSchema)
@documents_errors(blp, 401, 403)
@blp.doc(description=(
    "Applicants start `registration` and `major_event` for their own organization (the default); "
    "caseworkers, supervisors and admins start any process; designers none (403). The case's region is "
    "`region` (the caller's region or one below it, else 403), else the organization's, else the caller's. "
    "An applicant-lane start form the starter could not otherwise work is assigned to the starter."))
def start_instance(body: dict[str, Any]) -> dict[str, Any]:
    """Start a case; with no variables its start form is the first task, in the starter's inbox."""
    return _access().start(body["process_key"], variables=body.get("variables"),
                           business_key=body.get("business_key"), organization_id=body.get("organization_id"),
                           region=body.get("region"))


@blp.route("/<instance_id>", methods=["GET"])
@auth_required()
@blp.response(200, InstanceSchema)
@documents_errors(blp, 401, 404)
def get_instance(instance_id: str) -> dict[str, Any]:
    """A case with its open tasks (and their forms) and its variables; 404 when not visible. An organization
    reads its own submissions and the reasons given to it, staff named as the office (docs/visibility.md)."""
    return _access().detail(instance_id)


@blp.route("/<instance_id>/history", methods=["GET"])
@auth_required()
@blp.arguments(page_args_schema, location="query")
@blp.response(200, HistoryPageSchema)
@documents_errors(blp, 401, 404)
def instance_history(args: dict[str, Any], instance_id: str) -> Page:
    """A case's history (审批记录), oldest first; an organization reads the events the disclosure rule allows,
    actors as the office, no staff comments or internal opinions (docs/visibility.md)."""
    return _access().history(instance_id, **args)


@blp.route("/<instance_id>/cancel", methods=["POST"])
@auth_required()
@blp.arguments(cancel_schema)
@blp.response(200, InstanceSchema)
@documents_errors(blp, 401, 403, 404, 409)
@blp.doc(description="A running case, or one in error, may be cancelled; a completed or cancelled one is 409.")
def cancel_instance(body: dict[str, Any], instance_id: str) -> dict[str, Any]:
    """Cancel (撤销) a running case: the starter, a supervisor of its region or an admin; 409 once ended."""
    return _access().cancel(instance_id, body["reason"])


@blp.route("/<instance_id>/retry", methods=["POST"])
@auth_required(Role.ADMIN)
@blp.arguments(RetrySchema, required=False)
@blp.response(200, InstanceSchema)
@documents_errors(blp, 401, 403, 404, 409)
def retry_instance(body: dict[str, Any], instance_id: str) -> dict[str, Any]:
    """Admin: run the failed step of a case in error again (optionally on the latest version of its process);
    409 when the case is not in error."""
    return _access().retry(instance_id, latest_version=bool((body or {}).get("latest_version")))
