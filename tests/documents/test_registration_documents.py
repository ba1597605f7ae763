"""Golden test: the registration documents print the limit that applies at the deciding authority, the
fields of the registration and, where the applicant may contest, the 复议 body of that authority."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from handlers.registration import establishment_limit, time_limit
from workflow_app.directory.models import RegionLevel
from workflow_app.documents.context import template_context
from workflow_app.documents.service import render

DOCUMENTS = Path(__file__).resolve().parents[2] / "bpmn" / "documents"
LEVELS = {"220000": RegionLevel.PROVINCE, "220100": RegionLevel.CITY, "220102": RegionLevel.COUNTY,
          "229900": RegionLevel.CITY}


def _render(session, template: str, region_code: str, promised: dict[str, int] | None = None, **variables) -> str:
    level = LEVELS[region_code]
    assessment = {**time_limit(level, region_code, "social_group", promised or {}),
                  "establishment": establishment_limit(level, region_code, promised or {})}
    case = SimpleNamespace(id="case-1", business_key="登申〔2026〕1号", process_key="registration",
                           region_code=region_code, started_at=datetime(2026, 9, 28, 2, tzinfo=UTC),
                           organization_id=None, definition=None)
    context = template_context(session, case, {"org_name": "长春市测试学会", "org_type": "social_group",
                                               "assessment": assessment, **variables},
                               title="文书", number="社登〔2026〕1号",
                               extra={"valid_from": "2026-10-16", "valid_until": "2031-10-15"})
    return render(DOCUMENTS, template, context)


@pytest.mark.parametrize(("region_code", "promised", "printed", "not_printed"), [
    ("220000", None, "十五个工作日", "六十日"),          # the province's own promise
    ("220100", None, "六十日", "十五个工作日"),          # a city: 社团条例 12
    ("220102", None, "六十日", "十五个工作日"),          # a county
    ("220102", {"220102": 20}, "二十个工作日", "六十日"),  # a county with its own promise
])
@pytest.mark.parametrize("template", ["registration/prior_notice.html", "registration/acceptance_notice.html"])
def test_notices_print_the_limit_of_the_deciding_authority(session, demo, template, region_code, promised,
                                                           printed, not_printed):
    html = _render(session, template, region_code, promised)
    assert f"受理申请之日起{printed}内" in html or f"受理之日起{printed}内" in html
    assert not_printed not in html


def test_the_prior_notice_of_a_society_promises_one_decision_and_no_preparation_stage(session, demo):
    """社会团体登记管理条例 as amended in 2016 (国务院令第666号): one 准予或者不予登记 decision (art 12)."""
    html = _render(session, "registration/prior_notice.html", "220102")
    assert "六十日内作出是否准予登记的决定（《社会团体登记管理条例》第十二条" in html
    assert "准予筹备" not in html and "成立大会" not in html and "第十六条" not in html


# Cases still running on the registration version of 2026-12-06 (the 1998 text's 筹备 stage) finish on it:
# its 准予筹备决定书 and the 筹备 branch of the 终止办理通知书 still render from the shared templates.
def test_the_preparation_approval_of_a_case_on_the_earlier_version_still_renders(session, demo):
    html = _render(session, "registration/preparation_approval.html", "220102",
                   founding_deadline="2027-04-16T23:59:59+08:00", received_at="2026-09-28T10:00:00+08:00")
    assert "二〇二七年四月十六日前" in html and "三十日内" in html and "第十六条" in html


def test_the_termination_notice_of_a_case_on_the_earlier_version_names_the_missed_meeting(session, demo):
    html = _render(session, "registration/termination_notice.html", "220102",
                   founding_deadline="2027-04-16T23:59:59+08:00", preparation_approval={"number": "社登筹字〔2026〕1号"})
    assert "社登筹字〔2026〕1号" in html and "二〇二七年四月十六日前召开会员大会" in html


@pytest.mark.parametrize("template", ["registration/approval_decision.html", "registration/certificate.html"])
def test_decision_and_certificate_carry_purpose_scope_area_and_validity(session, demo, template):
    html = _render(session, template, "220100", purpose="促进学术交流。", business_scope="学术交流、科普",
                   activity_area="长春市")
    for shown in ("宗旨", "促进学术交流。", "业务范围", "学术交流、科普", "活动地域", "长春市",
                  "2026年10月16日至2031年10月15日"):
        assert shown in html, shown


@pytest.mark.parametrize(("region_code", "body"), [("220000", "吉林省人民政府"), ("220100", "长春市人民政府"),
                                                   ("220102", "长春市南关区人民政府"),
                                                   ("229900", "长白山保护开发区管理委员会")])
def test_the_termination_notice_names_the_review_body(session, demo, region_code, body):
    html = _render(session, "registration/termination_notice.html", region_code,
                   correction_deadline="2026-10-30T23:59:59+08:00")
    assert "视为撤回申请" in html and f"六十日内向{body}申请行政复议" in html
