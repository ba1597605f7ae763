"""A draft made in the studio: the base version's files with the modeler's XML and the form designer's forms.

The browser keeps the draft until it is deployed; the server checks it like a deploy (nothing stored) or
deploys it. A draft carries at most ``MAX_FORMS`` forms, each named like the shipped ones
(``registration_review.json``), each a JSON object; the deploy lint checks what they say.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workflow_app.definitions.errors import DefinitionInvalid, Problem
from workflow_app.definitions.models import ProcessDefinition

MAX_FORMS = 50
FORM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}\.json")
FORMS_FOLDER = "forms/"


@dataclass(frozen=True)
class Draft:
    """What the studio sends: the diagram, the version it started from, and new or changed forms."""

    xml: str
    base_version: int
    forms: dict[str, str]  # bare file name -> JSON text


def read_draft(body: Any) -> Draft:
    """The draft in a request body, or DefinitionInvalid naming what is missing or malformed."""
    if not isinstance(body, Mapping):
        raise DefinitionInvalid([Problem("(request)", "the draft needs xml and base_version")])
    xml, base_version, forms = body.get("xml"), body.get("base_version"), body.get("forms") or {}
    if not isinstance(xml, str) or not xml.strip() or not isinstance(base_version, int) \
            or isinstance(base_version, bool):
        raise DefinitionInvalid([Problem("(request)", "the draft needs xml and base_version")])
    if not isinstance(forms, Mapping):
        raise DefinitionInvalid([Problem("(request)", "forms must map file names to JSON Schemas")])
    if len(forms) > MAX_FORMS:
        raise DefinitionInvalid([Problem("(request)", f"a draft carries at most {MAX_FORMS} forms")])
    texts, problems = {}, []
    for name, schema in forms.items():
        if not isinstance(name, str) or not FORM_NAME.fullmatch(name):
            problems.append(Problem(str(name)[:100], "a form file name is letters, digits, _ or - and ends in .json"))
            continue
        texts[name] = json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
    if problems:
        raise DefinitionInvalid(problems)
    return Draft(xml=xml, base_version=base_version, forms=texts)


def draft_files(base: ProcessDefinition, draft: Draft) -> dict[str, bytes]:
    """The bundle to check or deploy: the base version's files, its BPMN replaced, the draft's forms added."""
    files = {name: text.encode() for name, text in base.files.items()}
    files[base.bpmn_file] = draft.xml.encode()
    for name, text in draft.forms.items():
        files[FORMS_FOLDER + name] = text.encode()
    return files


def form_files(definition: ProcessDefinition) -> dict[str, Any]:
    """A version's forms by bare file name, decoded (a form that is not JSON is left out)."""
    found = {}
    for name, text in definition.files.items():
        if name.endswith(".json"):
            try:
                found[name.rsplit("/", 1)[-1]] = json.loads(text)
            except ValueError:
                continue
    return found
