"""Shared by the alerts, notifications and scheduler tests: the escalation test processes and a case on them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import DATA, read_bundle
from workflow_app import clock
from workflow_app.alerts.models import Alert
from workflow_app.clock import LOCAL_TZ
from workflow_app.services import definition_service, instance_service
from workflow_app.tasks.models import HumanTask

BUNDLE = DATA / "escalation"
# Started on Monday 2026-09-28 10:00 (Beijing) with a 3wd limit: due at the end of Thursday 10-08
# (10-01…10-07 is the National Day holiday), reminder from the end of 09-30 (one working day
# before), escalated from the end of Saturday 10-10 (a 调休 working day: two working days after).
T0 = datetime(2026, 9, 28, 10, 0, tzinfo=LOCAL_TZ)
DUE = datetime(2026, 10, 8, 23, 59, 59, tzinfo=LOCAL_TZ)
REMIND = datetime(2026, 9, 30, 23, 59, 59, tzinfo=LOCAL_TZ)
ESCALATE = datetime(2026, 10, 10, 23, 59, 59, tzinfo=LOCAL_TZ)
# 15 working days from 09-28 for the timer process: the end of 10-23 (DESIGN's example).
TIMER_DUE = datetime(2026, 10, 23, 23, 59, 59, tzinfo=LOCAL_TZ)


def escalation_files(properties: dict[str, str] | None = None) -> dict[str, bytes]:
    """The escalation test bundle, with process-level properties on ``escalation_case`` if given."""
    files = read_bundle(BUNDLE)
    if properties:
        props = "".join(f'<spiffworkflow:property name="{k}" value="{v}" />' for k, v in properties.items())
        block = f"<bpmn:extensionElements><spiffworkflow:properties>{props}</spiffworkflow:properties>" \
                "</bpmn:extensionElements>"
        files["escalation_case.bpmn"] = files["escalation_case.bpmn"].replace(
            b"<!--PROCESS_PROPERTIES-->", block.encode())
    return files


def deploy_escalation(properties: dict[str, str] | None = None) -> None:
    """Deploy escalation_case and timer_case."""
    definition_service().deploy(escalation_files(properties), deployed_by="test")


def start_case(process_key: str = "escalation_case", *, at: datetime = T0, region_code: str | None = "220100",
               business_key: str | None = "ESC-1") -> tuple[str, str]:
    """Start a case at ``at``; return (instance id, id of its open task)."""
    with clock.frozen(at):
        advance = instance_service().start(process_key, {}, started_by="window_cc", region_code=region_code,
                                           business_key=business_key)
    [task] = advance.new_tasks
    return advance.instance.id, task.id


def alert_levels(session: Session, task_id: str | None = None) -> list[tuple[int, str]]:
    """(level, kind) of the alerts (of one task), ordered."""
    session.rollback()  # end any read snapshot (SQLite keeps one per transaction) and expire
    query = select(Alert.level, Alert.kind).order_by(Alert.task_id, Alert.level)
    if task_id:
        query = query.where(Alert.task_id == task_id)
    return [(level, kind.value) for level, kind in session.execute(query)]


def count(session: Session, model: type, *where: object) -> int:
    """Rows of ``model`` matching ``where``."""
    session.rollback()  # end any read snapshot (SQLite keeps one per transaction) and expire
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def task_level(session: Session, task_id: str) -> int:
    """The task's escalation level as stored."""
    session.rollback()  # end any read snapshot (SQLite keeps one per transaction) and expire
    return session.get(HumanTask, task_id).escalation_level
