"""The task page (办理): the form rendered from its JSON Schema, the operations the task service allows the
caller (签收, 提交, 退回, 转办, 委派, 抄送, 撤回, 催办, 批注) and the case around it.

Every operation calls the task service, as the API does. Refused input goes back to the task page
(post/redirect/get, 303) with what was typed and the messages kept once in the session, so a reload is
a harmless GET; only a form too large for the session cookie is answered in place (422). Refusals of
the operation itself (claimed by someone else, no longer ready) are flashed by the page error handler.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from marshmallow import Schema, ValidationError
from sqlalchemy import select

from workflow_app import db
from workflow_app.attachments.service import attachment_service
from workflow_app.casefile.reading import as_text
from workflow_app.directory.models import Role, User
from workflow_app.errors import Conflict, DomainError, InvalidInput
from workflow_app.instances import disclosure
from workflow_app.instances.models import AuditEvent, InstanceStatus, ProcessInstance
from workflow_app.tasks import returns
from workflow_app.tasks.errors import UrgeTooSoon
from workflow_app.tasks.models import OPEN_STATUSES, HumanTask, TaskStatus
from workflow_app.tasks.schemas import (
    CommentBodySchema,
    CompleteSchema,
    CopySchema,
    HandOverSchema,
    ReturnSchema,
    UrgeSchema,
    WithdrawSchema,
)
from workflow_app.tasks.service import task_service
from workflow_app.tasks.submit_label import submit_label
from workflow_app.tasks.views import TaskDetail
from workflow_app.tasks.visibility import APPLICANT_GROUP
from workflow_app.web import schema_form
from workflow_app.web.case_context import TASK_STATUS, calendar, case_view, people, time_left
from workflow_app.web.casefile import submission_views
from workflow_app.web.errors import flash_and_back
from workflow_app.web.inbox import WORKERS
from workflow_app.web.labels import GROUP_LABELS
from workflow_app.web.page_messages import for_page
from workflow_app.web.session import current_web_user, login_required

bp = Blueprint("web_task", __name__, url_prefix="/tasks")
FILES_PER_POST = 10  # a completion may carry this many files of the largest size (each is checked on its own)

# Operation forms: the API's body schemas, and what to say when a field is missing or malformed.
OPERATIONS: dict[str, tuple[Schema, dict[str, str]]] = {
    "return": (ReturnSchema(), {"opinion": "请填写退回意见", "to_task": "请选择退回的环节"}),
    "transfer": (HandOverSchema(), {"to": "请填写接收人的用户名", "opinion": "说明过长（最多 2000 字）"}),
    "delegate": (HandOverSchema(), {"to": "请填写接收人的用户名", "opinion": "说明过长（最多 2000 字）"}),
    "cc": (CopySchema(), {"to": "请填写抄送对象的用户名（多个用逗号分隔）", "opinion": "说明过长（最多 2000 字）"}),
    "comment": (CommentBodySchema(), {"text": "请填写批注内容（最多 2000 字）"}),
    "withdraw": (WithdrawSchema(), {"opinion": "说明过长（最多 2000 字）"}),
}
# The session key of a refused post's input and messages, read once by the next GET of the task page.
KEPT = "refused_task_form"
MAX_SESSION_COOKIE = 3600  # bytes: browsers drop cookies past 4 KB (and the session with them)
complete_schema = CompleteSchema()
urge_schema = UrgeSchema()
# Refusals of an operation itself (409 / 429), said in Chinese; the page handler flashes them.
REFUSALS = {
    "task_claimed": "此任务已由 {assignee} 签收办理，请刷新后查看",
    "task_delegated": "此任务是他人委派给您的：请办理（办理后回到委派人）或退还委派人",
    "task_not_ready": "此任务已办理或已取消，无需再操作",
    "not_withdrawable": "下一环节已开始办理，无法撤回；如需修改，请联系下一环节退回",
    "no_earlier_step": "没有可以退回的上一环节",
    "version_conflict": "案件刚被他人修改，请刷新页面后重试",
    "instance_not_running": "案件已办结或已撤销",
    "urge_rate_limited": "一小时内已催办过，请 {minutes} 分钟后再试",
}


@bp.errorhandler(Conflict)
@bp.errorhandler(UrgeTooSoon)
def refused(exc: DomainError) -> ResponseReturnValue:
    """Flash why the operation was refused, in Chinese, and go back to the page it came from."""
    db.session().rollback()
    assignee = exc.details.get("assignee")
    text = REFUSALS.get(exc.code, for_page(exc)).format(
        assignee=people(db.session(), [assignee]).get(assignee, assignee) if assignee else "他人",
        minutes=max(1, -(-int(exc.details.get("retry_after", 60)) // 60)))
    return flash_and_back(text, url_for("web_inbox.index"))


@bp.url_value_preprocessor
def _room_for_files(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """A completion may carry files: raise the body limit before anything reads the body (this runs before
    every before_request, and the CSRF check there reads it)."""
    if endpoint in ("web_task.complete", "web_task.withdraw_file"):  # 撤回 posts the same form
        request.max_content_length = FILES_PER_POST * int(current_app.config["MAX_ATTACHMENT_BYTES"]) + 1024 * 1024


@bp.get("/<task_id>")
@login_required(*WORKERS)
def show(task_id: str) -> ResponseReturnValue:
    """The task with its form (editable when the caller may complete it), actions and case; after a
    refused post, once, with what was typed and the messages."""
    detail = task_service().detail(current_web_user(), task_id)
    kept = session.pop(KEPT, None)
    if isinstance(kept, dict) and kept.get("task_id") == task_id:
        return _page(detail, **{k: v for k, v in kept.items() if k != "task_id"})
    return _page(detail)


@bp.get("/<task_id>/<operation>")
@login_required(*WORKERS)
def reopened(task_id: str, operation: str) -> ResponseReturnValue:
    """A form's address opened or reloaded as a page (bookmark, history): the task page it belongs to."""
    return redirect(url_for("web_task.show", task_id=task_id), 303)


def _refused(detail: TaskDetail, **kept: Any) -> ResponseReturnValue:
    """Back to the task page (303) with the input and messages kept for its next GET; in place (422) when
    they would not fit in the session cookie (a 撤回 of a file keeps the input this way too)."""
    task_id = detail.task.id
    kept = {k: v for k, v in kept.items() if v}
    serializer = current_app.session_interface.get_signing_serializer(current_app)  # type: ignore[attr-defined]
    if serializer is not None and len(serializer.dumps({**session, KEPT: kept})) <= MAX_SESSION_COOKIE:
        session[KEPT] = {"task_id": task_id, **kept}
        return redirect(url_for("web_task.show", task_id=task_id), 303)
    return _page(detail, status=200 if kept.get("dirty") else 422, **kept)  # dirty: a 撤回, which was done


@bp.post("/<task_id>/complete")
@login_required(*WORKERS)
def complete(task_id: str) -> ResponseReturnValue:
    """提交: the form data go to the task service; refused fields come back in place with what was typed."""
    user, service = current_web_user(), task_service()
    detail = service.detail(user, task_id)
    fields = schema_form.build(detail.form.schema)
    data, shown = schema_form.parse(fields, request.form)
    opinion = request.form.get("opinion")
    strangers = schema_form.unknown_names(fields, request.form)
    if strangers:
        return _refused(detail, shown=shown, opinion=opinion,
                        general=["提交的内容含有本表单没有的字段：" + "、".join(strangers[:20])])
    refused = _store_files(user, task_id, fields, data, shown)
    if refused:
        return _refused(detail, shown=shown, opinion=opinion, form_errors=refused)
    # 委派: a delegate's completion goes back to the delegator (read now: the service refreshes the row).
    delegator = detail.task.delegated_from if detail.task.assignee == user.username else None
    try:
        body = complete_schema.load({"data": data, "opinion": opinion or None})
        result = service.complete(user, task_id, body["data"], body.get("opinion"))
    except ValidationError:
        return _refused(detail, shown=shown, opinion=opinion, general=["填写的内容含有不允许的字符"])
    except InvalidInput as exc:
        db.session().rollback()
        return _refused(detail, shown=shown, opinion=opinion, form_errors=exc.details.get("fields") or {},
                        general=[] if exc.details.get("fields") else [for_page(exc)])
    if delegator:
        name = people(db.session(), [delegator]).get(delegator, delegator)
        flash(f"已办理「{detail.task.title}」，任务已交回 {name} 确认", "success")
        return redirect(url_for("web_inbox.index"))
    mine = [t.task for t in result.next_tasks
            if t.task.assignee == user.username or (t.task.assignee is None and service.in_pool(user, t.task))]
    flash(f"已提交「{detail.task.title}」。" + _where_now(detail.task.instance_id), "success")
    if mine:
        return redirect(url_for("web_task.show", task_id=mine[0].id))
    return redirect(url_for("web_inbox.index"))


@bp.post("/<task_id>/files/<attachment_id>/withdraw")
@login_required(*WORKERS)
def withdraw_file(task_id: str, attachment_id: str) -> ResponseReturnValue:
    """撤回 a file one uploaded by mistake: its place in the field's count is free again. The task form's
    撤回 button posts the whole form here, so what was typed comes back, without the file."""
    user = current_web_user()
    withdrawn = attachment_service().withdraw(user, attachment_id, task_id=task_id)
    chosen = any(f.filename for _name, f in request.files.items(multi=True))  # a 撤回 uploads nothing
    flash(f"已撤回附件「{withdrawn.filename}」，可以重新上传" + ("；刚才选择的文件尚未上传，请重新选择" if chosen else ""),
          "success")
    if request.form.get("withdraw") != attachment_id:  # not the task form's button: nothing typed to keep
        return redirect(url_for("web_task.show", task_id=task_id), 303)
    detail = task_service().detail(user, task_id)
    _data, shown = schema_form.parse(schema_form.build(detail.form.schema), request.form)
    if isinstance(shown.get(withdrawn.field), list):
        shown[withdrawn.field] = [i for i in shown[withdrawn.field] if i != attachment_id]
    return _refused(detail, shown=shown, opinion=request.form.get("opinion"), dirty=True)


@bp.post("/<task_id>/claim")
@login_required(*WORKERS)
def claim(task_id: str) -> ResponseReturnValue:
    """签收."""
    task_service().claim(current_web_user(), task_id)
    flash("已签收，请办理", "success")
    return redirect(url_for("web_task.show", task_id=task_id))


@bp.post("/<task_id>/unclaim")
@login_required(*WORKERS)
def unclaim(task_id: str) -> ResponseReturnValue:
    """Release a held task (a delegate gives it back to the delegator)."""
    view = task_service().unclaim(current_web_user(), task_id)
    flash("已退还委派人" if view.task.assignee else "已释放，同组同事可以签收", "success")
    return redirect(url_for("web_inbox.index"))


@bp.post("/<task_id>/<operation>")
@login_required(*WORKERS)
def operate(task_id: str, operation: str) -> ResponseReturnValue:
    """退回 / 转办 / 委派 / 抄送 / 批注 / 撤回 (and 催办), each checked like its API body first."""
    if operation == "urge":
        return _urge(task_id)
    if operation not in OPERATIONS:
        return render_template("errors/error.html", status=404, title="页面不存在", message="没有这个操作。"), 404
    user, service = current_web_user(), task_service()
    detail = service.detail(user, task_id)
    typed = {k: v for k, v in request.form.items() if k != "csrf_token"}
    schema, messages = OPERATIONS[operation]
    body = {k: (v.strip() or None) for k, v in typed.items() if k in schema.fields}
    if operation == "cc":
        body["to"] = [n for n in re.split(r"[\s,，、;；]+", typed.get("to", "")) if n]
    for required in ("text", "opinion") if operation in ("comment", "return") else ():
        if required in schema.fields:  # missing text: the schema's own "required" message
            body[required] = body.get(required) or ""
    try:
        body = schema.load(body)
        outcome = _run(operation, user, task_id, body)
    except ValidationError as exc:
        errors = {name: [messages.get(name, "填写有误")] for name in exc.messages}
        return _refused(detail, op=operation, op_values=typed, op_errors=errors)
    except InvalidInput as exc:
        db.session().rollback()
        errors = {name: [_op_message(operation, exc, detail)] for name in (exc.details.get("fields") or {"": []})}
        return _refused(detail, op=operation, op_values=typed, op_errors=errors)
    flash(outcome, "success")
    if operation in ("return", "transfer", "delegate"):
        return redirect(url_for("web_inbox.index"))
    return redirect(url_for("web_task.show", task_id=task_id) + ("#comments" if operation == "comment" else ""))


def _run(operation: str, user: User, task_id: str, body: dict[str, Any]) -> str:
    """Call the task service; the flash message of the outcome."""
    service = task_service()
    if operation == "return":
        result = service.return_to(user, task_id, body["opinion"], body.get("to_task"))
        event = db.session().scalars(select(AuditEvent).where(  # the completion lists only steps I may see
            AuditEvent.task_id == task_id, AuditEvent.action == "return").order_by(AuditEvent.id.desc())).first()
        back = event.details.get("to_title") if event is not None else None
        return f"已退回{f'至「{back}」' if back else ''}。" + _where_now(result.task.task.instance_id)
    if operation in ("transfer", "delegate"):
        act = service.transfer if operation == "transfer" else service.delegate
        view = act(user, task_id, body["to"], body.get("opinion"))
        name = people(db.session(), [view.task.assignee]).get(view.task.assignee, view.task.assignee)
        return f"已转办给 {name}" if operation == "transfer" else f"已委派给 {name}，办理后将回到您的待办"
    if operation == "cc":
        copied = service.copy(user, task_id, body["to"], body.get("opinion"))
        names = people(db.session(), copied.cc)
        return "已抄送给 " + "、".join(names.get(n, n) for n in copied.cc)
    if operation == "comment":
        service.comment(user, task_id, body["text"])
        return "批注已添加"
    service.withdraw(user, task_id, body.get("opinion"))
    return "已撤回，该环节已回到您的待办"


def _urge(task_id: str) -> ResponseReturnValue:
    """催办 by the case's starter, who may not see the task itself: back to the page it was asked from."""
    back = request.referrer or url_for("web_inbox.index")
    try:
        body = urge_schema.load({"message": request.form.get("message", "").strip() or None})
    except ValidationError:
        flash("留言过长（最多 500 字）", "error")
        return redirect(back)
    urged = task_service().urge(current_web_user(), task_id, body.get("message"))
    flash(f"已催办「{urged.task.task.title}」（已通知 {len(urged.recipients)} 人）", "success")
    return redirect(back)


def _store_files(user: User, task_id: str, fields: list[schema_form.Field], data: dict[str, Any],
                 shown: dict[str, Any]) -> dict[str, list[str]]:
    """Upload the files posted to attachment fields (through the attachment service, one by one) and add
    their ids to the data; the refusals by field (files stored before a refusal stay attached)."""
    refused: dict[str, list[str]] = {}
    for item in (f for f in fields if f.kind == "attachments"):
        for file in request.files.getlist(item.name):
            if not file.filename and not file.content_length:
                continue  # a file input left empty
            try:
                attachment = attachment_service().upload(user, task_id, item.key, file.filename, file.stream)
            except InvalidInput as exc:
                db.session().rollback()
                found = (exc.details.get("fields") or {}).get(item.key) or [exc.message]
                refused.setdefault(item.name, []).extend(f"{file.filename}：{m}" for m in found)
                continue
            for target in (data, shown):
                target[item.key] = [*target.get(item.key, []), attachment.id]
    return refused


def _attach_files(user: User, task: HumanTask, fields: list[schema_form.Field], shown: dict[str, Any],
                  editable: bool) -> None:
    """Give each attachment field its files: those uploaded to this task, and those its value names; and,
    when the caller may work the task, which of them they may withdraw (撤回)."""
    items = [f for f in fields if f.kind == "attachments"]
    if not items:
        return
    service = attachment_service()
    own = service.of_task(task.id)
    named = service.named(user, [i for f in items for i in shown.get(f.key) or [] if isinstance(i, str)])
    withdrawable = service.withdrawable(user, task, own) if editable else set()
    for item in items:
        files = {a.id: a for a in own if a.field == item.key}
        files.update({i: named[i] for i in shown.get(item.key) or [] if i in named})
        item.files = list(files.values())
        item.withdrawable = {i for i in files if i in withdrawable}


def _where_now(instance_id: str) -> str:
    """Where the case stands after a change, for the flash message."""
    session = db.session()
    session.expire_all()
    open_tasks = list(session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.status.in_(OPEN_STATUSES)).order_by(HumanTask.created_at)))
    if open_tasks:
        return "案件当前环节：" + "、".join(f"{t.title}（{GROUP_LABELS.get(t.candidate_group or '', '')}）"
                                          for t in open_tasks)
    instance = session.get(ProcessInstance, instance_id)
    return "案件已办结。" if instance is not None and instance.status is InstanceStatus.COMPLETED else ""


def _op_message(operation: str, exc: InvalidInput, detail: TaskDetail) -> str:
    """The service's refusal of an operation's input, in Chinese."""
    fields = exc.details.get("fields") or {}
    named = "、".join(str(v).split(": ")[-1] for v in fields.get("to", []))
    if exc.code == "unknown_user":
        return f"没有这个在用账号：{named}"
    if exc.code == "user_not_eligible" and operation == "cc":
        return f"只能抄送给本案件所在区划的工作人员或上级监督人，以下用户不能接收：{named}"
    if exc.code == "user_not_eligible":
        return "该用户不能接收此任务：须为本任务所在区划的人员（转办须同组），且不能是自己"
    if exc.code == "invalid_return_target":
        return "只能退回至此前办理过的环节：" + "、".join(_return_titles(detail, exc))
    return for_page(exc)


def _return_titles(detail: TaskDetail, exc: InvalidInput) -> list[str]:
    allowed = exc.details.get("fields", {}).get("to_task") or []
    titles = dict(db.session().execute(select(HumanTask.name, HumanTask.title).where(
        HumanTask.instance_id == detail.task.instance_id)).all())
    return [titles.get(a, a) for a in allowed] or ["（无）"]


def _return_targets(detail: TaskDetail) -> list[tuple[str, str]]:
    """Earlier steps of the case (BPMN id, title), latest first; the service decides which are allowed."""
    rows = db.session().execute(select(HumanTask.name, HumanTask.title).where(
        HumanTask.instance_id == detail.task.instance_id, HumanTask.status == TaskStatus.COMPLETED,
        HumanTask.name != detail.task.name).order_by(HumanTask.completed_at.desc())).all()
    return list(dict.fromkeys(rows))


def _colleagues(task: HumanTask, me: str) -> list[User]:
    """Suggestions for 转办 / 委派 / 抄送: the people of the task's region (or organization)."""
    query = select(User).where(User.active.is_(True), User.username != me)
    if task.candidate_group == APPLICANT_GROUP:
        query = query.where(User.organization_id == task.organization_id)
    else:
        query = query.where(User.region_code == task.region_code, User.role.in_((Role.CASEWORKER, Role.SUPERVISOR)))
    return list(db.session().scalars(query.order_by(User.username).limit(100)))


def _page(detail: TaskDetail, *, shown: dict[str, Any] | None = None, opinion: str | None = None,
          form_errors: dict[str, list[str]] | None = None, general: list[str] | None = None, op: str | None = None,
          op_values: dict[str, str] | None = None, op_errors: dict[str, list[str]] | None = None,
          dirty: bool = False, status: int = 200) -> ResponseReturnValue:
    """Render the task page (after a refused post: with what was typed and the messages; ``dirty``: what
    was typed is shown, not submitted, so leaving the page asks first)."""
    user = current_web_user()
    detail = disclosure.task_detail(db.session(), user, detail)  # an organization reads only its part
    task = detail.task
    case = case_view(user, detail.instance, detail.variables)
    fields = schema_form.build(detail.form.schema)
    form_errors = form_errors or {}
    if shown is None:
        answered = (detail.delegation or {}).get("result")
        if task.status is TaskStatus.COMPLETED or answered:
            # What was submitted (or what the delegate answered, for the delegator to confirm), decision included.
            done = [e for e in case.events if e.task_id == task.id and e.action in ("complete", "delegate_complete")]
            source = (done[-1].details.get("data") or {}) if done else {}
            opinion = done[-1].opinion if done else None
            shown = {f.key: schema_form.display(f, source[f.key]) for f in fields if f.key in source}
        else:
            shown = schema_form.initial_values(fields, detail.variables)
    else:
        shown = dict(shown)  # what was typed, kept over a refused post; never sent back for read-only fields
    for item in fields:  # read-only fields always show the case's value
        if item.kind == "readonly":
            shown[item.key] = schema_form.display(item, detail.variables.get(item.key))
    schema_form.fill(fields, shown, form_errors)
    _attach_files(user, task, fields, shown, "complete" in detail.actions)
    known = {f.name for f in fields} | {c.name for f in fields for row in f.rows for c in row} | {"opinion"}
    general = (general or []) + [f"{k}：{schema_form.chinese(m)}" if k != "data" else schema_form.chinese(m)
                                 for k, ms in form_errors.items() if k not in known for m in ms]
    comments = task_service().comments(user, task.id, 1, 200).items
    reopening = returns.last_reopening(case.events, task)
    return render_template(
        "inbox/task.html", detail=detail, task=task, case=case, fields=fields, general=general,
        actions=set(detail.actions), editable="complete" in detail.actions, dirty=dirty,
        opinion_box=detail.form.is_decision and not detail.form.has_opinion_field, opinion=opinion or "",
        opinion_errors=schema_form.messages(form_errors.get("opinion", [])),
        left=time_left(task.due_at, calendar()) if task.status.is_open else None,
        status_label=TASK_STATUS.get(task.status, task.status.value), group=GROUP_LABELS.get(task.candidate_group or ""),
        comments=comments, names=people(db.session(), [task.assignee, task.delegated_from, task.completed_by,
                                                        *detail.cc, *(c.author for c in comments)]) | case.names,
        targets=_return_targets(detail) if "return" in detail.actions else [],
        colleagues=_colleagues(task, user.username) if {"transfer", "delegate", "cc"} & set(detail.actions) else [],
        op=op, op_values=op_values or {}, op_errors=op_errors or {}, as_text=as_text,
        submissions=[v for v in submission_views(user, task.instance_id) if v.submission.task_id != task.id],
        case_files=attachment_service().of_case(user, task.instance_id),
        sent_back=None if reopening is None else case.history[reopening],
        submit_label=submit_label(detail.form, task.title, detail.instance.definition.task_meta.get(task.name)),
    ), status
