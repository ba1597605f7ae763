"""Which in-app messages an audited event causes, and what they say.

Called by :func:`workflow_app.instances.audit.record` for every event it appends, so a message is
written in the transaction of the change it reports (it commits or rolls back with it) and the same
change keeps its e-mail and webhooks (queued by the services as before). Escalation alerts are written
set-based by the scan and reach :func:`alert_messages` from there.

What an organization reads follows :mod:`workflow_app.instances.disclosure`: a staff member who acts on
its case is named as the office (the case region's civil-affairs authority), never by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, insert, select
from sqlalchemy.orm import Session

from workflow_app import clock
from workflow_app.db import append_row
from workflow_app.directory.models import Role, User
from workflow_app.documents.context import authority_name
from workflow_app.instances.models import AuditEvent, ProcessInstance
from workflow_app.messages.models import MessageKind, UserMessage
from workflow_app.tasks.models import HumanTask

# Hand-overs of a task to named people: (kind, title, body); ``details["to"]`` names the recipients.
_HANDOVERS: dict[str, tuple[MessageKind, str, str]] = {
    "urge": (MessageKind.URGE, "催办：{task}", "{actor} 催办任务「{task}」（{case}），请尽快办理。"),
    "cc": (MessageKind.CC, "抄送：{task}", "{actor} 将任务「{task}」（{case}）抄送给您。"),
    "delegate": (MessageKind.DELEGATE, "委派任务：{task}", "{actor} 将任务「{task}」（{case}）委派给您办理。"),
    "transfer": (MessageKind.TRANSFER, "转办任务：{task}", "{actor} 将任务「{task}」（{case}）转交给您办理。"),
    "delegate_complete": (MessageKind.DELEGATE_DONE, "委派任务已办理：{task}",
                          "{actor} 已办理您委派的任务「{task}」（{case}），请确认后办理。"),
}
_OPINION_LABELS = {"urge": "留言", "return": "退回理由"}
Message = tuple[str, MessageKind, str, str, str | None]  # (username, kind, title, body, task id to open)


def from_audit(session: Session, event: AuditEvent) -> None:
    """Insert the messages ``event`` causes, in the event's transaction (rows appended at once, as the
    event's own)."""
    if event.action not in _HANDOVERS and event.action not in ("return", "complete", "end"):
        return
    with session.no_autoflush:
        instance = session.get(ProcessInstance, event.instance_id)
        if instance is None:
            return
        for username, kind, title, body, task_id in _compose(session, event, instance):
            append_row(session, UserMessage.__table__, {
                "username": username, "kind": kind, "title": title[:255], "body": body, "read_at": None,
                "instance_id": instance.id, "task_id": task_id, "created_at": event.at or clock.now()})


def _compose(session: Session, event: AuditEvent, instance: ProcessInstance) -> Iterator[Message]:
    details: Mapping[str, Any] = event.details or {}
    task = event.task_name or ""
    case = instance.business_key or "案件"
    opinion = f"\n{_OPINION_LABELS.get(event.action, '意见')}：{event.opinion}" if event.opinion else ""
    if event.action in _HANDOVERS:
        kind, title, body = _HANDOVERS[event.action]
        to = details.get("to")
        names = [to] if isinstance(to, str) else list(to or [])
        people = _people(session, names, event.actor)
        actor = _Actor(session, event.actor, instance) if people else None
        for user in people:
            yield (user.username, kind, title.format(task=task),
                   body.format(actor=actor.for_reader(user), task=task, case=case) + opinion, event.task_id)
    elif event.action == "return":
        target = session.get(HumanTask, details.get("to_task")) if details.get("to_task") else None
        back_to = details.get("to_title") or (target.title if target else "")
        people = _people(session, [target.completed_by] if target and target.completed_by else [], event.actor)
        actor = _Actor(session, event.actor, instance) if people else None
        for user in people:
            yield (user.username, MessageKind.RETURNED, f"被退回：{back_to}",
                   f"{actor.for_reader(user)} 在「{task}」将案件（{case}）退回至「{back_to}」，请重新办理。{opinion}",
                   target.id if target else None)
    elif instance.started_by:  # complete / end: the starter hears that their case moved on
        title = f"案件已办结：{case}" if event.action == "end" else f"案件进展：「{task}」已办理"
        body = (f"您发起的{_process(instance)}（{case}）已办结。" if event.action == "end"
                else f"您发起的{_process(instance)}（{case}）已完成「{task}」。")
        for user in _people(session, [instance.started_by], event.actor):
            yield user.username, MessageKind.CASE_MOVED, title, body, None


# Built once: a statement reused skips SQLAlchemy's per-call construction and cache-key walk.
_PEOPLE = select(User.username, User.role).where(User.username.in_(bindparam("names", expanding=True)),
                                                 User.active.is_(True))


def _people(session: Session, usernames: Iterable[str], actor: str | None) -> list[Row[tuple[str, Role]]]:
    """The active users named, but not whoever caused the event: their username and role only (no ORM
    users, whose groups would load with them — a statement more in every completion)."""
    names = [n for n in dict.fromkeys(usernames) if n and n != actor]
    if not names:
        return []
    return list(session.execute(_PEOPLE, {"names": names}))


class _Actor:
    """Who acted, read once per event, as each reader may read it: an organization reads a staff member
    as the office."""

    def __init__(self, session: Session, actor: str | None, instance: ProcessInstance) -> None:
        self.session, self.instance = session, instance
        self.person = session.scalars(select(User).where(User.username == actor)).first() if actor else None

    def for_reader(self, reader: Row[tuple[str, Role]]) -> str:
        if self.person is None:
            return "系统"
        if reader.role is Role.APPLICANT and self.person.role is not Role.APPLICANT:
            return authority_name(self.session, self.instance.region_code)
        return self.person.display_name


def _process(instance: ProcessInstance) -> str:
    name = instance.definition.name if instance.definition is not None else ""
    return f"「{name}」" if name else "案件"


def add_alert_messages(session: Session, rows: Iterable[Mapping[str, Any]], now: datetime) -> None:
    """Insert the in-app messages of an escalation rung in the scan's transaction: one per e-mail it
    queues (``rows``: outbox rows whose payload names the user, ``to_user``); webhook rows make none."""
    found = []
    for row in rows:
        payload = row.get("payload") or {}
        username = payload.get("to_user")
        if not username:
            continue
        alert_id = payload.get("alert_id")
        found.append({"username": username, "kind": MessageKind.ALERT, "title": row["subject"][:255],
                      "body": row["body"], "instance_id": row.get("instance_id"), "task_id": payload.get("task_id"),
                      "alert_id": alert_id, "created_at": now, "read_at": None})
    if found:
        session.execute(insert(UserMessage.__table__), found)
