"""Submissions read back: each with its form's titles and enum labels, and what a later step changed.

What a caller may read follows the case's disclosure rule: staff who may see the case read every
submission; the organization (an applicant user) reads only its own lane's submissions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_app.attachments.models import Attachment
from workflow_app.casefile.models import Submission
from workflow_app.casefile.submissions import submissions_of
from workflow_app.directory.models import User
from workflow_app.documents.context import authority_name
from workflow_app.instances.disclosure import organization_users, reads_as_organization
from workflow_app.instances.models import ProcessInstance
from workflow_app.tasks.forms import FormCatalog, form_properties
from workflow_app.tasks.visibility import APPLICANT_GROUP


@dataclass(frozen=True)
class FieldLabel:
    """A field's title and, for a choice, the label of each value."""

    title: str
    values: dict[str, str] = field(default_factory=dict)
    columns: dict[str, FieldLabel] = field(default_factory=dict)  # a table's columns (an array of objects)
    files: bool = False  # an attachment field: its values are attachment ids


@dataclass
class SubmissionView:
    """A submission as a later step reads it."""

    submission: Submission
    labels: dict[str, FieldLabel]
    # field → (value before, value now) where an earlier submission of the case held another value
    changes: dict[str, tuple[Any, Any]]
    file_names: dict[str, str] = field(default_factory=dict)  # attachment id → its file name
    # Who submitted it as the reader may know: a username, or for an organization reader the office
    # in place of a staff member (a paper application typed in by the window).
    submitted_by: str | None = None

    def label_of(self, name: str) -> str:
        """The field's title (its name when the form gives none)."""
        found = self.labels.get(name)
        return found.title if found else name

    def shown(self, name: str, value: Any) -> Any:
        """A value as a person reads it: an enum value by its label, a list item by item."""
        found = self.labels.get(name)
        if found is not None and found.files and isinstance(value, list):
            return [self.file_names.get(str(v), v) for v in value]
        return _shown(found, value) if found is not None else value


def _shown(label: FieldLabel, value: Any) -> Any:
    if isinstance(value, list):
        return [_shown(label, v) for v in value]
    if isinstance(value, dict) and label.columns:
        return {(label.columns[k].title if k in label.columns else k): (_shown(label.columns[k], v)
                                                                        if k in label.columns else v)
                for k, v in value.items()}
    if label.values and not isinstance(value, dict | list):
        return label.values.get(str(value), value)
    return value


def labels_of(schema: Mapping[str, Any]) -> dict[str, FieldLabel]:
    """Titles and enum labels of a form's top-level fields (conditional branches included)."""
    found: dict[str, FieldLabel] = {}
    for name, prop in form_properties(schema):
        if isinstance(prop, dict) and name not in found:
            items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
            columns = labels_of(items) if isinstance(items.get("properties"), dict) else {}
            files = items.get("format") == "attachment"
            found[name] = FieldLabel(str(prop.get("title") or name), _values(prop), columns, files)
    return found


def _values(prop: Mapping[str, Any]) -> dict[str, str]:
    choices = prop.get("items") if isinstance(prop.get("items"), dict) else prop
    labels = choices.get("x-labels") if isinstance(choices.get("x-labels"), dict) else {}
    return {str(value): str(labels.get(str(value), value)) for value in choices.get("enum") or []}


def as_text(value: Any) -> str:
    """A submitted value as a person reads it in a table cell."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "；".join(as_text(v) for v in value)
    if isinstance(value, dict):
        return "，".join(f"{k}：{as_text(v)}" for k, v in value.items())
    return "" if value is None else str(value)


def readable_by(user: User, submissions: Iterable[Submission]) -> list[Submission]:
    """The submissions ``user`` may read (the case's visibility is checked before): the organization reads
    its own lane's (docs/visibility.md), staff read all."""
    if reads_as_organization(user):
        return [s for s in submissions if s.candidate_group == APPLICANT_GROUP]
    return list(submissions)


class SubmissionReader:
    """Read a case's submissions with labels and changes, for one session."""

    def __init__(self, session: Session, forms: FormCatalog) -> None:
        self.session = session
        self.forms = forms

    def views(self, user: User, instance_id: str) -> list[SubmissionView]:
        """The case's submissions ``user`` may read, oldest first (the case must be visible to them)."""
        everything = submissions_of(self.session, instance_id)
        changes = _changes(everything)
        names = dict(self.session.execute(select(Attachment.id, Attachment.filename)
                                          .where(Attachment.instance_id == instance_id)).all())
        shown_by = self._submitter(user, instance_id)
        return [SubmissionView(s, self._labels(s), changes.get(s.id, {}), names, shown_by(s.submitted_by))
                for s in readable_by(user, everything)]

    def _submitter(self, user: User, instance_id: str) -> Callable[[str | None], str | None]:
        if not reads_as_organization(user):
            return lambda username: username
        own = organization_users(self.session, user)
        region = self.session.scalar(select(ProcessInstance.region_code).where(ProcessInstance.id == instance_id))
        office = authority_name(self.session, region)
        return lambda username: username if username in own else office

    def _labels(self, submission: Submission) -> dict[str, FieldLabel]:
        if not submission.task_name:
            return {}
        form = self.forms.form(self.session, submission.definition_id, submission.task_name, submission.form)
        return labels_of(form.schema)


def _changes(submissions: list[Submission]) -> dict[int, dict[str, tuple[Any, Any]]]:
    """For each submission, the fields it set to a value other than the one an earlier submission gave."""
    latest: dict[str, Any] = {}
    found: dict[int, dict[str, tuple[Any, Any]]] = {}
    for submission in submissions:
        for name, value in (submission.data or {}).items():
            if name in latest and latest[name] != value:
                found.setdefault(submission.id, {})[name] = (latest[name], value)
            latest[name] = value
    return found
