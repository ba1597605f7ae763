"""The supervisor's alerts page: one row per task and scan, the open count for the menu, bulk
acknowledgement, and 催办 of the task's holder from an alert.

A scan that finds a task far past due raises several levels at once (超期预警 and 超期上报 in the
same transaction, with the same ``created_at``); they are one row here, shown at the highest level,
and acknowledging the row acknowledges every open alert of that group.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from workflow_app import clock
from workflow_app.alerts.models import Alert, AlertStatus
from workflow_app.alerts.service import MAX_ID, AlertNotFound, AlertNotOpen, AlertPage, alert_visible
from workflow_app.db import unit_of_work
from workflow_app.directory.models import User
from workflow_app.tasks.models import HumanTask
from workflow_app.tasks.service import task_service
from workflow_app.tasks.views import UrgeResult


def top_of_scan() -> ColumnElement[bool]:
    """The alert is the highest level its scan raised for its task (no higher one shares its group)."""
    higher = aliased(Alert)
    return ~exists(select(higher.id).where(higher.task_id == Alert.task_id, higher.cycle == Alert.cycle,
                                           higher.created_at == Alert.created_at, higher.level > Alert.level))


class AlertBoard:
    """Alert rows grouped per scan, for one user; owns its transactions."""

    MAX_BULK = 200  # alerts acknowledged in one request

    def __init__(self, session: Session) -> None:
        self.session = session

    def list(self, user: User, status: str = "open", page: int = 1, per_page: int = 50) -> AlertPage:
        """The caller's visible alerts with ``status`` (``all``: any), one per task and scan, newest first."""
        where = [alert_visible(user), top_of_scan()]
        if status != "all":
            where.append(Alert.status == AlertStatus(status))
        base = select(Alert, HumanTask).join(HumanTask, HumanTask.id == Alert.task_id).where(*where)
        total = self.session.scalar(select(func.count()).select_from(base.subquery())) or 0
        rows = self.session.execute(base.order_by(Alert.created_at.desc(), Alert.id.desc())
                                    .offset((page - 1) * per_page).limit(per_page)).all()
        return AlertPage([(a, t) for a, t in rows], total, page, per_page)

    def open_count(self, user: User) -> int:
        """How many open rows the caller's alerts page shows (the menu's number)."""
        return self.session.scalar(
            select(func.count()).select_from(Alert).join(HumanTask, HumanTask.id == Alert.task_id)
            .where(alert_visible(user), Alert.status == AlertStatus.OPEN, top_of_scan())) or 0

    def acknowledge(self, user: User, alert_id: int) -> tuple[Alert, HumanTask]:
        """Acknowledge one row: the visible open alert and the other levels of its scan, in one transaction
        (404 when not visible, 409 when it is not open any more)."""
        if not 0 < alert_id < MAX_ID:
            raise AlertNotFound(f"no alert {alert_id}")
        with unit_of_work(self.session):
            found = self.session.execute(select(Alert, HumanTask).join(HumanTask, HumanTask.id == Alert.task_id)
                                         .where(Alert.id == alert_id, alert_visible(user))).first()
            if found is None:
                raise AlertNotFound(f"no alert {alert_id}")
            alert = found[0]
            # Conditional on the row still being open: of two concurrent acknowledgements one changes it.
            if not self._acknowledge_groups(user, [(alert.task_id, alert.cycle, alert.created_at)], only=alert.id):
                self.session.refresh(alert)
                raise AlertNotOpen(f"alert {alert_id} is already {alert.status.value}",
                                   details={"status": alert.status.value})
            self._acknowledge_groups(user, [(alert.task_id, alert.cycle, alert.created_at)])
            self.session.refresh(alert)
            return alert, found[1]

    def acknowledge_many(self, user: User, alert_ids: Iterable[int]) -> int:
        """Acknowledge the groups of the chosen visible alerts in one transaction; how many alerts changed.
        Ids the caller cannot see are ignored (none of them: :class:`AlertNotFound`)."""
        ids = sorted({i for i in alert_ids if 0 < i < MAX_ID})[:self.MAX_BULK]
        with unit_of_work(self.session):
            chosen = self.session.execute(
                select(Alert.task_id, Alert.cycle, Alert.created_at).join(HumanTask, HumanTask.id == Alert.task_id)
                .where(Alert.id.in_(ids), alert_visible(user))).all() if ids else []
            if not chosen:
                raise AlertNotFound("none of the chosen alerts is visible to you")
            return self._acknowledge_groups(user, [tuple(row) for row in chosen])

    def _acknowledge_groups(self, user: User, groups: list[tuple[Any, ...]], only: int | None = None) -> int:
        """Mark the open alerts of the (task, cycle, scan time) groups acknowledged (``only``: that alert
        alone); how many changed."""
        where = [or_(*(and_(Alert.task_id == task_id, Alert.cycle == cycle, Alert.created_at == created_at)
                       for task_id, cycle, created_at in groups)), Alert.status == AlertStatus.OPEN]
        if only is not None:
            where.append(Alert.id == only)
        return self.session.execute(
            update(Alert).where(*where)
            .values(status=AlertStatus.ACKNOWLEDGED, acknowledged_at=clock.now(), acknowledged_by=user.username),
            execution_options={"synchronize_session": False}).rowcount or 0

    def urge_holder(self, user: User, alert_id: int, message: str | None = None) -> UrgeResult:
        """催办 the holder (or pool) of a visible alert's task, through the task service's own 催办."""
        if not 0 < alert_id < MAX_ID:
            raise AlertNotFound(f"no alert {alert_id}")
        task_id = self.session.scalar(select(Alert.task_id).join(HumanTask, HumanTask.id == Alert.task_id)
                                      .where(Alert.id == alert_id, alert_visible(user)))
        if task_id is None:
            raise AlertNotFound(f"no alert {alert_id}")
        return task_service(self.session).urge(user, task_id, message)
