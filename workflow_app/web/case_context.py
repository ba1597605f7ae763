"""What the task page and the case page show about a case: its summary, the statutory clock and time
left in working days, the history timeline with opinions, the documents, and the diagram's step states."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_app import clock, db
from workflow_app.calendar.service import CalendarService
from workflow_app.calendar.workdays import WorkCalendar, working_days_between
from workflow_app.definitions.models import ProcessDefinition
from workflow_app.definitions.service import compiled
from workflow_app.directory.models import Region, User
from workflow_app.documents.context import authority_name
from workflow_app.documents.models import Document
from workflow_app.documents.service import DocumentService
from workflow_app.instances import disclosure
from workflow_app.instances.audit import ACTION_LABELS, actor_label
from workflow_app.instances.models import AuditEvent, InstanceStatus, ProcessInstance
from workflow_app.instances.queries import InstanceAccess
from workflow_app.organizations.models import Organization
from workflow_app.services import instance_service
from workflow_app.tasks.forms import DECISION_FIELD
from workflow_app.tasks.models import OPEN_STATUSES, HumanTask, TaskStatus
from workflow_app.tasks.service import task_service
from workflow_app.web.labels import chinese_lanes

HISTORY_LIMIT = 500
INSTANCE_STATUS = {InstanceStatus.RUNNING: "办理中", InstanceStatus.COMPLETED: "已办结",
                   InstanceStatus.CANCELLED: "已撤销", InstanceStatus.ERROR: "流程出错"}
TASK_STATUS = {TaskStatus.READY: "待签收", TaskStatus.CLAIMED: "办理中", TaskStatus.COMPLETED: "已完成",
               TaskStatus.CANCELLED: "已取消"}
ACTIONS = ACTION_LABELS


@dataclass(frozen=True)
class TimeLeft:
    """How a due moment stands now, counted in working days."""

    overdue: bool
    days: int
    text: str
    soon: bool = False


def time_left(due: datetime | None, calendar: WorkCalendar, now: datetime | None = None) -> TimeLeft | None:
    """"剩余 N 个工作日" / "今日到期" / "已超期 N 个工作日" for a due moment (None without one)."""
    if due is None:
        return None
    due, now = clock.as_utc(due), now or clock.now()
    if due < now:
        days = working_days_between(due, now, calendar)
        return TimeLeft(True, days, f"已超期 {days} 个工作日" if days else "已超期")
    days = working_days_between(now, due, calendar)
    return TimeLeft(False, days, f"剩余 {days} 个工作日" if days else "今日到期", soon=days <= 1)


def calendar() -> WorkCalendar:
    """The working-day calendar of this request."""
    return CalendarService(db.session()).calendar()


def region_names(session: Session, codes: Iterable[str | None]) -> dict[str, str]:
    """Region code → name for the codes given."""
    wanted = {c for c in codes if c}
    if not wanted:
        return {}
    return dict(session.execute(select(Region.code, Region.name).where(Region.code.in_(wanted))).all())


def people(session: Session, usernames: Iterable[str | None]) -> dict[str, str]:
    """Username → display name for the users named."""
    wanted = {u for u in usernames if u}
    if not wanted:
        return {}
    return dict(session.execute(select(User.username, User.display_name).where(User.username.in_(wanted)))
                .all())


@dataclass
class Entry:
    """One line of the history timeline."""

    at: datetime
    actor: str
    action: str
    kind: str
    task: str | None
    opinion: str | None
    note: str | None


@dataclass
class CaseView:
    """Everything the case panels show."""

    instance: ProcessInstance
    process_name: str
    version: int
    status: str
    region: str
    organization: Organization | None
    subject: str | None
    starter: str
    clock: TimeLeft | None
    open_tasks: list[HumanTask]
    history: list[Entry]
    documents: list[Document]
    diagram_xml: str
    steps: dict[str, str]
    names: dict[str, str] = field(default_factory=dict)
    events: list[AuditEvent | disclosure.ShownEvent] = field(default_factory=list)
    clock_used: str | None = None
    # Set when the reader is the organization: who stands for every staff member (the rule of
    # workflow_app.instances.disclosure), e.g. 长春市民政局.
    office: str | None = None


def case_view(user: User, instance: ProcessInstance, variables: Mapping[str, Any]) -> CaseView:
    """Gather the panels of a case the user may see (the caller checked visibility)."""
    session = db.session()
    events = InstanceAccess(session, user, instance_service()).history(
        instance.id, page=1, per_page=HISTORY_LIMIT).items
    rows = list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)
                                .order_by(HumanTask.created_at, HumanTask.id)))
    office = None
    wanted = [instance.started_by, *(e.actor for e in events), *(t.assignee for t in rows),
              *(n for e in events for n in _named(e))]
    if disclosure.reads_as_organization(user):  # staff are shown as the office, never by name
        office = authority_name(session, instance.region_code)
        own = disclosure.organization_users(session, user)
        wanted = [n for n in wanted if n in own]
    names = people(session, wanted)
    regions = region_names(session, [instance.region_code, *(e.details.get("to") for e in events
                                                             if e.action == "set_region")])
    started = {e.details.get("process_key") for e in events if e.action == "start_process"}
    processes = dict(session.execute(select(ProcessDefinition.key, ProcessDefinition.name)
                                     .where(ProcessDefinition.key.in_(started))).all()) if started else {}
    decisions = _decision_labels(session, instance, rows)
    documents, _total = DocumentService(session).for_instance(user, instance.id, per_page=200)
    stops = [e for e in events if e.action == "clock_stop"]
    definition = instance.definition
    return CaseView(
        instance=instance, process_name=definition.name, version=definition.version,
        status=INSTANCE_STATUS.get(instance.status, instance.status.value),
        region=regions.get(instance.region_code or "", instance.region_code or ""),
        organization=session.get(Organization, instance.organization_id) if instance.organization_id else None,
        subject=variables.get("org_name") or variables.get("organization_name"),
        starter=names.get(instance.started_by or "", office or instance.started_by or "系统"),
        clock=time_left(instance.due_at, calendar())
        if instance.status is InstanceStatus.RUNNING and not instance.clock_paused else None,
        clock_used=_clock_used(stops[-1]) if stops and instance.due_at is None else None,
        open_tasks=[t for t in rows if t.status in OPEN_STATUSES],
        history=[_entry(e, names, regions, decisions, processes) for e in events],
        documents=documents, diagram_xml=chinese_lanes(definition.bpmn_xml), steps=step_states(instance), names=names,
        events=list(events), office=office,
    )


def step_states(instance: ProcessInstance) -> dict[str, str]:
    """BPMN id → completed / ready / waiting / error / cancelled, for the diagram's markers."""
    service = instance_service()
    workflow = service.engine.load(compiled(instance.definition, service.engine), instance.state_json)
    return service.engine.step_states(workflow)


def _named(event: AuditEvent) -> list[str]:
    to = event.details.get("to")
    if event.action == "set_region":
        return []
    return [to] if isinstance(to, str) else [t for t in to if isinstance(t, str)] if isinstance(to, list) else []


def _decision_labels(session: Session, instance: ProcessInstance, rows: list[HumanTask]) -> dict[str, dict[str, str]]:
    """Task id → {decision value: its label}, from each task's form."""
    forms = task_service(session).forms
    labels: dict[str, dict[str, str]] = {}
    for row in rows:
        prop = (forms.form(session, instance.definition_id, row.name, row.form).schema.get("properties") or {}) \
            .get(DECISION_FIELD)
        if isinstance(prop, dict):
            labels[row.id] = {str(k): str(v) for k, v in (prop.get("x-labels") or {}).items()}
    return labels


def _clock_used(event: AuditEvent) -> str | None:
    used, limit = event.details.get("used_workdays"), event.details.get("limit_workdays")
    return f"用时 {used} 个工作日（法定 {limit} 个工作日）" if used is not None else None


def _entry(event: AuditEvent, names: Mapping[str, str], regions: Mapping[str, str],
           decisions: Mapping[str, Mapping[str, str]], processes: Mapping[str, str]) -> Entry:
    details, note = event.details or {}, None
    if event.action == "complete":
        decision = (details.get("data") or {}).get(DECISION_FIELD)
        if decision is not None:
            note = "结论：" + decisions.get(event.task_id or "", {}).get(str(decision), str(decision))
    elif event.action == "return":
        note = f"退回至「{details.get('to_title') or details.get('to_name')}」"
    elif event.action in ("delegate", "transfer", "assign", "delegate_complete", "delegate_decline"):
        to = details.get("to")
        note = f"交由 {names.get(to, to)}" if to else None
    elif event.action == "cc":
        note = "抄送给 " + "、".join(names.get(t, t) for t in details.get("to") or [])
    elif event.action == "set_region":
        note = regions.get(details.get("to"), details.get("to"))
    elif event.action == "registry_create":
        note = f"{details.get('name')}（统一社会信用代码 {details.get('uscc')}）"
    elif event.action == "clock_stop":
        note = _clock_used(event)
    elif event.action == "start_process":
        key = details.get("process_key")
        note = f"「{processes.get(key, key)}」案件已启动"
    elif event.action == "error":
        note = details.get("message")
    elif event.action in ("clock_start", "clock_resume") and details.get("due_at"):
        note = "法定期限至 " + _local(details["due_at"]) + (f"（{details['reason']}）" if details.get("reason") else "")
    elif event.action == "clock_pause":
        note = f"剩余 {details.get('remaining_workdays')} 个工作日" + (f"（{details['reason']}）"
                                                                  if details.get("reason") else "")
    elif isinstance(details.get("text"), str):
        note = details["text"]
    actor = actor_label(event.actor, names)
    return Entry(at=event.at, actor=actor, action=ACTIONS.get(event.action, event.action), kind=event.action,
                 task=event.task_name, opinion=event.opinion, note=note)


def _local(iso: str) -> str:
    try:
        return clock.as_utc(datetime.fromisoformat(iso)).astimezone(clock.LOCAL_TZ).strftime("%Y-%m-%d")
    except (TypeError, ValueError):
        return str(iso)
