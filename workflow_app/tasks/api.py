"""The task inbox over HTTP: lists and counts, a task's detail, and the approval operations on it
(claim, complete, 委派 delegate, 转办 transfer, 退回 return, 撤回 withdraw, 抄送 cc, 催办 urge, comments)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Response
from flask_smorest import Blueprint

from workflow_app import db
from workflow_app.api.errors import documents_errors, error_response
from workflow_app.auth.current import auth_required, current_user
from workflow_app.instances import disclosure
from workflow_app.instances.schemas import PageArgsSchema
from workflow_app.tasks.errors import UrgeTooSoon
from workflow_app.tasks.inbox import InboxQuery, Page
from workflow_app.tasks.schemas import (
    CommentBodySchema,
    CommentPageSchema,
    CommentSchema,
    CompleteSchema,
    CompletionSchema,
    CopyResultSchema,
    CopySchema,
    CountsSchema,
    HandOverSchema,
    InboxArgsSchema,
    ReturnSchema,
    TaskDetailSchema,
    TaskPageSchema,
    TaskSchema,
    UrgeResultSchema,
    UrgeSchema,
    WithdrawSchema,
)
from workflow_app.tasks.service import task_service
from workflow_app.tasks.views import Completion, CopyResult, TaskDetail, TaskView, UrgeResult

blp = Blueprint("tasks", __name__, url_prefix="/tasks",
                description="The task inbox (待办) and the approval operations on a task.")

inbox_args_schema = InboxArgsSchema()
page_args_schema = PageArgsSchema()
complete_schema = CompleteSchema()
hand_over_schema = HandOverSchema()
return_schema = ReturnSchema()
withdraw_schema = WithdrawSchema()
copy_schema = CopySchema()
urge_schema = UrgeSchema()
comment_body_schema = CommentBodySchema()


@blp.errorhandler(UrgeTooSoon)
def urge_too_soon(exc: UrgeTooSoon) -> tuple[Response, int]:
    """429 in the API error format, with Retry-After (the app-wide handler knows no headers)."""
    db.session().rollback()
    response, status = error_response(exc.status, exc.code, exc.message, exc.details)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response, status


@blp.route("", methods=["GET"])
@auth_required(read_only=True)
@blp.arguments(inbox_args_schema, location="query")
@blp.response(200, TaskPageSchema)
@documents_errors(blp, 401)
def list_tasks(args: dict[str, Any]) -> Page[TaskView]:
    """The caller's inbox: tasks they hold plus unclaimed tasks of their groups in their region (``scope``
    picks another tab), filtered and sorted."""
    user = current_user()
    page = task_service().inbox(user, InboxQuery(**args))
    return replace(page, items=disclosure.task_views(db.session(), user, page.items))


@blp.route("/counts", methods=["GET"])
@auth_required(read_only=True)
@blp.response(200, CountsSchema)
@documents_errors(blp, 401)
def task_counts() -> dict[str, Any]:
    """Open tasks per inbox tab {mine, group, all, overdue}, copies to the caller {cc} and their 已办 {done};
    each exact up to the count cap (1000), else the cap, named in ``capped``."""
    return task_service().counts(current_user())


@blp.route("/<task_id>", methods=["GET"])
@auth_required()
@blp.response(200, TaskDetailSchema)
@documents_errors(blp, 401, 404)
def get_task(task_id: str) -> TaskDetail:
    """A task with its form, its case, the data the form opens with and the operations open to the caller."""
    user = current_user()
    return disclosure.task_detail(db.session(), user, task_service().detail(user, task_id))


@blp.route("/<task_id>/claim", methods=["POST"])
@auth_required()
@blp.response(200, TaskSchema)
@documents_errors(blp, 401, 403, 404, 409)
def claim_task(task_id: str) -> TaskView:
    """签收: take an unclaimed task of one's groups; 409 when someone else holds it."""
    return task_service().claim(current_user(), task_id)


@blp.route("/<task_id>/unclaim", methods=["POST"])
@auth_required()
@blp.response(200, TaskSchema)
@documents_errors(blp, 401, 403, 404, 409)
def unclaim_task(task_id: str) -> TaskView:
    """Release a held task to its group (a delegate releasing it hands it back to the delegator)."""
    return task_service().unclaim(current_user(), task_id)


@blp.route("/<task_id>/complete", methods=["POST"])
@auth_required()
@blp.arguments(complete_schema)
@blp.response(200, CompletionSchema)
@documents_errors(blp, 401, 403, 404, 409, 413, 422)
def complete_task(body: dict[str, Any], task_id: str) -> Completion:
    """办理: submit the form data (checked against its JSON Schema; decisions need an opinion)."""
    return task_service().complete(current_user(), task_id, body["data"], body.get("opinion"))


@blp.route("/<task_id>/delegate", methods=["POST"])
@auth_required()
@blp.arguments(hand_over_schema)
@blp.response(200, TaskSchema)
@documents_errors(blp, 401, 403, 404, 409, 422)
def delegate_task(body: dict[str, Any], task_id: str) -> TaskView:
    """委派: a colleague handles the task; when they complete it, it comes back to the caller."""
    return task_service().delegate(current_user(), task_id, body["to"], body.get("opinion"))


@blp.route("/<task_id>/transfer", methods=["POST"])
@auth_required()
@blp.arguments(hand_over_schema)
@blp.response(200, TaskSchema)
@documents_errors(blp, 401, 403, 404, 409, 422)
def transfer_task(body: dict[str, Any], task_id: str) -> TaskView:
    """转办: hand the task over for good to another member of its group in its region."""
    return task_service().transfer(current_user(), task_id, body["to"], body.get("opinion"))


@blp.route("/<task_id>/return", methods=["POST"])
@auth_required()
@blp.arguments(return_schema)
@blp.response(200, CompletionSchema)
@documents_errors(blp, 401, 403, 404, 409, 422)
def return_task(body: dict[str, Any], task_id: str) -> Completion:
    """退回: send the case back to an earlier step (``to_task``: its task id or BPMN id; default the previous)."""
    return task_service().return_to(current_user(), task_id, body["opinion"], body.get("to_task"))


@blp.route("/<task_id>/withdraw", methods=["POST"])
@auth_required()
@blp.arguments(withdraw_schema)
@blp.response(200, CompletionSchema)
@documents_errors(blp, 401, 403, 404, 409, 422)
def withdraw_task(body: dict[str, Any], task_id: str) -> Completion:
    """撤回: take back a step one completed, while the next step has not acted on it."""
    return task_service().withdraw(current_user(), task_id, body.get("opinion"))


@blp.route("/<task_id>/cc", methods=["POST"])
@auth_required()
@blp.arguments(copy_schema)
@blp.response(200, CopyResultSchema)
@documents_errors(blp, 401, 403, 404, 409, 422)
def copy_task(body: dict[str, Any], task_id: str) -> CopyResult:
    """抄送: let other users read the task (they cannot act on it); it shows in their 抄送我的 list."""
    return task_service().copy(current_user(), task_id, body["to"], body.get("opinion"))


@blp.route("/<task_id>/urge", methods=["POST"])
@auth_required()
@blp.arguments(urge_schema)
@blp.response(200, UrgeResultSchema)
@blp.alt_response(429, response="TOO_MANY_REQUESTS", description="urged less than an hour ago; see Retry-After")
@documents_errors(blp, 401, 403, 404, 409, 422)
def urge_task(body: dict[str, Any], task_id: str) -> UrgeResult:
    """催办: the case's starter reminds whoever holds the task (or its group); once an hour per task."""
    return task_service().urge(current_user(), task_id, body.get("message"))


@blp.route("/<task_id>/comments", methods=["GET"])
@auth_required()
@blp.arguments(page_args_schema, location="query")
@blp.response(200, CommentPageSchema)
@documents_errors(blp, 401, 404)
def list_comments(args: dict[str, Any], task_id: str) -> Page[Any]:
    """The task's comments, oldest first."""
    return task_service().comments(current_user(), task_id, args["page"], args["per_page"])


@blp.route("/<task_id>/comments", methods=["POST"])
@auth_required()
@blp.arguments(comment_body_schema)
@blp.response(201, CommentSchema)
@documents_errors(blp, 401, 404, 422)
def add_comment(body: dict[str, Any], task_id: str) -> Any:
    """Add a comment (批注) to a task one can see."""
    return task_service().comment(current_user(), task_id, body["text"])
