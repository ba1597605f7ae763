"""One check at the edge for values no service can store: lone surrogates, huge integers, non-finite numbers.

A JSON body may spell ``"\\ud800"`` (half a UTF-16 pair: no UTF-8 encoding exists, so the
database driver, a rendered page or a document would fail on it much later, in a case the
applicant cannot see), a 5,000-digit integer (Python's ``json`` refuses past 4,300 digits
with a ``ValueError``; below that the number is stored and breaks whatever computes with
it), or ``NaN``/``1e400`` (not JSON, refused by PostgreSQL's ``jsonb``). Before any view
runs, every JSON body (the API's, and a page script's) is read once more here, keys and
values, at any depth; a bad value is a 422 naming its path (``variables.org_name``,
``rows.3.amount``). Query strings, and on pages form fields and file names, are checked the
same way (werkzeug already replaces invalid UTF-8 there, so this is a second fence; API
multipart bodies are left to their views, which set their own body limit before reading).
Text stored before this check (SQLite keeps the escape in its JSON) is printed with U+FFFD
in its place, by pages (Jinja ``finalize``) and by documents when they are rendered.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

from flask import Flask, request
from markupsafe import Markup

from workflow_app.errors import InvalidInput

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_INTEGER = 10**18  # far past any amount, count or id a form asks for; int64 still holds it
_MAX_DIGITS = len(str(MAX_INTEGER))


class _TooLong(str):
    """An integer literal too long to convert: kept as its text so the walk can name where it was."""


class _NotFinite(str):
    """A ``NaN``/``Infinity`` literal (Python accepts them, JSON and PostgreSQL do not)."""


class UnstorableInput(InvalidInput):
    """The request holds values no part of the system can store; ``problems`` maps a field path to why."""

    MESSAGE = "请求中含有无法保存的字符或数值（the request holds text or numbers that cannot be stored）"

    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__(self.MESSAGE, details={"fields": problems})
        self.problems = problems


def _integer(text: str) -> int | _TooLong:
    digits = text.lstrip("-")
    return _TooLong(text) if len(digits) > _MAX_DIGITS else int(text)


def is_storable_text(text: str) -> bool:
    """Whether ``text`` has a UTF-8 encoding (it does unless it holds a lone surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def without_surrogates(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD (for data stored before this check existed)."""
    if not _LONE_SURROGATE.search(text):
        return text
    cleaned = _LONE_SURROGATE.sub("\ufffd", text)
    return Markup(cleaned) if isinstance(text, Markup) else cleaned


def safe_output(value: Any) -> Any:
    """Jinja ``finalize``: every ``{{ … }}`` a page prints, with lone surrogates replaced (else the page 500s)."""
    return without_surrogates(value) if isinstance(value, str) else value


def printable(text: str) -> str:
    """``text`` with lone surrogates spelled as escapes, safe to put in a message or a path."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def problems_in(value: Any, root: str = "") -> dict[str, list[str]]:
    """Every unstorable key or value in a parsed JSON value, by dotted path (iterative: depth costs no stack)."""
    problems: dict[str, list[str]] = {}
    for path, reason in _walk(value, root):
        problems.setdefault(path or "body", []).append(reason)
    return problems


def _walk(value: Any, root: str) -> Iterator[tuple[str, str]]:
    stack: list[tuple[str, Any]] = [(root, value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, _TooLong):
            yield path, f"整数位数过多（integer of {len(item.lstrip('-'))} digits; at most {_MAX_DIGITS}）"
        elif isinstance(item, _NotFinite):
            yield path, f"不是有效数字（{item} is not a JSON number）"
        elif isinstance(item, str):
            if not is_storable_text(item):
                yield path, "含有无效字符（a lone UTF-16 surrogate, which has no UTF-8 encoding）"
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if abs(item) > MAX_INTEGER:
                yield path, "整数超出范围（integer beyond ±10^18）"
        elif isinstance(item, float):
            if not math.isfinite(item):
                yield path, "数值超出范围（number out of range）"
        elif isinstance(item, dict):
            for key, child in item.items():
                name = printable(str(key))
                child_path = f"{path}.{name}" if path else name
                if isinstance(key, str) and not is_storable_text(key):
                    yield child_path, "字段名含有无效字符（a key with a lone UTF-16 surrogate）"
                stack.append((child_path, child))
        elif isinstance(item, list):
            stack.extend((f"{path}.{index}" if path else str(index), child) for index, child in enumerate(item))


def parse_json(raw: bytes | str) -> Any:
    """Parse a JSON body without ever raising on a long integer or converting ``NaN``; markers stand in for them."""
    return json.loads(raw, parse_int=_integer, parse_constant=_NotFinite)


def check_json_body(raw: bytes | str) -> None:
    """Raise :class:`UnstorableInput` if a JSON body holds unstorable values; malformed JSON is left to the view."""
    try:
        value = parse_json(raw)
    except (ValueError, UnicodeDecodeError):
        return  # not JSON (or not UTF-8): the view's own parser gives its 400
    problems = problems_in(value)
    if problems:
        raise UnstorableInput(problems)


def check_request() -> None:
    """The edge check of the current request: query string, form fields, file names and a JSON body."""
    problems: dict[str, list[str]] = {}
    for source, pairs in (("query", request.args.items(multi=True)),):
        for key, value in pairs:
            problems.update(problems_in({key: value}, source))
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        # Forms only on pages, where the CSRF check has read them already: an API upload view sets its own
        # body limit before it reads the body, and reading it here first would bypass that limit.
        on_page = not request.path.startswith("/api/")
        if on_page and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for key, value in request.form.items(multi=True):
                problems.update(problems_in({key: value}, "form"))
            for key, upload in request.files.items(multi=True):
                problems.update(problems_in({key: upload.filename or ""}, "files"))
        elif request.is_json:
            try:
                check_json_body(request.get_data(cache=True))
            except UnstorableInput as exc:
                problems.update(exc.problems)
    if problems:
        raise UnstorableInput(problems)


def init_app(app: Flask) -> None:
    """Check every request before its view (``api.errors`` answers the refusal); pages print stored text safely."""
    app.before_request(check_request)
    app.jinja_env.finalize = safe_output
