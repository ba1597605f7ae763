"""The task inbox and the approval operations on one task: 签收 claim, 办理 complete, 委派 delegate,
转办 transfer, 退回 return, 撤回 withdraw, 抄送 copy, 催办 urge, and comments.

Who may do what (the SQL rules are in :mod:`workflow_app.tasks.visibility`):

- a task the caller may not see does not exist for them (404);
- working on a task (claim, complete, delegate, transfer, return, copy) needs the task to be held by
  the caller, or unclaimed and in their pool (their group in the task's region; for applicants
  their organization's applicant-lane tasks); admins work on any task. Seeing without that is 403;
  a task another person holds is 409;
- 委派: the delegate completes for the delegator: their data and opinion go to the audit trail and
  the task comes back to the delegator, who completes it for real (or the delegate declines by
  releasing it). 转办 hands the task over for good, to someone of its pool;
- 撤回 is for whoever completed the step; 催办 for the case's starter and the supervisors who see the
  task (once an hour per task).

Engine-touching operations (complete, return, withdraw) go through
:class:`~workflow_app.instances.service.InstanceService`, which re-checks the caller inside its
transaction after locking the case; the others lock the case the same way here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from workflow_app import clock, db
from workflow_app.attachments.references import reference_errors
from workflow_app.db import unit_of_work
from workflow_app.directory.models import Role, User
from workflow_app.documents.context import authority_name
from workflow_app.instances import audit
from workflow_app.instances.disclosure import comment_visible
from workflow_app.instances.errors import TaskNotFound, TaskNotReady
from workflow_app.instances.models import AuditEvent, ProcessInstance
from workflow_app.instances.service import InstanceService
from workflow_app.tasks import inbox
from workflow_app.tasks.errors import (
    FormInvalid,
    NotActionable,
    NotWithdrawable,
    TaskClaimed,
    UserNotEligible,
)
from workflow_app.tasks.forms import OPINION_FIELD, Form, FormCatalog, app_catalog
from workflow_app.tasks.models import HumanTask, TaskComment, TaskCopy, TaskStatus, TaskUrge
from workflow_app.tasks.rules import URGE_INTERVAL, TaskRules, viewer_reads
from workflow_app.tasks.views import Completion, CopyResult, TaskDetail, TaskView, UrgeResult
from workflow_app.tasks.visibility import APPLICANT_GROUP, Viewer, instance_in_office, task_visible


class TaskService(TaskRules):
    """Inbox queries and task operations for the users of one session."""

    def __init__(self, session: Session, instances: InstanceService, forms: FormCatalog,
                 count_cap: int = inbox.COUNT_CAP) -> None:
        self.session = session
        self.instances = instances
        self.forms = forms
        self.count_cap = max(count_cap, 1)  # the inbox's counts read at most this many rows (+1)

    # -- queries -------------------------------------------------------------------------------

    def inbox(self, user: User, query: inbox.InboxQuery) -> inbox.Page[TaskView]:
        """One page of the caller's inbox tab, filtered and sorted in SQL."""
        total_statement, page_statement = inbox.statements(Viewer.of(user), inbox.Shape.of(query))
        values = inbox.parameters(query, clock.now(), self.count_cap)
        total, total_capped = inbox.capped(self.session.scalar(total_statement, values) or 0, values["count_limit"])
        rows = self.session.execute(page_statement, values).all()
        items = [TaskView(row, self._form(row, definition_id)) for row, definition_id in rows]
        return inbox.Page(items, total, query.page, query.per_page, total_capped)

    def counts(self, user: User) -> dict[str, Any]:
        """Open tasks per inbox tab {mine, group, all, overdue}, every copy to the caller (cc), and the
        tasks they completed (done, 已办); each exact up to the cap, else the cap and named in ``capped``."""
        limit = self.count_cap + 1
        row = self.session.execute(inbox.counts_statement(Viewer.of(user)), {"now": clock.now(), "count_limit": limit}).one()
        found: dict[str, Any] = {}
        names = []
        for name, value in row._mapping.items():
            found[name], is_capped = inbox.capped(int(value or 0), limit)
            if is_capped:
                names.append(name)
        found["capped"] = names
        return found

    def detail(self, user: User, task_id: str) -> TaskDetail:
        """The task with its case summary, form data, copies and the operations open to the caller."""
        row = self.visible(user, task_id)
        instance = self.session.get(ProcessInstance, row.instance_id)
        variables = self.instances.task_data(instance, row.id)
        cc = list(self.session.scalars(select(TaskCopy.username).where(TaskCopy.task_id == row.id)
                                       .order_by(TaskCopy.id)))
        return TaskDetail(row, self._form(row, instance.definition_id), instance, variables,
                          self._actions(user, row, instance), cc, self._delegation(row))

    def comments(self, user: User, task_id: str, page: int, per_page: int) -> inbox.Page[TaskComment]:
        """The task's comments, oldest first."""
        row = self.visible(user, task_id)
        where = (TaskComment.task_id == row.id) & comment_visible(user)
        total = self.session.scalar(select(func.count()).select_from(TaskComment).where(where)) or 0
        items = list(self.session.scalars(select(TaskComment).where(where).order_by(TaskComment.id)
                                          .limit(per_page).offset((page - 1) * per_page)))
        return inbox.Page(items, total, page, per_page)

    # -- claiming --------------------------------------------------------------------------------

    def claim(self, user: User, task_id: str) -> TaskView:
        """签收: take an unclaimed task of the caller's pool (idempotent for its holder)."""
        _row, _definition_id, guard = self.working(user, task_id)
        with unit_of_work(self.session):
            row, instance = self.instances.lock_task(task_id)
            guard(row)  # open, and held by the caller or free in their pool
            if row.assignee != user.username:
                row.assignee, row.status = user.username, TaskStatus.CLAIMED
                audit.record(self.session, instance.id, action="claim", actor=user.username, task_id=row.id,
                             task_name=row.title)
        return self.view(row)

    def unclaim(self, user: User, task_id: str) -> TaskView:
        """Release a held task to its pool; a delegate releasing it declines, and it goes back to the delegator."""
        _row, _definition_id, eligible = self.visible_to_work(user, task_id)
        with unit_of_work(self.session):
            row, instance = self.instances.lock_task(task_id)
            if not row.status.is_open:
                raise TaskNotReady(f"task {task_id} is already {row.status.value}")
            if row.assignee is None:
                if not eligible:
                    raise NotActionable("you can see this task but not work on it")
                return self.view(row)
            if row.assignee != user.username and user.role is not Role.ADMIN:
                raise NotActionable(f"only {row.assignee}, who holds the task, (or an admin) can release it")
            action, details = "unclaim", {"from": row.assignee}
            if row.delegated_from:
                action, details = "delegate_decline", {"from": row.assignee, "to": row.delegated_from}
                row.assignee, row.delegated_from = row.delegated_from, None
            else:
                row.assignee, row.status = None, TaskStatus.READY
            audit.record(self.session, instance.id, action=action, actor=user.username, task_id=row.id,
                         task_name=row.title, details=details)
        return self.view(row)

    # -- completing ------------------------------------------------------------------------------

    def complete(self, user: User, task_id: str, data: Mapping[str, Any], opinion: str | None) -> Completion:
        """办理: validate the form data and complete the task (a delegate's completion returns it instead)."""
        # Taken once, now: it serves the check below and, after the commit has expired the user object,
        # the choice of new tasks to show.
        viewer = Viewer.of(user)
        row, definition_id, guard = self.working(user, task_id, viewer=viewer)
        guard(row)
        form = self._form(row, definition_id)
        data, opinion = self.validated(form, data, opinion, task=row)
        if row.delegated_from and row.assignee == user.username:
            return self._complete_delegated(user, task_id, form, data, opinion)

        def guard_and_files(locked: HumanTask) -> None:
            guard(locked)
            self.files_still_there(form, data, locked)

        seen: set[str] = set()
        advance = self.instances.complete_task(
            task_id, data, actor=user.username, opinion=opinion, guard=guard_and_files, instance_id=row.instance_id,
            then=lambda done: seen.update(self.visible_ids(done.new_tasks, viewer)))
        return self.completion(user, task_id, advance.new_tasks, advance.instance.definition_id, viewer, seen)

    def _complete_delegated(self, user: User, task_id: str, form: Form, data: dict[str, Any],
                            opinion: str | None) -> Completion:
        with unit_of_work(self.session):
            row, instance = self.instances.lock_task(task_id)
            if not row.status.is_open:
                raise TaskNotReady(f"task {task_id} is already {row.status.value}")
            if row.assignee != user.username or not row.delegated_from:
                raise TaskClaimed("the delegation changed meanwhile; reload the task")
            self.files_still_there(form, data, row)
            delegator = row.delegated_from
            row.assignee, row.delegated_from, row.status = delegator, None, TaskStatus.CLAIMED
            audit.record(self.session, instance.id, action="delegate_complete", actor=user.username, task_id=row.id,
                         task_name=row.title, opinion=opinion, details={"data": data, "to": delegator})
            self.notify(self.users([delegator]), f"委派任务已办理：{row.title}",
                        f"{user.display_name} 已办理您委派的任务「{row.title}」，请确认后办理。", instance.id)
        return Completion(self.view(row))

    def validated(self, form: Form, data: Mapping[str, Any], opinion: str | None,
                  task: HumanTask | None = None) -> tuple[dict[str, Any], str | None]:
        """The data and opinion to store, or FormInvalid naming each failing field (``task``: whose
        attachment fields may hold only files uploaded to it)."""
        data = dict(data)
        opinion = opinion.strip() if isinstance(opinion, str) and opinion.strip() else None
        if form.has_opinion_field:  # the opinion may come either way; keep both places in step
            if opinion and OPINION_FIELD not in data:
                data[OPINION_FIELD] = opinion
            elif opinion is None and isinstance(data.get(OPINION_FIELD), str):
                opinion = data[OPINION_FIELD].strip() or None
        errors = form.errors(data)
        if form.is_decision and opinion is None:
            errors.setdefault(OPINION_FIELD, []).append("审批意见必填：a decision needs an opinion")
        if task is not None:
            for name, found in reference_errors(self.session, form.attachment_fields, data, task).items():
                errors.setdefault(name, []).extend(found)
        if errors:
            raise FormInvalid("the form data is not valid", details={"fields": errors})
        return data, opinion

    def files_still_there(self, form: Form, data: Mapping[str, Any], task: HumanTask) -> None:
        """Under the case lock, before the data is recorded: the files it names are still attached (their
        uploader may have withdrawn one — 撤回, which takes the same lock — since :meth:`validated`)."""
        errors = reference_errors(self.session, form.attachment_fields, data, task)
        if errors:
            raise FormInvalid("the form data is not valid", details={"fields": errors})

    # -- handing over ----------------------------------------------------------------------------

    def delegate(self, user: User, task_id: str, to: str, opinion: str | None = None) -> TaskView:
        """委派: hand the task to a colleague; when they complete it, it comes back to the caller."""
        row, _definition_id, guard = self.working(user, task_id)
        guard(row)
        self.not_delegate(user, row)
        target = self.colleague(to, row)
        if target.username == user.username:
            raise UserNotEligible("a task cannot be delegated to oneself", details={"fields": {"to": [to]}})
        with unit_of_work(self.session):
            row, instance = self.instances.lock_task(task_id)
            guard(row)
            self.not_delegate(user, row)
            row.assignee, row.delegated_from, row.status = target.username, user.username, TaskStatus.CLAIMED
            audit.record(self.session, instance.id, action="delegate", actor=user.username, task_id=row.id,
                         task_name=row.title, opinion=opinion, details={"to": target.username})
            self.notify([target], f"委派任务：{row.title}",
                        f"{self.sender(user, row)} 将任务「{row.title}」委派给您办理。", instance.id)
        return self.view(row)

    def transfer(self, user: User, task_id: str, to: str, opinion: str | None = None) -> TaskView:
        """转办: hand the task over for good to someone of its pool."""
        row, _definition_id, guard = self.working(user, task_id)
        guard(row)
        self.not_delegate(user, row)
        target = self.user_named(to, "to")
        if target.role is not Role.ADMIN and not self.in_pool(target, row):
            raise UserNotEligible(f"{to} is not a {row.candidate_group} of region {row.region_code}",
                                  details={"fields": {"to": [f"{to} cannot work on this task"]}})
        with unit_of_work(self.session):
            row, instance = self.instances.lock_task(task_id)
            guard(row)
            self.not_delegate(user, row)
            previous = row.assignee
            row.assignee, row.delegated_from, row.status = target.username, None, TaskStatus.CLAIMED
            audit.record(self.session, instance.id, action="transfer", actor=user.username, task_id=row.id,
                         task_name=row.title, opinion=opinion, details={"from": previous, "to": target.username})
            self.notify([target], f"转办任务：{row.title}",
                        f"{self.sender(user, row)} 将任务「{row.title}」转交给您办理。", instance.id)
        return self.view(row)

    # -- copies, reminders, comments -------------------------------------------------------------

    def copy(self, user: User, task_id: str, to: list[str], opinion: str | None = None) -> CopyResult:
        """抄送: let other users read the task (and its case); they cannot act on it."""
        row = self.visible(user, task_id)
        if not (user.role is Role.ADMIN or user.username in (row.assignee, row.completed_by)
                or self.in_pool(user, row)):
            raise NotActionable("only those who work on the task can copy it")
        targets = self.users(to, field_name="to")
        # A copy opens the task and its case: only to staff who could see the case anyway.
        strangers = [u.username for u in targets if self.session.scalar(select(ProcessInstance.id).where(
            ProcessInstance.id == row.instance_id, instance_in_office(u))) is None]
        if strangers:
            raise UserNotEligible("只能抄送给能查看本案件的工作人员（本区划工作人员或上级监督人）：" + "、".join(strangers)
                                  + "（copies go only to staff who may see the case anyway）",
                                  details={"fields": {"to": strangers}, "to": strangers})
        with unit_of_work(self.session):
            row, instance = self.instances.lock_task(task_id)
            already = set(self.session.scalars(select(TaskCopy.username).where(TaskCopy.task_id == row.id)))
            new = [u for u in targets if u.username not in already]
            for target in new:
                self.session.add(TaskCopy(task_id=row.id, instance_id=instance.id, username=target.username,
                                          copied_by=user.username, created_at=clock.now()))
            if new:
                audit.record(self.session, instance.id, action="cc", actor=user.username, task_id=row.id,
                             task_name=row.title, opinion=opinion, details={"to": [u.username for u in new]})
                self.notify(new, f"抄送：{row.title}", f"{user.display_name} 将任务「{row.title}」抄送给您。",
                            instance.id, key=f"cc:{row.id}")
        return CopyResult(self.view(row), sorted(already | {u.username for u in targets}))

    def urge(self, user: User, task_id: str, message: str | None = None) -> UrgeResult:
        """催办: the case's starter (or a supervisor) reminds whoever holds the task (or its pool); once an hour per task."""
        found = self.session.execute(
            select(HumanTask, ProcessInstance.started_by).join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .where(HumanTask.id == self.checked_id(task_id),
                   or_(task_visible(user), ProcessInstance.started_by == user.username))
        ).first()
        if found is None:
            raise TaskNotFound(f"no task {task_id}")
        if user.role not in (Role.ADMIN, Role.SUPERVISOR) and found.started_by != user.username:  # 督办 too
            raise NotActionable("only the person who started the case (or a supervisor) can urge (催办) its tasks")
        with unit_of_work(self.session):
            row, instance = self.instances.lock_task(task_id)
            if not row.status.is_open:
                raise TaskNotReady(f"task {task_id} is already {row.status.value}")
            now = clock.now()
            self.check_urge_interval(row.id, now)
            people = self.people(row)
            urge = TaskUrge(task_id=row.id, instance_id=instance.id, urged_by=user.username, at=now,
                            recipients=len(people))
            self.session.add(urge)
            self.session.flush()
            self.notify(people, f"催办：{row.title}",
                        f"{self.sender(user, row)} 催办任务「{row.title}」（{row.business_key or instance.id}）。"
                        + (f"\n留言：{message}" if message else ""), instance.id, key=f"urge:{urge.id}")
            audit.record(self.session, instance.id, action="urge", actor=user.username, task_id=row.id,
                         task_name=row.title, opinion=message, details={"to": [p.username for p in people]})
        return UrgeResult(self.view(row), now, [p.username for p in people], now + URGE_INTERVAL)

    def comment(self, user: User, task_id: str, text: str) -> TaskComment:
        """Add a comment (批注) to a task the caller can see; it also goes to the case's history."""
        row = self.visible(user, task_id)
        with unit_of_work(self.session):
            comment = TaskComment(task_id=row.id, instance_id=row.instance_id, author=user.username, text=text,
                                  created_at=clock.now())
            self.session.add(comment)
            audit.record(self.session, row.instance_id, action="comment", actor=user.username, task_id=row.id,
                         task_name=row.title, opinion=text)
        return comment

    # -- going back -------------------------------------------------------------------------------

    def return_to(self, user: User, task_id: str, opinion: str, to_task: str | None = None) -> Completion:
        """退回: send the case back to an earlier step of this task (default: the one just before)."""
        row, _definition_id, guard = self.working(user, task_id, no_delegate=True)
        guard(row)
        advance = self.instances.return_task(task_id, actor=user.username, opinion=opinion, to_task=to_task,
                                             guard=guard)
        return self.completion(user, task_id, advance.new_tasks)

    def withdraw(self, user: User, task_id: str, opinion: str | None = None) -> Completion:
        """撤回: take back a step the caller completed, while the next step has not acted."""
        row = self.visible(user, task_id)

        def guard(locked: HumanTask) -> None:
            if locked.status is not TaskStatus.COMPLETED:
                raise NotWithdrawable(f"task {locked.id} is {locked.status.value}; only a completed step can be withdrawn")
            if locked.completed_by != user.username and user.role is not Role.ADMIN:
                raise NotActionable("only whoever completed a step can withdraw it")

        guard(row)
        advance = self.instances.withdraw_task(task_id, actor=user.username, opinion=opinion, guard=guard)
        return self.completion(user, task_id, advance.new_tasks)

    # -- helpers the API and the operations share --------------------------------------------------

    def view(self, row: HumanTask, definition_id: int | None = None) -> TaskView:
        """The task with its form (``definition_id``: its case's definition, when known)."""
        return TaskView(row, self._form(row, definition_id))

    def completion(self, user: User, task_id: str, new_tasks: Iterable[HumanTask],
                   definition_id: int | None = None, viewer: Viewer | None = None,
                   seen: set[str] | None = None) -> Completion:
        """The acted-on task and the new tasks the caller may see (all of one case: ``definition_id``;
        ``viewer``: the caller's :class:`Viewer`, when taken already; ``seen``: the visible new tasks,
        when read already inside the change's transaction)."""
        new_tasks = list(new_tasks)
        if seen is None:
            seen = self.visible_ids(new_tasks, viewer or Viewer.of(user))
        task = self.session.get(HumanTask, task_id)
        return Completion(self.view(task, definition_id),
                          [self.view(t, definition_id) for t in new_tasks if t.id in seen])

    def visible_ids(self, tasks: list[HumanTask], viewer: Viewer) -> set[str]:
        """The ids of ``tasks`` that ``viewer`` may see."""
        if not tasks:
            return set()
        return set(self.session.scalars(viewer_reads(viewer).seen, {"ids": [t.id for t in tasks]}))

    def sender(self, user: User, row: HumanTask) -> str:
        """Who a message about ``row`` says it is from: the office when staff write to the organization (an
        applicant-lane task's people), which never reads a staff member's name (instances/disclosure.py)."""
        if row.candidate_group == APPLICANT_GROUP and user.role is not Role.APPLICANT:
            return authority_name(self.session, row.region_code)
        return user.display_name

    def _form(self, row: HumanTask, definition_id: int | None = None) -> Form:
        if definition_id is None:
            definition_id = self.session.scalar(
                select(ProcessInstance.definition_id).where(ProcessInstance.id == row.instance_id))
        return self.forms.form(self.session, definition_id or 0, row.name, row.form)

    def _actions(self, user: User, row: HumanTask, instance: ProcessInstance) -> list[str]:
        actions = ["comment"]
        if row.status.is_open:
            held = row.assignee == user.username
            free = row.assignee is None and self.in_pool(user, row)
            if free:
                actions.append("claim")
            if held or (row.assignee is not None and user.role is Role.ADMIN):
                actions.append("unclaim")
            if held or free:
                actions += ["complete", "cc"] + ([] if row.delegated_from and held
                                                 else ["delegate", "transfer", "return"])
            if user.role is Role.ADMIN or instance.started_by == user.username:
                actions.append("urge")
        elif row.status is TaskStatus.COMPLETED and row.completed_by == user.username:
            actions += ["withdraw", "cc"]
        return actions

    def _delegation(self, row: HumanTask) -> dict[str, Any] | None:
        """The delegate's answer, shown to the delegator until they complete the task."""
        if not row.status.is_open:
            return None
        event = self.session.scalars(
            select(AuditEvent).where(AuditEvent.instance_id == row.instance_id, AuditEvent.task_id == row.id,
                                     AuditEvent.action.in_(("delegate", "delegate_complete", "delegate_decline")))
            .order_by(AuditEvent.id.desc()).limit(1)
        ).first()
        if event is None or event.action == "delegate_decline":
            return None
        if event.action == "delegate":
            return {"from": event.actor, "to": event.details.get("to"), "at": event.at, "result": None}
        return {"from": event.details.get("to"), "to": event.actor, "at": event.at,
                "result": {"data": event.details.get("data"), "opinion": event.opinion}}


def task_service(session: Session | None = None) -> TaskService:
    """The task service bound to ``session`` (the context's session by default), with the app's form cache."""
    from workflow_app.services import instance_service

    session = session or db.session()
    return TaskService(session, instance_service(session), app_catalog(),
                       current_app.config.get("INBOX_COUNT_CAP", inbox.COUNT_CAP))

