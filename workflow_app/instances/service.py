"""Starting and advancing cases: one transaction per change.

Every change follows the same path: load the instance → run the engine → save its state
(optimistically locked) → sync the human-task table → append audit events. Any
unexpected exception rolls all of it back; a failure *inside the process* (a script,
condition or service task) is saved as the case's ``error`` state with a readable detail.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from handlers import HandlerContext, HandlerRegistry
from workflow_app import clock
from workflow_app.casefile import submissions
from workflow_app.db import json_dumps, unit_of_work
from workflow_app.definitions.models import ProcessDefinition
from workflow_app.definitions.service import DefinitionService, compiled
from workflow_app.documents.life import void_issued_by
from workflow_app.engine import Engine, EngineError, UnknownTask
from workflow_app.engine import TaskNotReady as EngineTaskNotReady
from workflow_app.engine.migration import Obstacle, active_steps
from workflow_app.engine.migration import migrate as migrate_workflow
from workflow_app.instances import audit
from workflow_app.instances.errors import (
    InstanceNotFound,
    InstanceNotRunning,
    InvalidVariables,
    TaskNotFound,
    TaskNotReady,
    VersionConflict,
    VersionIncompatible,
)
from workflow_app.instances.models import AuditEvent, InstanceStatus, ProcessInstance
from workflow_app.instances.state_write import StaleCase, write_step
from workflow_app.tasks.errors import InvalidReturnTarget, NoEarlierStep, NotWithdrawable
from workflow_app.tasks.models import HumanTask, TaskStatus
from workflow_app.tasks.sync import DueFor, close_all, sync_tasks

MAX_VARIABLES_BYTES = 256 * 1024

# Checks the caller's right to act on the task row, inside the transaction, after the row is locked.
TaskGuard = Callable[[HumanTask], None]

# Audit actions on the next step that do not count as it having acted (撤回 stays possible).
_NOT_ACTING = frozenset({"urge"})


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
        submissions.record_start(self.session, instance, variables, actor=started_by)
        workflow = self.engine.create(compiled(definition, self.engine), variables,
                                      self._service_caller(instance, started_by))
        error = None
        try:
            self.engine.run(workflow)
        except EngineError as exc:
            error = exc
        return self._save(instance, workflow, actor=started_by, error=error)

    def complete_task(self, task_id: str, data: Mapping[str, Any], *, actor: str,
                      opinion: str | None = None, guard: TaskGuard | None = None,
                      instance_id: str | None = None,
                      then: Callable[[Advance], None] | None = None) -> Advance:
        """Complete a ready human task with ``data`` and run the case to its next wait (``instance_id``:
        the task's case, when the caller already read it; ``then``: a read of what the caller will show,
        run inside the transaction so it needs none of its own)."""
        data = dict(data)
        _check_variables(data)
        with unit_of_work(self.session):
            row, instance = self.lock_task(task_id, instance_id)
            instance = self._running(instance.id)
            if not row.status.is_open:
                raise TaskNotReady(f"task {task_id} is already {row.status.value}")
            if guard is not None:
                guard(row)
            workflow = self._load(instance, actor)
            # Recorded first so the history reads in order: the completion, then what it triggered.
            audit.record(self.session, instance.id, action="complete", actor=actor, task_id=task_id,
                         task_name=row.title, opinion=opinion, details={"data": data})
            submissions.record_step(self.session, instance, row, data, opinion=opinion, actor=actor)
            error = None
            try:
                self.engine.complete(workflow, task_id, data)
            except EngineTaskNotReady as exc:
                raise TaskNotReady(str(exc)) from exc
            except UnknownTask as exc:
                raise TaskNotFound(f"no task {task_id} in this case") from exc
            except EngineError as exc:
                error = exc
            advance = self._save(instance, workflow, actor=actor, error=error)
            if then is not None:
                then(advance)
            return advance

    def return_task(self, task_id: str, *, actor: str, opinion: str, to_task: str | None = None,
                    guard: TaskGuard | None = None) -> Advance:
        """退回: send the case back to an earlier completed human step of this task's path (default: the
        nearest); that step is ready again with its data, for the person who did it."""
        with unit_of_work(self.session):
            row, instance = self.lock_task(task_id)
            instance = self._running(instance.id)
            if not row.status.is_open:
                raise TaskNotReady(f"task {task_id} is already {row.status.value}")
            if guard is not None:
                guard(row)
            workflow = self._load(instance, actor)
            target = self._return_target(self.engine.earlier_human_tasks(workflow, task_id), to_task)
            audit.record(self.session, instance.id, action="return", actor=actor, task_id=row.id,
                         task_name=row.title, opinion=opinion,
                         details={"to_task": target.id, "to_name": target.name, "to_title": target.title})
            return self._go_back(instance, workflow, target, actor=actor, assignee=target.completed_by)

    def withdraw_task(self, task_id: str, *, actor: str, opinion: str | None = None,
                      guard: TaskGuard | None = None) -> Advance:
        """撤回: take back a completed step while the step after it has not acted (its tasks are ready,
        unclaimed and untouched); the step is ready again for ``actor``."""
        with unit_of_work(self.session):
            row, instance = self.lock_task(task_id)
            instance = self._running(instance.id)
            if row.status is not TaskStatus.COMPLETED:
                raise NotWithdrawable(f"task {task_id} is {row.status.value}; only a completed step can be withdrawn")
            if guard is not None:
                guard(row)
            workflow = self._load(instance, actor)
            try:
                after = self.engine.human_tasks_after(workflow, task_id)
            except UnknownTask as exc:
                raise NotWithdrawable("this step was already sent back; there is nothing to withdraw") from exc
            self._check_untouched(after)
            audit.record(self.session, instance.id, action="withdraw", actor=actor, task_id=row.id,
                         task_name=row.title, opinion=opinion, details={"cancelled_tasks": sorted(after)})
            return self._go_back(instance, workflow, row, actor=actor, assignee=actor)

    def task_data(self, instance: ProcessInstance, task_id: str) -> dict[str, Any]:
        """The data a task's form opens with: the task's own data while it is ready, else the case's."""
        workflow = self._load(instance, actor=None)
        for task in self.engine.ready_human_tasks(workflow):
            if task.id == task_id:
                return dict(task.data)
        return self.engine.data(workflow)

    def lock_task(self, task_id: str, instance_id: str | None = None) -> tuple[HumanTask, ProcessInstance]:
        """Inside the caller's transaction: lock the task's case, then read the task row as committed now
        (``instance_id``: the task's case when known — a task never changes case)."""
        if instance_id is None:
            row = self.session.get(HumanTask, task_id)
            if row is None:
                raise TaskNotFound(f"no task {task_id}")
            instance_id = row.instance_id
        # Every change to a task locks its case row first (one order everywhere, so no deadlocks);
        # on PostgreSQL a concurrent change waits here and then reads what the first one committed.
        # SQLite's BEGIN IMMEDIATE has already serialized writers.
        # The definition row comes joined (its large columns are deferred): the engine needs its key and hash.
        instance = self.session.scalars(_LOCK_CASE, {"id": instance_id}).first()
        row = self.session.scalars(_TASK_NOW, {"id": task_id}).first()
        if instance is None or row is None or row.instance_id != instance.id:
            raise TaskNotFound(f"no task {task_id}")
        return row, instance

    def fire_timers(self, instance_id: str, *, actor: str | None = "scheduler") -> Advance:
        """Fire every timer of the case that is due by the application clock."""
        with unit_of_work(self.session):
            return self.fire_timers_in_transaction(instance_id, actor=actor)

    def fire_timers_in_transaction(self, instance_id: str, *, actor: str | None = "scheduler") -> Advance:
        """Fire the case's due timers inside the caller's transaction (the scheduler claims the row in it)."""
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

    def retry(self, instance_id: str, *, actor: str, latest_version: bool = False) -> Advance:
        """Run the failed step of a case in ``error`` again; with ``latest_version``, first move it to the
        latest version of its process (the designer fixed the script that failed)."""
        with unit_of_work(self.session):
            instance = self.get(instance_id)
            if instance.status is not InstanceStatus.ERROR:
                raise InstanceNotRunning(f"case {instance_id} is {instance.status.value}, not in error")
            if latest_version:
                workflow = self._move_to_latest(instance, actor)
            else:
                workflow = self._load(instance, actor)
            error = None
            try:
                self.engine.retry(workflow)
            except EngineError as exc:
                error = exc
            audit.record(self.session, instance.id, action="retry", actor=actor)
            return self._save(instance, workflow, actor=actor, error=error)

    def move_to_version(self, instance_id: str, target: ProcessDefinition, *, actor: str,
                        renames: Mapping[str, str] | None = None, expected_lock: int | None = None) -> Advance:
        """迁移: move a running case onto ``target`` (another version of its process) in one transaction, with
        its audit event; its open steps keep their ids and take the new version's titles, lanes, forms and
        time limits. ``expected_lock``: the case's version the caller planned on (else VersionConflict)."""
        with unit_of_work(self.session):
            instance = self.session.get(ProcessInstance, instance_id, with_for_update={"of": ProcessInstance},
                                        populate_existing=True)
            if instance is None:
                raise InstanceNotFound(f"no process instance {instance_id}")
            if instance.status is not InstanceStatus.RUNNING:
                raise InstanceNotRunning(f"case {instance_id} is {instance.status.value}")
            if expected_lock is not None and instance.version != expected_lock:
                raise VersionConflict("the case was changed since the dry run; run it again")
            if target.id == instance.definition_id:
                raise VersionIncompatible(f"案件已在第 {target.version} 版上运行")
            workflow = self._move_to(instance, target, actor, renames)
            advance = self._save(instance, workflow, actor=actor, error=None)
            self._restyle_open_tasks(instance, workflow)
            self._flush()
            return advance

    def move_check(self, instance: ProcessInstance, target: ProcessDefinition,
                   renames: Mapping[str, str] | None = None) -> tuple[list[tuple[str, str]], list[Obstacle]]:
        """The steps a case waits at and what keeps it from moving to ``target`` (a dry run: nothing changes)."""
        workflow = self._load(instance, actor=None)  # a copy of its own, moved and thrown away
        waiting = active_steps(workflow)
        return waiting, migrate_workflow(workflow, compiled(target, self.engine), renames)

    # -- internals -----------------------------------------------------------------------------

    def _restyle_open_tasks(self, instance: ProcessInstance, workflow: Any) -> None:
        """After a move, open task rows read as the new version says: title, lane, form and time limit."""
        ready = {t.id: t for t in self.engine.ready_human_tasks(workflow)}
        rows = self.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                            HumanTask.id.in_(list(ready))))
        for row in rows:
            task = ready[row.id]
            if not row.status.is_open:
                continue
            row.name, row.title, row.candidate_group, row.form = task.name, task.title, task.lane, task.form
            row.due_at, row.due_warning = self.due_for(task.time_limit, row.created_at)

    def _move_to_latest(self, instance: ProcessInstance, actor: str) -> Any:
        """Load the case on the latest version of its process and point the case at it (retry after a fix)."""
        latest = DefinitionService(self.session, self.engine, max_bytes=0).latest(instance.process_key)
        return self._move_to(instance, latest, actor)

    def _move_to(self, instance: ProcessInstance, target: ProcessDefinition, actor: str,
                 renames: Mapping[str, str] | None = None) -> Any:
        """Load the case, move it onto ``target`` (another version of its process) and point the case at it;
        refused with every reason when a step it waits at or passed through is missing there (unmapped)."""
        current = instance.definition
        if target.id == current.id:
            return self._load(instance, actor)
        if target.key != current.key:
            raise VersionIncompatible(f"案件属于流程 {current.key}，不能迁移到流程 {target.key}")
        workflow = self._load(instance, actor)
        found = migrate_workflow(workflow, compiled(target, self.engine), renames)
        if found:
            reasons = [o.message(target.version) for o in found]
            raise VersionIncompatible(f"案件无法迁移到第 {target.version} 版：" + "；".join(reasons),
                                      details={"reasons": reasons, "elements": [o.bpmn_id for o in found]})
        instance.definition_id, instance.definition = target.id, target
        details: dict[str, Any] = {"from_version": current.version, "to_version": target.version}
        if renames:
            details["renames"] = dict(renames)
        audit.record(self.session, instance.id, action="migrate", actor=actor, details=details,
                     opinion=f"由第 {current.version} 版迁移到第 {target.version} 版")
        return workflow

    def _return_target(self, earlier: list[str], to_task: str | None) -> HumanTask:
        rows = {r.id: r for r in self.session.scalars(select(HumanTask).where(HumanTask.id.in_(earlier)))}
        candidates = [rows[i] for i in earlier if i in rows]
        if not candidates:
            raise NoEarlierStep("there is no completed step before this one to send the case back to")
        if to_task is None:
            return candidates[0]
        for row in candidates:  # nearest first: a BPMN id names the latest pass through that step
            if to_task in (row.id, row.name):
                return row
        allowed = sorted({r.name for r in candidates})
        raise InvalidReturnTarget(f"'{to_task}' is not an earlier step of this task; it can go back to: "
                                  + (", ".join(allowed) or "none"), details={"fields": {"to_task": allowed}})

    def _check_untouched(self, after: Mapping[str, str]) -> None:
        if not after or any(state != "ready" for state in after.values()):
            raise NotWithdrawable("the next step has already acted (or there is none waiting); ask it to return the case")
        claimed = self.session.scalar(select(func.count()).select_from(HumanTask).where(
            HumanTask.id.in_(list(after)),
            (HumanTask.assignee.is_not(None)) | (HumanTask.status != TaskStatus.READY)))
        touched = self.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.task_id.in_(list(after)), AuditEvent.action.not_in(_NOT_ACTING)))
        if claimed or touched:
            raise NotWithdrawable("the next step has already taken up the case; ask it to return the case instead")

    def _go_back(self, instance: ProcessInstance, workflow: Any, target: HumanTask, *, actor: str,
                 assignee: str | None) -> Advance:
        """Reset the engine to ``target``, save, and hand the reopened step to ``assignee``."""
        try:
            removed = self.engine.reset_to(workflow, target.id)
        except (EngineTaskNotReady, UnknownTask) as exc:
            raise TaskNotReady(f"step {target.id} cannot be reopened: {exc}") from exc
        # What the dropped steps issued is void; the steps issue anew (with new numbers) when they run again.
        void_issued_by(self.session, instance.id, removed, actor=actor,
                       reason=f"案件退回至「{target.title}」重新办理，本文书作废")
        error = None
        try:
            self.engine.run(workflow)
        except EngineError as exc:
            error = exc
        advance = self._save(instance, workflow, actor=actor, error=error, removed=removed)
        if target.status.is_open:  # sync reopened it; it is a new round of work with a new time limit
            now = clock.now()
            target.assignee, target.delegated_from = assignee, None
            target.status = TaskStatus.CLAIMED if assignee else TaskStatus.READY
            # A new cycle: its time limit is new, and the escalation ladder starts again for it.
            target.created_at, target.escalation_level, target.cycle = now, 0, target.cycle + 1
            limit = (instance.definition.task_meta.get(target.name) or {}).get("time_limit")
            target.due_at, target.due_warning = self.due_for(limit, now)
            advance.new_tasks.append(target)
            self._flush()
        return advance

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
              error: EngineError | None, removed: Collection[str] = ()) -> Advance:
        saved = self.engine.save(workflow)  # one walk: ready tasks, completion, finished branches dropped
        step = {"state_json": saved.state_json, "next_timer_at": saved.next_timer_at,
                "status": InstanceStatus.RUNNING, "error": None, "ended_at": instance.ended_at}
        if error is not None:
            step.update(status=InstanceStatus.ERROR, error=error.to_dict())
        elif saved.completed:
            step.update(status=InstanceStatus.COMPLETED, ended_at=clock.now(), next_timer_at=None)
        # Write the instance first: its version check fails fast, before any task row is touched.
        self._write_step(instance, step)
        if error is not None:
            audit.record(self.session, instance.id, action="error", actor=actor, task_name=error.task_name,
                         details=error.to_dict())
        # Tasks a reset dropped no longer exist in the engine: their rows close as cancelled; tasks the
        # save pruned (finished branches) close as what they were.
        gone = dict(saved.pruned)
        gone.update(dict.fromkeys(removed, "cancelled"))
        new, closed = sync_tasks(
            self.session, instance, saved.ready,
            task_state=lambda task_id: gone.get(task_id) or self.engine.task_state(workflow, task_id),
            due_for=self.due_for, completed_by=actor,
        )
        if instance.status is InstanceStatus.COMPLETED:
            audit.record(self.session, instance.id, action="end", actor=actor)
        self._flush()
        return Advance(instance, new_tasks=new, closed_tasks=closed)

    def _write_step(self, instance: ProcessInstance, step: dict[str, Any]) -> None:
        with _as_version_conflict():
            write_step(self.session, instance, **step)

    def _flush(self) -> None:
        with _as_version_conflict():
            self.session.flush()


@contextlib.contextmanager
def _as_version_conflict() -> Iterator[None]:
    """A write that found the case's version moved, or another writer's lock, fails as VersionConflict."""
    try:
        yield
    except (StaleCase, StaleDataError) as exc:
        raise VersionConflict("the case was changed by someone else; reload and try again") from exc
    except OperationalError as exc:
        if _is_lock_conflict(exc):
            raise VersionConflict("the case is being changed by someone else; try again") from exc
        raise


# lock_task's two reads, built once (a statement reused skips SQLAlchemy's per-call construction).
_LOCK_CASE = (select(ProcessInstance).where(ProcessInstance.id == bindparam("id"))
              .with_for_update(of=ProcessInstance).execution_options(populate_existing=True))
_TASK_NOW = select(HumanTask).where(HumanTask.id == bindparam("id")).execution_options(populate_existing=True)


def _is_lock_conflict(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "database is locked" in text or "could not serialize" in text


def _check_variables(values: Mapping[str, Any]) -> None:
    try:
        size = len(json_dumps(values))  # what the engine stores besides JSON: datetime, timedelta, UUID
    except (TypeError, ValueError) as exc:
        raise InvalidVariables(f"variables must be JSON values: {exc}") from exc
    if size > MAX_VARIABLES_BYTES:
        raise InvalidVariables(f"variables are larger than {MAX_VARIABLES_BYTES} bytes")
    bad = [name for name in values if not isinstance(name, str) or not name.isidentifier() or name.startswith("_")]
    if bad:
        raise InvalidVariables("variable names must be identifiers not starting with '_'", details={"fields": bad})
