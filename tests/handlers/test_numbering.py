"""number.next: the next number of a series for the case's authority and year."""

from __future__ import annotations

from datetime import datetime

import pytest

from workflow_app import clock

NOV = datetime(2026, 11, 23, 10, tzinfo=clock.LOCAL_TZ)


def test_numbers_count_per_series_for_the_cases_authority(call, case):
    with clock.frozen(NOV):
        first = call("number.next", {"series": "registration_certificate", "prefix": "吉民社证字"})
        second = call("number.next", {"series": "registration_certificate", "prefix": "吉民社证字"})
        plain = call("number.next", {"series": "registration_decision"})
        call("case.set_region", {"region_code": "220100"})
        city = call("number.next", {"series": "registration_certificate"})
    assert first == {"number": "吉民社证字〔2026〕1号", "seq": 1, "year": 2026}
    assert second["seq"] == 2
    assert plain == {"number": "〔2026〕1号", "seq": 1, "year": 2026}
    assert city["seq"] == 1  # 长春市 numbers on its own


def test_a_new_year_starts_again_at_one(call):
    with clock.frozen(NOV):
        call("number.next", {"series": "registration_certificate"})
    with clock.frozen(datetime(2027, 1, 4, 9, tzinfo=clock.LOCAL_TZ)):
        assert call("number.next", {"series": "registration_certificate"})["seq"] == 1


@pytest.mark.parametrize(("params", "message"), [
    ({}, "缺少参数 series"),
    ({"series": "Bad Name"}, "序列名称无效"),
    ({"series": "ok", "prefix": "x" * 65}, "超过 64"),
])
def test_bad_parameters_are_refused(call, params, message):
    with pytest.raises(ValueError, match=message):
        call("number.next", params)


def test_a_case_without_a_region_cannot_be_numbered(call, case, session):
    from workflow_app.instances.models import ProcessInstance
    from workflow_app.services import instance_service

    bare = instance_service().start("sample_review", started_by="applicant", region_code=None).instance
    with pytest.raises(ValueError, match="no region"):
        call("number.next", {"series": "x"}, instance=session.get(ProcessInstance, bare.id))
