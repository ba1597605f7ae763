"""Demo case history: a few hundred cases of the shipped processes, started over the past months and worked
by the demo staff through the real services, so that a newcomer's first look at the inboxes, the case list,
the alerts and the dashboard is a working office and not "暂无数据".

Each case lives on its own timeline: it starts on a working day of the past months, every step is done a
few working hours to days after the one before (by a user of the step's lane and region, filling the form
with :func:`~workflow_app.tasks.samples.sample_data`), timers fire when its clock passes them, and the case
stops where its timeline reaches today — or earlier, at random, as cases do. Some are sent back (退回), some
withdrawn by their starter (撤销). Nothing is faked: every row comes from the services, audit included.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow_app import clock
from workflow_app import demo_data as data
from workflow_app.attachments.service import attachment_service
from workflow_app.directory.models import Region, Role, User, user_groups
from workflow_app.errors import DomainError
from workflow_app.instances.models import InstanceStatus, ProcessInstance
from workflow_app.instances.queries import InstanceAccess
from workflow_app.organizations.models import Organization, OrgStatus
from workflow_app.services import definition_service, instance_service
from workflow_app.tasks.models import OPEN_STATUSES, HumanTask
from workflow_app.tasks.samples import SampleContext, sample_data
from workflow_app.tasks.service import task_service
from workflow_app.tasks.visibility import APPLICANT_GROUP

# (process, share of the cases, who starts it: "applicant" or a staff lane)
MIX = (("registration", 40, "applicant"), ("major_event", 30, "applicant"), ("party_building", 15, "party_officer"),
       ("zombie_cleanup", 15, "inspector"))
MAX_STEPS = 40
STOP_CHANCE = 0.06  # per step: the case waits there (a person has not got to it yet)
RETURN_CHANCE = 0.08  # per review step with an earlier step: 退回
CANCEL_CHANCE = 0.03  # per case: withdrawn by its starter
DUPLICATE_NAME_CHANCE = 0.05  # per registration: a name already registered, so the registry refuses it (流程出错)
# Hours between two steps of a case: mostly the same or the next day, now and then a week or two (late).
DELAYS = (2, 4, 20, 24, 26, 48, 70, 170, 340)
DELAY_WEIGHTS = (10, 10, 15, 15, 10, 15, 12, 5, 3)
# A tiny valid PDF: what every demo attachment holds.
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


@dataclass
class HistorySummary:
    """What one run created, by process and final status."""

    cases: dict[str, dict[str, int]] = field(default_factory=dict)
    steps: int = 0
    returns: int = 0
    refused: int = 0

    def count(self, process_key: str, status: str) -> None:
        by_status = self.cases.setdefault(process_key, {})
        by_status[status] = by_status.get(status, 0) + 1

    def __str__(self) -> str:
        total = sum(sum(s.values()) for s in self.cases.values())
        parts = "; ".join(f"{key}: " + ", ".join(f"{status} {n}" for status, n in sorted(by.items()))
                          for key, by in sorted(self.cases.items()))
        return (f"demo history: {total} cases, {self.steps} steps done, {self.returns} sent back"
                f" ({parts})")


def has_cases(session: Session) -> bool:
    """Whether the database already holds cases (the history is only made for an empty one)."""
    return bool(session.scalar(select(func.count()).select_from(ProcessInstance)))


class Timeline:
    """One case's clock: later and later office-hour moments, a few hours to a few days apart (weekends
    skipped); a timer that fires moves it forward to the timer's moment, never back."""

    def __init__(self, rng: random.Random, start: datetime) -> None:
        self.rng, self.moment = rng, start

    def next(self) -> datetime:
        hours = self.rng.choices(DELAYS, weights=DELAY_WEIGHTS)[0]
        moment = self.moment + timedelta(hours=hours, minutes=self.rng.randint(0, 59))
        if moment.hour >= 17:
            moment = (moment + timedelta(days=1)).replace(hour=9 + self.rng.randint(0, 2))
        elif moment.hour < 9:
            moment = moment.replace(hour=9 + self.rng.randint(0, 2))
        while moment.weekday() >= 5:
            moment += timedelta(days=1)
        self.moment = moment
        return moment

    def reach(self, moment: datetime) -> None:
        self.moment = max(self.moment, moment)


class DemoHistory:
    """Makes the history, one case at a time, through the services bound to ``session``."""

    def __init__(self, session: Session, *, seed: int = 2026, progress: Callable[[str], None] | None = None) -> None:
        self.session = session
        self.rng = random.Random(seed)
        self.progress = progress or (lambda _line: None)
        self.summary = HistorySummary()
        self._workers: dict[tuple[str, str], User | None] = {}
        self._names: set[str] = set()

    def run(self, cases: int = 240, months: int = 6) -> HistorySummary:
        """Start ``cases`` cases spread over the last ``months`` months and work each up to today."""
        deployed = {d.key for d in definition_service().list()}
        mix = [(key, share, starter) for key, share, starter in MIX if key in deployed]
        if not mix:
            return self.summary
        now = clock.now().astimezone(clock.LOCAL_TZ)
        organizations = self._organizations()
        for n in range(cases):
            key, _share, starter = self.rng.choices(mix, weights=[m[1] for m in mix])[0]
            start = now - timedelta(days=self.rng.uniform(1, months * 30.5))
            start = start.replace(hour=self.rng.randint(9, 15), minute=self.rng.randint(0, 59))
            while start.weekday() >= 5:
                start -= timedelta(days=1)
            self._case(key, starter, start, now, self.rng.choice(organizations))
            if (n + 1) % 20 == 0:
                self.progress(f"  {n + 1}/{cases} cases")
        return self.summary

    def _organizations(self) -> list[Organization]:
        """Active organizations of regions that have staff (the province and the prefectures)."""
        staffed = set(self.session.scalars(select(User.region_code).where(User.role == Role.CASEWORKER)))
        found = list(self.session.scalars(select(Organization).where(
            Organization.status == OrgStatus.ACTIVE, Organization.region_code.in_(staffed)).order_by(Organization.id)))
        return found or list(self.session.scalars(select(Organization).limit(50)))

    # -- one case ------------------------------------------------------------------------------

    def _case(self, key: str, starter_lane: str, start: datetime, now: datetime, organization: Organization) -> None:
        applicants = self._applicants()
        if starter_lane == "applicant" and applicants:
            starter, organization_id = self.rng.choice(applicants), None
            region = starter.region_code if key == "registration" else None
        else:
            starter = self._worker(starter_lane, "220000") or self._user("admin")
            organization_id, region = organization.id, None
        try:
            with clock.frozen(start):
                started = InstanceAccess(self.session, starter, instance_service()).start(
                    key, organization_id=organization_id)
        except DomainError:
            self.session.rollback()
            self.summary.refused += 1
            return
        case_id = started["id"]
        preferred: dict[str, Any] = {"region_code": region} if region else {}
        if key == "registration":
            preferred["org_name"] = self._taken_name(region) if self.rng.random() < DUPLICATE_NAME_CHANCE \
                else None
            preferred["org_name"] = preferred["org_name"] or self._new_name(region or "220100")
        timeline = Timeline(self.rng, start)
        cancel_at = self.rng.randint(2, 8) if self.rng.random() < CANCEL_CHANCE else None
        for step in range(MAX_STEPS):
            moment = timeline.next()
            if moment >= now:
                break
            self._fire_timers(case_id, moment)
            task = self._next_task(case_id)
            if task is None:
                if not self._wait_for_timer(case_id, now, timeline):
                    break
                continue
            if step and self.rng.random() < STOP_CHANCE:
                break
            if cancel_at is not None and step == cancel_at:
                self._cancel(case_id, starter, moment)
                break
            if not self._work(task, moment, preferred):
                break
        instance = self.session.get(ProcessInstance, case_id)
        self.summary.count(key, instance.status.value if instance else "missing")

    def _fire_timers(self, case_id: str, moment: datetime) -> None:
        instance = self.session.get(ProcessInstance, case_id)
        self.session.refresh(instance)
        if instance.status is InstanceStatus.RUNNING and instance.next_timer_at is not None \
                and clock.as_utc(instance.next_timer_at) <= clock.as_utc(moment):
            with clock.frozen(moment):
                try:
                    instance_service().fire_timers(case_id)
                except DomainError:
                    self.session.rollback()

    def _wait_for_timer(self, case_id: str, now: datetime, timeline: Timeline) -> bool:
        """No open task: the case waits for a timer (skip ahead to it) or has ended."""
        instance = self.session.get(ProcessInstance, case_id)
        if instance.status is not InstanceStatus.RUNNING or instance.next_timer_at is None:
            return False
        due = clock.as_utc(instance.next_timer_at)
        if due >= clock.as_utc(now):
            return False
        fired_at = due.astimezone(clock.LOCAL_TZ) + timedelta(minutes=1)
        timeline.reach(fired_at)
        self._fire_timers(case_id, fired_at)
        return True

    def _next_task(self, case_id: str) -> HumanTask | None:
        self.session.expire_all()
        return self.session.scalars(select(HumanTask).where(
            HumanTask.instance_id == case_id, HumanTask.status.in_(OPEN_STATUSES)).order_by(HumanTask.created_at)
        ).first()

    def _work(self, task: HumanTask, moment: datetime, preferred: dict[str, Any]) -> bool:
        """Do the task as someone of its lane; False when nobody could (the case waits there)."""
        user = self._holder(task)
        if user is None:
            return False
        tasks = task_service()
        task_id = task.id
        with clock.frozen(moment):
            try:
                if self._returns(task):
                    tasks.return_to(user, task_id, "材料需补充完善，请按要求修改后重新提交。")
                    self.summary.returns += 1
                    return True
                detail = tasks.detail(user, task_id)
                ctx = SampleContext(moment.date(), self.rng, preferred, self._uploader(user, task_id))
                data = sample_data(detail.form, ctx)
                if data is None:
                    return False
                opinion = "同意。" if detail.form.is_decision else None
                tasks.complete(user, task_id, data, opinion)
            except DomainError:
                self.session.rollback()
                return False
        self.summary.steps += 1
        return True

    def _returns(self, task: HumanTask) -> bool:
        return task.candidate_group not in (APPLICANT_GROUP, None) and task.name.startswith("review") \
            and self.rng.random() < RETURN_CHANCE

    def _uploader(self, user: User, task_id: str) -> Callable[[str, int], list[str]]:
        def upload(name: str, count: int) -> list[str]:
            service = attachment_service()
            return [service.upload(user, task_id, name, f"{name}_{n + 1}.pdf", io.BytesIO(PDF)).id
                    for n in range(count)]

        return upload

    def _cancel(self, case_id: str, starter: User, moment: datetime) -> None:
        with clock.frozen(moment):
            try:
                InstanceAccess(self.session, starter, instance_service()).cancel(case_id, "申请人主动撤回申请")
            except DomainError:
                self.session.rollback()

    def _taken_name(self, region: str | None) -> str | None:
        """The name of an organization already registered in the region: an application the registry will
        refuse when it records the decision, leaving the case in error for an admin (a demo of 流程出错)."""
        return self.session.scalars(select(Organization.name).where(Organization.region_code == region)
                                    .order_by(Organization.id)).first()

    def _new_name(self, region: str) -> str:
        """A name no organization has yet: the region's name, a field of work and a legal form."""
        place = self.session.scalar(select(Region.name).where(Region.code == region)) or "吉林省"
        stems = [stem for group in data.SOCIAL_GROUP_STEMS.values() for stem in group]
        for n in range(1, 1000):
            name = f"{place}{self.rng.choice(stems)}" if n < 50 else f"{place}第{n}{self.rng.choice(stems)}"
            if name not in self._names and not self.session.scalar(
                    select(func.count()).select_from(Organization).where(Organization.name == name)):
                self._names.add(name)
                return name
        return f"{place}新设社会组织{len(self._names)}"

    # -- who does a step ---------------------------------------------------------------------------

    def _holder(self, task: HumanTask) -> User | None:
        if task.assignee:
            return self._user(task.assignee)
        if task.candidate_group == APPLICANT_GROUP:
            holder = self.session.scalars(select(User).where(
                User.organization_id == task.organization_id, User.role == Role.APPLICANT)).first() \
                if task.organization_id else None
            return holder or self._user("admin")  # a paper case: the office enters it (代为办理)
        return self._worker(task.candidate_group or "", task.region_code or "") or self._user("admin")

    def _worker(self, lane: str, region: str) -> User | None:
        if (lane, region) not in self._workers:
            self._workers[(lane, region)] = self.session.scalars(
                select(User).join(user_groups, user_groups.c.user_id == User.id)
                .where(user_groups.c.group_name == lane, User.region_code == region).order_by(User.id)).first()
        return self._workers[(lane, region)]

    def _applicants(self) -> list[User]:
        """The organizations' own users (one per prefecture in the demo)."""
        if not hasattr(self, "_applicant_users"):
            self._applicant_users = list(self.session.scalars(
                select(User).where(User.role == Role.APPLICANT, User.organization_id.is_not(None)).order_by(User.id)))
        return self._applicant_users

    def _user(self, username: str) -> User | None:
        return self.session.scalars(select(User).where(User.username == username)).first()
