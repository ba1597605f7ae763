"""Uploading and downloading attachments.

Who may do what:

- upload to a task's attachment field: whoever may complete the task now (its holder, or its pool
  while it is unclaimed; admins) — the task service's own check (:meth:`TaskRules.working`);
- download: whoever may see the case (:func:`instance_visible`); an organization's users only the
  files of the applicant's own steps (internal steps' files, such as 实地核查 photos, are staff's).
  Anyone else gets 404, never 403: a file of a case one may not see does not exist for them;
- withdraw (撤回) a file uploaded by mistake: only its uploader, only while its step is open and theirs
  to work now (the upload's check again), and only while nothing recorded names it — a submission
  (a completion, a delegate's answer) or a document's 送达回证. Nobody withdraws another person's file,
  not even an admin or the colleague who holds the step now: a file is its uploader's statement.

An upload is checked in full — name, count, size, type from the bytes, virus scan — before anything
is stored; a refusal leaves neither a row nor a file behind. A withdrawal deletes the row and records
it on the case in one transaction; the bytes stay in the store: another row, or an upload in flight
in another case, may share them; ``socorg attachments sweep`` reclaims them safely later.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from workflow_app import clock, db
from workflow_app.attachments.checks import AttachmentRefused, check_filename, check_type, receive
from workflow_app.attachments.fields import INLINE_TYPES, AttachmentField
from workflow_app.attachments.models import Attachment
from workflow_app.attachments.scanner import ClamdScanner
from workflow_app.attachments.store import FileStore, LocalFileStore
from workflow_app.db import unit_of_work
from workflow_app.directory.models import Role, User
from workflow_app.documents.models import Document
from workflow_app.errors import Conflict, Forbidden, NotFound
from workflow_app.ids import is_uuid
from workflow_app.instances import audit
from workflow_app.instances.errors import TaskNotFound
from workflow_app.instances.models import AuditEvent, ProcessInstance
from workflow_app.tasks.models import HumanTask
from workflow_app.tasks.visibility import APPLICANT_GROUP, instance_visible

if TYPE_CHECKING:
    from workflow_app.tasks.service import TaskService


class AttachmentNotFound(NotFound):
    """No attachment with that id, or its case is not visible to the caller."""

    code = "attachment_not_found"


class AttachmentLocked(Conflict):
    """The file can no longer be withdrawn: its step is completed or cancelled, or something recorded names it."""

    code = "attachment_locked"


class NotUploader(Forbidden):
    """Only whoever uploaded a file may withdraw it."""

    code = "attachment_not_uploader"


# The audit actions whose ``data`` is a submission of a form (what a delegate answered counts: the
# delegator confirms it as it stands).
SUBMITTING = ("complete", "delegate_complete")


@dataclass
class Download:
    """A file to send: its row, its bytes, and whether a browser may show it inline."""

    attachment: Attachment
    body: BinaryIO

    @property
    def previewable(self) -> bool:
        """PDF and images may be shown inline; everything else is only ever downloaded."""
        return self.attachment.content_type in INLINE_TYPES


class AttachmentService:
    """Attachments of tasks: upload (checked), list, download (visibility-checked), withdraw (the uploader's)."""

    def __init__(self, session: Session, tasks: TaskService, store: FileStore, max_bytes: int,
                 scanner: ClamdScanner | None = None) -> None:
        self.session = session
        self.tasks = tasks
        self.store = store
        self.max_bytes = max_bytes
        self.scanner = scanner

    def fields(self, row: HumanTask, definition_id: int | None) -> dict[str, AttachmentField]:
        """The attachment fields of the task's form."""
        form = self.tasks.forms.form(self.session, definition_id or 0, row.name, row.form)
        return form.attachment_fields

    def upload(self, user: User, task_id: str, field: str | None, filename: str | None,
               source: BinaryIO) -> Attachment:
        """Check and keep one file for ``field`` of the task (the form's only attachment field when None)."""
        row, definition_id, guard = self.tasks.working(user, task_id)
        guard(row)
        spec = self._field(self.fields(row, definition_id), field)
        name = check_filename(spec.name, filename)
        self._check_count(row.id, spec)
        received = receive(spec.name, source, self.max_bytes)
        try:
            check_type(spec, received)
            if self.scanner is not None:
                self.scanner.scan(received.rewind(), spec.name)
            with unit_of_work(self.session):
                row, _instance = self.tasks.instances.lock_task(task_id, row.instance_id)
                guard(row)
                self._check_count(row.id, spec)
                self.store.put(received.sha256, received.rewind())
                attachment = Attachment(
                    instance_id=row.instance_id, task_id=row.id, field=spec.name, filename=name,
                    size=received.size, sha256=received.sha256, content_type=received.mime or "application/octet-stream",
                    uploaded_by=user.username, uploaded_at=clock.now())
                self.session.add(attachment)
        finally:
            received.body.close()
        return attachment

    def of_task(self, task_id: str) -> list[Attachment]:
        """Every file uploaded to a task (the caller has checked the task is visible), oldest first."""
        return list(self.session.scalars(select(Attachment).where(Attachment.task_id == task_id)
                                         .order_by(Attachment.uploaded_at, Attachment.id)))

    def named(self, user: User, ids: list[str]) -> dict[str, Attachment]:
        """The attachments among ``ids`` that ``user`` may download, by id (for links on pages)."""
        wanted = [i for i in ids if is_uuid(i)][:500]
        if not wanted:
            return {}
        rows = self.session.scalars(self._visible(user).where(Attachment.id.in_(wanted)))
        return {row.id: row for row in rows}

    def of_case(self, user: User, instance_id: str) -> list[tuple[Attachment, str]]:
        """The files of a case ``user`` may download, with the title of the step each was uploaded to."""
        query = self._visible(user).where(Attachment.instance_id == instance_id)
        if user.role is not Role.APPLICANT:
            query = query.join(HumanTask, HumanTask.id == Attachment.task_id)
        rows = self.session.execute(query.add_columns(HumanTask.title)
                                    .order_by(Attachment.uploaded_at, Attachment.id)).all()
        return [(row[0], row[1]) for row in rows]

    def download(self, user: User, attachment_id: str) -> Download:
        """The file if ``user`` may see its case (404 otherwise)."""
        row = self._visible_one(user, attachment_id)
        try:
            body = self.store.open(row.sha256)
        except FileNotFoundError as exc:
            raise AttachmentNotFound(f"the bytes of attachment {attachment_id} are missing from the store") from exc
        return Download(row, body)

    def withdraw(self, user: User, attachment_id: str, task_id: str | None = None) -> Attachment:
        """撤回: delete a file ``user`` uploaded by mistake to a step they may work now, so its place in the
        field's count is free again (``task_id``: only a file of that task). 404 for a file they may not
        see; 409 once the step is done or something recorded names the file; 403 for another's file."""
        found = self._visible_one(user, attachment_id)
        if task_id is not None and found.task_id != task_id:
            raise AttachmentNotFound(f"no attachment {attachment_id} on task {task_id[:64]!r}")
        try:
            _row, _definition_id, guard = self.tasks.working(user, found.task_id)
        except TaskNotFound as exc:  # the case is visible, this step of it is not: no file for them either
            raise AttachmentNotFound(f"no attachment {attachment_id}") from exc
        with unit_of_work(self.session):  # every check under the case lock, which 撤回 and a completion share
            row, _instance = self.tasks.instances.lock_task(found.task_id, found.instance_id)
            # Locked too: recording a 送达回证 takes a share lock on the file it names (documents/life.py).
            attachment = self.session.scalars(select(Attachment).where(Attachment.id == attachment_id)
                                              .with_for_update()).first()
            if attachment is None:  # withdrawn meanwhile (a second click)
                raise AttachmentNotFound(f"no attachment {attachment_id}")
            self._check_withdrawal(user, attachment, row)
            guard(row)
            self.session.delete(attachment)
            audit.record(self.session, attachment.instance_id, action="attachment_withdraw", actor=user.username,
                         task_id=row.id, task_name=row.title, opinion=f"撤回附件「{attachment.filename}」",
                         details={"attachment_id": attachment.id, "field": attachment.field,
                                  "filename": attachment.filename, "size": attachment.size,
                                  "sha256": attachment.sha256})
        return attachment

    def withdrawable(self, user: User, task: HumanTask, files: Iterable[Attachment]) -> set[str]:
        """The ids among ``files`` that ``user`` could withdraw from ``task``, for the page's 撤回 buttons
        (the caller knows ``user`` may work the task now; :meth:`withdraw` checks everything again)."""
        if not task.status.is_open:
            return set()
        mine = {a.id for a in files if a.task_id == task.id and a.uploaded_by == user.username}
        return mine - self._recorded(task.instance_id, mine)

    # -- helpers ---------------------------------------------------------------------------------------

    def _visible(self, user: User) -> Select[tuple[Attachment]]:
        query = (select(Attachment).join(ProcessInstance, ProcessInstance.id == Attachment.instance_id)
                 .where(instance_visible(user)))
        if user.role is Role.APPLICANT:  # an organization reads the files of its own steps only
            query = query.join(HumanTask, HumanTask.id == Attachment.task_id).where(
                HumanTask.candidate_group == APPLICANT_GROUP)
        return query

    def _visible_one(self, user: User, attachment_id: str) -> Attachment:
        if not is_uuid(attachment_id):
            raise AttachmentNotFound(f"no attachment {attachment_id[:64]!r}")
        row = self.session.scalars(self._visible(user).where(Attachment.id == attachment_id)).first()
        if row is None:
            raise AttachmentNotFound(f"no attachment {attachment_id}")
        return row

    def _check_withdrawal(self, user: User, attachment: Attachment, task: HumanTask) -> None:
        """Refuse unless the step is open, the file is ``user``'s and nothing recorded names it."""
        name = attachment.filename
        if not task.status.is_open:
            raise AttachmentLocked(f"「{name}」所在环节已办理或已取消，附件已归档，不能撤回",
                                   details={"task_status": task.status.value})
        if attachment.uploaded_by != user.username:
            raise NotUploader(f"「{name}」不是您上传的，只有上传人可以撤回")  # who did is not said: maybe staff
        if self._recorded(attachment.instance_id, {attachment.id}):
            raise AttachmentLocked(f"「{name}」已在提交的表单或送达记录中引用，不能撤回",
                                   details={"reason": "a submission or a service record names the file"})

    def _recorded(self, instance_id: str, ids: set[str]) -> set[str]:
        """Those of ``ids`` that something recorded on the case names: a submission (a completion, a
        delegate's answer) or a document's 送达回证. Records are never changed, so such a file stays."""
        if not ids:
            return set()
        found = set(self.session.scalars(select(Document.service_receipt).where(
            Document.instance_id == instance_id, Document.service_receipt.in_(ids))))
        for details in self.session.scalars(select(AuditEvent.details).where(
                AuditEvent.instance_id == instance_id, AuditEvent.action.in_(SUBMITTING))):
            found.update(ids.intersection(_strings((details or {}).get("data"))))
        return found

    @staticmethod
    def _field(fields: dict[str, AttachmentField], field: str | None) -> AttachmentField:
        if field is None or field == "":
            if len(fields) == 1:
                return next(iter(fields.values()))
            names = "、".join(fields) or "（无）"
            raise AttachmentRefused("field", f"请用 field 指明上传到哪一项附件：{names}", "name the attachment field")
        spec = fields.get(field)
        if spec is None:
            raise AttachmentRefused("field", f"本表单没有附件项「{field[:128]}」", "no such attachment field")
        return spec

    def _check_count(self, task_id: str, spec: AttachmentField) -> None:
        count = self.session.scalar(select(func.count()).select_from(Attachment).where(
            Attachment.task_id == task_id, Attachment.field == spec.name)) or 0
        if count >= spec.max_items:
            raise AttachmentRefused(spec.name, f"「{spec.title}」最多上传 {spec.max_items} 个文件", "too many files")


def _strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON value (attachment ids sit in lists, maybe inside table rows)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def attachment_service(session: Session | None = None) -> AttachmentService:
    """The attachment service of the current app: its store, size limit and (when configured) clamd."""
    from workflow_app.tasks.service import task_service

    session = session or db.session()
    config = current_app.config
    address = config.get("CLAMD_ADDRESS")
    return AttachmentService(session, task_service(session), LocalFileStore(config["FILE_STORE"]),
                             int(config["MAX_ATTACHMENT_BYTES"]), ClamdScanner(address) if address else None)
