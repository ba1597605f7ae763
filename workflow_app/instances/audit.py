"""Appending to a case's audit trail; events are never updated or deleted."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_app import clock
from workflow_app.db import append_row
from workflow_app.instances.models import AuditEvent
from workflow_app.messages import events

# How each audit action reads in the history (审批记录), on pages and in the archive.
ACTION_LABELS = {
    "start": "发起", "complete": "办理", "claim": "签收", "unclaim": "释放任务", "assign": "分派",
    "return": "退回", "withdraw": "撤回", "delegate": "委派", "delegate_complete": "受托办理",
    "delegate_decline": "拒绝委派", "transfer": "转办", "cc": "抄送", "urge": "催办", "comment": "批注",
    "timer": "期限到达", "cancel": "撤销案件", "retry": "重新执行", "error": "流程出错", "end": "办结",
    "clock_start": "法定期限开始计算", "clock_pause": "法定期限暂停", "clock_resume": "法定期限恢复",
    "clock_stop": "法定期限停止", "registry_create": "登记库新增社会组织", "registry_update": "登记库更新",
    "set_region": "确定登记管理机关", "start_process": "启动关联案件", "note": "记录",
    "document_served": "文书送达", "document_void": "文书作废", "migrate": "迁移到新版本流程",
    "alert": "系统预警", "withdrawn": "视为撤回", "deemed_accepted": "视为受理", "deadline_warning": "办案期限提醒",
    "attachment_withdraw": "撤回附件",
}

# Actors that are not people: the scheduler's alerts, the command line's imports and retries.
SYSTEM_ACTORS = {"scheduler": "系统", "cli": "系统（命令行）"}


def actor_label(actor: str | None, names: dict[str, str]) -> str:
    """Who did it, as the history shows it: a person's name, or 系统 for the scheduler and the command line."""
    if not actor:
        return "系统"
    return names.get(actor) or SYSTEM_ACTORS.get(actor, actor)


def record(session: Session, instance_id: str, *, action: str, actor: str | None,
           task_id: str | None = None, task_name: str | None = None, opinion: str | None = None,
           details: dict[str, Any] | None = None) -> AuditEvent:
    """Add one event to the current transaction (it commits or rolls back with the change it describes).

    The row is inserted at once (:func:`~workflow_app.db.append_row`); the event returned is not in the
    session (events are never changed)."""
    event = AuditEvent(instance_id=instance_id, action=action, actor=actor, task_id=task_id,
                       task_name=task_name, opinion=opinion, details=details or {}, at=clock.now())
    append_row(session, AuditEvent.__table__, {
        "instance_id": instance_id, "action": action, "actor": actor, "task_id": task_id,
        "task_name": task_name, "opinion": opinion, "details": event.details, "at": event.at})
    events.from_audit(session, event)  # the in-app 消息 it causes, in the same transaction
    return event


def history(session: Session, instance_id: str) -> list[AuditEvent]:
    """Every event of the case, oldest first."""
    return list(session.scalars(
        select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id)
    ))
