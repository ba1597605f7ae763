"""API shapes of the task inbox: query strings, operation bodies, tasks, pages and counts."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_dump, validate

from workflow_app.instances.schemas import PageArgsSchema, PageSchema, no_control_characters, not_blank
from workflow_app.tasks.inbox import SCOPES, SORTS, STATUS_FILTERS
from workflow_app.tasks.models import TaskStatus

MAX_OPINION = 2000
MAX_COPIES = 50


def _no_nul_anywhere(value: Any) -> None:
    """Refuse NUL in any key or string of form data: PostgreSQL's JSONB cannot store it."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str) and "\x00" in item:
            raise ValidationError("must not contain NUL characters")
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _username(**kwargs: Any) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=64), no_control_characters], **kwargs)


def opinion_field(*, min_length: int = 0, **kwargs: Any) -> fields.String:
    # Opinions are prose: line breaks are fine, NUL is not (PostgreSQL refuses it).
    checks: list[Any] = [validate.Length(min=min_length, max=MAX_OPINION), _no_nul_anywhere]
    if min_length:
        checks.append(not_blank)
    return fields.String(validate=checks, **kwargs)


# -- query strings ------------------------------------------------------------------------------


class InboxArgsSchema(PageArgsSchema):
    """Filters of the inbox. No ``scope``: tasks the caller holds plus unclaimed ones of their groups."""

    scope = fields.String(validate=validate.OneOf(SCOPES),
                          metadata={"description": "mine | group | all (everything visible) | cc (抄送我的)"})
    process_key = fields.String(validate=[validate.Length(min=1, max=64), no_control_characters])
    overdue = fields.Boolean(load_default=False, metadata={"description": "open and past due_at"})
    status = fields.String(validate=validate.OneOf(STATUS_FILTERS),
                           metadata={"description": "default: open (ready or claimed); for scope=cc: any"})
    q = fields.String(validate=[validate.Length(min=1, max=100), no_control_characters],
                      metadata={"description": "substring of the title or business key"})
    sort = fields.String(load_default="due_at", validate=validate.OneOf(SORTS))


# -- bodies -------------------------------------------------------------------------------------


class CompleteSchema(Schema):
    """Form data (checked against the task's JSON Schema) and the opinion (审批意见), required on decisions."""

    data = fields.Dict(keys=fields.String(), load_default=dict, validate=_no_nul_anywhere)
    opinion = opinion_field(allow_none=True)


class HandOverSchema(Schema):
    """委派 / 转办: to whom, and why."""

    to = _username(required=True)
    opinion = opinion_field(allow_none=True)


class ReturnSchema(Schema):
    """退回: to which earlier step (a task id or BPMN id; default the previous one), and why (required)."""

    to_task = fields.String(allow_none=True, validate=[validate.Length(min=1, max=128), no_control_characters])
    opinion = opinion_field(required=True, min_length=1)


class WithdrawSchema(Schema):
    """撤回: why, optionally."""

    opinion = opinion_field(allow_none=True)


class CopySchema(Schema):
    """抄送: to whom."""

    to = fields.List(_username(), required=True, validate=validate.Length(min=1, max=MAX_COPIES))
    opinion = opinion_field(allow_none=True)


class UrgeSchema(Schema):
    """催办: an optional message for the person reminded."""

    message = fields.String(allow_none=True, validate=[validate.Length(max=500), _no_nul_anywhere])


class CommentBodySchema(Schema):
    """A comment."""

    text = opinion_field(required=True, min_length=1)


# -- answers ------------------------------------------------------------------------------------


class TaskFormSchema(Schema):
    """A task's form: its JSON Schema and, when the process has them, UI hints."""

    schema = fields.Dict(required=True, metadata={"description": "JSON Schema (draft 2020-12) of the data"})
    ui = fields.Dict(metadata={"description": "UI hints, when the process has them"})

    @post_dump
    def _no_empty_ui(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if data.get("ui") is None:
            data.pop("ui", None)
        return data


class TaskSchema(Schema):
    """API.md's task body, plus what the inbox shows beside it."""

    id = fields.String(attribute="task.id", required=True)
    instance_id = fields.String(attribute="task.instance_id", required=True)
    process_key = fields.String(attribute="task.process_key", required=True)
    business_key = fields.String(attribute="task.business_key", allow_none=True)
    name = fields.String(attribute="task.name", required=True, metadata={"description": "BPMN element id"})
    title = fields.String(attribute="task.title", required=True)
    candidate_group = fields.String(attribute="task.candidate_group", allow_none=True)
    region = fields.String(attribute="task.region_code", allow_none=True)
    organization_id = fields.Integer(attribute="task.organization_id", allow_none=True)
    assignee = fields.String(attribute="task.assignee", allow_none=True)
    delegated_from = fields.String(attribute="task.delegated_from", allow_none=True)
    status = fields.String(attribute="task.status.value", required=True,
                           validate=validate.OneOf([s.value for s in TaskStatus]))
    created_at = fields.DateTime(attribute="task.created_at", required=True)
    due_at = fields.DateTime(attribute="task.due_at", allow_none=True)
    due_warning = fields.String(attribute="task.due_warning", allow_none=True)
    completed_at = fields.DateTime(attribute="task.completed_at", allow_none=True)
    completed_by = fields.String(attribute="task.completed_by", allow_none=True)
    escalation_level = fields.Integer(attribute="task.escalation_level", required=True)
    form = fields.Nested(TaskFormSchema, required=True)


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def task_body(view: Any) -> dict[str, Any]:
    """:class:`TaskSchema`'s dump of a task view, built directly. A page of 50 tasks through marshmallow's
    field-by-field dump cost ~2.7 ms CPU, the largest part of an inbox page's time; this is the same
    dict (``tests/tasks/test_api.py`` compares the two field for field) at a fraction of it."""
    task, form = view.task, view.form
    shown_form: dict[str, Any] = {"schema": dict(form.schema)}
    if form.ui is not None:
        shown_form["ui"] = dict(form.ui)
    return {
        "id": task.id, "instance_id": task.instance_id, "process_key": task.process_key,
        "business_key": task.business_key, "name": task.name, "title": task.title,
        "candidate_group": task.candidate_group, "region": task.region_code,
        "organization_id": task.organization_id, "assignee": task.assignee, "delegated_from": task.delegated_from,
        "status": task.status.value, "created_at": _iso(task.created_at), "due_at": _iso(task.due_at),
        "due_warning": task.due_warning, "completed_at": _iso(task.completed_at), "completed_by": task.completed_by,
        "escalation_level": task.escalation_level, "form": shown_form,
    }


class TaskBody(fields.Nested):
    """``Nested(TaskSchema)`` as documented (the OpenAPI document reads the schema), dumped by
    :func:`task_body`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(TaskSchema, **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> dict[str, Any] | None:
        return None if value is None else task_body(value)


class TaskPageSchema(PageSchema):
    """A page of tasks. ``total`` is exact up to the inbox's count cap (config ``INBOX_COUNT_CAP``,
    1000) or the end of the page asked for, whichever is further; past it ``total_capped`` is true and
    ``total`` is that bound (there are more tasks than it says: a full page has a next one)."""

    items = fields.List(TaskBody(), required=True)
    total_capped = fields.Boolean(required=True, metadata={
        "description": "true: total is a lower bound (more tasks than that); false: total is exact"})


class CountsSchema(Schema):
    """Open tasks per inbox tab; ``cc`` counts every task copied to the caller, ``done`` the tasks they
    completed (已办). Each count is exact up to the inbox's count cap (config ``INBOX_COUNT_CAP``, 1000);
    a count past it is the cap, and its name is in ``capped`` (shown as "1000+")."""

    mine = fields.Integer(required=True)
    group = fields.Integer(required=True)
    all = fields.Integer(required=True)
    overdue = fields.Integer(required=True)
    cc = fields.Integer(required=True)
    done = fields.Integer(required=True)
    capped = fields.List(fields.String(), required=True, metadata={
        "description": "the counts above that reached the cap: there are more tasks than they say"})


class InstanceSummarySchema(Schema):
    """The case a task belongs to."""

    id = fields.String(required=True)
    process_key = fields.String(required=True)
    version = fields.Integer(attribute="definition.version")
    business_key = fields.String(allow_none=True)
    status = fields.String(attribute="status.value")
    region = fields.String(attribute="region_code", allow_none=True)
    organization_id = fields.Integer(allow_none=True)
    started_by = fields.String(allow_none=True)
    started_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    clock_paused = fields.Boolean()


class TaskDetailSchema(TaskSchema):
    """A task with its case, the data its form opens with, and what the caller may do."""

    instance = fields.Nested(InstanceSummarySchema, required=True)
    variables = fields.Dict(required=True, metadata={"description": "the case data the form needs"})
    actions = fields.List(fields.String(), required=True,
                          metadata={"description": "operations open to the caller now (claim, complete, …)"})
    cc = fields.List(fields.String(), required=True, metadata={"description": "users the task is copied to"})
    delegation = fields.Dict(allow_none=True,
                             metadata={"description": "委派: from, to, at and the delegate's result once done"})


class CompletionSchema(Schema):
    """The task acted on, and the tasks that are ready now because of it (those the caller may see)."""

    task = TaskBody(required=True)
    next_tasks = fields.List(TaskBody(), required=True)


class CopyResultSchema(Schema):
    """The copied task and everyone it is copied to."""

    task = fields.Nested(TaskSchema, required=True)
    cc = fields.List(fields.String(), required=True)


class UrgeResultSchema(Schema):
    """Who was reminded and when the next reminder is allowed."""

    task = fields.Nested(TaskSchema, required=True)
    urged_at = fields.DateTime(required=True)
    recipients = fields.List(fields.String(), required=True)
    next_allowed_at = fields.DateTime(required=True)


class CommentSchema(Schema):
    """A comment on a task."""

    id = fields.Integer(required=True)
    task_id = fields.String(required=True)
    author = fields.String(required=True)
    text = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class CommentPageSchema(PageSchema):
    """A page of comments."""

    items = fields.List(fields.Nested(CommentSchema), required=True)
