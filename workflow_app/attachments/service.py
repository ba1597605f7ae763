"""Uploading and downloading attachments.

Who may do what:

- upload to a task's attachment field: whoever may complete the task now (its holder, or its pool
  while it is unclaimed; admins) — the task service's own check (:meth:`TaskRules.working`);
- download: whoever may see the case (:func:`instance_visible`); an organization's users only the
  files of the applicant's own steps (internal steps' files, such as 实地核查 photos, are staff's).
  Anyone else gets 404, never 403: a file of a case one may not see does not exist for them.

An upload is checked in full — name, count, size, type from the bytes, virus scan — before anything
is stored; a refusal leaves neither a row nor a file behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from workflow_app import clock, db
from workflow_app.attachments.checks import AttachmentRefused, check_filename, check_type, receive
from workflow_app.attachments.fields import INLINE_TYPES, AttachmentField, attachment_fields
from workflow_app.attachments.models import Attachment
from workflow_app.attachments.scanner import ClamdScanner
from workflow_app.attachments.store import FileStore, LocalFileStore
from workflow_app.db import unit_of_work
from workflow_app.directory.models import Role, User
from workflow_app.errors import NotFound
from workflow_app.ids import is_uuid
from workflow_app.instances.models import ProcessInstance
from workflow_app.tasks.models import HumanTask
from workflow_app.tasks.visibility import APPLICANT_GROUP, instance_visible

if TYPE_CHECKING:
    from workflow_app.tasks.service import TaskService


class AttachmentNotFound(NotFound):
    """No attachment with that id, or its case is not visible to the caller."""

    code = "attachment_not_found"


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
    """Attachments of tasks: upload (checked), list, download (visibility-checked)."""

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
        return attachment_fields(form.schema)

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
        if not is_uuid(attachment_id):
            raise AttachmentNotFound(f"no attachment {attachment_id[:64]!r}")
        row = self.session.scalars(self._visible(user).where(Attachment.id == attachment_id)).first()
        if row is None:
            raise AttachmentNotFound(f"no attachment {attachment_id}")
        try:
            body = self.store.open(row.sha256)
        except FileNotFoundError as exc:
            raise AttachmentNotFound(f"the bytes of attachment {attachment_id} are missing from the store") from exc
        return Download(row, body)

    # -- helpers ---------------------------------------------------------------------------------------

    def _visible(self, user: User) -> Select[tuple[Attachment]]:
        query = (select(Attachment).join(ProcessInstance, ProcessInstance.id == Attachment.instance_id)
                 .where(instance_visible(user)))
        if user.role is Role.APPLICANT:  # an organization reads the files of its own steps only
            query = query.join(HumanTask, HumanTask.id == Attachment.task_id).where(
                HumanTask.candidate_group == APPLICANT_GROUP)
        return query

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


def attachment_service(session: Session | None = None) -> AttachmentService:
    """The attachment service of the current app: its store, size limit and (when configured) clamd."""
    from workflow_app.tasks.service import task_service

    session = session or db.session()
    config = current_app.config
    address = config.get("CLAMD_ADDRESS")
    return AttachmentService(session, task_service(session), LocalFileStore(config["FILE_STORE"]),
                             int(config["MAX_ATTACHMENT_BYTES"]), ClamdScanner(address) if address else None)
