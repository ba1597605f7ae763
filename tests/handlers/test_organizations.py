"""registry.create_organization and registry.update_organization."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from workflow_app.instances.models import ProcessInstance
from workflow_app.organizations import uscc
from workflow_app.organizations.models import Organization, OrgStatus, OrgType, PartyOrgStatus
from workflow_app.tasks.models import HumanTask

NEW = {"name": "吉林省测试科技协会", "org_type": "social_group", "category": "科技类", "region_code": "220000",
       "residence": "长春市人民大街1号", "legal_representative": "赵测试", "charter_party_clause": True,
       "party_members": 3}


def test_create_enters_an_active_organization_with_a_new_code_and_links_the_case(call, case, session):
    result = call("registry.create_organization", NEW)
    org = session.get(Organization, result["organization_id"])
    assert result["uscc"] == org.uscc == uscc.make("5", "1", "220000", "MJ000001")
    assert uscc.is_valid(org.uscc)
    assert (org.status, org.org_type, org.party_org_status, org.charter_party_clause) == (
        OrgStatus.ACTIVE, OrgType.SOCIAL_GROUP, PartyOrgStatus.NONE, True)
    assert org.flags == {"party_members": 3, "registered_by_case": case.id}
    assert org.registered_at is not None
    session.expire_all()
    assert session.get(ProcessInstance, case.id).organization_id == org.id
    assert set(session.scalars(select(HumanTask.organization_id).where(HumanTask.instance_id == case.id))) == {org.id}


def test_codes_follow_the_type_and_never_repeat(call, session):
    first = call("registry.create_organization", {**NEW, "name": "甲", "org_type": "民办非企业单位"})
    second = call("registry.create_organization", {**NEW, "name": "乙", "org_type": "基金会"})
    assert first["uscc"][:2] == "52" and second["uscc"][:2] == "53"
    assert first["uscc"][8:16] == "MJ000001" and second["uscc"][8:16] == "MJ000002"


def test_a_code_already_in_the_registry_is_skipped(call, session):
    from workflow_app.db import unit_of_work

    taken = uscc.make("5", "1", "220000", "MJ000001")
    with unit_of_work(session):
        session.add(Organization(name="已有", uscc=taken, org_type=OrgType.SOCIAL_GROUP, category="科技类",
                                 region_code="220000", status=OrgStatus.ACTIVE,
                                 party_org_status=PartyOrgStatus.NONE))
    result = call("registry.create_organization", NEW)
    assert result["uscc"][8:16] == "MJ000002"


def test_a_name_already_registered_in_that_region_is_refused(call):
    call("registry.create_organization", NEW)
    with pytest.raises(ValueError, match="已在该登记管理机关登记.*already registered"):
        call("registry.create_organization", NEW)


@pytest.mark.parametrize(("change", "message"), [
    ({"name": ""}, "缺少参数 name"),
    ({"org_type": "company"}, "参数 org_type 取值无效"),
    ({"region_code": "999999"}, "no region"),
    ({"charter_party_clause": "maybe"}, "应为是/否"),
    ({"party_members": -1}, "超出范围"),
    ({"category": None}, "缺少参数 category"),
])
def test_create_refuses_bad_parameters(call, change, message):
    with pytest.raises(ValueError, match=message):
        call("registry.create_organization", {**NEW, **change})


def test_update_changes_status_party_data_and_merges_flags(call, case, session):
    org = session.get(Organization, case.organization_id)
    org_id = org.id
    result = call("registry.update_organization", {
        "status": "注销", "party_org_status": "joint", "charter_party_clause": False,
        "flags": {"suspected_zombie": True, "situations": ["unreachable"]}, "legal_representative": "新代表"})
    assert result == {"organization_id": org_id, "changed": [
        "charter_party_clause", "flags", "legal_representative", "party_org_status", "status"]}
    session.expire_all()
    org = session.get(Organization, org_id)
    assert (org.status, org.party_org_status, org.charter_party_clause, org.legal_representative) == (
        OrgStatus.DEREGISTERED, PartyOrgStatus.JOINT, False, "新代表")
    assert org.flags == {"suspected_zombie": True, "situations": ["unreachable"]}
    result = call("registry.update_organization", {"clear_flags": ["suspected_zombie", "situations"],
                                                   "flags": {"activated": True}})
    session.expire_all()
    assert session.get(Organization, org_id).flags == {"activated": True}
    assert call("registry.update_organization", {"status": "deregistered"})["changed"] == []


@pytest.mark.parametrize(("start", "target", "allowed"), [
    (OrgStatus.ACTIVE, "revoked", True),
    (OrgStatus.ACTIVE, "certificate_revoked", True),
    (OrgStatus.REVOKED, "active", True),
    (OrgStatus.APPLYING, "active", True),
    (OrgStatus.DEREGISTERED, "active", False),
    (OrgStatus.REVOKED, "deregistered", False),
    (OrgStatus.ACTIVE, "applying", False),
])
def test_status_changes_follow_the_registry_rules(call, case, session, start, target, allowed):
    from workflow_app.db import unit_of_work

    with unit_of_work(session):
        session.get(Organization, case.organization_id).status = start
    if allowed:
        assert call("registry.update_organization", {"status": target})["changed"] == ["status"]
    else:
        with pytest.raises(ValueError, match="登记状态变更不允许.*cannot change"):
            call("registry.update_organization", {"status": target})


def test_update_of_another_organization_by_id(call, case, session):
    other = session.scalar(select(Organization).where(Organization.id != case.organization_id,
                                                      Organization.status == OrgStatus.ACTIVE).limit(1))
    result = call("registry.update_organization", {"organization_id": other.id, "flags": {"x": 1}})
    assert result["organization_id"] == other.id


@pytest.mark.parametrize(("params", "message"), [
    ({"organization_id": 999999}, "社会组织 999999 不存在"),
    ({"status": "gone"}, "参数 status 取值无效"),
    ({"flags": ["a"]}, "应为字典"),
    ({"clear_flags": [1, 2]}, "应为文本列表"),
    ({"include": ["flags"]}, "不能读取字段 flags"),
    ({"include": ["legal_representative"]}, "不能读取字段"),
])
def test_update_refuses_bad_parameters(call, params, message):
    with pytest.raises(ValueError, match=message):
        call("registry.update_organization", params)


def test_update_reads_back_the_registry_facts_a_case_needs(call, case, session):
    org = session.get(Organization, case.organization_id)
    org.charity_recognized = True
    session.commit()
    result = call("registry.update_organization", {"flags": {"suspected_zombie": True},
                                                   "include": ["org_type", "charity_recognized"]})
    assert (result["org_type"], result["charity_recognized"]) == (org.org_type.value, True)
    assert "org_type" not in call("registry.update_organization", {})  # only when asked


def test_update_needs_an_organization(call, session):
    from workflow_app.services import instance_service

    bare = instance_service().start("sample_review", started_by="applicant", region_code="220000").instance
    with pytest.raises(ValueError, match="has no organization"):
        call("registry.update_organization", {"status": "revoked"}, instance=session.get(ProcessInstance, bare.id))
