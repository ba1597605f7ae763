"""Demo data: Jilin's regions, the lane groups, the users API.md promises and a registry of organizations.

The loader is idempotent: every row is looked up by its natural key (region code, group
name, username, organization name or USCC) and only the missing ones are created, so the
``demo`` command can run on every start of an empty *or* a demo database.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_app import clock
from workflow_app import demo_data as data
from workflow_app.db import unit_of_work
from workflow_app.directory.models import Group, Region, RegionLevel, Role, User
from workflow_app.directory.passwords import hash_password
from workflow_app.organizations import uscc
from workflow_app.organizations.models import Organization, OrgStatus, OrgType, PartyOrgStatus

T = TypeVar("T")

_KIND = {
    OrgType.SOCIAL_GROUP: uscc.SOCIAL_GROUP,
    OrgType.PRIVATE_NON_ENTERPRISE: uscc.PRIVATE_NON_ENTERPRISE,
    OrgType.FOUNDATION: uscc.FOUNDATION,
}
_TYPE_WEIGHTS = ((OrgType.SOCIAL_GROUP, 60), (OrgType.PRIVATE_NON_ENTERPRISE, 35), (OrgType.FOUNDATION, 5))
_CATEGORIES = {
    OrgType.SOCIAL_GROUP: (data.SOCIAL_GROUP_CATEGORIES, data.SOCIAL_GROUP_STEMS),
    OrgType.PRIVATE_NON_ENTERPRISE: (data.PRIVATE_NON_ENTERPRISE_CATEGORIES, data.PRIVATE_NON_ENTERPRISE_STEMS),
    OrgType.FOUNDATION: (data.FOUNDATION_CATEGORIES, data.FOUNDATION_STEMS),
}
_STATUS_WEIGHTS = ((OrgStatus.ACTIVE, 92), (OrgStatus.DEREGISTERED, 5), (OrgStatus.REVOKED, 3))
# Anything but NONE counts as covered (PROCESSES.md: party_building starts where there is
# no coverage), so NONE at 30 gives the ~70% coverage the province reports.
_PARTY_WEIGHTS = (
    (PartyOrgStatus.NONE, 30), (PartyOrgStatus.SINGLE, 30), (PartyOrgStatus.JOINT, 25),
    (PartyOrgStatus.INSTRUCTOR, 12), (PartyOrgStatus.TEMPORARY, 3),
)
PROVINCE_SHARE = 0.20
CHAMBER_SHARE = 0.20  # of 行业协会商会: the 异地商会 among them
CHARTER_CLAUSE_SHARE = 0.95
ZOMBIE_SHARE = 0.055  # of active organizations, ≈5% of all
FIRST_DAY, LAST_DAY = date(2005, 1, 1), date(2025, 12, 31)
# Since the USCC reform civil affairs assigns organization codes itself: "MJ" + 6 digits.
# Older organizations kept the numeric code the quality bureau had given them.
MJ_SINCE = 2016
_MAX_NAME_TRIES = 200


@dataclass(frozen=True)
class DemoSummary:
    """How many rows one :func:`load_demo` run created (rows already present are not counted)."""

    regions: int = 0
    groups: int = 0
    users: int = 0
    organizations: int = 0

    def __str__(self) -> str:
        text = (f"demo data: created {self.regions} regions, {self.groups} groups, "
                f"{self.users} users, {self.organizations} organizations")
        if not (self.regions or self.groups or self.users or self.organizations):
            text += " (all already present)"
        return text


@dataclass(frozen=True)
class _Place:
    code: str
    name_prefix: str  # how organization names start ("长春市南关区", "延边州")
    address_prefix: str  # how residences start ("吉林省长春市南关区")


@dataclass(frozen=True)
class _OrgSpec:
    name: str
    uscc: str
    org_type: OrgType
    category: str
    region_code: str
    status: OrgStatus
    party_org_status: PartyOrgStatus
    charter_party_clause: bool
    residence: str
    legal_representative: str
    registered_at: datetime
    flags: dict[str, Any] = field(default_factory=dict)
    charity_recognized: bool = False
    sponsor_unit: str | None = None


def is_empty(session: Session) -> bool:
    """Tell whether the database has no users yet (the run command loads the demo then)."""
    return session.scalar(select(User.id).limit(1)) is None


def load_demo(session: Session, *, organizations: int = 300, seed: int = 20261122) -> DemoSummary:
    """Create whatever demo regions, groups, users and organizations are missing, in one transaction."""
    if organizations < 1:
        raise ValueError("organizations must be at least 1: the applicant user belongs to the first")
    # Generated before looking at the database, so a second run draws exactly the same
    # organizations; the first N are the same for any larger N too.
    specs = _organization_specs(random.Random(seed), organizations)
    with unit_of_work(session):
        regions = _load_regions(session)
        groups = _load_groups(session)
        orgs = _load_organizations(session, specs)
        users = _load_users(session)
    return DemoSummary(regions=regions, groups=groups, users=users, organizations=orgs)


def region_rows() -> Iterator[tuple[str, str, RegionLevel, str | None, str]]:
    """Yield (code, name, level, parent code, path) for every demo region, parents first."""
    province_code, province_name = data.PROVINCE
    province_path = f"{province_code}/"
    yield province_code, province_name, RegionLevel.PROVINCE, None, province_path
    for city_code, city_name, counties in data.CITIES:
        city_path = f"{province_path}{city_code}/"
        yield city_code, city_name, RegionLevel.CITY, province_code, city_path
        for county_code, county_name in counties:
            yield county_code, county_name, RegionLevel.COUNTY, city_code, f"{city_path}{county_code}/"


def region_choices() -> dict[str, str]:
    """Every region's code and its label in forms: the province and cities with their 民政 office."""
    names = {code: name for code, name, *_ in region_rows()}
    labels: dict[str, str] = {}
    for code, name, level, parent_code, _path in region_rows():
        if level is RegionLevel.PROVINCE:
            labels[code] = f"{name}（{name}民政厅）"
        elif level is RegionLevel.CITY:
            # 长白山管委会 is itself the office; it has no 民政局 of that name.
            labels[code] = name if name.endswith("管委会") else f"{name}（{name}民政局）"
        else:
            labels[code] = names[parent_code or ""] + name
    return labels


def _load_regions(session: Session) -> int:
    existing = set(session.scalars(select(Region.code)))
    created = 0
    for code, name, level, parent_code, path in region_rows():
        if code not in existing:
            session.add(Region(code=code, name=name, level=level, parent_code=parent_code, path=path))
            created += 1
    # Flushed step by step (regions, groups, organizations, users) so each step's foreign
    # keys find their targets, whatever insert order the unit of work would pick by itself.
    session.flush()
    return created


def _load_groups(session: Session) -> int:
    existing = set(session.scalars(select(Group.name)))
    missing = [Group(name=name, title=title) for name, title in data.GROUPS if name not in existing]
    session.add_all(missing)
    session.flush()
    return len(missing)


def _load_organizations(session: Session, specs: Sequence[_OrgSpec]) -> int:
    names: set[str] = set()
    codes: set[str | None] = set()
    for name, code in session.execute(select(Organization.name, Organization.uscc)):
        names.add(name)
        codes.add(code)
    missing = [spec for spec in specs if spec.name not in names and spec.uscc not in codes]
    session.add_all(
        Organization(
            name=s.name, uscc=s.uscc, org_type=s.org_type, category=s.category, region_code=s.region_code,
            status=s.status, party_org_status=s.party_org_status, charter_party_clause=s.charter_party_clause,
            residence=s.residence, legal_representative=s.legal_representative,
            registered_at=s.registered_at, flags=dict(s.flags), charity_recognized=s.charity_recognized,
            sponsor_unit=s.sponsor_unit,
        )
        for s in missing
    )
    session.flush()  # the applicant user needs its organization's id
    return len(missing)


def _load_users(session: Session) -> int:
    existing = set(session.scalars(select(User.username)))
    applicant_org_id = session.scalar(
        select(Organization.id).where(Organization.name == data.APPLICANT_ORG["name"]).limit(1))
    rows = [(*row, applicant_org_id if row[2] == Role.APPLICANT else None) for row in data.ALL_STAFF]
    rows += _city_applicants(session)
    missing = [row for row in rows if row[0] not in existing]
    if not missing:
        return 0
    groups = {g.name: g for g in session.scalars(select(Group))}
    # One hash for all: they share the published password anyway, and production-strength
    # hashing (~0.15 s each) for every demo user would make the demo load take seconds.
    password_hash = hash_password(data.DEMO_PASSWORD)
    for username, display_name, role, group_names, region_code, organization_id in missing:
        session.add(User(
            username=username, display_name=display_name, password_hash=password_hash, role=Role(role),
            region_code=region_code, email=f"{username}@{data.EMAIL_DOMAIN}", organization_id=organization_id,
            groups=[groups[name] for name in group_names],
        ))
    session.flush()
    return len(missing)


def _city_applicants(session: Session) -> list[tuple[str, str, str, tuple[str, ...], str, int | None]]:
    """An applicant (applicant_jl, applicant_yb, …) for an active 社会团体 registered by each other city.

    Picked from the drawn registry (first by name), so the registry's random stream is untouched;
    a city whose registry has no such organization gets no applicant.
    """
    rows = []
    for code, key in data.CITY_USER_KEYS.items():
        if code == data.APPLICANT_ORG["region_code"]:
            continue  # the API.md applicant
        org = session.scalars(select(Organization).where(
            Organization.region_code == code, Organization.status == OrgStatus.ACTIVE,
            Organization.org_type == OrgType.SOCIAL_GROUP).order_by(Organization.name).limit(1)).first()
        if org is not None:
            rows.append((f"applicant_{key}", f"{org.legal_representative}（{org.name}）", Role.APPLICANT.value,
                         ("applicant",), code, org.id))
    return rows


@dataclass(frozen=True)
class _Places:
    province: _Place
    cities: dict[str, _Place]
    counties: dict[str, list[_Place]]


def _places() -> _Places:
    """The province, each city and each city's counties as places organizations can sit in."""
    province = data.PROVINCE[1]
    cities: dict[str, _Place] = {}
    counties: dict[str, list[_Place]] = {}
    for code, name, rows in data.CITIES:
        city_prefix = data.SHORT_NAMES.get(code, name)
        city_address = f"{province}{data.ADDRESS_NAMES.get(code, name)}"
        # City-level bodies get an address in the city's first listed district.
        cities[code] = _Place(code, city_prefix, city_address + (rows[0][1] if rows else ""))
        counties[code] = [
            _Place(
                c_code,
                # Districts are named with their city ("长春市南关区"); counties and county-level
                # cities stand alone ("农安县", "榆树市").
                city_prefix + c_name if c_name.endswith("区") else data.SHORT_NAMES.get(c_code, c_name),
                city_address + c_name,
            )
            for c_code, c_name in rows
        ]
    # Province-level bodies sit in the capital.
    province_place = _Place(data.PROVINCE[0], province, cities[data.CITIES[0][0]].address_prefix)
    return _Places(province_place, cities, counties)


def _weighted(rng: random.Random, pairs: Sequence[tuple[T, int]]) -> T:
    return rng.choices([value for value, _ in pairs], weights=[w for _, w in pairs])[0]


def _organization_specs(rng: random.Random, count: int) -> list[_OrgSpec]:
    """Draw ``count`` organizations; each draws in a fixed order, so the first N never depend on ``count``."""
    places = _places()
    names: set[str] = set()
    bodies: set[str] = set()
    applicant = data.APPLICANT_ORG
    place = places.cities[applicant["region_code"]]
    names.add(applicant["name"])
    registered_at = _registration_moment(rng)
    specs = [_OrgSpec(
        name=applicant["name"], uscc=_draw_uscc(rng, OrgType.SOCIAL_GROUP, place, registered_at, bodies),
        org_type=OrgType.SOCIAL_GROUP, category=applicant["category"], region_code=place.code,
        status=OrgStatus.ACTIVE, party_org_status=PartyOrgStatus.SINGLE, charter_party_clause=True,
        residence=applicant["residence"], legal_representative=applicant["legal_representative"],
        registered_at=registered_at,
    )]
    for _ in range(count - 1):
        specs.append(_draw_spec(rng, places, names, bodies))
    return specs


def _draw_spec(rng: random.Random, places: _Places, names: set[str], bodies: set[str]) -> _OrgSpec:
    """Draw one organization whose name is not in ``names`` and whose code body is not in ``bodies``."""
    org_type = _weighted(rng, _TYPE_WEIGHTS)
    category_weights, stems = _CATEGORIES[org_type]
    category = _weighted(rng, category_weights)
    chamber = category == "行业协会商会" and rng.random() < CHAMBER_SHARE
    # Decided once, so name clashes (likelier at province level) don't push the share
    # down; only when that level keeps clashing may a retry land elsewhere.
    at_province = rng.random() < PROVINCE_SHARE
    for attempt in range(_MAX_NAME_TRIES):
        if attempt >= _MAX_NAME_TRIES // 10:
            at_province = rng.random() < PROVINCE_SHARE
        # 基金会 register with the province or a city, never a county; 异地商会 with a city only (the city
        # decides in its own name; there is no province-level 异地商会).
        place = _draw_place(rng, places, at_province=at_province and not chamber,
                            county_allowed=org_type is not OrgType.FOUNDATION and not chamber)
        if chamber:
            name = f"{place.name_prefix}{rng.choice(data.HOME_REGIONS)}商会"
        elif org_type is OrgType.SOCIAL_GROUP or (org_type is OrgType.FOUNDATION and rng.random() < 0.5):
            # One association per field and region, so 社会团体 need no trade name (字号).
            name = place.name_prefix + rng.choice(stems[category])
        else:
            name = place.name_prefix + rng.choice(data.TRADE_NAMES) + rng.choice(stems[category])
        if name not in names:
            break
    else:
        raise ValueError(f"no free organization name left after {len(names)}; ask for fewer")
    names.add(name)

    status = _weighted(rng, _STATUS_WEIGHTS)
    flags: dict[str, Any] = {}
    if status is OrgStatus.ACTIVE and rng.random() < ZOMBIE_SHARE:
        situations = rng.sample(data.ZOMBIE_SITUATIONS, rng.randint(1, 3))
        flags = {"suspected_zombie": True, "situations": sorted(situations, key=data.ZOMBIE_SITUATIONS.index)}
    registered_at = _registration_moment(rng)
    return _OrgSpec(
        name=name,
        uscc=_draw_uscc(rng, org_type, place, registered_at, bodies),
        org_type=org_type,
        category=category,
        region_code=place.code,
        status=status,
        party_org_status=_weighted(rng, _PARTY_WEIGHTS),
        charter_party_clause=rng.random() < CHARTER_CLAUSE_SHARE,
        residence=f"{place.address_prefix}{rng.choice(data.STREETS)}{rng.randint(1, 3999)}号",
        legal_representative=rng.choice(data.SURNAMES) + rng.choice(data.GIVEN_NAMES),
        registered_at=registered_at,
        flags=flags,
        # 公益慈善类 foundations are recognized 慈善组织 in the demo registry (慈善法 art 10: a foundation
        # registered after 2016-09-01 is one on registration); others are not. No draw: the seed stays.
        charity_recognized=org_type is OrgType.FOUNDATION and category == "公益慈善类",
        sponsor_unit=data.sponsor_unit(category, place.name_prefix, at_province=place.code == places.province.code),
    )


def _draw_place(rng: random.Random, places: _Places, *, at_province: bool, county_allowed: bool) -> _Place:
    if at_province:
        return places.province
    city_code = _weighted(rng, list(data.CITY_WEIGHTS.items()))
    counties = places.counties[city_code]
    if county_allowed and counties and rng.random() < 0.5:
        return rng.choice(counties)
    return places.cities[city_code]


def _draw_uscc(rng: random.Random, org_type: OrgType, place: _Place, registered_at: datetime,
               bodies: set[str]) -> str:
    """A civil-affairs USCC for the organization, with an organization-code body not yet in ``bodies``."""
    while True:
        if registered_at.year >= MJ_SINCE:
            body = "MJ" + "".join(rng.choices("0123456789", k=6))
        else:
            body = "".join(rng.choices("0123456789", k=8))
        if body not in bodies:
            bodies.add(body)
            return uscc.make(uscc.CIVIL_AFFAIRS, _KIND[org_type], place.code, body)


def _registration_moment(rng: random.Random) -> datetime:
    """A working-hours moment (Beijing time) between 2005 and 2025, as aware UTC."""
    day = FIRST_DAY + timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days + 1))
    local = datetime(day.year, day.month, day.day, 9, tzinfo=clock.LOCAL_TZ)
    return (local + timedelta(seconds=rng.randrange(8 * 3600))).astimezone(UTC)
