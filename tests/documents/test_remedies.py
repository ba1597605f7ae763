"""Golden test: every refusal, penalty and disapproval names the right 行政复议 body (行政复议法 2023 art 24)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from workflow_app.documents.context import template_context
from workflow_app.documents.remedies import remedy_for
from workflow_app.documents.service import render

DOCUMENTS = Path(__file__).resolve().parents[2] / "bpmn" / "documents"

# Every document that refuses, penalises or disapproves; each carries the 复议/诉讼 instructions.
DECISIONS = (
    "registration/not_accepted.html",
    "registration/refusal_decision.html",
    "major_event/disapproval_notice.html",
    "zombie_cleanup/penalty_decision.html",
)

# (region of the deciding authority, the body a 复议 goes to)
BODIES = (
    ("220000", "吉林省人民政府"),           # 省民政厅 → the provincial government
    ("220100", "长春市人民政府"),           # a city
    ("222400", "延边朝鲜族自治州人民政府"),  # a 州
    ("220102", "长春市南关区人民政府"),      # a district is named with its city
    ("220122", "农安县人民政府"),           # a county
    ("229900", "长白山保护开发区管理委员会"),  # no people's government there
)


def _render(session, template: str, region_code: str) -> str:
    case = SimpleNamespace(id="case-1", business_key="BK-1", process_key="demo", region_code=region_code,
                           started_at=datetime(2026, 10, 9, tzinfo=UTC), organization_id=None, definition=None)
    context = template_context(session, case, {"org_name": "长春市测试协会", "penalty_kind": "撤销登记"},
                               title="决定书", number="测〔2026〕1号")
    return render(DOCUMENTS, template, context)


@pytest.mark.parametrize("template", DECISIONS)
@pytest.mark.parametrize(("region_code", "body"), BODIES)
def test_each_decision_names_the_review_body_of_its_region(session, demo, template, region_code, body):
    html = _render(session, template, region_code)
    assert f"六十日内向{body}申请行政复议" in html
    assert "六个月内依法向人民法院提起行政诉讼" in html
    assert "上一级民政部门" not in html and "管委会人民政府" not in html


def test_the_table_never_invents_a_government(session, demo):
    assert remedy_for(session, "229900").review_body == "长白山保护开发区管理委员会"
    assert remedy_for(session, "220281").review_body == "蛟河市人民政府"  # a county-level city stands alone
    assert remedy_for(session, None).review_body == "本机关的本级人民政府"
    assert (remedy_for(session, "220100").review_days, remedy_for(session, "220100").lawsuit_months) == (60, 6)


def test_no_template_keeps_the_obsolete_wording():
    for path in DOCUMENTS.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "上一级民政部门" not in text and 'replace("民政局", "人民政府")' not in text, path


def test_the_penalty_decision_sets_the_deadline_for_handing_back_certificate_and_seal(session, demo):
    html = _render(session, "zombie_cleanup/penalty_decision.html", "220100")
    assert "自本决定书送达之日起十五个工作日内" in html and "缴回登记证书（正、副本）、印章和财务凭证" in html


def test_the_disapproval_counts_from_the_notice_it_is(session, demo):
    html = _render(session, "major_event/disapproval_notice.html", "220100")
    assert "自收到本通知书之日起六十日内向长春市人民政府申请行政复议" in html
