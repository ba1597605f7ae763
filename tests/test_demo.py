"""The demo loader: API.md's users, Jilin's region tree and a registry of valid organizations, idempotently."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.orm import Session

import workflow_app.models  # noqa: F401  (registers every table on the metadata)
from workflow_app import demo
from workflow_app import demo_data as data
from workflow_app.db import Base
from workflow_app.demo import DemoSummary, is_empty, load_demo
from workflow_app.directory import passwords
from workflow_app.directory.models import Group, Region, RegionLevel, Role, User
from workflow_app.organizations import uscc
from workflow_app.organizations.models import Organization, OrgStatus, OrgType, PartyOrgStatus

# API.md "Demo data", written out here rather than read from demo_data so the two are checked
# against each other: username → (role, groups, region).
EXPECTED_USERS = {
    "applicant": (Role.APPLICANT, ["applicant"], "220100"),
    "window_prov": (Role.CASEWORKER, ["window"], "220000"),
    "reviewer_prov": (Role.CASEWORKER, ["reviewer"], "220000"),
    "approver_prov": (Role.CASEWORKER, ["approver"], "220000"),
    "supervisor_prov": (Role.SUPERVISOR, ["supervisor"], "220000"),
    "window_cc": (Role.CASEWORKER, ["window"], "220100"),
    "reviewer_cc": (Role.CASEWORKER, ["reviewer"], "220100"),
    "approver_cc": (Role.CASEWORKER, ["approver"], "220100"),
    "supervisor_cc": (Role.SUPERVISOR, ["supervisor"], "220100"),
    "party_officer": (Role.CASEWORKER, ["party_officer"], "220000"),
    "party_committee": (Role.CASEWORKER, ["party_committee"], "220000"),
    "inspector": (Role.CASEWORKER, ["inspector"], "220000"),
    "designer": (Role.DESIGNER, [], "220000"),
    "admin": (Role.ADMIN, [], "220000"),
}
LANES = {"applicant", "window", "reviewer", "approver", "supervisor", "party_officer", "party_committee",
         "inspector"}
SUFFIXES = {
    OrgType.SOCIAL_GROUP: ("协会", "学会", "商会", "联合会", "研究会", "促进会"),
    OrgType.PRIVATE_NON_ENTERPRISE: ("中心", "学校", "研究院", "服务社", "医院"),
    OrgType.FOUNDATION: ("基金会",),
}
KIND = {OrgType.SOCIAL_GROUP: "1", OrgType.PRIVATE_NON_ENTERPRISE: "2", OrgType.FOUNDATION: "3"}
CATEGORIES = {"行业协会商会", "科技类", "公益慈善类", "城乡社区服务类", "学术类", "文化类", "体育类", "教育类"}


@pytest.fixture(autouse=True, scope="module")
def cheap_hashes() -> Iterator[None]:
    """Hash with few iterations here; production strength would only slow the suite down."""
    previous = passwords.set_hash_method("pbkdf2:sha256:1000")
    yield
    passwords.set_hash_method(previous)


def make_engine() -> Engine:
    """An in-memory database with every table, checking foreign keys (SQLite's default is not to)."""
    eng = create_engine("sqlite://")

    @event.listens_for(eng, "connect")
    def _foreign_keys(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA foreign_keys=ON")

    Base.metadata.create_all(eng)
    return eng


@pytest.fixture
def engine() -> Iterator[Engine]:
    eng = make_engine()
    with eng.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as sess:
        yield sess


@pytest.fixture
def loaded(session: Session) -> DemoSummary:
    return load_demo(session)


def counts(session: Session) -> dict[str, int]:
    """Row counts of the tables the demo fills."""
    return {model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Region, Group, User, Organization)}


def test_database_is_empty_before_and_not_after_loading(session: Session) -> None:
    assert is_empty(session)
    load_demo(session, organizations=5)
    assert not is_empty(session)


def test_first_load_reports_what_it_created(session: Session, loaded: DemoSummary) -> None:
    users = counts(session)["User"]
    assert loaded == DemoSummary(regions=71, groups=8, users=users, organizations=300)
    assert f"{users} users" in str(loaded) and "300 organizations" in str(loaded)


def test_every_api_demo_user_has_its_role_groups_and_region(session: Session, loaded: DemoSummary) -> None:
    users = {u.username: u for u in session.scalars(select(User))}
    assert set(EXPECTED_USERS) <= set(users)
    for username, (role, groups, region) in EXPECTED_USERS.items():
        user = users[username]
        assert (user.role, user.group_names, user.region_code) == (role, groups, region), username
        assert user.email == f"{username}@demo.socorg.local"
        assert user.active
        assert any("\u4e00" <= ch <= "\u9fff" for ch in user.display_name), user.display_name


def test_demo_password_opens_every_account_and_nothing_else_does(session: Session, loaded: DemoSummary) -> None:
    for user in session.scalars(select(User)):
        assert passwords.check_password(user.password_hash, "demo12345"), user.username
        assert not passwords.check_password(user.password_hash, "demo123456")
        assert "demo12345" not in user.password_hash


def test_groups_are_the_bpmn_lanes_with_chinese_titles(session: Session, loaded: DemoSummary) -> None:
    groups = {g.name: g.title for g in session.scalars(select(Group))}
    assert set(groups) == LANES
    assert groups["window"] == "窗口受理" and groups["party_committee"] == "综合党委"


def test_only_applicants_belong_to_an_organization_an_active_one_of_their_city(
        session: Session, loaded: DemoSummary) -> None:
    linked = {u.username: u for u in session.scalars(select(User)) if u.organization_id}
    assert all(u.role is Role.APPLICANT for u in linked.values())
    org = session.get(Organization, linked["applicant"].organization_id)
    assert org is not None
    assert (org.name, org.region_code, org.status) == ("长春市软件行业协会", "220100", OrgStatus.ACTIVE)
    for user in linked.values():
        org = session.get(Organization, user.organization_id)
        assert (org.region_code, org.status, org.org_type) == (user.region_code, OrgStatus.ACTIVE,
                                                                OrgType.SOCIAL_GROUP), user.username
    assert {"applicant_jl", "applicant_yb"} <= set(linked)


# Every prefecture (city-level region) and every staff lane: the issue asks at least 长春, 吉林, 延边.
PREFECTURES = {"220100": "cc", "220200": "jl", "220300": "sp", "220400": "ly", "220500": "th", "220600": "bs",
               "220700": "sy", "220800": "bc", "222400": "yb", "229900": "cbs"}


@pytest.mark.parametrize("lane", sorted(LANES - {"applicant"}))
def test_every_prefecture_has_demo_staff_in_every_lane(session: Session, loaded: DemoSummary, lane: str) -> None:
    users = {u.username: u for u in session.scalars(select(User))}
    for code, key in PREFECTURES.items():
        user = users.get(f"{lane}_{key}")
        assert user is not None, f"{lane}_{key}"
        assert (user.group_names, user.region_code, user.active) == ([lane], code, True)
        assert user.role is (Role.SUPERVISOR if lane == "supervisor" else Role.CASEWORKER)
        # Task pools are a lane in the case's own region: this user is the pool for the prefecture's cases.
        assert [u.username for u in users.values() if lane in u.group_names and u.region_code == code] \
            == [f"{lane}_{key}"]


def test_every_county_has_a_supervisor_to_fill_its_yearly_report(session: Session, loaded: DemoSummary) -> None:
    # annual_report's fill_report lies in the reporting unit's supervisor lane; a county reports too.
    counties = list(session.scalars(select(Region.code).where(Region.level == RegionLevel.COUNTY)))
    supervisors = {u.region_code: u for u in session.scalars(select(User).where(User.role == Role.SUPERVISOR))}
    assert len(counties) == 60
    for code in counties:
        user = supervisors.get(code)
        assert user is not None and user.username == f"supervisor_{code}" and user.group_names == ["supervisor"]
    staff = [u.display_name.split("（")[0] for u in session.scalars(select(User).where(User.role != Role.APPLICANT))]
    assert len(staff) == len(set(staff))  # never two people of one name (one clash once: 刘建国)


def test_region_tree_is_province_cities_counties_with_consistent_paths(
        session: Session, loaded: DemoSummary) -> None:
    regions = {r.code: r for r in session.scalars(select(Region))}
    province = regions["220000"]
    assert (province.name, province.level, province.parent_code, province.path) == (
        "吉林省", RegionLevel.PROVINCE, None, "220000/")
    cities = {code for code, r in regions.items() if r.level is RegionLevel.CITY}
    assert cities == {"220100", "220200", "220300", "220400", "220500", "220600", "220700", "220800",
                      "222400", "229900"}
    for region in regions.values():
        if region.level is RegionLevel.CITY:
            assert region.parent_code == "220000"
        elif region.level is RegionLevel.COUNTY:
            assert region.parent_code in cities
        if region.parent_code is not None:
            assert region.path == f"{regions[region.parent_code].path}{region.code}/"
    # Spot checks against GB/T 2260.
    names = {code: r.name for code, r in regions.items()}
    assert names["220102"] == "南关区" and names["220183"] == "德惠市" and names["220284"] == "磐石市"
    assert names["222400"] == "延边朝鲜族自治州" and names["222404"] == "珲春市"
    assert names["220721"] == "前郭尔罗斯蒙古族自治县" and names["220882"] == "大安市"
    for city in cities - {"229900"}:
        assert sum(1 for r in regions.values() if r.parent_code == city) >= 3, city


# The 11 county-level units the seed lacked, with their 行政区划代码 (民政部).
ADDED_COUNTIES = {
    "220521": ("通化县", "220500"), "220523": ("辉南县", "220500"), "220524": ("柳河县", "220500"),
    "220622": ("靖宇县", "220600"), "220623": ("长白朝鲜族自治县", "220600"), "220722": ("长岭县", "220700"),
    "220723": ("乾安县", "220700"), "220822": ("通榆县", "220800"), "222406": ("和龙市", "222400"),
    "222424": ("汪清县", "222400"), "222426": ("安图县", "222400"),
}


def test_all_sixty_county_level_units_of_jilin(session: Session, loaded: DemoSummary) -> None:
    counties = {r.code: (r.name, r.parent_code) for r in session.scalars(select(Region))
                if r.level is RegionLevel.COUNTY}
    assert len(counties) == 60
    assert ADDED_COUNTIES.items() <= counties.items()
    kinds = Counter("自治县" if name.endswith("自治县") else name[-1] for name, _ in counties.values())
    assert kinds == {"区": 21, "市": 20, "县": 16, "自治县": 3}


def test_form_region_enum_is_the_region_table(session: Session, loaded: DemoSummary) -> None:
    """bpmn/forms/*.json carry a static enum (deployed with the process); it must equal the region table."""
    import json
    from pathlib import Path

    regions = {r.code: r for r in session.scalars(select(Region))}
    forms = Path(__file__).resolve().parents[1] / "bpmn" / "forms"
    checked = 0
    for path in sorted(forms.glob("*.json")):
        prop = json.loads(path.read_text(encoding="utf-8")).get("properties", {}).get("region_code")
        if not prop or "enum" not in prop:
            continue
        checked += 1
        assert sorted(prop["enum"]) == sorted(regions), f"{path.name}: run scripts/sync_region_enum.py"
        assert prop["x-labels"] == demo.region_choices(), path.name
        for code, label in prop["x-labels"].items():
            assert regions[code].name in label
    assert checked >= 1


def test_organizations_have_valid_codes_unique_names_and_fitting_suffixes(
        session: Session, loaded: DemoSummary) -> None:
    orgs = list(session.scalars(select(Organization)))
    regions = set(session.scalars(select(Region.code)))
    assert len(orgs) >= 300
    assert len({o.name for o in orgs}) == len(orgs)
    assert len({o.uscc for o in orgs}) == len(orgs)
    for org in orgs:
        assert org.uscc is not None and uscc.is_valid(org.uscc), org.uscc
        assert org.uscc[:2] == "5" + KIND[org.org_type]
        assert org.uscc[2:8] == org.region_code
        assert org.region_code in regions
        assert org.name.endswith(SUFFIXES[org.org_type]), org.name
        assert org.category in CATEGORIES
        assert org.legal_representative and org.residence and org.residence.startswith("吉林省")
        assert org.registered_at is not None and org.registered_at.tzinfo is not None
        assert datetime(2005, 1, 1, tzinfo=UTC) <= org.registered_at < datetime(2026, 1, 1, tzinfo=UTC)


def test_organization_mix_resembles_the_provinces_registry(session: Session, loaded: DemoSummary) -> None:
    orgs = list(session.scalars(select(Organization)))
    share = Counter(o.org_type for o in orgs)
    assert 0.50 < share[OrgType.SOCIAL_GROUP] / len(orgs) < 0.70
    assert 0.25 < share[OrgType.PRIVATE_NON_ENTERPRISE] / len(orgs) < 0.45
    assert 0 < share[OrgType.FOUNDATION] / len(orgs) < 0.10
    assert 0.12 < sum(o.region_code == "220000" for o in orgs) / len(orgs) < 0.28
    covered = sum(o.party_org_status is not PartyOrgStatus.NONE for o in orgs) / len(orgs)
    assert 0.60 < covered < 0.80
    assert sum(o.charter_party_clause for o in orgs) / len(orgs) > 0.90
    statuses = Counter(o.status for o in orgs)
    assert statuses[OrgStatus.ACTIVE] / len(orgs) > 0.85
    assert statuses[OrgStatus.DEREGISTERED] and statuses[OrgStatus.REVOKED]
    zombies = [o for o in orgs if o.flags]
    assert 0.02 < len(zombies) / len(orgs) < 0.09
    for org in zombies:
        assert org.flags["suspected_zombie"] is True and org.status is OrgStatus.ACTIVE
        assert 1 <= len(org.flags["situations"]) <= 5
    # 异地商会 are registered by the cities, none by the province.
    remote = {f"{home}商会" for home in data.HOME_REGIONS}
    assert any(o.region_code != "220000" and o.name[3:] in remote for o in orgs)
    assert not any(o.name.startswith("吉林省") and o.name[3:] in remote for o in orgs)
    assert {o.category for o in orgs} == CATEGORIES
    # Only 公益慈善类 foundations are recognized 慈善组织 (the measure table reads the registry, not a form).
    charities = [o for o in orgs if o.charity_recognized]
    assert charities and all(o.org_type is OrgType.FOUNDATION and o.category == "公益慈善类" for o in charities)


def test_only_organizations_outside_direct_registration_have_a_sponsor(session: Session, loaded: DemoSummary) -> None:
    """行业协会商会 (decoupled), 科技类, 公益慈善类, 城乡社区服务类 register directly: no 业务主管单位."""
    orgs = list(session.scalars(select(Organization)))
    applicant = next(o for o in orgs if o.name == "长春市软件行业协会")
    assert applicant.sponsor_unit is None
    for org in orgs:
        assert (org.sponsor_unit is not None) == (org.category in ("学术类", "文化类", "体育类", "教育类")), org.name
    assert any(o.sponsor_unit and o.region_code == "220100" for o in orgs)  # tests/processes/test_major_event uses one


def test_second_run_creates_nothing_and_says_so(session: Session, loaded: DemoSummary) -> None:
    before = counts(session)
    again = load_demo(session)
    assert again == DemoSummary(regions=0, groups=0, users=0, organizations=0)
    assert "0 users" in str(again)
    assert counts(session) == before


def test_a_larger_run_adds_only_the_new_organizations(session: Session) -> None:
    load_demo(session, organizations=40)
    first = {o.name: o.uscc for o in session.scalars(select(Organization))}
    users = set(session.scalars(select(User.username)))
    summary = load_demo(session, organizations=60)
    assert (summary.regions, summary.groups, summary.organizations) == (0, 0, 20)
    # Only an applicant of a city whose first eligible organization came with the new ones.
    assert all(name.startswith("applicant_") for name in set(session.scalars(select(User.username))) - users)
    after = {o.name: o.uscc for o in session.scalars(select(Organization))}
    assert first.items() <= after.items()
    assert len(after) == 60


def test_the_same_seed_draws_the_same_registry(engine: Engine) -> None:
    with Session(engine) as one:
        load_demo(one, organizations=30, seed=7)
        drawn = sorted(tuple(row) for row in one.execute(select(Organization.name, Organization.uscc)))
    other = make_engine()
    with Session(other) as two:
        load_demo(two, organizations=30, seed=7)
        assert sorted(tuple(row) for row in two.execute(select(Organization.name, Organization.uscc))) == drawn
    other.dispose()


def test_a_failure_midway_leaves_the_database_untouched(
        session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_plain: str) -> str:
        raise RuntimeError("hashing failed")

    # Users come last, after regions, groups and organizations were flushed.
    monkeypatch.setattr(demo, "hash_password", broken)
    with pytest.raises(RuntimeError):
        load_demo(session)
    assert counts(session) == {"Region": 0, "Group": 0, "User": 0, "Organization": 0}


def test_at_least_one_organization_is_needed_for_the_applicant(session: Session) -> None:
    with pytest.raises(ValueError):
        load_demo(session, organizations=0)
