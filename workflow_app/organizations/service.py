"""The organization registry: who may see which organizations, lookups, and the changes handlers make.

Visibility (a SQL condition, so counts and pages stay right): admin sees all; an
applicant only their own organization; staff (caseworkers, supervisors, designers) the
organizations registered in their region and the regions below it — province staff
therefore see the whole province.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, cast, exists, false, func, or_, select, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session
from stdnum.cn import uscc as stdnum_uscc

from workflow_app import clock
from workflow_app.directory.models import Region, Role, User
from workflow_app.documents.models import Document
from workflow_app.errors import InvalidInput, NotFound
from workflow_app.instances.models import AuditEvent, ProcessInstance
from workflow_app.numbering.service import next_value
from workflow_app.organizations import uscc
from workflow_app.organizations.models import Organization, OrgStatus, OrgType, PartyOrgStatus
from workflow_app.tasks.visibility import instance_visible

FLAG_RE = re.compile(r"[a-z][a-z0-9_]{0,63}", re.ASCII)
USCC_KIND = {
    OrgType.SOCIAL_GROUP: uscc.SOCIAL_GROUP,
    OrgType.PRIVATE_NON_ENTERPRISE: uscc.PRIVATE_NON_ENTERPRISE,
    OrgType.FOUNDATION: uscc.FOUNDATION,
}
# Registry status changes a case may make. Deregistration is final; a revocation can be
# undone when a review (行政复议/诉讼) sets the penalty aside.
TRANSITIONS: dict[OrgStatus, frozenset[OrgStatus]] = {
    OrgStatus.APPLYING: frozenset({OrgStatus.ACTIVE, OrgStatus.DEREGISTERED}),
    OrgStatus.ACTIVE: frozenset({OrgStatus.DEREGISTERED, OrgStatus.REVOKED, OrgStatus.CERTIFICATE_REVOKED}),
    OrgStatus.REVOKED: frozenset({OrgStatus.ACTIVE}),
    OrgStatus.CERTIFICATE_REVOKED: frozenset({OrgStatus.ACTIVE}),
    OrgStatus.DEREGISTERED: frozenset(),
}
USCC_SERIES = "uscc_body"


class OrganizationNotFound(NotFound):
    """No organization with that id, or not visible to the caller."""

    code = "organization_not_found"


class StatusChangeRefused(ValueError):
    """The registry does not allow that status change."""


def organization_visible(user: User) -> ColumnElement[bool]:
    """The condition an organizations row must meet to be visible to ``user``."""
    if user.role is Role.ADMIN:
        return true()
    if user.role is Role.APPLICANT:
        return Organization.id == user.organization_id if user.organization_id is not None else false()
    return Organization.region_code.in_(select(Region.code).where(Region.path.like(user.region.path + "%")))


def flag_is_true(session: Session, name: str) -> ColumnElement[bool]:
    """``flags[name]`` is JSON ``true`` (portable across SQLite and PostgreSQL)."""
    if not FLAG_RE.fullmatch(name):
        raise InvalidInput(f"invalid flag name {name!r}", details={"fields": {"flag": ["snake_case name"]}})
    if session.get_bind().dialect.name == "postgresql":
        return Organization.flags.op("@>")(cast(func.jsonb_build_object(name, True), JSONB))
    return func.json_type(Organization.flags, f"$.{name}") == "true"


def situation_listed(session: Session, code: str) -> ColumnElement[bool]:
    """``flags.situations`` (a JSON list of zombie situation codes) holds ``code``."""
    if not FLAG_RE.fullmatch(code):
        raise InvalidInput(f"invalid situation {code!r}", details={"fields": {"situation": ["snake_case code"]}})
    if session.get_bind().dialect.name == "postgresql":
        return Organization.flags.op("@>")(cast(func.jsonb_build_object("situations", func.jsonb_build_array(code)),
                                                JSONB))
    items = func.json_each(Organization.flags, "$.situations").table_valued("value")
    return exists(select(1).select_from(items).where(items.c.value == code))


def regions_at_or_below(session: Session, code: str) -> Select[tuple[str]]:
    """Codes of ``code`` and every region below it (nothing for an unknown code)."""
    path = session.scalar(select(Region.path).where(Region.code == code)) or "?"
    return select(Region.code).where(Region.path.like(path + "%"))


@dataclass(frozen=True)
class OrgFilter:
    """The list's filters (all optional)."""

    q: str | None = None
    status: str | None = None
    region: str | None = None
    org_type: str | None = None
    party_org_status: str | None = None
    flag: str | None = None
    situation: str | None = None  # a code in ``flags.situations`` (e.g. ``unreachable``)
    charter_party_clause: bool | None = None


class OrganizationService:
    """Read the registry with the caller's visibility; create and change rows for the handlers."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- reading -------------------------------------------------------------------------------

    def query(self, user: User, filters: OrgFilter) -> Select[tuple[Organization]]:
        """The visible organizations matching ``filters`` (unordered)."""
        query = select(Organization).where(organization_visible(user))
        if filters.q:
            q = filters.q.strip()
            query = query.where(or_(Organization.name.like(f"%{q}%"), Organization.uscc == q.upper()))
        if filters.status:
            query = query.where(Organization.status == OrgStatus(filters.status))
        if filters.org_type:
            query = query.where(Organization.org_type == OrgType(filters.org_type))
        if filters.party_org_status:
            query = query.where(Organization.party_org_status == PartyOrgStatus(filters.party_org_status))
        if filters.region:
            query = query.where(Organization.region_code.in_(regions_at_or_below(self.session, filters.region)))
        if filters.flag:
            query = query.where(flag_is_true(self.session, filters.flag))
        if filters.situation:
            query = query.where(situation_listed(self.session, filters.situation))
        if filters.charter_party_clause is not None:
            query = query.where(Organization.charter_party_clause.is_(filters.charter_party_clause))
        return query

    def export_rows(self, user: User, filters: OrgFilter, *, limit: int) -> Iterator[Organization]:
        """Every visible organization matching ``filters``, by name, at most ``limit`` (read in chunks)."""
        query = self.query(user, filters).order_by(Organization.name, Organization.id).limit(limit)
        yield from self.session.scalars(query.execution_options(yield_per=500))

    def list(self, user: User, filters: OrgFilter, *, page: int = 1,
             per_page: int = 50) -> tuple[list[Organization], int]:
        """A page of visible organizations, by name."""
        query = self.query(user, filters)
        total = self.session.scalar(select(func.count()).select_from(query.subquery()))
        items = self.session.scalars(query.order_by(Organization.name, Organization.id)
                                     .offset((page - 1) * per_page).limit(per_page))
        return list(items), int(total or 0)

    def get(self, user: User, organization_id: int) -> Organization:
        """One visible organization."""
        org = self.session.scalar(select(Organization).where(Organization.id == organization_id,
                                                             organization_visible(user)))
        if org is None:
            raise OrganizationNotFound(f"no organization {organization_id}")
        return org

    def name_taken(self, name: str, region_code: str) -> Organization | None:
        """An active or applying organization with that name in that region, if any."""
        return self.session.scalar(select(Organization).where(
            Organization.name == name, Organization.region_code == region_code,
            Organization.status.in_((OrgStatus.ACTIVE, OrgStatus.APPLYING))).limit(1))

    # -- changes (inside the caller's transaction) ---------------------------------------------

    def assign_uscc(self, org_type: OrgType, region_code: str) -> str:
        """A new 统一社会信用代码 (authority 5 民政): body ``MJ`` + 6 digits from the province-wide sequence.

        The 9-character organization code inside it must be unique across the province (the national
        system keys on it), so the sequence is the province's, not the region's, and bodies any
        organization of the province already carries are skipped.
        """
        province = region_code[:2] + "0000"
        for _ in range(1000):  # skips bodies an imported or demo organization already uses
            seq = next_value(self.session, USCC_SERIES, province, 0)
            if seq > 999_999:
                raise ValueError(f"统一社会信用代码序号已用尽 / code bodies of province {province} are used up")
            body = f"MJ{seq:06d}"
            taken = self.session.scalar(select(Organization.id).where(
                func.substr(Organization.uscc, 9, 8) == body,
                func.substr(Organization.uscc, 3, 2) == region_code[:2]).limit(1))
            if taken is None:
                return uscc.make(uscc.CIVIL_AFFAIRS, USCC_KIND[org_type], region_code, body)
        raise ValueError(f"no free code body found for province {province}")

    def enter_national_uscc(self, org: Organization, code: str) -> dict[str, list[Any]]:
        """Replace a provisional code by the one the national system issued; return what changed."""
        code = (code or "").strip().upper()
        if not uscc.is_valid(code) or not stdnum_uscc.is_valid(code):
            raise InvalidInput("统一社会信用代码无效（校验位不符）", details={"uscc": [f"invalid: {code!r}"]})
        other = self.session.scalar(select(Organization.id).where(Organization.uscc == code, Organization.id != org.id))
        if other is not None:
            raise InvalidInput("该统一社会信用代码已被其他组织使用", details={"uscc": [f"taken by organization {other}"]})
        changed: dict[str, list[Any]] = {}
        if org.uscc != code:
            changed["uscc"] = [org.uscc, code]
            org.uscc = code
        if org.uscc_provisional:
            changed["uscc_provisional"] = [True, False]
            org.uscc_provisional = False
        self.session.flush()
        return changed

    def create(self, *, name: str, org_type: OrgType, category: str, region_code: str,
               residence: str | None = None, legal_representative: str | None = None,
               charter_party_clause: bool = False, party_org_status: PartyOrgStatus = PartyOrgStatus.NONE,
               flags: Mapping[str, Any] | None = None) -> Organization:
        """Enter a newly registered organization as active, with a fresh USCC."""
        org = Organization(
            name=name, uscc=self.assign_uscc(org_type, region_code), uscc_provisional=True,
            org_type=org_type, category=category,
            region_code=region_code, status=OrgStatus.ACTIVE, party_org_status=party_org_status,
            charter_party_clause=charter_party_clause, residence=residence,
            legal_representative=legal_representative, flags=dict(flags or {}), registered_at=clock.now(),
        )
        self.session.add(org)
        self.session.flush()
        return org

    def change(self, org: Organization, *, status: OrgStatus | None = None,
               fields: Mapping[str, Any] | None = None, flags: Mapping[str, Any] | None = None,
               clear_flags: list[str] | tuple[str, ...] = ()) -> dict[str, list[Any]]:
        """Apply a change; return ``{field: [old, new]}`` of what actually changed."""
        changed: dict[str, list[Any]] = {}
        if status is not None and status is not org.status:
            if status not in TRANSITIONS[org.status]:
                raise StatusChangeRefused(
                    f"登记状态不能从 {org.status.value} 变为 {status.value} / "
                    f"status cannot change from {org.status.value} to {status.value}")
            changed["status"] = [org.status.value, status.value]
            org.status = status
        for name, value in (fields or {}).items():
            old = getattr(org, name)
            if old != value:
                changed[name] = [old.value if hasattr(old, "value") else old,
                                 value.value if hasattr(value, "value") else value]
                setattr(org, name, value)
        if flags or clear_flags:
            new_flags = {k: v for k, v in (org.flags or {}).items() if k not in set(clear_flags)}
            new_flags.update(flags or {})
            if new_flags != (org.flags or {}):
                changed["flags"] = [dict(org.flags or {}), new_flags]
                org.flags = new_flags  # a new dict: JSON columns track assignment, not mutation
        if changed:
            org.updated_at = clock.now()
            self.session.flush()
        return changed


def link_case(session: Session, instance: Any, organization_id: int) -> None:
    """Make ``organization_id`` the case's organization; its open tasks follow (applicants see them)."""
    from sqlalchemy import update

    from workflow_app.tasks.models import OPEN_STATUSES, HumanTask

    instance.organization_id = organization_id
    session.execute(update(HumanTask).where(and_(HumanTask.instance_id == instance.id,
                                                 HumanTask.status.in_(OPEN_STATUSES)))
                    .values(organization_id=organization_id).execution_options(synchronize_session="fetch"))


@dataclass(frozen=True)
class RegistryChange:
    """One change a case made to an organization's registry row (from the case's audit trail)."""

    at: datetime
    action: str  # registry_create / registry_update
    changed: dict[str, Any]  # {field: [old, new]}; for a creation, the new row's code and name
    instance_id: str
    process_key: str
    business_key: str | None


REGISTRY_ACTIONS = ("registry_create", "registry_update")


def status_history(session: Session, org: Organization) -> list[RegistryChange]:
    """The registry changes of ``org``, oldest first: the handlers record each one in its case's audit (the
    registry keeps no history table of its own)."""
    rows = session.execute(
        select(AuditEvent, ProcessInstance.process_key, ProcessInstance.business_key)
        .join(ProcessInstance, ProcessInstance.id == AuditEvent.instance_id)
        .where(ProcessInstance.organization_id == org.id, AuditEvent.action.in_(REGISTRY_ACTIONS))
        .order_by(AuditEvent.at, AuditEvent.id))
    changes = []
    for event, process_key, business_key in rows:
        details = event.details or {}
        if details.get("organization_id") not in (None, org.id):
            continue  # the case changed another organization
        changed = details.get("changed") if event.action == "registry_update" else \
            {"uscc": [None, details.get("uscc")], "name": [None, details.get("name")]}
        changes.append(RegistryChange(event.at, event.action, dict(changed or {}), event.instance_id,
                                      process_key, business_key))
    return changes


def documents_of(session: Session, user: User, organization_id: int, *, limit: int = 100) -> list[Any]:
    """Documents of the organization's cases that ``user`` may see, newest first, with each case's process key
    and business key: ``(document, process_key, business_key)``."""
    return list(session.execute(
        select(Document, ProcessInstance.process_key, ProcessInstance.business_key)
        .join(ProcessInstance, ProcessInstance.id == Document.instance_id)
        .where(ProcessInstance.organization_id == organization_id, instance_visible(user))
        .order_by(Document.created_at.desc(), Document.id).limit(limit)).all())
