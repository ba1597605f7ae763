"""Starting and advancing cases: one transaction per change.

Every change follows the same path: load the instance → run the engine → save its state
(optimistically locked) → sync the human-task table → append audit events. Any
unexpected exception rolls all of it back; a failure *inside the process* (a script,
condition or service task) is saved as the case's ``error`` state with a readable detail.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from handlers import HandlerContext, HandlerRegistry
from workflow_app import clock
from workflow_app.db import unit_of_work
from workflow_app.definitions.service import DefinitionService, compiled
from workflow_app.engine import Engine, EngineError, UnknownTask
from workflow_app.engine import TaskNotReady as EngineTaskNotReady
from workflow_app.instances import audit
from workflow_app.instances.errors import (
    InstanceNotFound,
    InstanceNotRunning,
    InvalidVariables,
    TaskNotFound,
    TaskNotReady,
    VersionConflict,
)
from workflow_app.instances.models import InstanceStatus, ProcessInstance
from workflow_app.tasks.models import HumanTask
from workflow_app.tasks.sync import DueFor, close_all, sync_tasks

MAX_VARIABLES_BYTES = 256 * 1024


@dataclass
class Advance:
    """What one change did to a case."""

    instance: ProcessInstance
    new_tasks: list[HumanTask] = field(default_factory=list)
    closed_tasks: list[HumanTask] = field(default_factory=list)


def _no_due(_limit: str | None, _start: datetime) -> tuple[datetime | None, str | None]:
    return None, None


class InstanceService:
    """Owns the transactions that start, complete, time out, cancel and retry cases."""

    def __init__(self, session: Session, engine: Engine, handlers: HandlerRegistry,
                 due_for: DueFor = _no_due) -> None:
        self.session = session
        self.engine = engine
        self.handlers = handlers
        self.due_for = due_for

    # -- queries -------------------------------------------------------------------------------

    def get(self, instance_id: str) -> ProcessInstance:
        """The case with that id."""
        instance = self.session.get(ProcessInstance, instance_id)
        if instance is None:
            raise InstanceNotFound(f"no process instance {instance_id}")
        return instance

    def variables(self, instance: ProcessInstance) -> dict[str, Any]:
        """The case's current data (loads its state; not for list views)."""
        return self.engine.data(self._load(instance, actor=None))

    # -- changes -------------------------------------------------------------------------------

    def start(self, process_key: str, variables: Mapping[str, Any] | None = None, *, started_by: str | None,
              business_key: str | None = None, organization_id: int | None = None,
              region_code: str | None = None) -> Advance:
        """Start a case on the latest version of ``process_key`` and run it to its first wait."""
        with unit_of_work(self.session):
            return self.start_in_transaction(process_key, variables, started_by=started_by,
                                             business_key=business_key, organization_id=organization_id,
                                             region_code=region_code)

    def start_in_transaction(self, process_key: str, variables: Mapping[str, Any] | None = None, *,
                             started_by: str | None, business_key: str | None = None,
                             organization_id: int | None = None, region_code: str | None = None) -> Advance:
        """Start a case inside the caller's transaction (a handler starting a follow-up case, a bulk start)."""
        variables = dict(variables or {})
        _check_variables(variables)
        definition = DefinitionService(self.session, self.engine, max_bytes=0).latest(process_key)
        instance = ProcessInstance(
            definition_id=definition.id, process_key=definition.key, business_key=business_key,
            status=InstanceStatus.RUNNING, region_code=region_code, organization_id=organization_id,
            started_by=started_by, started_at=clock.now(), state_json="{}",
        )
        instance.definition = definition
        self.session.add(instance)
        self.session.flush()  # the id exists before handlers run
        audit.record(self.session, instance.id, action="start", actor=started_by,
                     details={"process_key": definition.key, "version": definition.version})
        workflow = self.engine.create(compiled(definition, self.engine), variables,
                                      self._service_caller(instance, started_by))
        error = None
        try:
            self.engine.run(workflow)
        except EngineError as exc:
            error = exc
        return self._save(instance, workflow, actor=started_by, error=error)

    def complete_task(self, task_id: str, data: Mapping[str, Any], *, actor: str,
                      opinion: str | None = None) -> Advance:
        """Complete a ready human task with ``data`` and run the case to its next wait."""
        data = dict(data)
        _check_variables(data)
        with unit_of_work(self.session):
            row = self.session.get(HumanTask, task_id)
            if row is None:
                raise TaskNotFound(f"no task {task_id}")
            instance = self._running(row.instance_id)
            if not row.status.is_open:
                raise TaskNotReady(f"task {task_id} is already {row.status.value}")
            workflow = self._load(instance, actor)
            # Recorded first so the history reads in order: the completion, then what it triggered.
            audit.record(self.session, instance.id, action="complete", actor=actor, task_id=task_id,
                         task_name=row.title, opinion=opinion, details={"data": data})
            error = None
            try:
                self.engine.complete(workflow, task_id, data)
            except EngineTaskNotReady as exc:
                raise TaskNotReady(str(exc)) from exc
            except UnknownTask as exc:
                raise TaskNotFound(f"no task {task_id} in this case") from exc
            except EngineError as exc:
                error = exc
            return self._save(instance, workflow, actor=actor, error=error)

    def fire_timers(self, instance_id: str, *, actor: str | None = "scheduler") -> Advance:
        """Fire every timer of the case that is due by the application clock."""
        with unit_of_work(self.session):
            instance = self._running(instance_id)
            workflow = self._load(instance, actor)
            before = instance.next_timer_at
            error = None
            try:
                self.engine.fire_timers(workflow)
            except EngineError as exc:
                error = exc
            audit.record(self.session, instance.id, action="timer", actor=actor,
                         details={"due": before.isoformat() if before else None})
            return self._save(instance, workflow, actor=actor, error=error)

    def cancel(self, instance_id: str, *, actor: str, reason: str) -> Advance:
        """Cancel a running (or failed) case and every open task of it."""
        with unit_of_work(self.session):
            instance = self.get(instance_id)
            if instance.status not in (InstanceStatus.RUNNING, InstanceStatus.ERROR):
                raise InstanceNotRunning(f"case {instance_id} is {instance.status.value}")
            workflow = self._load(instance, actor)
            self.engine.cancel(workflow)
            instance.state_json = self.engine.dump(workflow)
            instance.status, instance.ended_at, instance.next_timer_at = InstanceStatus.CANCELLED, clock.now(), None
            self._flush()
            closed = close_all(self.session, instance.id)
            audit.record(self.session, instance.id, action="cancel", actor=actor, opinion=reason)
            self._flush()
            return Advance(instance, closed_tasks=closed)

    def retry(self, instance_id: str, *, actor: str) -> Advance:
        """Run the failed step of a case in ``error`` again."""
        with unit_of_work(self.session):
            instance = self.get(instance_id)
            if instance.status is not InstanceStatus.ERROR:
                raise InstanceNotRunning(f"case {instance_id} is {instance.status.value}, not in error")
            workflow = self._load(instance, actor)
            error = None
            try:
                self.engine.retry(workflow)
            except EngineError as exc:
                error = exc
            audit.record(self.session, instance.id, action="retry", actor=actor)
            return self._save(instance, workflow, actor=actor, error=error)

    # -- internals -----------------------------------------------------------------------------

    def _running(self, instance_id: str) -> ProcessInstance:
        instance = self.get(instance_id)
        if instance.status is not InstanceStatus.RUNNING:
            raise InstanceNotRunning(f"case {instance_id} is {instance.status.value}")
        return instance

    def _load(self, instance: ProcessInstance, actor: str | None) -> Any:
        return self.engine.load(compiled(instance.definition, self.engine), instance.state_json,
                                self._service_caller(instance, actor))

    def _service_caller(self, instance: ProcessInstance, actor: str | None) -> Callable[[str, dict[str, Any]], Any]:
        context = HandlerContext(session=self.session, instance=instance, actor=actor)
        return lambda operation, params: self.handlers.call(operation, context, params)

    def _save(self, instance: ProcessInstance, workflow: Any, *, actor: str | None,
              error: EngineError | None) -> Advance:
        instance.state_json = self.engine.dump(workflow)
        instance.next_timer_at = self.engine.next_timer_at(workflow)
        if error is not None:
            instance.status, instance.error = InstanceStatus.ERROR, error.to_dict()
            audit.record(self.session, instance.id, action="error", actor=actor, task_name=error.task_name,
                         details=error.to_dict())
        elif self.engine.is_completed(workflow):
            instance.status, instance.ended_at, instance.next_timer_at = InstanceStatus.COMPLETED, clock.now(), None
            instance.error = None
        else:
            instance.status, instance.error = InstanceStatus.RUNNING, None
        # Write the instance first: its version check fails fast, before any task row is touched.
        self._flush()
        new, closed = sync_tasks(
            self.session, instance, self.engine.ready_human_tasks(workflow),
            task_state=lambda task_id: self.engine.task_state(workflow, task_id),
            due_for=self.due_for, completed_by=actor,
        )
        if instance.status is InstanceStatus.COMPLETED:
            audit.record(self.session, instance.id, action="end", actor=actor)
        self._flush()
        return Advance(instance, new_tasks=new, closed_tasks=closed)

    def _flush(self) -> None:
        try:
            self.session.flush()
        except StaleDataError as exc:
            raise VersionConflict("the case was changed by someone else; reload and try again") from exc
        except OperationalError as exc:
            if _is_lock_conflict(exc):
                raise VersionConflict("the case is being changed by someone else; try again") from exc
            raise


def _is_lock_conflict(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "database is locked" in text or "could not serialize" in text


def _storable(value: Any) -> str:
    # The engine's serializer round-trips these; anything else would fail at save time, too late.
    if isinstance(value, (datetime, date, timedelta, Decimal, uuid.UUID)):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not a storable value")


def _check_variables(values: Mapping[str, Any]) -> None:
    try:
        size = len(json.dumps(values, default=_storable))
    except (TypeError, ValueError) as exc:
        raise InvalidVariables(f"variables must be JSON values: {exc}") from exc
    if size > MAX_VARIABLES_BYTES:
        raise InvalidVariables(f"variables are larger than {MAX_VARIABLES_BYTES} bytes")
    bad = [name for name in values if not isinstance(name, str) or not name.isidentifier() or name.startswith("_")]
    if bad:
        raise InvalidVariables("variable names must be identifiers not starting with '_'", details={"fields": bad})
