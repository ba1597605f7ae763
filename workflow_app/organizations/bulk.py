"""Start cases for many organizations at once: zombie_cleanup (the province had 1,961) and the
党建攻坚 campaign's party_building (every active organization without a party organization).

The organizations are taken in batches; each batch is one transaction that locks its
organization rows (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's unit of work holds the
write lock), skips those that already have an open case of the process, and starts the
rest with ``InstanceService.start_in_transaction``. A batch that fails rolls back alone;
the batches before it stay started, and running the same list again skips them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_app.db import unit_of_work
from workflow_app.directory.models import User
from workflow_app.instances.models import InstanceStatus, ProcessInstance
from workflow_app.organizations.models import Organization, OrgStatus, PartyOrgStatus
from workflow_app.organizations.service import flag_is_true, organization_visible

ZOMBIE_PROCESS = "zombie_cleanup"
PARTY_PROCESS = "party_building"
BATCH_SIZE = 200
OPEN_CASE = (InstanceStatus.RUNNING, InstanceStatus.ERROR)


@dataclass
class BulkResult:
    """Started (organization id, instance id), skipped (organization id, reason), cases in error, time taken."""

    process_key: str
    started: list[tuple[int, str]] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        """One line for the CLI."""
        text = (f"{self.process_key}: started {len(self.started)}, skipped {len(self.skipped)} "
                f"in {self.seconds:.1f} s")
        return text + (f"; {len(self.failed)} started in error" if self.failed else "")


def case_variables(org: Organization) -> dict[str, Any]:
    """The start variables of a registry-started case (docs/handlers.md lists them)."""
    flags = org.flags or {}
    situations = flags.get("situations")
    return {
        "source": "bulk",
        "organization_id": org.id,
        "organization_name": org.name,
        "uscc": org.uscc or "",
        "org_type": org.org_type.value,
        "category": org.category,
        "region_code": org.region_code,
        "suspected_zombie": bool(flags.get("suspected_zombie")),
        "situations": list(situations) if isinstance(situations, list) else [],
    }


def party_case_variables(org: Organization) -> dict[str, Any]:
    """The start variables of a campaign-started party_building case (its ``init`` script keeps them)."""
    variables: dict[str, Any] = {
        "source": "campaign",
        "organization_name": org.name,
        "charter_party_clause": bool(org.charter_party_clause),
    }
    members = (org.flags or {}).get("party_members")
    if isinstance(members, int) and not isinstance(members, bool) and members >= 0:
        variables["party_members"] = members
    return variables


def uncovered_ids(session: Session, user: User | None = None) -> list[int]:
    """Active organizations without any party organization or instructor (visible to ``user`` when given)."""
    query = select(Organization.id).where(Organization.status == OrgStatus.ACTIVE,
                                          Organization.party_org_status == PartyOrgStatus.NONE)
    if user is not None:
        query = query.where(organization_visible(user))
    return list(session.scalars(query.order_by(Organization.id)))


def flagged_ids(session: Session, user: User | None = None) -> list[int]:
    """Active organizations flagged ``suspected_zombie`` (visible to ``user`` when given)."""
    query = select(Organization.id).where(Organization.status == OrgStatus.ACTIVE,
                                          flag_is_true(session, "suspected_zombie"))
    if user is not None:
        query = query.where(organization_visible(user))
    return list(session.scalars(query.order_by(Organization.id)))


def _deadlines_on(session: Session) -> Callable[[str | None, datetime], tuple[datetime | None, str | None]]:
    """Task due moments like ``services.deadlines``, over one calendar read for the whole run."""
    from workflow_app.calendar.service import CalendarService
    from workflow_app.calendar.workdays import due_at, uncovered_warning

    calendar = CalendarService(session).calendar()

    def due_for(limit: str | None, start: datetime) -> tuple[datetime | None, str | None]:
        if not limit:
            return None, None
        due = due_at(start, limit, calendar)
        if not due.uncovered_years:
            return due.at, None
        return due.at, uncovered_warning(due.uncovered_years)

    return due_for


def _batches(ids: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def start_zombie_cleanup(session: Session, organization_ids: Iterable[int], started_by: str, *,
                         process_key: str = ZOMBIE_PROCESS, **options: Any) -> BulkResult:
    """Start zombie_cleanup cases (see :func:`start_cases`)."""
    return start_cases(session, organization_ids, started_by, process_key=process_key, **options)


def start_party_building(session: Session, organization_ids: Iterable[int], started_by: str, *,
                         process_key: str = PARTY_PROCESS, **options: Any) -> BulkResult:
    """Start the 党建攻坚 campaign's party_building cases (see :func:`start_cases`)."""
    return start_cases(session, organization_ids, started_by, process_key=process_key,
                       variables=party_case_variables, **options)


def start_cases(session: Session, organization_ids: Iterable[int], started_by: str, *, process_key: str,
                variables: Callable[[Organization], dict[str, Any]] = case_variables,
                batch_size: int = BATCH_SIZE, visible_to: User | None = None,
                progress: Callable[[int], None] | None = None) -> BulkResult:
    """Start a ``process_key`` case for each active organization without an open one; report the rest."""
    from workflow_app.definitions.service import DefinitionService
    from workflow_app.services import instance_service

    began = time.perf_counter()
    result = BulkResult(process_key)
    service = instance_service(session)
    # services.deadlines asks the calendar service per task (a change-key query each time); for a
    # bulk start one calendar read up front is right and saves a third of the time.
    service.due_for = _deadlines_on(session)
    DefinitionService(session, service.engine, max_bytes=0).latest(process_key)  # fail before any batch
    seen: set[int] = set()
    ids: list[int] = []
    for org_id in organization_ids:
        if org_id in seen:
            result.skipped.append((org_id, "duplicate in the list"))
        else:
            seen.add(org_id)
            ids.append(org_id)
    for batch in _batches(ids, batch_size):
        with unit_of_work(session):
            query = select(Organization).where(Organization.id.in_(batch))
            if visible_to is not None:
                query = query.where(organization_visible(visible_to))
            orgs = {o.id: o for o in session.scalars(query.order_by(Organization.id).with_for_update())}
            open_cases = set(session.scalars(select(ProcessInstance.organization_id).where(
                ProcessInstance.process_key == process_key, ProcessInstance.status.in_(OPEN_CASE),
                ProcessInstance.organization_id.in_(batch))))
            for org_id in batch:
                org = orgs.get(org_id)
                if org is None:
                    result.skipped.append((org_id, "no such organization (or not visible)"))
                elif org.status is not OrgStatus.ACTIVE:
                    result.skipped.append((org_id, f"not active ({org.status.value})"))
                elif org_id in open_cases:
                    result.skipped.append((org_id, f"already has an open {process_key} case"))
                else:
                    advance = service.start_in_transaction(
                        process_key, variables(org), started_by=started_by, organization_id=org.id,
                        region_code=org.region_code)
                    result.started.append((org_id, advance.instance.id))
                    if advance.instance.status is InstanceStatus.ERROR:
                        result.failed.append((org_id, advance.instance.id))
        if progress is not None:
            progress(len(batch))
    result.seconds = time.perf_counter() - began
    return result


def read_id_list(session: Session, text: str) -> tuple[list[int], list[str]]:
    """Organization ids from a list file: ids or 统一社会信用代码, separated by lines, commas or spaces.

    Returns (ids in file order, tokens that name no organization). Lines starting with '#' are comments.
    """
    tokens = [t for line in text.splitlines() if not line.lstrip().startswith("#")
              for t in line.replace(",", " ").replace("，", " ").split()]
    codes = sorted({t.upper() for t in tokens if not t.isdigit()})
    by_code = dict(session.execute(select(Organization.uscc, Organization.id).where(Organization.uscc.in_(codes))).all()) \
        if codes else {}
    ids: list[int] = []
    unknown: list[str] = []
    for token in tokens:
        if token.isdigit():
            ids.append(int(token))
        elif token.upper() in by_code:
            ids.append(by_code[token.upper()])
        else:
            unknown.append(token)
    return ids, unknown
