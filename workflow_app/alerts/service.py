"""The escalation scan, and the alerts supervisors list and acknowledge.

The scan is set-based: for each ladder, one transaction runs per rung ``INSERT INTO alerts …
SELECT … FROM human_tasks WHERE status is open AND due_at < <the rung's bound at now> AND no such
alert yet … ON CONFLICT (task_id, cycle, level) DO NOTHING`` (the ``(status, due_at)`` index finds the
tasks), then — only for the rows it inserted — raises ``human_tasks.escalation_level``, appends
audit events and queues the outbox messages (with dedupe keys), all in that transaction.
Escalation transactions are serialised (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: an advisory
transaction lock), and the unique (task_id, cycle, level) stays the backstop: two schedulers scanning
at once raise each (task, level) once.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    false,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session

from workflow_app import clock
from workflow_app.alerts.ladder import Ladder, LadderConfig, LadderConfigError
from workflow_app.alerts.messages import DIGEST_LINES, Directory, Mailing, alert_rows
from workflow_app.alerts.models import LEVELS, Alert, AlertKind, AlertStatus
from workflow_app.calendar.service import CalendarService
from workflow_app.db import unit_of_work
from workflow_app.definitions.models import ProcessDefinition
from workflow_app.directory.models import Region, Role, User
from workflow_app.errors import Conflict, NotFound
from workflow_app.instances.models import AuditEvent
from workflow_app.messages.events import add_alert_messages
from workflow_app.notifications.models import OutboxMessage
from workflow_app.tasks.models import OPEN_STATUSES, HumanTask
from workflow_app.tasks.visibility import APPLICANT_GROUP, regions_below

log = logging.getLogger(__name__)
_TASK_COLUMNS = (
    HumanTask.id, HumanTask.instance_id, HumanTask.process_key, HumanTask.business_key, HumanTask.name,
    HumanTask.title, HumanTask.candidate_group, HumanTask.region_code, HumanTask.organization_id,
    HumanTask.assignee, HumanTask.due_at, HumanTask.escalation_level, HumanTask.cycle,
)


class AlertNotFound(NotFound):
    """No alert with that id is visible to the caller."""

    code = "alert_not_found"


class AlertNotOpen(Conflict):
    """The alert was already acknowledged (or closed with its task)."""

    code = "alert_not_open"


@dataclass
class ScanResult:
    """What one escalation scan did."""

    raised: Counter[str] = field(default_factory=Counter)
    messages: int = 0
    closed: int = 0

    def __str__(self) -> str:
        raised = ", ".join(f"{self.raised[k.value]} {k.value}" for k in AlertKind)
        return f"raised {raised}; {self.messages} messages queued; {self.closed} alerts closed"


def _insert(session: Session) -> Any:
    """The dialect's INSERT (both support ON CONFLICT DO NOTHING with RETURNING)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def close_for_tasks(session: Session, task_ids: Iterable[str]) -> int:
    """Close the open alerts of tasks that left the open status (in the caller's transaction)."""
    ids = list(task_ids)
    if not ids:
        return 0
    result = session.execute(
        update(Alert).where(Alert.task_id.in_(ids), Alert.status == AlertStatus.OPEN)
        .values(status=AlertStatus.CLOSED, closed_at=clock.now()),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount or 0


_TASKS = HumanTask.__table__
_ALERTS = Alert.__table__
_AUDIT = AuditEvent.__table__
_PARENT = Region.__table__.alias("parent_region")
_ALERT_COLUMNS = ["task_id", "instance_id", "cycle", "level", "kind", "region_code", "task_region_code", "assignee",
                  "due_at", "status", "created_at"]
_AUDIT_COLUMNS = ["instance_id", "task_id", "task_name", "actor", "action", "details", "at"]
MAX_ID = 2**63  # ids from the URL beyond a 64-bit integer cannot exist (and would overflow the driver)
# pg_advisory_xact_lock key ("socorg escalation"): escalation transactions on PostgreSQL queue on it.
_PG_LOCK = 0x50C0E5CA


class EscalationService:
    """Raises the ladder's alerts for open tasks with a due time; owns its transactions.

    Set-based: per ladder one transaction, with one ``INSERT INTO alerts … SELECT … FROM human_tasks
    WHERE due_at < bound`` per rung (the bounds are the ladder's exact rule at ``now``), then
    set-based follow-ups over the alerts it inserted — those with an id above the largest before
    it, which is exact because escalation transactions are serialised (SQLite: ``BEGIN IMMEDIATE``;
    PostgreSQL: a transaction-level advisory lock). Python only composes the e-mails.
    """

    def __init__(self, session: Session, config: LadderConfig | None = None,
                 webhook_urls: Sequence[str] = ()) -> None:
        self.session = session
        self.config = config or LadderConfig()
        self.webhook_urls = [u for u in webhook_urls if u]

    def scan(self, now: datetime | None = None) -> ScanResult:
        """Raise every alert due at ``now`` (the clock's now by default) and close alerts of closed tasks."""
        now = now or clock.now()
        result = ScanResult()
        calendar = CalendarService(self.session).calendar()
        groups = self._ladder_groups()
        directory = Directory(self.session)
        earlier = self.session.scalar(select(func.coalesce(func.max(_ALERTS.c.id), 0)))
        self.session.rollback()  # the reads above must not hold a snapshot into the first write
        for ladder, in_group in groups:
            bounds = ladder.bounds(now, calendar)
            rungs = [(level, bound) for level, bound in ((1, bounds.reminder), (2, bounds.overdue),
                                                          (3, bounds.escalated)) if bound is not None]
            with unit_of_work(self.session):
                self._ladder(rungs, in_group, now, directory, result)
        with unit_of_work(self.session):
            result.closed = self._close_stale(earlier)
        return result

    # -- internals -----------------------------------------------------------------------------

    def _ladder_groups(self) -> list[tuple[Ladder, ColumnElement[bool]]]:
        """(ladder, condition on human_tasks.process_key) per distinct ladder; unknown keys get the base one."""
        newest = (select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("v"))
                  .group_by(ProcessDefinition.key).subquery())
        rows = self.session.execute(
            select(ProcessDefinition.key, ProcessDefinition.properties)
            .join(newest, and_(newest.c.key == ProcessDefinition.key, newest.c.v == ProcessDefinition.version)))
        by_ladder: dict[Ladder, list[str]] = {}
        known = []
        for key, properties in rows:
            known.append(key)
            try:
                ladder = self.config.for_process(key, properties)
            except LadderConfigError:
                log.exception("escalation settings of process %s are invalid; using the defaults", key)
                ladder = self.config.base
            by_ladder.setdefault(ladder, []).append(key)
        groups = [(ladder, _TASKS.c.process_key.in_(keys)) for ladder, keys in by_ladder.items()]
        groups.append((self.config.base, _TASKS.c.process_key.not_in(known) if known else true()))
        return groups

    def _ladder(self, rungs: list[tuple[int, datetime]], in_group: ColumnElement[bool], now: datetime,
                directory: Directory, result: ScanResult) -> None:
        """Every rung of one ladder, inside the caller's transaction: the alerts, then one pass raising
        ``escalation_level`` to the highest rung each task reached, then per rung its audit and mail."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(select(func.pg_advisory_xact_lock(_PG_LOCK)))
        connection = self.session.connection()
        before = connection.scalar(select(func.coalesce(func.max(_ALERTS.c.id), 0)))
        due = {level: self._due(level, in_group, bound, now) for level, bound in rungs}
        raised_levels = [level for level in due if self._insert_alerts(level, due[level], now)]
        if not raised_levels:
            return
        # Each alerted task's level rises once, to the highest rung it reached — read from the alerts just
        # inserted, not from the rungs' conditions: on PostgreSQL each statement sees what others have
        # committed since, so a task completed meanwhile would no longer match them.
        reached = (select(_ALERTS.c.task_id, _ALERTS.c.cycle, func.max(_ALERTS.c.level).label("top"))
                   .where(_ALERTS.c.id > before).group_by(_ALERTS.c.task_id, _ALERTS.c.cycle).subquery())
        t = _TASKS
        connection.execute(update(t).where(t.c.id == reached.c.task_id, t.c.cycle == reached.c.cycle,
                                           t.c.escalation_level < reached.c.top)
                           .values(escalation_level=reached.c.top))
        for level in raised_levels:
            self._announce(level, before, now, directory, result)

    def _announce(self, level: int, before: int, now: datetime, directory: Directory, result: ScanResult) -> None:
        """The audit events and outbox messages of the alerts at ``level`` with an id above ``before``."""
        kind = LEVELS[level]
        new = and_(_ALERTS.c.id > before, _ALERTS.c.level == level)
        t = _TASKS
        connection = self.session.connection()
        connection.execute(insert(_AUDIT).from_select(_AUDIT_COLUMNS, (
            select(_ALERTS.c.instance_id, _ALERTS.c.task_id, t.c.title, literal("scheduler"), literal("alert"),
                   literal({"level": level, "kind": kind.value}, _AUDIT.c.details.type),
                   literal(now, _AUDIT.c.at.type))
            .select_from(_ALERTS.join(t, t.c.id == _ALERTS.c.task_id)).where(new))))
        raised, messages = self._messages(kind, level, new, now, directory)
        result.raised[kind.value] += raised
        if messages:
            self.session.execute(
                _insert(self.session)(OutboxMessage.__table__).on_conflict_do_nothing(index_elements=["dedupe_key"]),
                [{**m, "created_at": now, "next_attempt_at": now} for m in messages])
            add_alert_messages(self.session, messages, now)  # the same alerts in each recipient's 消息
            result.messages += len(messages)

    @staticmethod
    def _due(level: int, in_group: ColumnElement[bool], bound: datetime, now: datetime) -> ColumnElement[bool]:
        """The open tasks of the ladder's processes that reach rung ``level`` at ``now`` and have not yet.

        No ORDER BY/LIMIT where it is used: one pass over the ``(status, due_at)`` index stays linear
        in the backlog."""
        t = _TASKS
        due = t.c.due_at < bound
        if level == 1:  # a task found already overdue skips the reminder: it would arrive after the fact
            due = and_(due, t.c.due_at >= now)
        return and_(t.c.status.in_(OPEN_STATUSES), t.c.due_at.is_not(None), t.c.escalation_level < level,
                    in_group, due)

    def _insert_alerts(self, level: int, due: ColumnElement[bool], now: datetime) -> int:
        """Insert the missing alerts of one rung in one statement; return how many."""
        t = _TASKS
        addressed = func.coalesce(_PARENT.c.parent_code, t.c.region_code) if level == 3 else t.c.region_code
        source = t.outerjoin(_PARENT, _PARENT.c.code == t.c.region_code) if level == 3 else t
        query = (
            select(t.c.id, t.c.instance_id, t.c.cycle, literal(level), literal(LEVELS[level].value), addressed,
                   t.c.region_code, t.c.assignee if level == 1 else null(), t.c.due_at,
                   literal(AlertStatus.OPEN.value), literal(now, _ALERTS.c.created_at.type))
            .select_from(source).where(due)
        )
        # escalation_level rises in the transaction that inserts the alert, so it already excludes the
        # tasks that have one; ON CONFLICT is the backstop (a reopened task starts a new cycle at level 0).
        # (A NOT EXISTS here tempted PostgreSQL, on fresh statistics, into a quadratic anti-join.)
        statement = (_insert(self.session)(_ALERTS).from_select(_ALERT_COLUMNS, query)
                     .on_conflict_do_nothing(index_elements=["task_id", "cycle", "level"])
                     .execution_options(preserve_rowcount=True))  # psycopg reports -1 for an INSERT otherwise
        return self.session.connection().execute(statement).rowcount or 0

    def _messages(self, kind: AlertKind, level: int, new: ColumnElement[bool], now: datetime,
                  directory: Directory) -> tuple[int, list[dict[str, Any]]]:
        """How many alerts one rung raised (``new``), and their outbox rows: an e-mail per alert and
        recipient — a digest for a recipient with several (a backlog of thousands must not become
        thousands of e-mails) — and a webhook call per alert and URL."""
        connection = self.session.connection()
        raised = connection.execute(select(func.count()).select_from(_ALERTS).where(new)).scalar_one()
        messages: list[dict[str, Any]] = []
        rows = connection.execute(_raised_rows(new)).all() if level == 1 or self.webhook_urls else []
        for row in rows if self.webhook_urls else ():
            messages.extend(alert_rows(kind, row, row.alert_id, level, row.addressed, [], self.webhook_urls,
                                       directory, now))
        if level == 1:
            mail = Mailing(directory)
            for row in rows:
                mail.add(directory.reminder_recipients(row), [row], 1, row.alert_id, row.alert_id)
        else:
            mail = self._supervisor_mailing(new, directory)
        messages.extend(mail.rows(kind, level, now))
        return raised, messages

    def _supervisor_mailing(self, new: ColumnElement[bool], directory: Directory) -> Mailing:
        """Overdue and escalated alerts go to the supervisors of the region each addresses: built from
        per-region counts and each region's first lines, so a backlog's rows never leave the database."""
        connection = self.session.connection()
        a = _ALERTS.c
        per_region = connection.execute(
            select(a.region_code, func.count(), func.min(a.id), func.max(a.id)).where(new).group_by(a.region_code))
        ranked = select(a.id, a.task_id, a.region_code,
                        func.row_number().over(partition_by=a.region_code, order_by=a.id).label("line")
                        ).where(new).subquery()
        firsts: dict[str | None, list[Any]] = {}
        for row in connection.execute(_raised_rows(ranked.c.line <= DIGEST_LINES, ranked)):
            firsts.setdefault(row.addressed, []).append(row)
        mail = Mailing(directory)
        for region, count, first, last in per_region:
            mail.add(directory.supervisors_of(region), firsts.get(region, []), count, first, last)
        return mail

    def _close_stale(self, upto: int) -> int:
        """Close open alerts whose task is no longer open (a path that closed the task without the hook).

        Only alerts older than this scan (id ≤ ``upto``): the scan raised the others for open tasks, and
        the next scan looks at them — a backlog just alerted is not walked twice."""
        # Correlated, so the open alerts are walked once, each with a key lookup of its task (an
        # IN-list would gather every closed task id of the table first).
        closed = select(_TASKS.c.id).where(_TASKS.c.id == _ALERTS.c.task_id,
                                            _TASKS.c.status.not_in(OPEN_STATUSES)).exists()
        outcome = self.session.connection().execute(
            update(_ALERTS).where(_ALERTS.c.status == AlertStatus.OPEN.value, _ALERTS.c.id <= upto, closed)
            .values(status=AlertStatus.CLOSED.value, closed_at=clock.now()))
        return outcome.rowcount or 0


def _raised_rows(where: ColumnElement[bool], alerts: Any = _ALERTS) -> Select[Any]:
    """The alerts meeting ``where`` with their tasks' columns, oldest first (``alerts``: the table or a
    subquery with its id, task_id and region_code)."""
    return (select(alerts.c.id.label("alert_id"), alerts.c.region_code.label("addressed"), *_TASK_COLUMNS)
            .select_from(alerts.join(_TASKS, _TASKS.c.id == alerts.c.task_id)).where(where).order_by(alerts.c.id))


# -- the alerts API -----------------------------------------------------------------------------

def alert_visible(user: User) -> ColumnElement[bool]:
    """Which alerts ``user`` sees (the query joins ``human_tasks``): admins all, supervisors their
    region and below, everyone else only reminders addressed to them."""
    if user.role is Role.ADMIN:
        return true()
    if user.role is Role.SUPERVISOR:
        below = select(Region.code).where(regions_below(user))
        return or_(Alert.region_code.in_(below), Alert.task_region_code.in_(below))
    if user.role is Role.APPLICANT:
        group: ColumnElement[bool] = and_(HumanTask.candidate_group == APPLICANT_GROUP,
                                          HumanTask.organization_id == user.organization_id) \
            if user.organization_id is not None else false()
    else:
        groups = user.group_names
        group = and_(HumanTask.candidate_group.in_(groups), Alert.task_region_code == user.region_code) \
            if groups else false()
    addressed = or_(Alert.assignee == user.username, and_(Alert.assignee.is_(None), group))
    return and_(Alert.kind == AlertKind.REMINDER, addressed)


@dataclass
class AlertPage:
    """One page of alerts with their tasks."""

    items: list[tuple[Alert, HumanTask]]
    total: int
    page: int
    per_page: int


class AlertService:
    """Lists and acknowledges alerts for one user; owns its transactions."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def list(self, user: User, status: str = "open", page: int = 1, per_page: int = 50) -> AlertPage:
        """The caller's visible alerts with ``status`` (``all`` for any), newest first."""
        where = [alert_visible(user)]
        if status != "all":
            where.append(Alert.status == AlertStatus(status))
        base = select(Alert, HumanTask).join(HumanTask, HumanTask.id == Alert.task_id).where(*where)
        total = self.session.scalar(select(func.count()).select_from(base.subquery())) or 0
        rows = self.session.execute(
            base.order_by(Alert.created_at.desc(), Alert.id.desc()).offset((page - 1) * per_page).limit(per_page)
        ).all()
        return AlertPage([(a, t) for a, t in rows], total, page, per_page)

    def acknowledge(self, user: User, alert_id: int) -> tuple[Alert, HumanTask]:
        """Mark a visible open alert acknowledged: 404 when not visible, 409 when not open any more."""
        if not 0 < alert_id < MAX_ID:
            raise AlertNotFound(f"no alert {alert_id}")
        with unit_of_work(self.session):
            found = self.session.execute(
                select(Alert, HumanTask).join(HumanTask, HumanTask.id == Alert.task_id)
                .where(Alert.id == alert_id, alert_visible(user))
            ).first()
            if found is None:
                raise AlertNotFound(f"no alert {alert_id}")
            # Conditional: of two concurrent acknowledgements exactly one matches the open row.
            changed = self.session.execute(
                update(Alert).where(Alert.id == alert_id, Alert.status == AlertStatus.OPEN)
                .values(status=AlertStatus.ACKNOWLEDGED, acknowledged_at=clock.now(),
                        acknowledged_by=user.username),
                execution_options={"synchronize_session": False},
            ).rowcount
            if not changed:
                self.session.refresh(found[0])
                raise AlertNotOpen(f"alert {alert_id} is already {found[0].status.value}",
                                   details={"status": found[0].status.value})
            self.session.refresh(found[0])
            return found[0], found[1]
