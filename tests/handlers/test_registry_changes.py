"""registry.register_change: 变更登记 and 章程核准 written to the case's organization."""

from __future__ import annotations

import pytest

from workflow_app import clock
from workflow_app.instances import audit
from workflow_app.organizations.models import Organization


def _org(session, case) -> Organization:
    session.expire_all()
    return session.get(Organization, case.organization_id)


def test_a_change_registers_the_new_legal_representative_with_its_date_and_case(call, case, session):
    result = call("registry.register_change", {"kind": "change", "legal_representative": "李明",
                                               "summary": "换届后法定代表人变更为李明"})
    org = _org(session, case)
    today = clock.now().astimezone(clock.LOCAL_TZ).date().isoformat()
    assert org.legal_representative == "李明"
    assert (org.flags["change_on"], org.flags["change_case"]) == (today, case.id)
    assert result == {"organization_id": org.id, "kind": "change", "on": today,
                      "changed": ["flags", "legal_representative"]}
    [entry] = [e for e in audit.history(session, case.id) if e.action == "registry_change"]
    assert entry.details["text"] == "变更登记：换届后法定代表人变更为李明"


def test_a_charter_approval_sets_the_party_clause_and_leaves_the_representative(call, case, session):
    before = _org(session, case).legal_representative
    call("registry.register_change", {"kind": "charter", "charter_party_clause": False, "summary": "章程修正"})
    org = _org(session, case)
    assert org.charter_party_clause is False and org.legal_representative == before
    assert org.flags["charter_approved_case"] == case.id and "change_on" not in org.flags


@pytest.mark.parametrize(("params", "message"), [
    ({"kind": "rename", "summary": "x"}, "kind 应为 change 或 charter"),
    ({"kind": "change"}, "缺少参数 summary"),
    ({"kind": "change", "summary": "x", "legal_representative": "名" * 65}, "超过 64 个字符"),
])
def test_bad_parameters_are_refused(call, params, message):
    with pytest.raises(ValueError, match=message):
        call("registry.register_change", params)


def test_a_case_without_an_organization_is_refused(call, case, session):
    from workflow_app.db import unit_of_work
    from workflow_app.instances.models import ProcessInstance

    with unit_of_work(session):
        session.get(ProcessInstance, case.id).organization_id = None
    with pytest.raises(ValueError, match="案件未关联社会组织"):
        call("registry.register_change", {"kind": "change", "summary": "x"})
