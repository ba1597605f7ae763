"""The archive (卷宗) of a case: one ZIP with a summary page, every document and every attachment.

The summary (``卷宗目录.html``) holds the case's particulars, every submission with its form's labels, the
history with opinions, and the documents with their service records. Only staff who may see the case
take an archive: it holds internal opinions an organization does not read.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from pathlib import Path
from typing import IO

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_app import clock
from workflow_app.attachments.service import attachment_service
from workflow_app.casefile.reading import SubmissionReader, as_text
from workflow_app.directory.models import Region, Role, User
from workflow_app.documents.life import SERVICE_METHOD_LABELS, STATUS_LABELS
from workflow_app.documents.models import Document
from workflow_app.errors import Forbidden
from workflow_app.instances import audit
from workflow_app.instances.models import ProcessInstance
from workflow_app.organizations.models import Organization

SUMMARY_NAME = "卷宗目录.html"
# A page inside the ZIP, never served by the app: self-contained, with its own print styles.
SUMMARY_TEMPLATE = Path(__file__).with_name("archive_summary.html")
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def safe_name(name: str, fallback: str = "文件") -> str:
    """A file name that stays one entry in the ZIP on every system."""
    cleaned = _UNSAFE.sub("_", name).strip(" .")
    return (cleaned or fallback)[:120]


class CaseArchive:
    """Builds the archive of one case for a staff member who may see it."""

    def __init__(self, session: Session, reader: SubmissionReader) -> None:
        self.session = session
        self.reader = reader

    def build(self, user: User, instance: ProcessInstance) -> IO[bytes]:
        """The ZIP as a file object positioned at its start (spooled to disk past a few MB)."""
        if user.role is Role.APPLICANT:
            raise Forbidden("the archive holds internal records; the organization reads its case page instead")
        documents = list(self.session.scalars(select(Document).where(Document.instance_id == instance.id)
                                              .order_by(Document.created_at, Document.id)))
        attachments = attachment_service(self.session)
        files = attachments.of_case(user, instance.id)
        document_names = [f"文书/{i:02d}-{safe_name(d.title)}{'-' + safe_name(d.number) if d.number else ''}.html"
                          for i, d in enumerate(documents, start=1)]
        attachment_names = [f"附件/{i:02d}-{safe_name(step)}-{safe_name(a.filename)}"
                            for i, (a, step) in enumerate(files, start=1)]
        summary = self._summary(user, instance, documents, document_names, attachment_names)
        out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(SUMMARY_NAME, summary)
            for name, document in zip(document_names, documents, strict=True):
                archive.writestr(name, document.html)
            for name, (attachment, _step) in zip(attachment_names, files, strict=True):
                with attachments.store.open(attachment.sha256) as source, archive.open(name, "w") as target:
                    while chunk := source.read(1024 * 1024):
                        target.write(chunk)
        out.seek(0)
        return out

    def _summary(self, user: User, instance: ProcessInstance, documents: list[Document],
                 document_names: list[str], attachment_names: list[str]) -> str:
        events = audit.history(self.session, instance.id)
        names = dict(self.session.execute(select(User.username, User.display_name).where(
            User.username.in_({e.actor for e in events if e.actor} | {instance.started_by or ""}))).all())
        region = self.session.get(Region, instance.region_code) if instance.region_code else None
        organization = self.session.get(Organization, instance.organization_id) if instance.organization_id else None
        template = current_app.jinja_env.from_string(SUMMARY_TEMPLATE.read_text(encoding="utf-8"))
        return template.render(
            instance=instance, region=region, organization=organization,
            submissions=self.reader.views(user, instance.id), events=events, names=names,
            actions=audit.ACTION_LABELS, actor_label=audit.actor_label, documents=list(zip(documents, document_names, strict=True)),
            attachments=attachment_names, status_labels=STATUS_LABELS, method_labels=SERVICE_METHOD_LABELS,
            made_at=clock.now(), made_by=names.get(user.username, user.display_name), show=as_text)

