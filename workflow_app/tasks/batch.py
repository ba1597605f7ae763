"""批量签收 and 批量办理: many tasks in one request, each in its own transaction and reported on separately.

A batch is a loop over the single-task operations of :class:`TaskService` — the same checks, the same audit
— so that one refused item (taken by a colleague meanwhile, a decision its form refuses) neither stops nor
undoes the others. Completion in bulk is for steps whose form needs nothing but a decision and an opinion
(:func:`batch_completable`, e.g. 即时报告 签收 or 注销 复核); any other step is refused item by item with a
message saying to work it alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from workflow_app.directory.models import User
from workflow_app.errors import DomainError, InvalidInput
from workflow_app.tasks.forms import OPINION_FIELD, Form, declared_fields
from workflow_app.tasks.service import TaskService

MAX_BATCH = 100
DECISION_FIELD = "decision"
BATCH_FIELDS = frozenset({DECISION_FIELD, OPINION_FIELD})


@dataclass(frozen=True)
class ItemResult:
    """What happened to one task of a batch: ``ok``, or the refusal's code, message and field errors."""

    task_id: str
    ok: bool
    title: str | None = None
    code: str | None = None
    status: int = 200
    message: str | None = None
    fields: dict[str, list[str]] = field(default_factory=dict)


class NotBatchable(DomainError):
    """The step's form asks for more than a decision and an opinion."""

    status = 422
    code = "not_batchable"


def batch_completable(form: Form) -> bool:
    """Whether a step may be completed in bulk: its form has a decision and requires nothing else besides
    the opinion (conditional fields a chosen decision requires are checked per item)."""
    required = set(form.schema.get("required") or [])
    return DECISION_FIELD in declared_fields(form.schema) and required <= BATCH_FIELDS


def task_ids(values: Sequence[Any]) -> list[str]:
    """The batch's task ids, each once and in order; more than :data:`MAX_BATCH` or none is refused."""
    unique = list(dict.fromkeys(str(value) for value in values))
    if not unique:
        raise InvalidInput("no task selected（请至少选择一件任务）", details={"fields": {"task_ids": ["请至少选择一件任务"]}})
    if len(unique) > MAX_BATCH:
        raise InvalidInput(f"at most {MAX_BATCH} tasks at once（一次最多 {MAX_BATCH} 件）",
                           details={"fields": {"task_ids": [f"一次最多选择 {MAX_BATCH} 件"]}})
    return unique


class BatchService:
    """Batch operations over one task service (its session is the request's)."""

    def __init__(self, tasks: TaskService) -> None:
        self.tasks = tasks

    def claim(self, user: User, ids: Sequence[Any]) -> list[ItemResult]:
        """批量签收: claim each task; the ones refused say why."""
        return [self._each(task_id, lambda task_id=task_id: self.tasks.claim(user, task_id).task.title)
                for task_id in task_ids(ids)]

    def complete(self, user: User, ids: Sequence[Any], decision: str, opinion: str | None) -> list[ItemResult]:
        """批量办理: complete each task with the same decision and opinion, when its step allows it."""

        def one(task_id: str) -> str:
            detail = self.tasks.detail(user, task_id)
            if not batch_completable(detail.form):
                raise NotBatchable(f"step {detail.task.name} needs more than a decision（此环节须逐件办理）")
            self.tasks.complete(user, task_id, {DECISION_FIELD: decision}, opinion)
            return detail.task.title

        return [self._each(task_id, lambda task_id=task_id: one(task_id)) for task_id in task_ids(ids)]

    def _each(self, task_id: str, action: Any) -> ItemResult:
        try:
            title = action()
        except DomainError as exc:
            self.tasks.session.rollback()
            return ItemResult(task_id, False, code=exc.code, status=exc.status, message=exc.message,
                              fields=dict((exc.details or {}).get("fields") or {}))
        return ItemResult(task_id, True, title=title)
