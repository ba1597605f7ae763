"""Task forms in the browser: a JSON Schema becomes HTML fields, posted fields become form data, and the
service's validation messages are put in Chinese beside the field they concern.

The schema stays the single source of truth: the page never decides what is valid (the task service
validates), it only turns typed text into the JSON types the schema asks for. Text it cannot convert
(``abc`` for an integer) is passed on unchanged, so the service reports it like any other mistake and
the page shows it in place with what was typed.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from workflow_app.attachments.fields import field_of, is_attachment
from workflow_app.input_guard import parse_json, problems_in
from workflow_app.tasks.forms import DECISION_FIELD, OPINION_FIELD

TEXTAREA_OVER = 200  # strings allowed longer than this get a textarea
RADIOS_UP_TO = 4  # enums with this few options are radio buttons, longer ones a drop-down


@dataclass
class Option:
    """One choice of an enum."""

    value: str
    label: str
    raw: Any = None


@dataclass
class Field:
    """One form field, with what it shows now (``value``) and the messages about it (``errors``)."""

    name: str  # the HTML name: "org_name", or "founders.0.name" inside a table row
    key: str  # the data key within its object
    title: str
    kind: str  # text textarea integer number date select radios checks check yesno lines table json readonly
    schema: dict[str, Any]
    required: bool = False
    description: str | None = None
    placeholder: str | None = None
    options: list[Option] = field(default_factory=list)
    columns: list[Field] = field(default_factory=list)
    value: Any = None
    errors: list[str] = field(default_factory=list)
    rows: list[list[Field]] = field(default_factory=list)  # a table's rows (one Field per column)
    files: list[Any] = field(default_factory=list)  # an attachment field's files (Attachment rows), to list
    accept: str = ""  # an attachment field's accepted extensions, for the file input's accept attribute
    withdrawable: set[str] = field(default_factory=set)  # ids of its files the viewer may withdraw (撤回)


def _type(prop: Mapping[str, Any]) -> str | None:
    kind = prop.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind if isinstance(kind, str) else None


def _options(prop: Mapping[str, Any]) -> list[Option]:
    labels = prop.get("x-labels") if isinstance(prop.get("x-labels"), dict) else {}
    return [Option(str(v), str(labels.get(str(v), v)), v) for v in prop.get("enum") or []]


def kind_of(prop: Mapping[str, Any]) -> str:
    """How a property is entered in the browser."""
    if prop.get("readOnly"):
        return "readonly"
    if is_attachment(prop):
        return "attachments"
    kind = _type(prop)
    if isinstance(prop.get("enum"), list):
        return "radios" if len(prop["enum"]) <= RADIOS_UP_TO else "select"
    if kind == "boolean":
        return "check" if prop.get("const") is True else "yesno"
    if kind in ("integer", "number"):
        return kind
    if kind == "string":
        if prop.get("format") == "date":
            return "date"
        max_length = prop.get("maxLength")
        return "textarea" if isinstance(max_length, int) and max_length > TEXTAREA_OVER else "text"
    if kind == "array":
        items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
        if isinstance(items.get("enum"), list):
            return "checks"
        if _type(items) == "string":
            return "lines"
        if _type(items) == "object" and isinstance(items.get("properties"), dict):
            return "table"
    if kind in ("array", "object"):
        return "json"
    return "text"


def build(schema: Mapping[str, Any], prefix: str = "") -> list[Field]:
    """The fields of an object schema, in the schema's order."""
    properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    required = set(schema.get("required") or [])
    fields: list[Field] = []
    for key, prop in properties.items():
        if not isinstance(prop, dict):
            continue
        kind = kind_of(prop)
        examples = prop.get("examples") if isinstance(prop.get("examples"), list) else []
        placeholder = str(examples[0]) if examples else None
        if kind == "lines":
            placeholder = "每行填写一项" + (f"，例如：{placeholder}" if placeholder else "")
        item = Field(name=f"{prefix}{key}", key=key, title=str(prop.get("title") or key), kind=kind, schema=prop,
                     required=key in required, description=prop.get("description"), placeholder=placeholder)
        if kind in ("select", "radios", "readonly"):
            item.options = _options(prop)
        elif kind == "checks":
            item.options = _options(prop["items"])
        elif kind == "table":
            item.columns = build(prop["items"], prefix=f"{prefix}{key}.#.")
        elif kind == "attachments":
            spec = field_of(key, prop)
            item.accept = ",".join(f".{ext}" for ext in spec.accept)
            item.description = item.description or f"可上传 {spec.accept_text} 文件，最多 {spec.max_items} 个"
        fields.append(item)
    return fields


# -- showing values --------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def display(item: Field, value: Any) -> Any:
    """A stored value as the field shows it."""
    if item.kind == "check":
        return value is True
    if item.kind == "yesno":
        return {True: "true", False: "false"}.get(value, "") if isinstance(value, bool) else ""
    if item.kind in ("checks", "attachments"):
        return [str(v) for v in value] if isinstance(value, list) else []
    if item.kind == "lines":
        return "\n".join(_text(v) for v in value) if isinstance(value, list) else _text(value)
    if item.kind == "table":
        rows = value if isinstance(value, list) else []
        return [{c.key: display(c, row.get(c.key)) for c in item.columns} for row in rows if isinstance(row, dict)]
    if item.kind == "json":
        return json.dumps(value, ensure_ascii=False, indent=2) if value is not None else ""
    if item.kind == "readonly":
        labels = {o.raw: o.label for o in item.options}
        if isinstance(value, bool):
            return "是" if value else "否"
        return labels.get(value, _text(value)) if not isinstance(value, (list, dict)) else json.dumps(
            value, ensure_ascii=False)
    return _text(value)


def fill(fields: list[Field], values: Mapping[str, Any], errors: Mapping[str, list[str]],
         blank_rows: int = 2) -> list[Field]:
    """Give each field its display value (``values`` already shown form: typed text) and its messages."""
    for item in fields:
        item.value = values.get(item.key)
        if item.value is None:
            item.value = display(item, None)
        item.errors = messages(errors.get(item.name, []), item.schema)
        if item.kind == "table":
            rows = list(item.value or []) + [{} for _ in range(blank_rows)]
            item.rows = []
            for index, row in enumerate(rows):
                cells = []
                for column in item.columns:
                    cell = Field(**{**column.__dict__, "name": column.name.replace("#", str(index)),
                                    "errors": [], "rows": []})
                    cell.value = row.get(column.key, display(column, None))
                    cell.errors = messages(errors.get(cell.name, []), column.schema)
                    cells.append(cell)
                item.rows.append(cells)
    return fields


def initial_values(fields: list[Field], data: Mapping[str, Any]) -> dict[str, Any]:
    """What a fresh form opens with: the schema's defaults, then the case data for its fields, but never an
    earlier step's decision or opinion (the reviewer's form must not open with the window's 受理意见)."""
    values = {f.key: display(f, f.schema["default"]) for f in fields if "default" in f.schema}
    values.update({f.key: display(f, data.get(f.key)) for f in fields
                   if f.key in data and f.key not in (DECISION_FIELD, OPINION_FIELD)})
    return values


# -- reading a post --------------------------------------------------------------------------------

_INTEGER = re.compile(r"[+-]?\d{1,18}")  # longer digit strings stay text (and fail the schema)


def _scalar(item: Field, text: str) -> Any:
    """Typed text as the schema's type; text that does not convert is passed on for the schema to refuse."""
    if item.kind in ("select", "radios"):
        return next((o.raw for o in item.options if o.value == text), text)
    if item.kind == "yesno":
        return {"true": True, "false": False}.get(text, text)
    if item.kind == "integer":
        return int(text) if _INTEGER.fullmatch(text) else text
    if item.kind == "number":
        if _INTEGER.fullmatch(text):
            return int(text)
        try:
            number = float(text)
        except ValueError:
            return text
        return number if math.isfinite(number) else text
    if item.kind == "json":
        try:
            value = parse_json(text)
        except ValueError:
            return text
        return text if problems_in(value) else value  # "\ud800" or a 5,000-digit number: the schema refuses text
    return text


def _read(item: Field, form: MultiDict, data: dict[str, Any], shown: dict[str, Any]) -> None:
    """Read one field from the post into ``data`` (what is submitted) and ``shown`` (what was typed)."""
    if item.kind == "readonly":
        return
    if item.kind == "check":
        shown[item.key] = data[item.key] = form.get(item.name) is not None
    elif item.kind == "attachments":  # files already attached and kept; new files are uploaded by the page
        kept = form.getlist(item.name)
        shown[item.key] = kept
        if kept:
            data[item.key] = kept
    elif item.kind == "checks":
        picked = form.getlist(item.name)
        shown[item.key] = picked
        data[item.key] = [next((o.raw for o in item.options if o.value == p), p) for p in picked]
    elif item.kind == "lines":
        text = form.get(item.name, "")
        shown[item.key] = text
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if lines:
            data[item.key] = lines
    elif item.kind == "table":
        rows, shown_rows = [], []
        indexes = sorted({int(m.group(1)) for k in form.keys()
                          if (m := re.fullmatch(re.escape(item.name) + r"\.(\d{1,4})\.[^.]+", k))})
        for index in indexes[:500]:
            row, shown_row = {}, {}
            for column in item.columns:
                cell = Field(**{**column.__dict__, "name": column.name.replace("#", str(index))})
                _read(cell, form, row, shown_row)
            if any(v not in ("", [], False) for v in shown_row.values()):  # a blank row is no row
                rows.append(row)
                shown_rows.append(shown_row)
        shown[item.key] = shown_rows
        if rows:
            data[item.key] = rows
    else:
        text = form.get(item.name, "")
        shown[item.key] = text
        if text.strip():
            data[item.key] = _scalar(item, text.strip() if item.kind not in ("textarea", "json") else text)


# Posted names that belong to the page rather than to the form's data.
PAGE_NAMES = frozenset({"csrf_token", "opinion"})


def unknown_names(fields: list[Field], form: MultiDict) -> list[str]:
    """Posted names that are no field of the form: a form sets only the fields it declares."""
    names = {item.name for item in fields}
    tables = [re.compile(re.escape(item.name) + r"\.\d{1,4}\.(.+)") for item in fields if item.kind == "table"]
    columns = {item.name: {c.key for c in item.columns} for item in fields if item.kind == "table"}
    found = []
    for key in form.keys():
        if key in names or key in PAGE_NAMES:
            continue
        match = next((m for pattern in tables if (m := pattern.fullmatch(key))), None)
        table = key.split(".", 1)[0] if match else None
        if match is None or match.group(1) not in columns.get(table, ()):
            found.append(key)
    return found


def parse(fields: list[Field], form: MultiDict) -> tuple[dict[str, Any], dict[str, Any]]:
    """The form data to submit, and the typed values to show again if the service refuses them."""
    data: dict[str, Any] = {}
    shown: dict[str, Any] = {}
    for item in fields:
        _read(item, form, data, shown)
    return data, shown


# -- messages ----------------------------------------------------------------------------------------


def messages(found: list[str], prop: Mapping[str, Any] | None = None) -> list[str]:
    """The messages about one field in Chinese, each once."""
    return list(dict.fromkeys(chinese(m, prop) for m in found))


def chinese(message: str, prop: Mapping[str, Any] | None = None) -> str:
    """A jsonschema (or service) message as a caseworker should read it."""
    prop = prop or {}
    is_array = _type(prop) == "array"
    examples = prop.get("examples") if isinstance(prop.get("examples"), list) else []
    checks: list[tuple[str, str]] = [
        ("审批意见必填", "此项必填"),  # the field is labelled 审批意见 already
        ("is a required property", "此项必填"),
        ("is not of type 'integer'", "请输入整数"),
        ("is not of type 'number'", "请输入数字"),
        ("is not of type 'boolean'", "请选择“是”或“否”"),
        ("is not of type", "填写内容的类型不正确"),
        ("should be non-empty", "请至少填写一项" if is_array else "此项不能为空"),
        ("is too short", f"请至少填写 {prop.get('minItems', 1)} 项" if is_array
         else f"至少填写 {prop.get('minLength', 1)} 个字"),
        ("is too long", f"最多填写 {prop.get('maxItems')} 项" if is_array
         else f"最多填写 {prop.get('maxLength')} 个字"),
        ("does not match", "格式不正确" + (f"，例如：{examples[0]}" if examples else "")),
        ("is not a 'date'", "请填写有效日期，例如：" + (str(examples[0]) if examples else "2026-10-12")),
        ("is not a '", "格式不正确" + (f"，例如：{examples[0]}" if examples else "")),
        ("is less than the minimum", f"不能小于 {prop.get('minimum')}"),
        ("less than or equal to the minimum", f"必须大于 {prop.get('exclusiveMinimum')}"),
        ("is greater than the maximum", f"不能大于 {prop.get('maximum')}"),
        ("greater than or equal to the maximum", f"必须小于 {prop.get('exclusiveMaximum')}"),
        ("is not one of", "请从列表中选择"),
        ("has non-unique elements", "选项不能重复"),
        ("should not be valid under", "与已填写的其他内容不符，请核对"),
        ("True was expected", "请勾选确认" if prop.get("const") is True else "按所选结论，此项应为“是”"),
        ("False was expected", "按所选结论，此项应为“否”"),
        ("was expected", "按所选结论，此项取值不符合要求"),
    ]
    for needle, text in checks:
        if needle in message:
            return text
    return message
