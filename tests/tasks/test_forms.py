"""Task forms: read from the definition once, validated with JSON Schema 2020-12, errors keyed by field."""

from __future__ import annotations

from sqlalchemy import event, select

from workflow_app import db
from workflow_app.definitions.models import ProcessDefinition
from workflow_app.tasks.forms import Form, FormCatalog


def statements_during(action) -> list[str]:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(db.engine(), "before_cursor_execute", count)
    try:
        action()
    finally:
        event.remove(db.engine(), "before_cursor_execute", count)
    return seen


def test_a_form_is_read_from_the_definition_once(approval, session):
    definition_id = session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.key == approval))
    catalog = FormCatalog()
    loads = statements_during(lambda: catalog.form(session, definition_id, "review", "review.json"))
    assert len(loads) == 1
    session.expire_all()
    again = statements_during(lambda: catalog.form(session, definition_id, "review", "review.json"))
    assert again == []
    form = catalog.form(session, definition_id, "review", "review.json")
    assert form.schema["title"] == "审核" and form.is_decision and form.has_opinion_field
    assert not catalog.form(session, definition_id, "accept", "accept.json").is_decision


def test_a_task_without_a_form_file_accepts_only_an_empty_submission(approval, session):
    form = FormCatalog().form(session, 10**6, "ghost", None)
    assert form.schema == {"type": "object"} and form.as_body() == {"schema": {"type": "object"}}
    assert form.errors({}) == {}
    assert set(form.errors({"decision": "approve"})) == {"decision"}


def test_errors_are_keyed_by_the_path_of_the_field(approval, session):
    definition_id = session.scalar(select(ProcessDefinition.id))
    form = FormCatalog().form(session, definition_id, "apply", "apply.json")
    assert form.errors({"title": "年会", "amount": 1}) == {}
    errors = form.errors({"amount": -1, "contact": {"phone": "abc"}, "x": 1})
    assert set(errors) == {"title", "amount", "contact.phone", "x"}
    assert any("pattern" in m or "match" in m for m in errors["contact.phone"])
    assert form.errors([1, 2]) == {"data": ["[1, 2] is not of type 'object'"]}


def test_formats_are_checked():
    from jsonschema import Draft202012Validator

    schema = {"type": "object", "properties": {"day": {"type": "string", "format": "date"}}}
    form = Form(schema, validator=Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER))
    assert form.errors({"day": "2026-02-30"}) and not form.errors({"day": "2026-02-28"})


def _form(schema: dict) -> Form:
    from jsonschema import Draft202012Validator

    return Form(schema, validator=Draft202012Validator(schema))


def test_only_declared_fields_may_be_submitted_whatever_additional_properties_says():
    open_schema = {"type": "object", "additionalProperties": True, "properties": {"opinion": {"type": "string"}}}
    errors = _form(open_schema).errors({"opinion": "同意", "event_class": "filing", "late_report": False})
    assert set(errors) == {"event_class", "late_report"}
    assert errors["event_class"] == ["此字段不属于本表单，不能提交（not a field of this form）"]


def test_fields_of_conditional_branches_are_declared():
    schema = {
        "type": "object",
        "properties": {"decision": {"enum": ["approve", "reject"]}},
        "allOf": [{"if": {"properties": {"decision": {"const": "reject"}}},
                   "then": {"properties": {"reason": {"type": "string"}}, "required": ["reason"]},
                   "else": {"properties": {"note": {"type": "string"}}}}],
        "dependentSchemas": {"note": {"properties": {"note_date": {"type": "string"}}}},
        "anyOf": [{"properties": {"a": {}}}, {"properties": {"b": {}}}],
    }
    form = _form(schema)
    assert form.fields == {"decision", "reason", "note", "note_date", "a", "b"}
    assert set(form.errors({"decision": "reject", "reason": "材料不全", "org_name": "改名"})) == {"org_name"}
