"""A document's life after it is issued: served on the party (送达) or voided (作废).

- 送达 is recorded by staff who may see the case, once: the method (直接 / 邮寄 / 电子 — the last only
  with the party's written consent, 民事诉讼法 90 — / 公告), the day the party received it, and the
  送达回证 (an attachment id). Periods that run "from service" read ``served_on``.
- 作废 happens on its own when a case is sent back (退回/撤回) past the service task that issued the
  document — the step runs again and issues a new one with the next number; numbers are never reused —
  or by a supervisor or an admin, with a reason. A void document can be neither served nor voided again.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_app import clock
from workflow_app.attachments.models import Attachment
from workflow_app.db import unit_of_work
from workflow_app.directory.models import Role, User
from workflow_app.documents.models import Document, DocumentStatus, ServiceMethod
from workflow_app.documents.service import DocumentService
from workflow_app.errors import Conflict, Forbidden, InvalidInput
from workflow_app.instances import audit

SERVICE_METHOD_LABELS = {
    ServiceMethod.DIRECT: "直接送达", ServiceMethod.MAIL: "邮寄送达",
    ServiceMethod.ELECTRONIC: "电子送达", ServiceMethod.ANNOUNCEMENT: "公告送达",
}
STATUS_LABELS = {DocumentStatus.ISSUED: "已出具", DocumentStatus.SERVED: "已送达", DocumentStatus.VOID: "已作废"}
VOIDERS = frozenset({Role.SUPERVISOR, Role.ADMIN})


class DocumentVoid(Conflict):
    """The document was voided: it can no longer be served or voided."""

    code = "document_void"


class DocumentAlreadyServed(Conflict):
    """Service of the document was recorded already (once per document)."""

    code = "document_already_served"


def void_issued_by(session: Session, instance_id: str, task_ids: Collection[str], *, reason: str,
                   actor: str | None) -> list[Document]:
    """Void the case's documents issued by the engine tasks ``task_ids`` (a 退回 dropped them), in the
    caller's transaction; return them."""
    if not task_ids:
        return []
    found = list(session.scalars(select(Document).where(
        Document.instance_id == instance_id, Document.task_id.in_(list(task_ids)),
        Document.status != DocumentStatus.VOID).order_by(Document.created_at)))
    for document in found:
        _void(session, document, reason=reason, actor=actor)
    return found


class DocumentLife:
    """Record service and voiding of documents for the users of one session (one transaction each)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def record_service(self, user: User, document_id: str, *, method: ServiceMethod, served_on: date,
                       receipt: str | None = None, note: str | None = None, consent: bool = False) -> Document:
        """送达: record how and when the party received the document (staff who may see the case, once)."""
        if user.role is Role.APPLICANT:
            raise Forbidden("only the office records the service of a document")
        with unit_of_work(self.session):
            document = self._locked(user, document_id)
            return mark_served(self.session, document, method=method, served_on=served_on, receipt=receipt,
                               note=note, consent=consent, actor=user.username)

    def void(self, user: User, document_id: str, reason: str) -> Document:
        """作废: a supervisor or an admin voids a document, with a reason."""
        if user.role not in VOIDERS:
            raise Forbidden("only a supervisor or an admin may void a document")
        if not reason.strip():
            raise InvalidInput("作废须说明理由（a reason is required）", details={"fields": {"reason": ["此项必填"]}})
        with unit_of_work(self.session):
            document = self._locked(user, document_id)
            if document.status is DocumentStatus.VOID:
                raise DocumentVoid("文书已作废（the document is void already）")
            _void(self.session, document, reason=reason.strip(), actor=user.username)
        return document

    def _locked(self, user: User, document_id: str) -> Document:
        document = DocumentService(self.session).get(user, document_id)  # 404 unless the case is visible
        self.session.refresh(document, with_for_update=True)
        return document


def mark_served(session: Session, document: Document, *, method: ServiceMethod, served_on: date,
                receipt: str | None, note: str | None, consent: bool, actor: str | None,
                deemed: bool = False) -> Document:
    """Record the service of ``document`` in the caller's transaction (checked as ``record_service`` does).

    ``deemed`` is 公告送达: ``served_on`` is the day the law deems it served (publication + 30 days,
    民事诉讼法 95), which may lie ahead; every other service happened on a day that has come.
    """
    problems: dict[str, list[str]] = {}
    if method is ServiceMethod.ELECTRONIC and not consent:
        problems["consent"] = ["电子送达须经受送达人同意（electronic service needs the party's consent）"]
    if not deemed and served_on > clock.local_now().date():
        problems["served_on"] = ["送达日期不能晚于今天（the service date is in the future）"]
    if served_on < clock.as_utc(document.created_at).astimezone(clock.LOCAL_TZ).date():
        problems["served_on"] = ["送达日期不能早于文书出具日期（served before it was issued）"]
    # A share lock on the file: its uploader's 撤回 (attachments/service.py) waits, then sees this record.
    if receipt is not None and session.scalar(select(Attachment.id).where(
            Attachment.id == receipt, Attachment.instance_id == document.instance_id).with_for_update(read=True)) is None:
        problems["receipt"] = ["送达回证须为本案件已上传的附件（the receipt is no attachment of this case）"]
    if problems:
        raise InvalidInput("送达记录不完整（the service record is not valid）", details={"fields": problems})
    if document.status is DocumentStatus.VOID:
        raise DocumentVoid("文书已作废，不能送达（the document is void）")
    if document.status is DocumentStatus.SERVED:
        raise DocumentAlreadyServed("该文书已记录送达（service was recorded already）")
    document.status, document.served_on, document.service_method = DocumentStatus.SERVED, served_on, method
    document.service_receipt, document.service_note = receipt, note
    document.served_recorded_by = actor
    audit.record(session, document.instance_id, action="document_served", actor=actor,
                 details={"document_id": document.id, "title": document.title, "number": document.number,
                          "method": method.value, "served_on": served_on.isoformat(), "deemed": deemed})
    return document


def _void(session: Session, document: Document, *, reason: str, actor: str | None) -> None:
    document.status, document.voided_at, document.void_reason = DocumentStatus.VOID, clock.now(), reason
    audit.record(session, document.instance_id, action="document_void", actor=actor,
                 details={"document_id": document.id, "title": document.title, "number": document.number,
                          "reason": reason})
