"""JSON Schema → form fields → form data, and the validator's messages in Chinese (no app needed)."""

from __future__ import annotations

import json
from pathlib import Path

from werkzeug.datastructures import MultiDict

from workflow_app.web import schema_form

FORMS = Path(__file__).resolve().parents[2] / "bpmn" / "forms"
SCHEMA = {
    "type": "object",
    "required": ["name", "kind"],
    "properties": {
        "name": {"type": "string", "title": "名称", "maxLength": 50, "examples": ["某某协会"]},
        "notes": {"type": "string", "title": "说明", "maxLength": 2000},
        "kind": {"type": "string", "title": "类型", "enum": ["a", "b"], "x-labels": {"a": "甲", "b": "乙"}},
        "region": {"type": "string", "enum": ["1", "2", "3", "4", "5"]},
        "count": {"type": "integer", "title": "人数"},
        "funds": {"type": "number", "title": "资金"},
        "on": {"type": "string", "format": "date", "examples": ["2026-10-12"]},
        "ok": {"type": "boolean", "const": True, "title": "确认"},
        "site": {"type": "boolean", "title": "实地核查", "default": False},
        "tags": {"type": "array", "items": {"type": "string", "enum": ["x", "y"], "x-labels": {"x": "X", "y": "Y"}}},
        "items": {"type": "array", "items": {"type": "string"}},
        "people": {"type": "array", "items": {"type": "object", "required": ["who"], "properties": {
            "who": {"type": "string", "title": "姓名"}, "age": {"type": "integer", "title": "年龄"}}}},
        "source": {"type": "string", "readOnly": True, "enum": ["manual"], "x-labels": {"manual": "人工发起"}},
        "extra": {"type": "object"},
    },
}


def by_key(fields):
    return {f.key: f for f in fields}


def test_each_property_gets_the_control_its_type_asks_for():
    kinds = {k: f.kind for k, f in by_key(schema_form.build(SCHEMA)).items()}
    assert kinds == {"name": "text", "notes": "textarea", "kind": "radios", "region": "select", "count": "integer",
                     "funds": "number", "on": "date", "ok": "check", "site": "yesno", "tags": "checks",
                     "items": "lines", "people": "table", "source": "readonly", "extra": "json"}
    fields = by_key(schema_form.build(SCHEMA))
    assert fields["name"].required and fields["name"].placeholder == "某某协会"
    assert [(o.value, o.label) for o in fields["kind"].options] == [("a", "甲"), ("b", "乙")]
    assert [c.name for c in fields["people"].columns] == ["people.#.who", "people.#.age"]


def test_a_post_becomes_typed_data_and_unconvertible_text_is_passed_on():
    form = MultiDict([("name", " 协会 "), ("kind", "a"), ("count", "12"), ("funds", "1.5"), ("on", "2026-10-12"),
                      ("ok", "true"), ("site", "false"), ("tags", "x"), ("tags", "y"), ("items", "一\n\n 二 \n"),
                      ("people.0.who", "李明"), ("people.0.age", "30"), ("people.1.who", ""), ("people.1.age", ""),
                      ("people.2.who", "王"), ("source", "hacked"), ("extra", '{"a": 1}')])
    data, shown = schema_form.parse(schema_form.build(SCHEMA), form)
    assert data == {"name": "协会", "kind": "a", "count": 12, "funds": 1.5, "on": "2026-10-12", "ok": True,
                    "site": False, "tags": ["x", "y"], "items": ["一", "二"],
                    "people": [{"who": "李明", "age": 30}, {"who": "王"}], "extra": {"a": 1}}
    assert shown["people"] == [{"who": "李明", "age": "30"}, {"who": "王", "age": ""}]  # blank rows dropped
    data, shown = schema_form.parse(schema_form.build(SCHEMA), MultiDict([("count", "三"), ("funds", "nan")]))
    assert data["count"] == "三" and data["funds"] == "nan" and data["ok"] is False and "name" not in data
    assert shown["count"] == "三"


def test_a_fresh_form_opens_with_defaults_and_case_data_but_not_an_earlier_decision():
    schema = {"type": "object", "properties": {**SCHEMA["properties"], "decision": {"enum": ["approve"]},
                                               "opinion": {"type": "string"}}}
    fields = schema_form.build(schema)
    values = schema_form.initial_values(fields, {"name": "协会", "decision": "accept", "opinion": "受理",
                                                 "tags": ["x"], "people": [{"who": "李明"}]})
    assert values["site"] == "false" and values["name"] == "协会" and values["tags"] == ["x"]
    assert "decision" not in values and "opinion" not in values
    filled = by_key(schema_form.fill(fields, values, {"people.0.who": ["'李' is too short"]}))
    assert len(filled["people"].rows) == 3  # one row of data, two blank
    assert filled["people"].rows[0][0].value == "李明" and filled["people"].rows[0][0].name == "people.0.who"
    assert filled["people"].rows[0][0].errors == ["至少填写 1 个字"]


def test_messages_in_chinese():
    prop = {"type": "string", "minLength": 4, "maxLength": 50, "pattern": "^x", "examples": ["x1234"]}
    assert schema_form.chinese("'ab' is too short", prop) == "至少填写 4 个字"
    assert schema_form.chinese("'ab' does not match '^x'", prop) == "格式不正确，例如：x1234"
    assert schema_form.chinese("'name' is a required property") == "此项必填"
    assert schema_form.chinese("[] should be non-empty", {"type": "array", "minItems": 1}) == "请至少填写一项"
    assert schema_form.chinese("'2026-13-01' is not a 'date'", {"format": "date"}) == "请填写有效日期，例如：2026-10-12"
    assert schema_form.chinese("True was expected", {"const": True}) == "请勾选确认"
    assert schema_form.chinese("True was expected", {"type": "boolean"}) == "按所选结论，此项应为“是”"
    assert schema_form.chinese("-1 is less than the minimum of 0", {"minimum": 0}) == "不能小于 0"
    assert schema_form.messages(["审批意见必填：a decision needs an opinion", "'opinion' is a required property"]) \
        == ["此项必填"]
    assert schema_form.chinese("something new") == "something new"


def test_every_shipped_form_renders():
    for path in sorted(FORMS.glob("*.json")):
        fields = schema_form.build(json.loads(path.read_text(encoding="utf-8")))
        assert fields, path.name
        assert all(f.kind != "json" for f in fields), path.name  # every shipped field has a proper control


def test_every_kind_of_field_renders_with_its_value_and_messages(app):
    from flask import render_template_string

    fields = schema_form.build(SCHEMA)
    values = schema_form.initial_values(fields, {
        "name": "协会", "notes": "很长的说明", "kind": "b", "region": "3", "count": 7, "funds": 2.5, "on": "2026-10-12",
        "ok": True, "tags": ["y"], "items": ["一", "二"], "people": [{"who": "李明", "age": 30}], "extra": {"a": 1}})
    values["source"] = schema_form.display(by_key(fields)["source"], "manual")
    schema_form.fill(fields, values, {"name": ["'协会' is too short"], "people.0.age": ["'x' is not of type 'integer'"]})
    with app.test_request_context():
        html = render_template_string(
            '{% import "inbox/_fields.html" as forms %}{% for f in fields %}{{ forms.field(f, editable) }}{% endfor %}',
            fields=fields, editable=True)
        readonly = render_template_string(
            '{% import "inbox/_fields.html" as forms %}{% for f in fields %}{{ forms.field(f, editable) }}{% endfor %}',
            fields=fields, editable=False)
    for fragment in ('name="name" value="协会"', ">很长的说明</textarea>", 'value="b" checked', '<option value="3" selected>',
                     'name="count" value="7"', 'name="funds" value="2.5"', 'type="date" value="2026-10-12"',
                     'name="ok" value="true" checked', 'name="site" value="false" checked', 'value="y" checked',
                     ">一\n二</textarea>", 'name="people.0.who" value="李明"', 'name="people.2.who" value=""',
                     '<div class="readonly-value">人工发起</div>', "&#34;a&#34;: 1", "请输入整数", 'aria-invalid=true',
                     'placeholder="某某协会"', "＋ 添加一行"):
        assert fragment in html, fragment
    assert "添加一行" not in readonly and readonly.count("disabled") >= 12


def test_hostile_posts_stay_text_for_the_schema_to_refuse():
    digits = "9" * 5000
    form = MultiDict([("count", digits), ("funds", digits), (f"people.{digits}.who", "x"), ("people.3.who", "王")])
    data, _shown = schema_form.parse(schema_form.build(SCHEMA), form)
    assert data["count"] == digits and data["funds"] == digits and data["people"] == [{"who": "王"}]
