"""Render document templates in a sandbox, store what was issued, find it again.

Templates live on disk in ``<BPMN_DIR>/documents/`` (``bpmn/documents/`` in the source
tree), beside the processes that use them; they are read when a document is issued, so a
template fix applies to documents issued after it, and a document already issued never
changes (its HTML is stored). Rendering uses Jinja's ``SandboxedEnvironment`` with
autoescape on: a template cannot reach Python internals, and case data (which applicants
typed) is always HTML-escaped.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import current_app
from jinja2 import ChainableUndefined, FileSystemLoader, TemplateError, TemplateNotFound
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow_app.directory.models import User
from workflow_app.documents.context import chinese_date, date_text, template_context, yes_no
from workflow_app.documents.models import Document
from workflow_app.errors import NotFound
from workflow_app.ids import is_uuid
from workflow_app.input_guard import without_surrogates
from workflow_app.instances.disclosure import document_visible
from workflow_app.instances.models import ProcessInstance
from workflow_app.numbering import service as numbering
from workflow_app.tasks.visibility import instance_visible

TEMPLATE_RE = re.compile(r"(?:[A-Za-z0-9_-]+/)*[A-Za-z0-9_-]+\.html", re.ASCII)
_environments: dict[str, SandboxedEnvironment] = {}
_lock = threading.Lock()


class DocumentNotFound(NotFound):
    """No document with that id, or its case is not visible to the caller."""

    code = "document_not_found"


class TemplateProblem(ValueError):
    """A template is missing, misnamed or fails to render (the issuing handler puts the case in error)."""


def documents_dir() -> Path:
    """The templates folder of the running app: ``<BPMN_DIR>/documents``."""
    return Path(current_app.config["BPMN_DIR"]) / "documents"


def environment(directory: Path) -> SandboxedEnvironment:
    """The sandboxed Jinja environment over ``directory`` (one per folder; it re-reads changed files)."""
    key = str(directory.resolve())
    with _lock:
        env = _environments.get(key)
        if env is None:
            env = SandboxedEnvironment(
                loader=FileSystemLoader(key, encoding="utf-8"), autoescape=True, auto_reload=True,
                undefined=ChainableUndefined, trim_blocks=True, lstrip_blocks=True,
            )
            env.filters.update(cn_date=chinese_date, date_text=date_text, yesno=yes_no)
            _environments[key] = env
        return env


def check_template_name(name: object) -> str:
    """Return ``name`` if it is a relative ``.html`` path of plain segments, else raise ``TemplateProblem``."""
    if not isinstance(name, str) or not TEMPLATE_RE.fullmatch(name):
        raise TemplateProblem(
            f"模板名称无效 / invalid template name {name!r}: a path under bpmn/documents/ such as "
            "'registration/prior_notice.html' (letters, digits, '_', '-', '/')")
    return name


def render(directory: Path, template: str, context: Mapping[str, Any]) -> str:
    """Render ``template`` (a path under ``directory``) with ``context``."""
    check_template_name(template)
    try:
        # Case data stored before the edge check may hold a lone surrogate: it must not fail the flush.
        return without_surrogates(environment(directory).get_template(template).render(**context))
    except TemplateNotFound as exc:
        raise TemplateProblem(f"找不到文书模板 / no document template {exc.name!r} in {directory}") from exc
    except TemplateError as exc:
        raise TemplateProblem(f"文书模板出错 / template {template!r} failed: {exc}") from exc


class DocumentService:
    """Issue documents for a case and read them back with the caller's visibility."""

    def __init__(self, session: Session, directory: Path | None = None) -> None:
        self.session = session
        self.directory = directory

    def _dir(self) -> Path:
        return self.directory if self.directory is not None else documents_dir()

    def issue(self, instance: ProcessInstance, *, template: str, title: str, variables: Mapping[str, Any],
              extra: Mapping[str, Any] | None = None, number_series: str | None = None,
              number_prefix: str = "", actor: str | None = None, task_name: str | None = None,
              task_id: str | None = None) -> Document:
        """Number (when a series is given), render and store a document of ``instance`` in the current transaction."""
        check_template_name(template)
        number = None
        if number_series:
            if not instance.region_code:
                raise ValueError("案件没有所属区划，无法编号 / the case has no region: no authority to number for")
            number = numbering.issue(self.session, number_series, instance.region_code, prefix=number_prefix).number
        context = template_context(self.session, instance, variables, title=title, number=number, extra=extra)
        html = render(self._dir(), template, context)
        document = Document(instance_id=instance.id, template=template, kind=template.removesuffix(".html"),
                            title=title, number=number, html=html, created_by=actor, task_name=task_name,
                            task_id=task_id)
        self.session.add(document)
        self.session.flush()
        return document

    def for_instance(self, user: User, instance_id: str, *, page: int = 1,
                     per_page: int = 50) -> tuple[list[Document], int]:
        """The documents of a case the user may see, oldest first (an organization: those issued to it);
        ``NotFound`` if the case is not visible."""
        if not is_uuid(instance_id):
            raise NotFound(f"no process instance {instance_id}")
        visible = self.session.scalar(select(ProcessInstance.id).where(
            ProcessInstance.id == instance_id, instance_visible(user)))
        if visible is None:
            raise NotFound(f"no process instance {instance_id}")
        query = select(Document).where(Document.instance_id == instance_id, document_visible(user, Document.kind))
        total = self.session.scalar(select(func.count()).select_from(query.subquery()))
        items = self.session.scalars(
            query.order_by(Document.created_at, Document.id).offset((page - 1) * per_page).limit(per_page))
        return list(items), int(total or 0)

    def get(self, user: User, document_id: str) -> Document:
        """A document whose case the user may see (an organization: one issued to it; an internal one is 404)."""
        if not is_uuid(document_id):
            raise DocumentNotFound(f"no document {document_id}")
        document = self.session.scalar(
            select(Document).join(ProcessInstance, ProcessInstance.id == Document.instance_id)
            .where(Document.id == document_id, instance_visible(user), document_visible(user, Document.kind)))
        if document is None:
            raise DocumentNotFound(f"no document {document_id}")
        return document
