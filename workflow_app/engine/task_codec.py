"""Restoring a saved task tree faster than Spiff's stock converter, to the same objects.

Loading a case is most of what Spiff costs in a completion, and most of a load is turning each
saved task back into a ``Task`` (~30 tasks for a registration at review). Spiff's ``TaskConverter``
does it generically: the registry copies every task dict to drop its type name, each task's data
is rebuilt by ``DeepMerge.merge({}, parent.data)``, and every id string becomes a new ``UUID``
(an id appears up to four times: as the task's id, its key, its parent's child and its children's
parent). Here the same result comes from:

- ids parsed once per string (``UUID`` objects are immutable, so one object serves every mention);
- a parent's data copied the way ``DeepMerge.merge`` copies into an empty dict (each value as is,
  a dict, list or set shallow-copied) — it never finds a key already there;
- the registry asked to restore only what can hold a typed value (non-empty dicts and lists).

``tests/engine/test_task_codec.py`` checks that a tree restored this way saves back to the text
Spiff's converter restores it to.
"""

from __future__ import annotations

import functools
from copy import copy
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

__all__ = ["FastTaskConverter", "task_mapping", "uuid_of"]

_MUTABLE = (dict, list, set)


@functools.lru_cache(maxsize=16384)
def uuid_of(text: str) -> UUID:
    """The ``UUID`` of ``text``, one object per string (ids repeat within a tree and across loads)."""
    return UUID(text)


class FastTaskConverter(TaskConverter):
    """Spiff's ``TaskConverter`` with a leaner ``from_dict`` (same ``to_dict``)."""

    def from_dict(self, dct: dict[str, Any], workflow: Any) -> Task:
        spec = workflow.spec.task_specs.get(dct["task_spec"])
        task = self.target_class(workflow, spec, state=dct["state"], id=uuid_of(dct["id"]))
        parent = dct["parent"]
        task._parent = uuid_of(parent) if parent is not None else None
        task._children = [uuid_of(child) for child in dct["children"]]
        task.last_state_change = dct["last_state_change"]
        task.triggered = dct["triggered"]
        task.internal_data = self._restored(dct["internal_data"])
        if isinstance(spec, CatchingEvent) and task.has_state(TaskState.WAITING):
            task.workflow.top_workflow.event_manager.add_task(task)
        delta = dct.get("delta")
        parent_task = task.parent if delta else None  # restored before its children, as in Spiff
        if parent_task is not None:
            data = {key: copy(value) if isinstance(value, _MUTABLE) else value
                    for key, value in parent_task.data.items()}
            data.update(self._restored(delta.get("updates", {})))
            for key in delta.get("deletions", ()):
                data.pop(key, None)
        else:
            data = self._restored(dct["data"])
        task.data = data
        return task

    def _restored(self, values: dict[str, Any]) -> dict[str, Any]:
        """A task's data or internal data with typed values restored (a new dict, as the registry makes)."""
        restore = self.registry.restore
        return {key: restore(value) if isinstance(value, (dict, list)) and value else value
                for key, value in values.items()}


def task_mapping(registry: Any, tasks: dict[str, dict[str, Any]], *, workflow: Any) -> dict[UUID, Task]:
    """What Spiff's ``mapping_from_dict(tasks, UUID, workflow=workflow)`` returns, handing each plain task
    to its converter directly (the registry would first copy the dict to drop its type name)."""
    task_from_dict = registry.convert_from_dict["Task"]
    restore = registry.restore
    return {uuid_of(key): task_from_dict(dct, workflow=workflow) if dct.get("typename") == "Task"
            else restore(dct, workflow=workflow)
            for key, dct in tasks.items()}
