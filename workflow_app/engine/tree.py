"""The task tree after a step: one walk for what the service layer needs, and pruning of the finished
rounds of standard loops (see :func:`_survey`). Part of the engine boundary: only ``runtime`` uses it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import StandardLoopTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState


@dataclass
class Survey:
    """What one walk of the task tree finds (see :func:`_survey`)."""

    ready: list[Any]  # the READY human tasks (Spiff tasks), in Spiff's own walk order
    completed: bool  # no task of the case (or a process it called) is unfinished
    depth: int  # how deep the deepest unfinished task sits (-1: none)
    dead: list[Any]  # finished branches hanging off a live path, not needed to go on or back


def ancestors(workflow: BpmnWorkflow, task: Any) -> Iterator[Any]:
    """The tasks above ``task``, nearest first, climbing out of called processes into their callers."""
    node = task
    while node is not None:
        parent = node.parent
        if parent is None and node.workflow.parent_task_id is not None:
            parent = workflow.get_task_from_id(node.workflow.parent_task_id)
        node = parent
        if node is not None:
            yield node


def descendants(workflow: BpmnWorkflow, task: Any) -> Iterator[Any]:
    """``task`` and every task below it, descending into the processes it called."""
    for node in task:
        yield node
        subprocess = workflow.subprocesses.get(node.id)
        if subprocess is not None:
            yield from descendants(workflow, subprocess.task_tree)


# The survey of the last step, kept on the workflow until it changes again (every change goes through the
# Engine, which takes a new survey after a step or forgets it), so the save does not walk the tree again.
_SURVEY = "_socorg_survey"
# BPMN id → state of the steps whose passes were pruned, kept with the state for the diagram.
PRUNED_STEPS = "_socorg_pruned_steps"
_UNFINISHED = TaskState.NOT_FINISHED_MASK
_DONE = TaskState.COMPLETED | TaskState.CANCELLED  # a task in ERROR is finished but waits for a retry


def take_survey(workflow: BpmnWorkflow) -> Survey:
    """The survey of the workflow as it is now: the one kept since its last change, or a new walk."""
    survey = getattr(workflow, _SURVEY, None)
    if survey is None:
        survey = _survey(workflow)
        setattr(workflow, _SURVEY, survey)
    return survey


def forget_survey(workflow: BpmnWorkflow) -> None:
    """Drop the kept survey: the workflow is about to change."""
    if hasattr(workflow, _SURVEY):
        delattr(workflow, _SURVEY)


def _survey(workflow: BpmnWorkflow) -> Survey:
    """One depth-first walk of the whole tree, called processes included, without Spiff's depth limit.

    Besides the ready human tasks (in the order Spiff's own iterator gives: a called process before
    the caller's children), whether anything is unfinished and how deep the deepest unfinished task
    sits, it finds the *dead* branches: the finished past rounds of a running standard loop. Each round
    is a child of the loop task, merged into it when it completes, and never read again: 退回 goes to
    an ancestor of an open task and 撤回 to a step whose next step is open, and a round is neither for
    the rounds after it. Kept anyway: a workflow's ``last_task`` (the case's data comes from it) and a
    round holding a call activity's task (its called process hangs on it).

    Other finished branches stay: Spiff reads the siblings of a boundary event's task when it resets to
    it, and the finished branches of a parallel split or multi-instance task when it joins or checks a
    completion condition; a gateway loop's passes are the ancestors of its open task.
    """
    keep = {flow.last_task.id for flow in (workflow, *workflow.subprocesses.values()) if flow.last_task is not None}
    ready: list[Any] = []
    dead: list[Any] = []
    deepest = -1
    live: dict[UUID, bool] = {}  # subtree (with called processes) holds unfinished work
    needed: dict[UUID, bool] = {}  # subtree must stay: live, or holding a kept task
    subprocesses = workflow.subprocesses
    stack: list[tuple[Any, int, bool]] = [(workflow.task_tree, 0, False)]
    while stack:
        task, depth, visited = stack.pop()
        children = task.children
        called = subprocesses.get(task.id)
        if not visited:
            if task.state & _UNFINISHED and depth > deepest:
                deepest = depth
            if task.state == TaskState.READY and getattr(task.task_spec, "manual", False):
                ready.append(task)
            stack.append((task, depth, True))
            stack.extend((child, depth + 1, False) for child in reversed(children))
            if called is not None:
                stack.append((called.task_tree, depth + 1, False))
            continue
        is_live = not task.state & _DONE or any(live[c.id] for c in children) or (
            called is not None and live[called.task_tree.id])
        live[task.id] = is_live
        needed[task.id] = is_live or called is not None or task.id in keep or any(needed[c.id] for c in children) \
            or (called is not None and needed[called.task_tree.id])
        if is_live and isinstance(task.task_spec, StandardLoopTask):
            dead.extend(child for child in children if not needed[child.id])
    return Survey(ready, deepest < 0, deepest, dead)


def prune(workflow: BpmnWorkflow, dead: list[Any]) -> dict[str, str]:
    """Take the dead branches out of the tree (they are never loaded or written again); keep each step's
    state for the diagram. Return the human tasks taken out: id → Spiff state name."""
    if not dead:
        return {}
    steps = getattr(workflow, PRUNED_STEPS, None)
    if steps is None:
        steps = {}
        setattr(workflow, PRUNED_STEPS, steps)
    humans: dict[str, str] = {}
    events = workflow.top_workflow.event_manager
    for branch in dead:
        flow = branch.workflow
        parent = branch.parent
        pending = [branch]
        while pending:
            task = pending.pop()
            pending.extend(task.children)
            bpmn_id, state = getattr(task.task_spec, "bpmn_id", None), TaskState.get_name(task.state).lower()
            if bpmn_id and steps.get(bpmn_id) != "completed":
                steps[bpmn_id] = state
            if getattr(task.task_spec, "manual", False):
                humans[str(task.id)] = state
            events.remove_task(task)
            flow.tasks.pop(task.id, None)
        if parent is not None:
            parent._children.remove(branch.id)
    forget_survey(workflow)
    return humans


def tree_depth(workflow: BpmnWorkflow) -> int:
    """How deep the deepest unfinished task sits, counting called processes as Spiff's iterator does."""
    return max(take_survey(workflow).depth, 0)
