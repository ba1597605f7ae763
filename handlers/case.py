"""Handlers that act on the case itself: notes in its history and its business fields."""

from __future__ import annotations

import contextvars
from datetime import datetime
from typing import Any

from handlers import HandlerContext, registry
from handlers.support import fail, handler, integer, mapping, region_code, text
from workflow_app import clock
from workflow_app.errors import DomainError
from workflow_app.organizations.models import Organization


@registry.register("case.note")
def note(context: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Write a line into the case history (审批记录), e.g. "视为无异议"."""
    from workflow_app.instances.audit import record

    text = str(params.get("text") or "").strip()
    if not text:
        raise ValueError("case.note needs a non-empty 'text'")
    record(context.session, context.instance.id, action=str(params.get("action") or "note"),
           actor=context.actor, details={"text": text})
    return {"recorded": True}


@registry.register("case.set_business_key")
def set_business_key(context: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Give the case its business key (e.g. an application number) once it is known."""
    key = str(params.get("business_key") or "").strip()
    if not key or len(key) > 128:
        raise ValueError("case.set_business_key needs a business_key of 1 to 128 characters")
    context.instance.business_key = key
    return {"business_key": key}


@handler("case.deadline")
def deadline(context: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Set a named deadline of the case (``due_at``, ``warn_at``: ISO moments; ``label`` in Chinese) whose
    warning reaches every open step, or ``clear`` it; neither given: nothing changes (``{"kept": true}``)."""
    from workflow_app.alerts.deadlines import clear_deadline, set_deadline

    op = "case.deadline"
    name = text(params, "name", op, max_length=64)
    if params.get("clear"):
        return {"cleared": clear_deadline(context.session, context.instance.id, name)}
    if params.get("warn_at") in (None, "") and params.get("due_at") in (None, ""):
        return {"kept": True}
    label = text(params, "label", op, max_length=255)
    moments = {}
    for key in ("due_at", "warn_at"):
        try:
            moments[key] = clock.as_utc(datetime.fromisoformat(text(params, key, op, max_length=40)))
        except ValueError:
            raise fail(op, f"参数 {key} 不是有效时间", f"{key} must be an ISO moment with an offset") from None
    if moments["warn_at"] > moments["due_at"]:
        raise fail(op, "提醒时间不能晚于期限", "warn_at is after due_at")
    set_deadline(context.session, context.instance.id, name=name, label=label, **moments)
    return {"due_at": moments["due_at"].isoformat(), "warn_at": moments["warn_at"].isoformat()}


@handler("case.set_region")
def set_region(context: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Route the case to another authority's region (异地商会 → city level); its open tasks move with it."""
    from sqlalchemy import update

    from workflow_app.instances.audit import record
    from workflow_app.tasks.models import OPEN_STATUSES, HumanTask

    code = region_code(context, params.get("region_code"), "case.set_region")
    instance = context.instance
    previous = instance.region_code
    if code != previous:
        instance.region_code = code
        context.session.execute(
            update(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status.in_(OPEN_STATUSES))
            .values(region_code=code).execution_options(synchronize_session="fetch"))
        record(context.session, instance.id, action="set_region", actor=context.actor,
               details={"from": previous, "to": code})
    return {"region_code": code}


MAX_START_DEPTH = 5
_depth = contextvars.ContextVar("socorg_start_process_depth", default=0)


@handler("case.start_process")
def start_process(context: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Start a follow-up case in the same transaction (registration → party_building)."""
    from workflow_app.instances.audit import record
    from workflow_app.services import instance_service

    op = "case.start_process"
    process_key = text(params, "process_key", op, max_length=64)
    variables = mapping(params, "variables", op)
    organization_id = integer(params, "organization_id", op, minimum=1)
    if organization_id is None:
        organization_id = context.instance.organization_id
    elif context.session.get(Organization, organization_id) is None:
        raise fail(op, f"社会组织 {organization_id} 不存在", f"no organization {organization_id}")
    code = params.get("region_code")
    code = region_code(context, code, op) if code not in (None, "") else context.instance.region_code
    depth = _depth.get()
    if depth >= MAX_START_DEPTH:
        raise fail(op, "流程相互启动层数过多", f"cases starting cases nested deeper than {MAX_START_DEPTH}")
    token = _depth.set(depth + 1)
    try:
        advance = instance_service(context.session).start_in_transaction(
            process_key, variables, started_by=context.actor or context.instance.started_by,
            organization_id=organization_id, region_code=code)
    except DomainError as exc:
        raise fail(op, f"无法启动流程 {process_key}", exc.message) from exc
    finally:
        _depth.reset(token)
    child = advance.instance
    record(context.session, context.instance.id, action="start_process", actor=context.actor,
           details={"process_key": process_key, "instance_id": child.id, "status": child.status.value})
    return {"instance_id": child.id}
