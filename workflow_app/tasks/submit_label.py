"""What the submit button of a task's form says: the step's own word (提交申请、提交受理结论、确认签收…).

The first of: the user task's BPMN property ``submitLabel``; the form schema's ``x-submit-label``; a
word chosen by what the step's name says it does (its verb: 受理, 审批, 签收…); for a decision form
without such a word, 提交审批结论; else 提交. A label is short text (at most 12 characters).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflow_app.tasks.forms import Form

PROPERTY = "submitLabel"
SCHEMA_KEY = "x-submit-label"
DEFAULT = "提交"
MAX_LENGTH = 12
# (what the step's name contains, the button) — first match wins, so the narrower words come first.
BY_STEP_WORD: tuple[tuple[str, str], ...] = (
    ("签收", "确认签收"), ("送达", "确认送达"), ("确认", "确认"),
    ("受理", "提交受理结论"), ("审批", "提交审批结论"), ("审签", "提交审签意见"),
    ("审核", "提交审核意见"), ("审查", "提交审查意见"), ("核查", "提交核查结果"), ("核验", "提交核验结果"),
    ("复查", "提交复查结果"), ("决定", "提交决定"), ("补正", "提交补正材料"), ("补充", "提交补充材料"),
    ("申请", "提交申请"), ("报告", "提交报告"), ("填报", "提交填报内容"), ("报送", "报送"),
)


def submit_label(form: Form, title: str | None, task_meta: Mapping[str, Any] | None = None) -> str:
    """The button of the step titled ``title`` with ``form`` (``task_meta``: the user task's parsed
    metadata, whose ``properties`` may set ``submitLabel``)."""
    properties = (task_meta or {}).get("properties") or {}
    for given in (properties.get(PROPERTY), form.schema.get(SCHEMA_KEY)):
        if isinstance(given, str) and given.strip():
            return given.strip()[:MAX_LENGTH]
    for word, label in BY_STEP_WORD:
        if word in (title or ""):
            return label
    return "提交审批结论" if form.is_decision else DEFAULT
