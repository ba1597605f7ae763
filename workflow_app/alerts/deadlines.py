"""Case deadlines (案件法定期限) and the warning before them on every open step of the case.

A process sets a deadline with ``case.deadline`` (行政处罚法 60: 90 days from 立案, a warning at
day 80): its name, label, due moment and warning moment. The ``warn_case_deadlines`` job warns
once per warning moment: an e-mail to the supervisors of the case's region naming every step still
open, and a history entry on each of those steps. Setting the deadline again (an approved
extension) arms a new warning; clearing it (the decision was made) ends it. A case that is no
longer running is never warned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from workflow_app import clock
from workflow_app.alerts.messages import Directory
from workflow_app.db import Base, unit_of_work
from workflow_app.instances import audit
from workflow_app.instances.models import InstanceStatus, ProcessInstance
from workflow_app.notifications.models import Channel
from workflow_app.notifications.outbox import enqueue
from workflow_app.tasks.models import OPEN_STATUSES, HumanTask

BATCH = 200


class CaseDeadline(Base):
    """One named deadline of a case and the moment to warn before it."""

    __tablename__ = "case_deadlines"
    __table_args__ = (UniqueConstraint("instance_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(255))
    due_at: Mapped[datetime]
    warn_at: Mapped[datetime] = mapped_column(index=True)
    warned_at: Mapped[datetime | None]


def set_deadline(session: Session, instance_id: str, *, name: str, label: str, due_at: datetime,
                 warn_at: datetime) -> CaseDeadline:
    """Set (or move) a deadline of the case in the caller's transaction; a moved warning is armed again."""
    row = session.scalar(select(CaseDeadline).where(CaseDeadline.instance_id == instance_id,
                                                    CaseDeadline.name == name))
    if row is None:
        row = CaseDeadline(instance_id=instance_id, name=name, label=label, due_at=due_at, warn_at=warn_at)
        session.add(row)
    elif (row.due_at, row.warn_at) != (due_at, warn_at) or row.label != label:
        row.label, row.due_at, row.warn_at, row.warned_at = label, due_at, warn_at, None
    return row


def clear_deadline(session: Session, instance_id: str, name: str) -> bool:
    """Remove a deadline of the case (the decision it was for was made); whether there was one."""
    row = session.scalar(select(CaseDeadline).where(CaseDeadline.instance_id == instance_id,
                                                    CaseDeadline.name == name))
    if row is not None:
        session.delete(row)
    return row is not None


@dataclass
class WarningResult:
    """What one pass warned."""

    cases: int = 0
    steps: int = 0
    messages: int = 0

    def __str__(self) -> str:
        return f"{self.cases} cases warned, {self.steps} open steps, {self.messages} messages"


class DeadlineWarnings:
    """Warn the supervisors of cases whose deadline's warning moment has come; one transaction per case."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def scan(self, now: datetime | None = None) -> WarningResult:
        """Warn every running case whose warning is due at ``now`` and was not given yet (each once)."""
        now = now or clock.now()
        result = WarningResult()
        directory = Directory(self.session)
        postgres = self.session.get_bind().dialect.name == "postgresql"
        done: set[int] = set()
        self.session.rollback()
        while len(done) < BATCH:
            with unit_of_work(self.session):
                query = (select(CaseDeadline).join(ProcessInstance, ProcessInstance.id == CaseDeadline.instance_id)
                         .where(ProcessInstance.status == InstanceStatus.RUNNING, CaseDeadline.warn_at <= now,
                                CaseDeadline.warned_at.is_(None)))
                if done:
                    query = query.where(CaseDeadline.id.not_in(done))
                query = query.order_by(CaseDeadline.warn_at, CaseDeadline.id).limit(1)
                if postgres:
                    query = query.with_for_update(skip_locked=True, of=CaseDeadline)
                row = self.session.scalar(query)
                if row is None:
                    break
                done.add(row.id)
                self._warn(row, now, directory, result)
        return result

    def _warn(self, row: CaseDeadline, now: datetime, directory: Directory, result: WarningResult) -> None:
        instance = self.session.get(ProcessInstance, row.instance_id)
        steps = list(self.session.scalars(select(HumanTask).where(
            HumanTask.instance_id == row.instance_id, HumanTask.status.in_(OPEN_STATUSES))
            .order_by(HumanTask.created_at, HumanTask.id)))
        due = clock.as_utc(row.due_at).astimezone(clock.LOCAL_TZ).date().isoformat()
        names = "、".join(step.title for step in steps) or "（无）"
        case_name = instance.business_key or instance.id
        subject = f"{row.label}将届满"
        body = f"案件{case_name}：{row.label}至{due}届满。仍在办理的环节：{names}。请督促按期办结。"
        stamp = clock.as_utc(row.warn_at).isoformat()
        for person in directory.supervisors_of(instance.region_code):
            enqueue(self.session, channel=Channel.EMAIL, recipient=person.email, subject=subject, body=body,
                    payload={"instance_id": instance.id, "deadline": row.name, "due": due,
                             "steps": [step.name for step in steps]},
                    dedupe_key=f"deadline:{row.id}:{stamp}:{person.username}", instance_id=instance.id)
            result.messages += 1
        for step in steps:
            audit.record(self.session, instance.id, action="deadline_warning", actor="scheduler",
                         task_id=step.id, task_name=step.title,
                         details={"text": f"{row.label}将于{due}届满（本环节仍在办理）", "deadline": row.name,
                                  "due": due})
        row.warned_at = now
        result.cases += 1
        result.steps += len(steps)
