"""Sample answers made from a form's JSON Schema: every shipped form accepts what the filler makes, the
conditional rules are met by trying options, list items differ, attachments come from the callback."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path

import pytest

from workflow_app.tasks.forms import Form
from workflow_app.tasks.samples import SampleContext, sample_data

FORMS = sorted((Path(__file__).resolve().parents[2] / "bpmn" / "forms").glob("*.json"))


def context(seed: int = 1, **preferred) -> SampleContext:
    uploads: list[str] = []

    def upload(name: str, count: int) -> list[str]:
        made = [f"{name}-{len(uploads) + n}" for n in range(count)]
        uploads.extend(made)
        return made

    return SampleContext(date(2026, 10, 12), random.Random(seed), preferred, upload)


@pytest.mark.parametrize("path", FORMS, ids=[p.stem for p in FORMS])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_shipped_form_accepts_its_sample(path: Path, seed: int) -> None:
    form = Form(json.loads(path.read_text(encoding="utf-8")))
    data = sample_data(form, context(seed))
    assert data is not None, path.name
    assert form.errors(data) == {}


def test_conditional_rules_are_met_by_trying_the_options() -> None:
    form = Form({"type": "object", "required": ["remote", "category"], "properties": {
        "remote": {"type": "boolean"}, "category": {"type": "string", "enum": ["a", "b", "chamber"]},
        "origin": {"type": "string", "minLength": 2}},
        "allOf": [{"if": {"properties": {"remote": {"const": True}}, "required": ["remote"]},
                   "then": {"required": ["origin"], "properties": {"category": {"const": "chamber"}}}}]})
    for seed in range(10):
        data = sample_data(form, context(seed, category="a"))
        assert data is not None and form.errors(data) == {}
        assert data["remote"] is False or (data["category"] == "chamber" and len(data["origin"]) >= 2)


def test_list_items_differ_and_attachments_come_from_the_callback() -> None:
    form = Form({"type": "object", "required": ["people", "files"], "properties": {
        "people": {"type": "array", "minItems": 2, "uniqueItems": True, "items": {
            "type": "object", "required": ["name", "number"], "properties": {
                "name": {"type": "string"}, "number": {"type": "string", "pattern": "^[A-Z0-9]{6,12}$"}}}},
        "files": {"type": "array", "minItems": 2, "items": {"type": "string", "format": "attachment"}}}})
    data = sample_data(form, context())
    assert data is not None and form.errors(data) == {}
    assert data["files"] == ["files-0", "files-1"]
    assert len({p["number"] for p in data["people"]}) == 2


def test_an_impossible_form_gives_none() -> None:
    form = Form({"type": "object", "required": ["x"], "properties": {"x": {"type": "string", "minLength": 5,
                                                                            "maxLength": 3}}})
    assert sample_data(form, context()) is None
