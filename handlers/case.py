"""Handlers that act on the case itself: notes in its history and its business fields."""

from __future__ import annotations

from typing import Any

from handlers import HandlerContext, registry


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
