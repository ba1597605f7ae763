"""Bulk data for the benchmarks: cases at a registration step, and a million human-task rows."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from workflow_app import clock
from workflow_app.definitions.models import ProcessDefinition
from workflow_app.directory.models import Group, Region, Role, User
from workflow_app.instances.models import InstanceStatus, ProcessInstance
from workflow_app.services import instance_service
from workflow_app.tasks.models import HumanTask, TaskCopy, TaskStatus

APPLICATION: dict[str, Any] = {
    "org_type": "social_group", "category": "科技类", "is_remote_chamber": False, "region_code": "220100",
    "residence": "吉林省长春市南关区人民大街2号", "legal_representative": "李明",
    "founders": [{"name": "李明", "founder_kind": "individual"}, {"name": "吉林大学", "founder_kind": "unit"}],
    "party_members": 3, "party_org_formed": False, "registered_funds": 50000, "charter_party_clause": True,
    "materials": ["application_form", "charter_draft", "capital_verification", "residence_proof", "officers_info",
                  "founders_list", "party_building_commitment"],
    "contact_phone": "0431-88886666",
}
REVIEW_PASS = {"decision": "approve", "opinion": "经审查，符合规定。", "materials_verified": True,
               "charter_has_party_clause": True, "site_check": False}


def _open_task(session: Session, instance_id: str, name: str) -> HumanTask:
    session.expire_all()
    return session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.name == name,
        HumanTask.status.in_([TaskStatus.READY, TaskStatus.CLAIMED]))).one()


def cases_at_review(session: Session, count: int) -> list[tuple[str, str]]:
    """Start ``count`` registrations and work each to 审查; return (instance id, review task id) pairs."""
    service = instance_service(session)
    found = []
    for n in range(count):
        instance = service.start("registration", started_by="applicant", region_code="220100").instance
        steps = [("apply", dict(APPLICATION, org_name=f"长春市基准测试第{n}学会"), "applicant"),
                 ("acknowledge", {"acknowledged": True, "signatory": "李明"}, "applicant"),
                 ("accept", {"decision": "accept", "opinion": "材料齐全，予以受理。"}, "window_cc")]
        for name, data, actor in steps:
            service.complete_task(_open_task(session, instance.id, name).id, data, actor=actor)
        found.append((instance.id, _open_task(session, instance.id, "review").id))
    return found


def _chunks(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _pool_users(session: Session) -> dict[tuple[str, str], str]:
    """(group, region) → a demo user working that lane there, to complete, hold and receive tasks."""
    found: dict[tuple[str, str], str] = {}
    for user in session.scalars(select(User).where(User.role != Role.APPLICANT, User.region_code.is_not(None))):
        for group in user.group_names:
            found.setdefault((group, user.region_code), user.username)
    return found


def million_tasks(session: Session, total: int, open_count: int, seed: int = 7) -> dict[str, int]:
    """``total`` human-task rows (``open_count`` open and overdue) over every region, group and process.

    Laid out as a live system's table is: rows in the order they were created over the last 400 days,
    the open ones among the newest (closed work is older). Each (group, region) lane's work is done by
    its demo user where there is one (else a stand-in name), so inboxes have 已办 history, a third of
    the open tasks are claimed, and one task in 200 is copied (抄送) to a lane's user.
    """
    rng = random.Random(seed)
    regions = list(session.scalars(select(Region.code)))
    groups = [g for g in session.scalars(select(Group.name)) if g != "applicant"]
    definitions = {d.key: d.id for d in session.scalars(select(ProcessDefinition))}
    keys = [k for k in ("registration", "major_event", "party_building", "zombie_cleanup") if k in definitions]
    pool_users = _pool_users(session)
    now = clock.now()
    per_case = 5
    instances = total // per_case
    open_from = total - 2 * open_count  # the newest 2 × open_count rows: every other one is open
    span = timedelta(days=400)
    engine = session.get_bind()
    copies: list[dict[str, Any]] = []

    def instance_rows() -> Iterator[dict[str, Any]]:
        for n in range(instances):
            key = keys[n % len(keys)]
            yield {"id": str(uuid.UUID(int=n + 1)), "definition_id": definitions[key], "process_key": key,
                   "business_key": f"BENCH-{n:07d}", "status": InstanceStatus.RUNNING.value,
                   "region_code": regions[n % len(regions)], "started_by": "bench", "started_at": now,
                   "state_json": "{}", "updated_at": now, "version": 1, "clock_paused": False}

    def task_rows() -> Iterator[dict[str, Any]]:
        for n in range(total):
            case = n // per_case
            is_open = n >= open_from and (n - open_from) % 2 == 0
            created = now - span * (total - n) / total
            group, region = groups[rng.randrange(len(groups))], regions[case % len(regions)]
            worker = pool_users.get((group, region), f"staff_{group}_{region}")
            claimed = is_open and rng.random() < 1 / 3
            task_id = str(uuid.UUID(int=(1 << 64) + n))
            if rng.random() < 0.005:
                copies.append({"task_id": task_id, "instance_id": str(uuid.UUID(int=case + 1)), "username": worker,
                               "copied_by": "bench", "created_at": created})
            yield {"id": task_id, "instance_id": str(uuid.UUID(int=case + 1)),
                   "process_key": keys[case % len(keys)], "business_key": f"BENCH-{case:07d}",
                   "name": f"step_{n % per_case}", "title": f"基准任务{n % per_case}",
                   "candidate_group": group, "region_code": region,
                   "status": (TaskStatus.CLAIMED if claimed else TaskStatus.READY if is_open
                              else TaskStatus.COMPLETED).value,
                   "assignee": worker if claimed else None,
                   "created_at": created, "due_at": now - timedelta(days=rng.randint(1, 30)) if is_open else created,
                   "completed_at": None if is_open else created + timedelta(days=1),
                   "completed_by": None if is_open else worker, "escalation_level": 0}

    with engine.begin() as conn:
        for chunk in _chunks(instance_rows(), 20_000):
            conn.execute(insert(ProcessInstance.__table__), chunk)
        for chunk in _chunks(task_rows(), 20_000):
            conn.execute(insert(HumanTask.__table__), chunk)
        for chunk in _chunks(iter(copies), 20_000):
            conn.execute(insert(TaskCopy.__table__), chunk)
    # Bring the database to rest, as it would be some minutes after such a load: on SQLite the rows
    # leave the write-ahead log for the main file (where reads need no WAL lookups; our own read
    # snapshot would hold the checkpoint back, so it ends first); on PostgreSQL autovacuum would have
    # vacuumed and analyzed the tables of a live system — VACUUM sets the visibility map, without which
    # an index-only scan (the inbox's counts) fetches every heap row it counts, and sets the hint bits
    # the first readers would otherwise write.
    session.rollback()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if engine.dialect.name == "sqlite":
            busy, _log, _done = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            if busy:
                raise RuntimeError("the WAL checkpoint after the bulk load was blocked by a reader")
        else:
            conn.exec_driver_sql("VACUUM ANALYZE human_tasks, task_copies, process_instances")
    return {"instances": instances, "tasks": total, "open": open_count, "copies": len(copies)}
