"""Plausible answers to a form, made from its JSON Schema: for the demo's case history (and any tool that must
fill a form without a person, such as a trial run of a draft process).

:func:`sample_data` fills the required fields (and the ones the schema's conditional rules turn required),
checks the result with the form's own validator and mends what it refused, a few rounds at most. Values are
Chinese where a person would type text; a decision is the first option most of the time (the usual path)
and another one otherwise. Attachment fields are filled by a callback (the caller uploads real files).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from workflow_app.tasks.forms import Form, form_properties

ROUNDS = 4
USUAL_CHOICE = 0.75  # how often a choice takes its first option
TEXT = "经核查，材料齐全、内容属实，符合有关规定，同意办理。"
# Values that satisfy the patterns forms use for phone numbers, codes and certificate numbers.
# Fields a person fills with a name or an address, by a word in the field's name.
PEOPLE = ("李明", "王芳", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "孙丽", "周涛", "吴敏")
PERSON_WORDS = ("representative", "signatory", "person", "contact", "chair", "host", "leader", "officer", "signer")
ADDRESS_WORDS = ("residence", "address", "venue", "location")
ADDRESS = "吉林省长春市南关区人民大街1号"
PATTERN_CANDIDATES = ("13804310001", "0431-88886666", "51220100MJ0000017X", "ZF22010012", "A1234567",
                      "220102198001011234", "2026-001")


@dataclass
class SampleContext:
    """What the filler knows beyond the schema: the day (for dates), preferred values by field name, the
    random source, and how to fill an attachment field (``upload(field name, count) -> ids``)."""

    today: date
    rng: random.Random
    preferred: Mapping[str, Any] = field(default_factory=dict)
    upload: Callable[[str, int], list[str]] | None = None
    serial: int = 0  # which item of a list is being made (items of a list differ from each other)
    usual: bool = False  # always the first option of a choice (a predictable path, e.g. a trial run)


def _type(prop: Mapping[str, Any]) -> str | None:
    kind = prop.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind


def _choice(options: list[Any], ctx: SampleContext) -> Any:
    if len(options) == 1 or ctx.usual or ctx.rng.random() < USUAL_CHOICE:
        return options[0]
    return ctx.rng.choice(options[1:])


def _text(name: str, prop: Mapping[str, Any], ctx: SampleContext) -> str:
    pattern = prop.get("pattern")
    if pattern:
        for candidate in PATTERN_CANDIDATES:
            numbered = f"{candidate[:-1]}{ctx.serial}" if ctx.serial else candidate
            for value in (numbered, candidate):
                if re.search(pattern, value):
                    return value
    if prop.get("format") == "date":
        return ctx.today.isoformat()
    if prop.get("format") == "date-time":
        return f"{ctx.today.isoformat()}T09:30:00+08:00"
    low, high = int(prop.get("minLength", 0)), int(prop.get("maxLength", 200))
    title = str(prop.get("title") or "")
    text = TEXT if high >= len(TEXT) else (title or TEXT)[:high]
    if any(word in name for word in PERSON_WORDS):
        text = PEOPLE[ctx.serial % len(PEOPLE)] if ctx.serial else ctx.rng.choice(PEOPLE)
    elif any(word in name for word in ADDRESS_WORDS):
        text = ADDRESS
    while len(text) < low:
        text += TEXT
    return text[:max(high, low)]


def _number(prop: Mapping[str, Any], integer: bool) -> int | float:
    value: float = 1
    if "minimum" in prop:
        value = max(value, prop["minimum"])
    if "exclusiveMinimum" in prop:
        value = max(value, prop["exclusiveMinimum"] + 1)
    if "maximum" in prop:
        value = min(value, prop["maximum"])
    return int(value) if integer else value


def sample_value(name: str, prop: Mapping[str, Any], ctx: SampleContext) -> Any:
    """A value for one field."""
    if name in ctx.preferred:
        return ctx.preferred[name]
    if "const" in prop:
        return prop["const"]
    if "default" in prop:  # what the form itself suggests (e.g. 是否异地商会: no)
        return prop["default"]
    if prop.get("enum"):
        return _choice(list(prop["enum"]), ctx)
    kind = _type(prop)
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        return _number(prop, kind == "integer")
    if kind == "array":
        items = prop.get("items") or {}
        count = max(int(prop.get("minItems", 1)), 1)
        if items.get("format") == "attachment":
            return ctx.upload(name, count) if ctx.upload else []
        if items.get("enum"):
            return list(items["enum"][:count])
        return [sample_value(name, items, replace(ctx, serial=n + 1)) for n in range(count)]
    if kind == "object":
        return sample_object(prop, ctx)
    return _text(name, prop, ctx)


def sample_object(schema: Mapping[str, Any], ctx: SampleContext) -> dict[str, Any]:
    """The required properties of an object schema, each with a value."""
    props = schema.get("properties") or {}
    return {name: sample_value(name, props.get(name) or {}, ctx) for name in schema.get("required") or []}


def _candidates(name: str, prop: Mapping[str, Any], ctx: SampleContext) -> list[Any]:
    """Values to try for a field the form refused: every option of a choice, else one fresh value."""
    if "const" in prop:
        return [prop["const"]]
    if prop.get("enum"):
        return list(prop["enum"])
    if _type(prop) == "boolean":
        return [True, False]
    free = replace(ctx, preferred={k: v for k, v in ctx.preferred.items() if k != name})
    return [sample_value(name, prop, free)]


def sample_data(form: Form, ctx: SampleContext) -> dict[str, Any] | None:
    """Data the form accepts, or None when mending did not get there.

    Mending is a local search: each refused field takes, among its candidate values, the one that leaves the
    fewest problems in the whole form (so a conditional rule — "a 异地商会 is a 社会团体 of category 行业协会商会"
    — is met by trying the options, not by reading the rule)."""
    declared: dict[str, Any] = {}
    for name, prop in form_properties(form.schema):
        declared.setdefault(name, prop)  # the first declaration is the one to read
    data = sample_object(form.schema, ctx)
    widen = False  # once stuck on the refused fields: a choice elsewhere may be what a rule hinges on
    for _round in range(ROUNDS * 3):
        errors = form.errors(data)
        if not errors:
            return data
        score, changed = len(errors), False
        refused = list(dict.fromkeys(path.split(".", 1)[0].split("[", 1)[0] for path in errors))
        if widen:
            refused += [name for name in data if name not in refused]
        for name in refused:
            if name not in declared:
                changed = data.pop(name, None) is not None or changed
                continue
            best, best_score = None, score
            for value in _candidates(name, declared[name], ctx):
                trial = len(form.errors({**data, name: value}))
                if trial < best_score:
                    best, best_score = value, trial
            if best is not None:
                data[name], score, changed = best, best_score, True
        if not changed:
            if widen:
                break
            widen = True
    return None
