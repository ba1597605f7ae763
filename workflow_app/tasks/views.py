"""What the task service answers with: a task and its form, a task's detail, the outcome of an operation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from workflow_app.instances.models import ProcessInstance
from workflow_app.tasks.forms import Form
from workflow_app.tasks.models import HumanTask


@dataclass(frozen=True)
class TaskView:
    """A task with its form, as the API shows it."""

    task: HumanTask
    form: Form


@dataclass(frozen=True)
class TaskDetail:
    """A task, its case and the data its form opens with; what the caller may do with it."""

    task: HumanTask
    form: Form
    instance: ProcessInstance
    variables: dict[str, Any]
    actions: list[str]
    cc: list[str]
    delegation: dict[str, Any] | None = None


@dataclass(frozen=True)
class Completion:
    """The task acted on, and the tasks that are ready now because of it (those the caller may see)."""

    task: TaskView
    next_tasks: list[TaskView] = field(default_factory=list)


@dataclass(frozen=True)
class CopyResult:
    """The copied task and everyone it is copied to now."""

    task: TaskView
    cc: list[str]


@dataclass(frozen=True)
class UrgeResult:
    """Who was reminded, and when the next reminder is allowed."""

    task: TaskView
    urged_at: datetime
    recipients: list[str]
    next_allowed_at: datetime
