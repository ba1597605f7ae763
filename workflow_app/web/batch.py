"""批量办理 page: claim many unclaimed tasks of one's pool, or complete many held tasks of a step whose form
needs only a decision and an opinion. Each task is done (or refused) on its own; the page reports how many
went through and why each other one did not (post/redirect/get: a reload never repeats the batch)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from workflow_app import db
from workflow_app.errors import DomainError
from workflow_app.instances import disclosure
from workflow_app.instances.errors import TaskNotFound
from workflow_app.services import definition_service
from workflow_app.tasks.batch import DECISION_FIELD, MAX_BATCH, BatchService, ItemResult, batch_completable
from workflow_app.tasks.inbox import InboxQuery
from workflow_app.tasks.models import HumanTask, TaskStatus
from workflow_app.tasks.service import TaskService, task_service
from workflow_app.tasks.views import TaskView
from workflow_app.web.inbox import STAFF_WORKERS, query_text
from workflow_app.web.page_messages import chinese, for_page
from workflow_app.web.session import current_web_user, login_required

bp = Blueprint("web_batch", __name__, url_prefix="/tasks/batch")
SHOWN_FAILURES = 10


@dataclass(frozen=True)
class Step:
    """Held tasks of one step that may be completed together, and the decisions its form offers."""

    key: str
    title: str
    process_key: str
    tasks: list[HumanTask]
    decisions: list[tuple[str, str]]


def _decisions(view: TaskView) -> list[tuple[str, str]]:
    prop = (view.form.schema.get("properties") or {}).get(DECISION_FIELD) or {}
    labels = prop.get("x-labels") or {}
    return [(str(value), str(labels.get(value, value))) for value in prop.get("enum") or []]


def _steps(views: list[TaskView]) -> list[Step]:
    grouped: dict[str, list[TaskView]] = {}
    for view in views:
        if view.task.status is TaskStatus.CLAIMED and batch_completable(view.form):
            grouped.setdefault(f"{view.task.process_key}:{view.task.name}", []).append(view)
    return [Step(key, group[0].task.title, group[0].task.process_key, [v.task for v in group], _decisions(group[0]))
            for key, group in sorted(grouped.items())]


@bp.get("")
@login_required(*STAFF_WORKERS)
def index() -> ResponseReturnValue:
    """The unclaimed tasks of the caller's pool, and their held tasks grouped by batch-completable step."""
    user = current_web_user()
    service = task_service()
    process_key = query_text("process_key", 64)
    pool = service.inbox(user, InboxQuery(scope="group", process_key=process_key, per_page=MAX_BATCH))
    held = service.inbox(user, InboxQuery(scope="mine", status="claimed", process_key=process_key,
                                          per_page=MAX_BATCH))
    visible = disclosure.task_views(db.session(), user, [*pool.items, *held.items])
    return render_template("inbox/batch.html", pool=[v.task for v in visible[:len(pool.items)]],
                           steps=_steps(visible[len(pool.items):]), process_key=process_key,
                           processes={d.key: d.name for d in definition_service().list()})


@bp.post("/claim")
@login_required(*STAFF_WORKERS)
def claim() -> ResponseReturnValue:
    """批量签收 the ticked tasks."""
    user = current_web_user()
    service = task_service()
    try:
        results = BatchService(service).claim(user, request.form.getlist("task_ids"))
    except DomainError as exc:
        flash(for_page(exc), "error")
        return _back()
    _report(service, results, "签收")
    return _back()


@bp.post("/complete")
@login_required(*STAFF_WORKERS)
def complete() -> ResponseReturnValue:
    """批量办理 the ticked tasks of one step with one decision and one opinion."""
    user = current_web_user()
    service = task_service()
    decision = request.form.get("decision", "").strip()[:64]
    if not decision:
        flash("请选择办理结论", "error")
        return _back()
    try:
        results = BatchService(service).complete(user, request.form.getlist("task_ids"), decision,
                                                 request.form.get("opinion", "")[:4000])
    except DomainError as exc:
        flash(for_page(exc), "error")
        return _back()
    _report(service, results, "办理")
    return _back()


def _back() -> ResponseReturnValue:
    return redirect(url_for("web_batch.index", **request.args.to_dict()), code=303)


def _title(service: TaskService, task_id: str) -> str:
    """The task's title for a failure line, only when the caller may see the task."""
    user = current_web_user()
    try:
        return f"「{service.visible(user, task_id).title}」"
    except (TaskNotFound, DomainError):
        db.session().rollback()
        return "所选任务"


# Why a task of a batch was refused, by error code (the services speak English for some of these).
REASONS = {"task_claimed": "已被他人签收", "task_delegated": "已委派他人办理", "task_not_ready": "任务已办结或已取消",
           "task_not_found": "任务不存在，或您无权办理", "task_not_actionable": "您不在此任务的办理范围内",
           "version_conflict": "案件刚被他人处理，请刷新后重试",
           "not_batchable": "此环节的表单除结论和意见外还有其他必填项，请逐件办理"}


def _reason(result: ItemResult) -> str:
    if result.fields:
        return "；".join("、".join(messages) for messages in result.fields.values())
    return REASONS.get(result.code or "") or chinese(result.message or "", result.status)


def _report(service: TaskService, results: list[ItemResult], verb: str) -> None:
    done = [r for r in results if r.ok]
    failed = [r for r in results if not r.ok]
    if done:
        flash(f"已{verb} {len(done)} 件", "success")
    for result in failed[:SHOWN_FAILURES]:
        flash(f"{_title(service, result.task_id)}未能{verb}：{_reason(result)}", "error")
    if len(failed) > SHOWN_FAILURES:
        flash(f"另有 {len(failed) - SHOWN_FAILURES} 件未能{verb}", "error")

