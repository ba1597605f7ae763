"""API shapes of cases (process instances), their active tasks, their history, and list pages."""

from __future__ import annotations

import re

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from workflow_app.api.paging import MAX_PAGE, MAX_PER_PAGE, PageArgsSchema  # noqa: F401 - re-exported
from workflow_app.instances.models import InstanceStatus
from workflow_app.tasks.models import TaskStatus

MAX_ID = 2**31 - 1  # integer primary keys

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def no_control_characters(value: str) -> None:
    """Refuse control characters (NUL breaks PostgreSQL text; none belongs in a key or a name)."""
    if _CONTROL.search(value):
        raise ValidationError("must not contain control characters")


def not_blank(value: str) -> None:
    """Refuse strings that are empty once stripped."""
    if not value.strip():
        raise ValidationError("must not be blank")


def _key_field(**kwargs: object) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=64), no_control_characters], **kwargs)


class PageSchema(Schema):
    """The envelope of every list: ``{items, total, page, per_page}``."""

    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


class InstanceListArgsSchema(PageArgsSchema):
    """Filters of the case list."""

    process_key = _key_field()
    status = fields.String(validate=validate.OneOf([s.value for s in InstanceStatus]))
    organization_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))
    mine = fields.Boolean(load_default=False,
                          metadata={"description": "only the cases the caller started (我发起的)"})
    q = fields.String(validate=validate.Length(min=1, max=100), metadata={
        "description": "keyword: part of the business key, the organization's name or 统一社会信用代码"})
    region = fields.String(validate=validate.Regexp(r"^[0-9]{6,12}$"),
                           metadata={"description": "region code: cases of that region and those below it"})
    started_from = fields.Date(metadata={"description": "started on or after this local day"})
    started_to = fields.Date(metadata={"description": "started on or before this local day"})
    overdue = fields.Boolean(load_default=False,
                             metadata={"description": "running cases past their statutory due time"})


class StartInstanceSchema(Schema):
    """What starting a case needs; with no ``variables`` the start form becomes the first task."""

    process_key = _key_field(required=True, metadata={"example": "registration"})
    business_key = fields.String(allow_none=True, validate=[validate.Length(min=1, max=128), no_control_characters])
    organization_id = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=1, max=MAX_ID))
    region = fields.String(
        allow_none=True, validate=[validate.Length(min=1, max=12), no_control_characters],
        metadata={"description": "the case's region code: the caller's region or one below it "
                                 "(default: the organization's region, else the caller's)"},
    )
    variables = fields.Dict(keys=fields.String(), load_default=dict, metadata={"description": "initial case data"})


class CancelSchema(Schema):
    """Why a case is cancelled (撤销)."""

    reason = fields.String(required=True, validate=[validate.Length(min=1, max=2000), not_blank])


class RetrySchema(Schema):
    """How to retry a case in error (other keys are ignored: the body is optional)."""

    class Meta:
        unknown = EXCLUDE

    latest_version = fields.Boolean(load_default=False, metadata={
        "description": "move the case to the latest version of its process first (after the designer fixed the "
                       "cause); refused with 409 when the steps the case has passed through are missing there"})


class FormSchema(Schema):
    """A task's form: its JSON Schema and, when the process has one, its UI hints."""

    schema = fields.Dict(allow_none=True, metadata={"description": "JSON Schema of the form data"})
    ui = fields.Dict(allow_none=True)


class ActiveTaskSchema(Schema):
    """A task as API.md's task body (the open tasks of a case)."""

    id = fields.String(required=True)
    instance_id = fields.String(required=True)
    process_key = fields.String(required=True)
    business_key = fields.String(allow_none=True)
    name = fields.String(required=True, metadata={"description": "the BPMN element id"})
    title = fields.String(required=True)
    candidate_group = fields.String(allow_none=True)
    region = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in TaskStatus]))
    created_at = fields.DateTime(required=True)
    due_at = fields.DateTime(allow_none=True)
    escalation_level = fields.Integer(required=True)
    form = fields.Nested(FormSchema, allow_none=True,
                         metadata={"description": "in a case's detail; list items leave it out"})


class InstanceSchema(Schema):
    """A case, as API.md's instance body."""

    id = fields.String(required=True)
    process_key = fields.String(required=True)
    version = fields.Integer(required=True)
    business_key = fields.String(allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in InstanceStatus]))
    region = fields.String(allow_none=True)
    organization_id = fields.Integer(allow_none=True)
    started_by = fields.String(allow_none=True)
    started_at = fields.DateTime(required=True)
    ended_at = fields.DateTime(allow_none=True)
    due_at = fields.DateTime(allow_none=True, metadata={"description": "the statutory clock; null when none"})
    clock_paused = fields.Boolean(required=True)
    active_tasks = fields.List(fields.Nested(ActiveTaskSchema), required=True)
    variables = fields.Dict(metadata={"description": "the case data (in the detail; list items leave it out)"})
    error = fields.Dict(allow_none=True, metadata={"description": "{message, task, task_id} of a case in error"})


class InstancePageSchema(PageSchema):
    """A page of cases."""

    items = fields.List(fields.Nested(InstanceSchema), required=True)


class HistoryEventSchema(Schema):
    """One entry of a case's history (审批记录)."""

    at = fields.DateTime(required=True)
    actor = fields.String(allow_none=True)
    action = fields.String(required=True)
    task_id = fields.String(allow_none=True)
    task_name = fields.String(allow_none=True)
    opinion = fields.String(allow_none=True)
    details = fields.Dict(required=True)


class HistoryPageSchema(PageSchema):
    """A page of a case's history, oldest first."""

    items = fields.List(fields.Nested(HistoryEventSchema), required=True)
