"""Moving a loaded workflow onto another version of its process (instance migration).

The old version's task specs are matched with the new one's by BPMN id; an explicit ``renames`` map
(old id → new id) names the counterpart of a step the designer renamed. Every task that waits
(READY or WAITING) is then reset in place on the new spec — same task id, its data kept — so its future
is predicted from the new version; a waiting timer starts again from the move. The move is refused
(with every reason) when a task left in the case's tree has no counterpart in the new version: the case
could not be saved and loaded on it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from workflow_app.engine.runtime import _UNLIMITED, CompiledDefinition

_WAITING = TaskState.READY | TaskState.WAITING | TaskState.STARTED


@dataclass(frozen=True)
class Obstacle:
    """Why a case cannot move: a step of it (``active``: one it waits at) missing from the new version."""

    bpmn_id: str
    title: str
    active: bool

    def message(self, version: int) -> str:
        """The reason in Chinese, for the dry run and the refusal."""
        where = "当前所在环节" if self.active else "已经过的环节"
        return f"{where}「{self.title}」（{self.bpmn_id}）在第 {version} 版中不存在，且未指定对应环节"


def active_steps(workflow: BpmnWorkflow) -> list[tuple[str, str]]:
    """(BPMN id, name) of the elements the case waits at (tasks ready or waiting, called processes included)."""
    seen: dict[str, str] = {}
    for task in workflow.get_tasks(state=_WAITING, max_depth=_UNLIMITED):
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if bpmn_id:
            seen.setdefault(bpmn_id, task.task_spec.bpmn_name or bpmn_id)
    return sorted(seen.items())


def migrate(workflow: BpmnWorkflow, target: CompiledDefinition,
            renames: Mapping[str, str] | None = None) -> list[Obstacle]:
    """Re-point ``workflow`` (in place) at ``target``'s spec; return the obstacles, leaving the workflow
    unusable when there are any (callers move a freshly loaded copy and discard it then)."""
    found: list[Obstacle] = []
    found += _migrate_one(workflow, target.spec, renames or {})
    for sub in workflow.subprocesses.values():
        spec = target.subprocess_specs.get(sub.spec.name)
        if spec is None:
            found += [_obstacle(t) for t in sub.get_tasks(max_depth=_UNLIMITED) if _is_step(t)]
        else:
            found += _migrate_one(sub, spec, renames or {})
    unique: dict[str, Obstacle] = {}
    for obstacle in found:  # one line per element: where the case waits outranks where it passed
        if obstacle.bpmn_id not in unique or obstacle.active:
            unique[obstacle.bpmn_id] = obstacle
    return sorted(unique.values(), key=lambda o: (not o.active, o.bpmn_id))


def _migrate_one(workflow: Any, spec: Any, renames: Mapping[str, str]) -> list[Obstacle]:
    # By id only (Spiff's SpecDiff would also guess a renamed step from its neighbours: a designer says so
    # explicitly here instead).
    workflow.spec = spec
    for task in workflow.tasks.values():
        new = spec.task_specs.get(_renamed(task.task_spec.name, renames) or task.task_spec.name)
        if new is not None:
            task.task_spec = new
    removed: list[Any] = []
    for task in list(workflow.get_tasks(state=TaskState.READY | TaskState.WAITING, skip_subprocesses=True,
                                        max_depth=_UNLIMITED)):
        if task.id in workflow.tasks and spec.task_specs.get(task.task_spec.name) is task.task_spec:
            removed += task.reset_branch(copy.deepcopy(task.data))  # keep what the step holds
    for gone in removed:
        # As in Engine.reset_to: Spiff leaves dropped timer tasks registered with the event manager.
        workflow.top_workflow.event_manager.remove_task(gone)
    if workflow.last_task is not None and workflow.last_task.id not in workflow.tasks:
        workflow.last_task = None
    return [_obstacle(t) for t in workflow.tasks.values()
            if spec.task_specs.get(t.task_spec.name) is not t.task_spec]


def _renamed(name: str, renames: Mapping[str, str]) -> str | None:
    """The new name of a spec: its element renamed, or a helper spec Spiff derives from an element's id
    (``review.BoundaryEventSplit``) renamed with its element."""
    if name in renames:
        return renames[name]
    element, dot, suffix = name.partition(".")
    return f"{renames[element]}.{suffix}" if dot and element in renames else None


def _is_step(task: Any) -> bool:
    return bool(getattr(task.task_spec, "bpmn_id", None))


def _obstacle(task: Any) -> Obstacle:
    spec = task.task_spec
    bpmn_id = getattr(spec, "bpmn_id", None)
    title = getattr(spec, "bpmn_name", None)
    if not bpmn_id:  # a helper spec of an element (boundary split/join): name the element
        bpmn_id = spec.name.partition(".")[0]
        owner = spec._wf_spec.task_specs.get(bpmn_id) if hasattr(spec, "_wf_spec") else None
        title = getattr(owner, "bpmn_name", None)
    return Obstacle(bpmn_id=bpmn_id, title=title or bpmn_id, active=task.has_state(_WAITING))
