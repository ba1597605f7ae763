"""The submit button says what the step does: a property, the form, the step's word, or 提交."""

from __future__ import annotations

from workflow_app.tasks.forms import Form
from workflow_app.tasks.submit_label import submit_label

PLAIN = Form({"type": "object", "properties": {"note": {"type": "string"}}})
DECISION = Form({"type": "object", "properties": {"decision": {"enum": ["approve"]}, "opinion": {"type": "string"}}})


def test_the_steps_word_decides_the_button():
    assert submit_label(DECISION, "受理审查") == "提交受理结论"
    assert submit_label(DECISION, "立案审批") == "提交审批结论"
    assert submit_label(PLAIN, "签收即时报告") == "确认签收"
    assert submit_label(PLAIN, "确认处置措施") == "确认"
    assert submit_label(PLAIN, "填写成立登记申请") == "提交申请"


def test_a_property_or_the_form_names_it_and_otherwise_it_is_submit():
    assert submit_label(PLAIN, "受理审查", {"properties": {"submitLabel": "  办结归档  "}}) == "办结归档"
    assert submit_label(Form({**PLAIN.schema, "x-submit-label": "登记入库"}), "审查") == "登记入库"
    assert submit_label(PLAIN, "摸排党员和章程情况") == "提交"
    assert submit_label(DECISION, "定期评估组建条件") == "提交审批结论"
    assert len(submit_label(PLAIN, "x", {"properties": {"submitLabel": "很长" * 20}})) == 12
