"""Task forms: the JSON Schema (and UI hints) of a user task, read from its definition's files, and
validation of submitted data against it.

Definitions are immutable, so a parsed form (with its compiled validator) is cached per
(definition id, task) for the life of the app; the catalog lives on the app, so two apps on two
databases (tests) never share entries.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict, deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_app.definitions.models import ProcessDefinition

if TYPE_CHECKING:
    from workflow_app.attachments.fields import AttachmentField

DECISION_FIELD = "decision"
OPINION_FIELD = "opinion"
_ANY_OBJECT: dict[str, Any] = {"type": "object"}
UNDECLARED_MESSAGE = "此字段不属于本表单，不能提交（not a field of this form）"
# Keywords whose subschemas describe the same object as their parent (so their properties are declared too).
_SAME_OBJECT_LISTS = ("allOf", "anyOf", "oneOf")
_SAME_OBJECT_SCHEMAS = ("if", "then", "else")


@dataclass(frozen=True)
class Form:
    """A task's form: its schema, optional UI hints and the validator compiled once."""

    schema: dict[str, Any]
    ui: dict[str, Any] | None = None
    validator: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.validator is None:
            object.__setattr__(self, "validator", Draft202012Validator(
                self.schema, format_checker=Draft202012Validator.FORMAT_CHECKER))

    @property
    def is_decision(self) -> bool:
        """A decision step (审批): the form has a ``decision`` field, so an opinion is required."""
        properties = self.schema.get("properties")
        return isinstance(properties, dict) and DECISION_FIELD in properties

    @property
    def has_opinion_field(self) -> bool:
        """The form itself carries the opinion as a field of its data."""
        properties = self.schema.get("properties")
        return isinstance(properties, dict) and OPINION_FIELD in properties

    def as_body(self) -> dict[str, Any]:
        """The ``form`` object of the task body."""
        body: dict[str, Any] = {"schema": self.schema}
        if self.ui is not None:
            body["ui"] = self.ui
        return body

    @cached_property
    def attachment_fields(self) -> dict[str, AttachmentField]:
        """The form's attachment fields by name (:func:`workflow_app.attachments.fields.attachment_fields`),
        worked out once per form: a completion checks its files twice (validation, then under the lock)."""
        from workflow_app.attachments.fields import attachment_fields  # attachments.fields reads this module

        return attachment_fields(self.schema)

    @cached_property
    def fields(self) -> frozenset[str]:
        """The top-level fields the form declares, conditional branches (if/then/else, allOf…) included."""
        return declared_fields(self.schema)

    def errors(self, data: Any) -> dict[str, list[str]]:
        """Field-level messages for ``data`` ({} when valid), keyed by the field's path within the data.

        A submission may set only the fields its form declares, whatever the schema says about
        ``additionalProperties``: anything else would overwrite case data the step does not own."""
        found: dict[str, list[str]] = {}
        if isinstance(data, dict):
            declared = self.fields
            for name in sorted(str(key) for key in data if key not in declared):
                found[name] = [UNDECLARED_MESSAGE]
        for error in sorted(self.validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
            if error.validator == "additionalProperties" and not error.absolute_path:
                continue  # named field by field above
            for key in _keys(error):
                found.setdefault(key, []).append(_message(error))
        return found


def form_properties(schema: Any) -> Iterator[tuple[str, Any]]:
    """Every (name, property schema) of an object schema and of the subschemas that describe the same object
    (allOf/anyOf/oneOf, if/then/else, dependentSchemas), the top level first: where a name is declared twice,
    the first one yielded is the one to read."""
    pending: deque[Any] = deque([schema])
    while pending:
        node = pending.popleft()
        if not isinstance(node, Mapping):
            continue
        properties = node.get("properties")
        if isinstance(properties, Mapping):
            yield from ((str(name), prop) for name, prop in properties.items())
        for keyword in _SAME_OBJECT_LISTS:
            if isinstance(node.get(keyword), list):
                pending.extend(node[keyword])
        pending.extend(node.get(keyword) for keyword in _SAME_OBJECT_SCHEMAS)
        if isinstance(node.get("dependentSchemas"), Mapping):
            pending.extend(node["dependentSchemas"].values())


def declared_fields(schema: Any) -> frozenset[str]:
    """The field names a form declares (``form_properties``)."""
    return frozenset(name for name, _prop in form_properties(schema))


def _message(error: ValidationError) -> str:
    """The form author's message for the rule that failed (``x-message`` beside it: the law in Chinese, say
    《基金会管理条例》第六条), else jsonschema's."""
    custom = error.schema.get("x-message") if isinstance(error.schema, Mapping) else None
    return custom if isinstance(custom, str) and custom.strip() else error.message


def _keys(error: ValidationError) -> list[str]:
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        # Key a missing field by its own name, where the UI shows the message.
        missing = [name for name in error.validator_value if name not in error.instance]
        return [f"{path}.{name}" if path else name for name in missing] or [path or "data"]
    return [path or "data"]


class FormCatalog:
    """Forms by (definition id, task's BPMN id), loaded on first use; bounded, thread-safe."""

    def __init__(self, max_entries: int = 1024) -> None:
        self._entries: OrderedDict[tuple[int, str], Form] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries

    def form(self, session: Session, definition_id: int, task_name: str, form_name: str | None) -> Form:
        """The form of task ``task_name`` in that definition (a permissive object schema when it has none)."""
        key = (definition_id, task_name)
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None:
                self._entries.move_to_end(key)
                return cached
        # Only the two columns a form needs, in one statement (the row's spec is large and deferred).
        found = session.execute(select(ProcessDefinition.task_meta, ProcessDefinition.files)
                                .where(ProcessDefinition.id == definition_id)).first()
        form = _build(found.task_meta, found.files, task_name, form_name) if found is not None else Form(_ANY_OBJECT)
        with self._lock:
            self._entries[key] = form
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return form


def _build(task_meta: dict[str, Any] | None, files: dict[str, Any] | None, task_name: str,
           form_name: str | None) -> Form:
    meta = (task_meta or {}).get(task_name) or {}
    schema = _file(files, form_name or meta.get("form"))
    if not isinstance(schema, dict):
        schema = _ANY_OBJECT
    ui = _file(files, meta.get("ui"))
    return Form(schema=schema, ui=ui if isinstance(ui, dict) else None,
                validator=Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER))


def _file(files: dict[str, Any] | None, ref: str | None) -> Any:
    if not ref:
        return None
    text = (files or {}).get(f"forms/{PurePosixPath(ref).name}")
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:  # deploy checks forms; a broken one must not break the inbox
        return None


def app_catalog() -> FormCatalog:
    """The current app's form catalog (one per app: two apps on two databases never share entries)."""
    from flask import current_app

    return current_app.extensions.setdefault("socorg.task_forms", FormCatalog())


def form_from_files(task_meta: dict[str, Any] | None, files: dict[str, Any] | None, task_name: str) -> Form:
    """The form of ``task_name`` read from a bundle's files (a draft not deployed yet: the studio's trial run)."""
    return _build(task_meta, files, task_name, None)
