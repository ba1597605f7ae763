"""The engine boundary: the only code that creates, runs, saves and loads SpiffWorkflow workflows.

Instances are saved *without* their spec (it is stored once per definition and kept
parsed in memory), scripts run in the RestrictedPython sandbox (in a worker process, see
``isolation.py``), service tasks dispatch to a caller the service layer provides, and timers
read the application clock.
"""

from __future__ import annotations

import contextvars
import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.serializer import DEFAULT_CONFIG  # the Spiff config (SPIFF_CONFIG), not bpmn's
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from workflow_app import clock
from workflow_app.engine.parsing import human_task_meta
from workflow_app.engine.sandbox import SandboxedEnvironment
from workflow_app.engine.task_codec import FastTaskConverter, task_mapping, uuid_of
from workflow_app.engine.tree import (
    PRUNED_STEPS,
    ancestors,
    descendants,
    forget_survey,
    prune,
    take_survey,
    tree_depth,
)

ServiceCaller = Callable[[str, dict[str, Any]], Any]

# Spiff 3.2's task iterator stops at depth 1000 (``TaskIterator(max_depth=1000)``): its own engine steps
# and ``is_completed`` then miss deeper tasks, and a case looping past ~330-500 passes would be called
# completed without reaching its end. Our walks pass this instead, and a case whose unfinished tasks
# sit deeper than MAX_TREE_DEPTH is stopped with an error while it is still intact.
_UNLIMITED = 10**9
MAX_TREE_DEPTH = 900


@dataclass(frozen=True)
class ServiceCall:
    """The service task a handler is running for: its id, BPMN id and the case data it sees (plain values)."""

    task_id: str
    task_name: str
    data: dict[str, Any]


_current_call: contextvars.ContextVar[ServiceCall | None] = contextvars.ContextVar("socorg_service_call",
                                                                                  default=None)


def current_service_call() -> ServiceCall | None:
    """The service task being run in this context (handlers read the case variables and task id here)."""
    return _current_call.get()


class EngineError(Exception):
    """A process-level failure (a script, condition or service task failed): the case goes to ``error``."""

    def __init__(self, message: str, *, task_name: str | None = None, task_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.task_name = task_name
        self.task_id = task_id

    def to_dict(self) -> dict[str, Any]:
        """The readable detail stored on the instance."""
        return {"message": self.message, "task": self.task_name, "task_id": self.task_id}


class TaskNotReady(Exception):
    """The task exists but cannot be completed now (already done, cancelled, or not reached)."""


class UnknownTask(Exception):
    """No task with that id exists in the workflow."""


class _ClockDatetime(datetime):
    """Spiff's timer module computes and compares due times with ``datetime.now``: feed it our clock."""

    @classmethod
    def now(cls, tz: Any = None) -> _ClockDatetime:  # type: ignore[override]
        moment = clock.now().astimezone(tz or UTC)
        return cls.combine(moment.date(), moment.timetz())


# Timers are the only place Spiff asks for the time; without this, `tick --now` and tests could
# not move time for them (Spiff has no clock injection).
_spiff_timer.datetime = _ClockDatetime


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Saves a workflow without its spec and restores it around a spec object kept in memory; also keeps
    the summary of the finished branches :func:`_prune` took out of the tree (``pruned_steps``)."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        pruned = getattr(workflow, PRUNED_STEPS, None)
        if pruned:
            dct["pruned_steps"] = pruned
        return dct

    def from_dict(self, dct: dict[str, Any], spec: Any = None, subprocess_specs: Any = None) -> BpmnWorkflow:
        if spec is None:  # a full serialization (with its spec), e.g. from another tool
            return super().from_dict(dct)
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = task_mapping(self.registry, dct["tasks"], workflow=workflow)
        workflow.task_tree = workflow.tasks.get(uuid_of(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        setattr(workflow, PRUNED_STEPS, dct.get("pruned_steps") or {})
        return workflow


def _build_serializer() -> BpmnWorkflowSerializer:
    config = dict(DEFAULT_CONFIG)
    config[BpmnWorkflow] = _SpeclessWorkflowConverter
    config[Task] = FastTaskConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


_serializer = _build_serializer()
_full_serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))

# The state codec: orjson, made to write exactly what Spiff's json.dumps(cls=SpiffEncoder) writes, so a
# state reads back as the same dict. Values orjson would write itself but json hands to the encoder
# (datetime/date/time, dataclasses) go to the same encoder; int dict keys become strings as with json.
# (A uuid.UUID inside case data is the one difference: orjson writes it as its string, json as Spiff's
# typed dict; no caller puts one there — the API takes JSON, handlers return JSON.)
_encode_default = _serializer._encoder_cls().default
_DUMP_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS


def _dumps(dct: dict[str, Any]) -> str:
    try:
        return orjson.dumps(dct, default=_encode_default, option=_DUMP_OPTIONS).decode()
    except orjson.JSONEncodeError:  # what only json writes (an int past 64 bits) or what both refuse
        return json.dumps(dct, cls=_serializer._encoder_cls)


# orjson reads an integer past 64 bits as a float: a text that may hold one (19 ASCII digits in a row —
# or such a string, a bank account number say) is read by json instead. JSON numbers are ASCII digits;
# the check maps every byte to "0" (a digit) or " " and looks for the run, ~15 times faster than a
# regex scan of the state (0.22 ms at review on a registration case).
_DIGIT_MAP = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
_LONG_RUN = b"0" * 19


def _may_hold_long_number(text: bytes) -> bool:
    return _LONG_RUN in text.translate(_DIGIT_MAP)


def _loads(text: str) -> Any:
    raw = text.encode()
    if _may_hold_long_number(raw):
        return json.loads(text, cls=_serializer.json_decoder_cls)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:  # json.dumps wrote NaN/Infinity for such floats; orjson refuses them
        return json.loads(text, cls=_serializer.json_decoder_cls)


def _serialize(workflow: BpmnWorkflow) -> str:
    """What ``_serializer.serialize_json`` returns, encoded by orjson."""
    registry = _serializer.registry
    registry._encoder_mode = True  # as serialize_json does: leave typed values to the encoder
    try:
        dct = _serializer.to_dict(workflow)
        dct[_serializer.VERSION_KEY] = _serializer.VERSION
        return _dumps(dct)
    finally:
        registry._encoder_mode = False


class _ScriptEngine(PythonScriptEngine):
    """Sandboxed scripts plus service-task dispatch with the errors Spiff itself would mangle."""

    def __init__(self, environment: SandboxedEnvironment, service_caller: ServiceCaller | None) -> None:
        super().__init__(environment=environment)
        self._service_caller = service_caller

    def get_error_line_number_and_content(self, script: str, err: Exception) -> tuple[int, str]:
        # An error from a script worker has no traceback here: the worker sent the line along.
        line = getattr(err, "script_line", None)
        if line and 0 < line <= len(script.splitlines()):
            return line, script.splitlines()[line - 1]
        return super().get_error_line_number_and_content(script, err)

    def create_task_exec_exception(self, task: Any, script: str, err: Exception) -> Exception:
        # Spiff builds the detail as `name + ":" + err.args[0]`, which itself fails (TypeError) when
        # args[0] is not a string, e.g. KeyError(5): give it a string so the real error shows.
        if err.args and not isinstance(err.args[0], str):
            err.args = (str(err),) + tuple(err.args[1:]) if not isinstance(err, KeyError) else (repr(err.args[0]),)
        return super().create_task_exec_exception(task, script, err)

    def call_service(self, task: Any, operation_name: str, operation_params: dict[str, Any], **_: Any) -> str:
        # Spiff's own call_service raises NameError('script') when a handler fails: wrap errors here.
        if self._service_caller is None:
            raise EngineError(f"service task '{operation_name}' has no handler here", task_name=task.task_spec.bpmn_id)
        params = {name: param.get("value") for name, param in operation_params.items()}
        token = _current_call.set(ServiceCall(str(task.id), task.task_spec.bpmn_id, dict(task.data)))
        try:
            result = self._service_caller(operation_name, params)
        except EngineError:
            raise
        except Exception as exc:  # the handler's own failure becomes the case's error detail
            raise EngineError(
                f"service '{operation_name}' failed: {exc}", task_name=task.task_spec.bpmn_id, task_id=str(task.id)
            ) from exc
        finally:
            _current_call.reset(token)
        return json.dumps(result, default=str, ensure_ascii=False)


@dataclass(frozen=True)
class CompiledDefinition:
    """A definition's spec objects, parsed once and shared by every instance of that version."""

    spec: Any
    subprocess_specs: dict[str, Any]


@dataclass(frozen=True)
class Saved:
    """A workflow saved after a step: its state, and what the service layer mirrors of it."""

    state_json: str
    ready: list[ReadyTask]
    next_timer_at: datetime | None
    completed: bool
    pruned: dict[str, str]  # human tasks taken out of the tree by this save: id → Spiff state name


@dataclass(frozen=True)
class ReadyTask:
    """A READY human task as the service layer sees it."""

    id: str
    name: str
    title: str
    lane: str | None
    form: str | None
    time_limit: str | None
    properties: dict[str, Any]
    data: dict[str, Any]


class Engine:
    """Start, load, run and save workflows. Holds no per-case state; safe to share."""

    def __init__(self, helpers: Mapping[str, Any] | None = None, time_limit: float = 2.0,
                 environment: SandboxedEnvironment | None = None) -> None:
        """Run designer code in ``environment`` (the app passes an isolated one), else an in-process sandbox."""
        self._environment = environment or SandboxedEnvironment(helpers=helpers, time_limit=time_limit)

    # -- specs ---------------------------------------------------------------------------------

    @staticmethod
    def dump_spec(spec: Any, subprocess_specs: Mapping[str, Any]) -> str:
        """Serialize a parsed spec (and its called processes) once, for storage with the definition."""
        # The stock serializer writes the spec as part of a workflow: take those parts of an empty one.
        full = json.loads(_full_serializer.serialize_json(BpmnWorkflow(spec, dict(subprocess_specs))))
        return json.dumps({"spec": full["spec"], "subprocess_specs": full["subprocess_specs"]})

    @staticmethod
    def load_spec(spec_json: str) -> CompiledDefinition:
        """Restore spec objects from their stored form; callers cache the result per definition."""
        dct = json.loads(spec_json, cls=_serializer.json_decoder_cls)
        return CompiledDefinition(
            spec=_serializer.from_dict(dct["spec"]),
            subprocess_specs={name: _serializer.from_dict(s) for name, s in dct["subprocess_specs"].items()},
        )

    # -- lifecycle -----------------------------------------------------------------------------

    def create(self, compiled: CompiledDefinition, variables: Mapping[str, Any],
               service_caller: ServiceCaller | None = None) -> BpmnWorkflow:
        """Create a workflow with ``variables`` on its start task; :meth:`run` takes it to its first wait."""
        workflow = BpmnWorkflow(compiled.spec, compiled.subprocess_specs,
                                script_engine=self._script_engine(service_caller))
        start = workflow.get_tasks(state=TaskState.READY)[0]
        start.data.update(variables)
        return workflow

    def run(self, workflow: BpmnWorkflow) -> None:
        """Run every task that needs no person or timer, up to the next wait."""
        forget_survey(workflow)
        self._run(workflow.do_engine_steps)
        _check_depth(workflow)

    def load(self, compiled: CompiledDefinition, state_json: str,
             service_caller: ServiceCaller | None = None) -> BpmnWorkflow:
        """Restore a saved workflow around its definition's spec."""
        dct = _loads(state_json)
        _serializer.migrate(dct)
        workflow = _serializer.from_dict(dct, spec=compiled.spec, subprocess_specs=compiled.subprocess_specs)
        workflow.script_engine = self._script_engine(service_caller)
        return workflow

    @staticmethod
    def dump(workflow: BpmnWorkflow) -> str:
        """Serialize the workflow's state without its spec."""
        return _serialize(workflow)

    @classmethod
    def save(cls, workflow: BpmnWorkflow) -> Saved:
        """After a step: one walk of the tree finds the ready human tasks, whether the case is done and
        the finished branches to drop (:func:`_prune`); then the state is serialized once."""
        survey = take_survey(workflow)
        pruned = prune(workflow, survey.dead)
        ready = [_ready_task(task) for task in survey.ready]
        return Saved(cls.dump(workflow), ready, cls.next_timer_at(workflow), survey.completed, pruned)

    def complete(self, workflow: BpmnWorkflow, task_id: str, data: Mapping[str, Any]) -> None:
        """Complete a READY human task with ``data`` and run the engine to the next wait."""
        task = self._human_task(workflow, task_id)
        if task.state != TaskState.READY:
            # Spiff would mark a CANCELLED task COMPLETED if asked: never let it.
            raise TaskNotReady(f"task {task_id} is {TaskState.get_name(task.state).lower()}, not ready")
        forget_survey(workflow)
        task.set_data(**dict(data))
        self._run(task.run)
        self._run(workflow.do_engine_steps)
        _check_depth(workflow)

    def fire_timers(self, workflow: BpmnWorkflow) -> None:
        """Fire every timer that is due by the application clock and run on."""
        forget_survey(workflow)
        self._run(workflow.refresh_timers)
        self._run(workflow.do_engine_steps)
        _check_depth(workflow)

    def retry(self, workflow: BpmnWorkflow) -> None:
        """Run the failed tasks again (after an admin fixed the cause)."""
        forget_survey(workflow)
        for task in workflow.get_tasks(state=TaskState.ERROR, max_depth=_UNLIMITED):
            task._set_state(TaskState.READY)
        self._run(workflow.do_engine_steps)
        _check_depth(workflow)

    @staticmethod
    def cancel(workflow: BpmnWorkflow) -> None:
        """Cancel every unfinished task of the workflow."""
        workflow.cancel()
        forget_survey(workflow)

    # -- going back (退回 return, 撤回 withdraw) --------------------------------------------------

    @classmethod
    def earlier_human_tasks(cls, workflow: BpmnWorkflow, task_id: str) -> list[str]:
        """Completed human tasks on the path that led to ``task_id``, nearest first: where it may go back to."""
        task = cls._human_task(workflow, task_id)
        return [str(t.id) for t in ancestors(workflow, task)
                if getattr(t.task_spec, "manual", False) and t.state == TaskState.COMPLETED]

    @classmethod
    def human_tasks_after(cls, workflow: BpmnWorkflow, task_id: str) -> dict[str, str]:
        """Human tasks reached after ``task_id`` (called processes included): id → Spiff state name.
        Predicted tasks (future, likely, maybe) are not reached yet and left out."""
        task = cls._human_task(workflow, task_id)
        unreached = TaskState.PREDICTED_MASK | TaskState.FUTURE
        return {str(t.id): TaskState.get_name(t.state).lower() for t in descendants(workflow, task)
                if t is not task and getattr(t.task_spec, "manual", False) and not t.has_state(unreached)}

    def reset_to(self, workflow: BpmnWorkflow, task_id: str) -> list[str]:
        """Make a completed human task READY again with the data it was completed with, dropping every task
        that followed it; return the ids of the dropped tasks (then :meth:`run` to the next wait)."""
        task = self._human_task(workflow, task_id)
        if task.state != TaskState.COMPLETED:
            raise TaskNotReady(f"task {task_id} is {TaskState.get_name(task.state).lower()}, not completed")
        # Keep what the person entered, so the form reopens filled in (Spiff would take the parent's data).
        removed = workflow.reset_from_task_id(task.id, data=copy.deepcopy(task.data))
        forget_survey(workflow)
        # Spiff 3.2 leaves dropped timer/event tasks registered with the event manager; the next
        # refresh_timers would then update a task without a parent and fail.
        for gone in removed:
            workflow.top_workflow.event_manager.remove_task(gone)
        return [str(t.id) for t in removed]

    # -- reading -------------------------------------------------------------------------------

    @staticmethod
    def ready_human_tasks(workflow: BpmnWorkflow) -> list[ReadyTask]:
        """The READY user and manual tasks, subprocesses included."""
        return [_ready_task(task) for task in take_survey(workflow).ready]

    @staticmethod
    def is_completed(workflow: BpmnWorkflow) -> bool:
        """True when the workflow has reached its end: no task of it (or of a process it called) is unfinished.
        Spiff's own ``is_completed`` stops looking at depth 1000 and would say True for a deep loop."""
        return take_survey(workflow).completed

    @staticmethod
    def next_timer_at(workflow: BpmnWorkflow) -> datetime | None:
        """The earliest pending timer's due time, for the scheduler's scan."""
        due = []
        for event in workflow.waiting_events():
            value = event.value
            if isinstance(value, dict):  # cycle timers keep {"next": iso, ...}
                value = value.get("next")
            if isinstance(value, str):
                try:
                    due.append(clock.as_utc(datetime.fromisoformat(value)))
                except ValueError:
                    continue
        return min(due) if due else None

    @staticmethod
    def data(workflow: BpmnWorkflow) -> dict[str, Any]:
        """The case's variables: the workflow data merged with the last completed task's data."""
        merged = dict(workflow.data)
        last = workflow.last_task
        if last is not None:
            merged.update(last.data)
        return merged

    @staticmethod
    def step_states(workflow: BpmnWorkflow) -> dict[str, str]:
        """BPMN id → where the case stands on that element (completed, ready, waiting, error, cancelled), for
        the diagram; elements not reached yet are left out. A step passed several times (a loop, a 退回)
        shows its most pressing state."""
        rank = {"error": 5, "ready": 4, "waiting": 3, "completed": 2, "cancelled": 1}
        names = {TaskState.ERROR: "error", TaskState.READY: "ready", TaskState.STARTED: "ready",
                 TaskState.WAITING: "waiting", TaskState.COMPLETED: "completed", TaskState.CANCELLED: "cancelled"}
        # Steps whose every pass was pruned still show as passed (completed or cancelled).
        states: dict[str, str] = dict(getattr(workflow, PRUNED_STEPS, None) or {})
        for task in workflow.get_tasks(max_depth=_UNLIMITED):
            bpmn_id, state = getattr(task.task_spec, "bpmn_id", None), names.get(task.state)
            if bpmn_id and state and rank[state] > rank.get(states.get(bpmn_id, ""), 0):
                states[bpmn_id] = state
        return states

    @staticmethod
    def task_state(workflow: BpmnWorkflow, task_id: str) -> str:
        """The Spiff state name of a task (for sync and diagnostics)."""
        task = workflow.get_task_from_id(UUID(task_id))
        return TaskState.get_name(task.state).lower()

    # -- internals -----------------------------------------------------------------------------

    def _script_engine(self, service_caller: ServiceCaller | None) -> _ScriptEngine:
        return _ScriptEngine(self._environment, service_caller)

    @staticmethod
    def _human_task(workflow: BpmnWorkflow, task_id: str) -> Any:
        try:
            task = workflow.get_task_from_id(UUID(task_id))
        except (ValueError, KeyError, TypeError) as exc:
            raise UnknownTask(task_id) from exc
        if task is None or not getattr(task.task_spec, "manual", False):
            raise UnknownTask(task_id)
        return task

    @staticmethod
    def _run(step: Callable[[], Any]) -> None:
        try:
            step()
        except EngineError:
            raise
        except SpiffWorkflowException as exc:
            raise _engine_error(exc) from exc


def _ready_task(task: Any) -> ReadyTask:
    meta = human_task_meta(task.task_spec)
    return ReadyTask(id=str(task.id), name=task.task_spec.bpmn_id, title=meta["title"], lane=meta["lane"],
                     form=meta["form"], time_limit=meta["time_limit"], properties=meta["properties"],
                     data=task.data)


def _check_depth(workflow: BpmnWorkflow) -> None:
    """Stop a case whose task tree nears the depth Spiff can walk, before its next step is lost (the walk
    is kept for the save that follows)."""
    forget_survey(workflow)
    deepest = tree_depth(workflow)
    if deepest > MAX_TREE_DEPTH:
        raise EngineError(
            f"流程循环次数过多，任务树深度已达 {deepest} 层（上限 {MAX_TREE_DEPTH}），案件已停止以免丢失后续步骤；"
            f"请改用标准循环或为每一轮新建案件（the case looped too often: its task tree is {deepest} levels "
            f"deep, over the limit of {MAX_TREE_DEPTH}; it was stopped before the engine could lose its next "
            "step. Model repetition as a standard loop or one follow-up case per cycle)")


def _engine_error(exc: SpiffWorkflowException) -> EngineError:
    task = getattr(exc, "task", None)
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, EngineError):
        return cause
    message = str(exc)
    if cause is not None and str(cause) and str(cause) not in message:
        # Spiff's message for a failed expression is only "Error evaluating expression '...'".
        message += f" — {type(cause).__name__}: {cause}"
    notes = getattr(exc, "notes", None)
    if notes:
        message += " (" + "; ".join(notes) + ")"
    return EngineError(
        message,
        task_name=getattr(getattr(task, "task_spec", None), "bpmn_id", None),
        task_id=str(task.id) if task is not None else None,
    )
