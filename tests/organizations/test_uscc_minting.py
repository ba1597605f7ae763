"""Minting a 统一社会信用代码: unique organization code across the province, provisional until the national one."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import uscc as stdnum_uscc

import workflow_app.models  # noqa: F401  # every table
from workflow_app.db import Base, build_engine
from workflow_app.demo import region_rows
from workflow_app.directory.models import Region
from workflow_app.errors import InvalidInput
from workflow_app.organizations import uscc
from workflow_app.organizations.models import Organization, OrgStatus, OrgType, PartyOrgStatus
from workflow_app.organizations.service import OrganizationService


@pytest.fixture
def session() -> Iterator[Session]:
    engine = build_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as sess:
        sess.add_all(Region(code=c, name=n, level=lv, parent_code=p, path=path) for c, n, lv, p, path in region_rows())
        sess.flush()
        yield sess
    engine.dispose()


def create(service: OrganizationService, name: str, region: str, org_type: OrgType = OrgType.SOCIAL_GROUP):
    return service.create(name=name, org_type=org_type, category="科技类", region_code=region)


def test_two_regions_never_mint_the_same_organization_code(session: Session) -> None:
    service = OrganizationService(session)
    codes = [create(service, f"协会{i}", region).uscc
             for i, region in enumerate(["220100", "220200", "222401", "220100", "220000", "220722"])]
    bodies = [code[8:17] for code in codes]
    assert len(set(bodies)) == len(bodies)  # old code: every region started at MJ000001
    assert [code[2:8] for code in codes] == ["220100", "220200", "222401", "220100", "220000", "220722"]
    assert all(uscc.is_valid(code) and stdnum_uscc.is_valid(code) for code in codes)


def test_a_body_used_in_another_region_is_skipped(session: Session) -> None:
    session.add(Organization(name="已有", uscc=uscc.make("5", "1", "222401", "MJ000001"),
                             org_type=OrgType.SOCIAL_GROUP, category="科技类", region_code="222401",
                             status=OrgStatus.ACTIVE, party_org_status=PartyOrgStatus.NONE))
    session.flush()
    org = create(OrganizationService(session), "新协会", "220100")
    assert org.uscc[8:16] == "MJ000002"


def test_a_minted_code_is_provisional_until_the_national_code_is_entered(session: Session) -> None:
    service = OrganizationService(session)
    org = create(service, "长春市测试协会", "220100")
    assert org.uscc_provisional is True
    national = uscc.make("5", "1", "220100", "50871234")
    changed = service.enter_national_uscc(org, national.lower())
    assert changed == {"uscc": [changed["uscc"][0], national], "uscc_provisional": [True, False]}
    assert (org.uscc, org.uscc_provisional) == (national, False)
    assert session.scalar(select(Organization.uscc_provisional).where(Organization.id == org.id)) is False


def test_entering_a_bad_or_taken_national_code_is_refused(session: Session) -> None:
    service = OrganizationService(session)
    first, second = create(service, "甲协会", "220100"), create(service, "乙协会", "220200")
    wrong_check = first.uscc[:17] + ("0" if first.uscc[17] != "0" else "1")
    for bad in (wrong_check, "ABC", ""):
        with pytest.raises(InvalidInput, match="无效"):
            service.enter_national_uscc(second, bad)
    with pytest.raises(InvalidInput, match="已被其他组织使用"):
        service.enter_national_uscc(second, first.uscc)
    assert second.uscc_provisional is True


def test_our_check_digits_agree_with_python_stdnum() -> None:
    rng = random.Random(15)
    for _ in range(2000):
        body = "".join(rng.choices(uscc.CHARSET[:10] + "ABCDEFGHJKLMNPQRTUWXY", k=8))
        code = uscc.make("5", rng.choice("123"), rng.choice(["220100", "222401", "220000"]), body)
        assert stdnum_uscc.is_valid(code), code
        broken = code[:17] + uscc.CHARSET[(uscc.CHARSET.index(code[17]) + 1) % len(uscc.CHARSET)]
        assert not uscc.is_valid(broken) and not stdnum_uscc.is_valid(broken)
