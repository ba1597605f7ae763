"""What an organization reads of its own case: one rule for the API, the pages, notifications and documents.

A reader is *the organization* when it has no staff role (an applicant-role user). It sees:

- its own submissions: the data of the case's applicant-lane steps (``candidate_group == 'applicant'``),
  and the events its own users caused (their comments, urges, cancellations);
- the case's status and its current steps (title, status, time limit — never who holds a staff step);
- the documents issued to it (every document but those listed in :data:`INTERNAL_DOCUMENTS`);
- the reasons given to it: the opinion (and the reason fields) of a step that decides on or returns its
  application — a user task whose BPMN property ``opinionToApplicant`` is ``true`` or names the decision
  values whose opinion is given (``"incomplete,out_of_scope"``); ``fieldsToApplicant`` lists the form
  fields given with it (``"missing_items,not_accepted_reason"``) — and every 退回 (return) whose target
  is an applicant-lane step; a cancellation's reason.

It never sees staff comments (批注), the opinions and data of other staff steps (``materials_verified``,
``site_check``…), internal events (claims, delegations, copies, timers, errors) or staff usernames: a staff
actor is shown as the office, the case region's civil-affairs authority ("长春市民政局", "吉林省民政厅").

The rule's inputs are read by small functions (:func:`case_inputs`): the audit trail's ``complete`` events
(their ``details.data``) and the human_tasks rows. Staff see everything; nothing here applies to them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from workflow_app.directory.models import Role, User
from workflow_app.documents.context import authority_name
from workflow_app.instances.models import AuditEvent, ProcessInstance
from workflow_app.tasks.models import HumanTask, TaskComment
from workflow_app.tasks.views import TaskDetail, TaskView
from workflow_app.tasks.visibility import APPLICANT_GROUP

OPINION_PROPERTY = "opinionToApplicant"
FIELDS_PROPERTY = "fieldsToApplicant"
DECISION_FIELD = "decision"
# Documents kept inside the office (a 核查情况报告 is addressed to the authority itself), by template kind.
INTERNAL_DOCUMENTS = frozenset({"zombie_cleanup/verification_report"})
# Events of the case's progress an organization may see whoever caused them; all others only when its own.
PROGRESS_EVENTS = frozenset({"start", "complete", "return", "cancel", "end", "clock_start", "clock_pause",
                             "clock_resume", "clock_stop", "set_region", "registry_create", "deemed_accepted",
                             "withdrawn"})
# The detail keys each progress event keeps (others may name people or hold internal data).
EVENT_DETAILS = {
    "start": ("process_key", "version"), "return": ("to_name", "to_title"),
    "clock_start": ("due_at", "limit_workdays", "reason"), "clock_pause": ("remaining_workdays", "reason"),
    "clock_resume": ("due_at",), "clock_stop": ("used_workdays", "limit_workdays"), "set_region": ("to",),
    "registry_create": ("name", "uscc"), "deemed_accepted": ("text",), "withdrawn": ("text",),
}
NAMING_KEYS = ("to", "from")
WITHHELD = "（内部意见，不予公开）"
MIN_WITHHELD = 6  # characters: shorter internal words are not searched for in messages
# A case in error: the engine's detail (a script, a variable's value) is for staff.
CASE_ERROR = "案件处理出现问题，工作人员正在处理（the case is in error; staff are handling it）"


def reads_as_organization(user: User) -> bool:
    """True when the rule applies to ``user``: a caller without a staff role."""
    return user.role is Role.APPLICANT


@dataclass(frozen=True)
class StepRule:
    """Whether a step's opinion is given to the organization (for which decisions), and which fields go with it."""

    opinion: bool | frozenset[str] = False
    fields: frozenset[str] = frozenset()

    def discloses(self, decision: Any) -> bool:
        """True when the opinion of a completion with ``decision`` is given to the organization."""
        if isinstance(self.opinion, bool):
            return self.opinion
        return decision is not None and str(decision) in self.opinion


def parse_step_rule(properties: Mapping[str, Any] | None) -> StepRule:
    """The rule of a user task from its ``spiffworkflow:properties`` (``true``/``false`` or decision values)."""
    properties = properties or {}
    raw = str(properties.get(OPINION_PROPERTY) or "").strip()
    opinion: bool | frozenset[str]
    if raw.lower() in ("", "false", "no", "0"):
        opinion = False
    elif raw.lower() in ("true", "yes", "1"):
        opinion = True
    else:
        opinion = frozenset(v.strip() for v in raw.split(",") if v.strip())
    fields = frozenset(v.strip() for v in str(properties.get(FIELDS_PROPERTY) or "").split(",") if v.strip())
    return StepRule(opinion, fields)


@dataclass
class CaseInputs:
    """What the rule reads of one case, for one organization reader."""

    instance: ProcessInstance
    office: str
    org_users: frozenset[str]
    tasks: dict[str, HumanTask]
    events: list[AuditEvent]
    task_meta: Mapping[str, Any] = field(default_factory=dict)

    def rule(self, task_name: str | None) -> StepRule:
        """The disclosure rule of a step by its BPMN id."""
        return parse_step_rule((self.task_meta.get(task_name or "") or {}).get("properties"))

    def applicant_step(self, task_id: str | None) -> bool:
        """True for a task of the applicant lane."""
        task = self.tasks.get(task_id or "")
        return task is not None and task.candidate_group == APPLICANT_GROUP

    def lane_of(self, task_name: str | None) -> str | None:
        """The lane (candidate group) of a step by its BPMN id."""
        return (self.task_meta.get(task_name or "") or {}).get("lane")

    def actor(self, username: str | None) -> str:
        """An actor as the organization reads it: its own users by name, anyone else as the office."""
        return username if username and username in self.org_users else self.office


def organization_users(session: Session, reader: User) -> frozenset[str]:
    """The usernames of the reader's organization (applicant-role users), the reader included."""
    return organization_members(session, reader.organization_id) | {reader.username}


def organization_members(session: Session, organization_id: int | None) -> frozenset[str]:
    """The usernames of an organization's applicant-role users (none without an organization)."""
    if organization_id is None:
        return frozenset()
    return frozenset(session.scalars(select(User.username).where(
        User.organization_id == organization_id, User.role == Role.APPLICANT)))


def case_tasks(session: Session, instance_id: str) -> dict[str, HumanTask]:
    """The case's human-task rows by id (the lane of each step)."""
    return {t.id: t for t in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id))}


def case_events(session: Session, instance_id: str) -> list[AuditEvent]:
    """The case's audit trail, oldest first (the submissions are its ``complete`` events' ``details.data``)."""
    return list(session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id)
                                .order_by(AuditEvent.id)))


def case_inputs(session: Session, reader: User | None, instance: ProcessInstance,
                org_users: frozenset[str] | None = None) -> CaseInputs:
    """Gather the rule's inputs for ``reader`` (None: the case's organization) and ``instance``."""
    if org_users is None:
        org_users = organization_users(session, reader) if reader is not None \
            else organization_members(session, instance.organization_id)
    return CaseInputs(
        instance=instance, office=authority_name(session, instance.region_code), org_users=org_users,
        tasks=case_tasks(session, instance.id), events=case_events(session, instance.id),
        task_meta=instance.definition.task_meta or {},
    )


# -- events ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShownEvent:
    """An audit event as the organization reads it (the attributes of :class:`AuditEvent` the views read)."""

    id: int
    at: datetime
    actor: str | None
    action: str
    task_id: str | None
    task_name: str | None
    opinion: str | None
    details: dict[str, Any]


def disclosed_opinion(event: AuditEvent, inputs: CaseInputs) -> bool:
    """True when the event's opinion is a reason given to the organization (or its own words)."""
    if event.actor in inputs.org_users:
        return True
    if event.action == "complete":
        if inputs.applicant_step(event.task_id):
            return True
        task = inputs.tasks.get(event.task_id or "")
        decision = ((event.details or {}).get("data") or {}).get(DECISION_FIELD)
        return task is not None and inputs.rule(task.name).discloses(decision)
    if event.action == "return":
        return _returns_to_applicant(event, inputs)
    return event.action == "cancel"


def shown_event(event: AuditEvent, inputs: CaseInputs) -> ShownEvent | None:
    """The event as the organization reads it, or None when it is internal."""
    own = event.actor in inputs.org_users
    if event.action not in PROGRESS_EVENTS and not own:
        return None
    if event.action == "return" and not own and not _returns_to_applicant(event, inputs):
        return None  # a staff step sent back to another staff step: internal back-and-forth
    details = event.details or {}
    if event.action == "complete":
        shown_details = {"data": _submission(event, inputs)}
    elif own:
        shown_details = {k: v for k, v in details.items() if k not in NAMING_KEYS}
    else:
        shown_details = {k: details[k] for k in EVENT_DETAILS.get(event.action, ()) if k in details}
    return ShownEvent(id=event.id, at=event.at, actor=inputs.actor(event.actor), action=event.action,
                      task_id=event.task_id, task_name=event.task_name,
                      opinion=event.opinion if disclosed_opinion(event, inputs) else None, details=shown_details)


def history(events: Iterable[AuditEvent], inputs: CaseInputs) -> list[ShownEvent]:
    """The events the organization may read, as it reads them."""
    return [shown for event in events if (shown := shown_event(event, inputs)) is not None]


def _submission(event: AuditEvent, inputs: CaseInputs) -> dict[str, Any]:
    data = (event.details or {}).get("data") or {}
    if inputs.applicant_step(event.task_id):
        return dict(data)
    task = inputs.tasks.get(event.task_id or "")
    if task is None:
        return {}
    rule = inputs.rule(task.name)
    if not rule.discloses(data.get(DECISION_FIELD)):
        return {}
    return {k: v for k, v in data.items() if k in rule.fields or k in (DECISION_FIELD, "opinion")}


def _returns_to_applicant(event: AuditEvent, inputs: CaseInputs) -> bool:
    details = event.details or {}
    if inputs.applicant_step(details.get("to_task")):
        return True
    return inputs.lane_of(details.get("to_name")) == APPLICANT_GROUP


# -- variables and tasks -----------------------------------------------------------------------------

def case_variables(variables: Mapping[str, Any], inputs: CaseInputs) -> dict[str, Any]:
    """The case data the organization may read: the fields it submitted (their current value) and the reason
    fields of the decisions given to it."""
    shown: dict[str, Any] = {}
    for event in inputs.events:
        if event.action != "complete":
            continue
        data = (event.details or {}).get("data") or {}
        if inputs.applicant_step(event.task_id):
            shown.update({k: variables.get(k, v) for k, v in data.items()})
        else:
            submission = _submission(event, inputs)
            shown.update({k: v for k, v in submission.items() if k not in (DECISION_FIELD, "opinion")})
    return shown


def task_variables(variables: Mapping[str, Any], form_fields: Iterable[str], inputs: CaseInputs) -> dict[str, Any]:
    """The data an organization's own task form opens with: what it may read of the case, and the fields the
    form itself declares (shown to it by the form)."""
    shown = case_variables(variables, inputs)
    shown.update({k: variables[k] for k in form_fields if k in variables})
    return shown


def task_body(body: dict[str, Any], org_users: frozenset[str], office: str) -> dict[str, Any]:
    """An open task of the case (API.md's task body) as the organization reads it: its own step held by
    one of its users by name, by staff as the office; a staff step without who holds it or its form."""
    if body.get("candidate_group") == APPLICANT_GROUP:
        return body if body.get("assignee") in (None, *org_users) else {**body, "assignee": office}
    body = {**body, "assignee": None, "escalation_level": 0}
    body.pop("form", None)
    return body


def instance_body(body: dict[str, Any], office: str, org_users: frozenset[str]) -> dict[str, Any]:
    """A case body (API.md) as the organization reads it: the starter by name only when its own, staff steps
    without who holds them, an error without its technical detail."""
    started_by = body.get("started_by")
    return {**body, "started_by": started_by if started_by in org_users else office,
            "active_tasks": [task_body(t, org_users, office) for t in body.get("active_tasks") or []],
            "error": {"message": CASE_ERROR} if body.get("error") else None}


# -- comments, documents, messages -------------------------------------------------------------------

def comment_visible(user: User) -> ColumnElement[bool]:
    """The comments (批注) ``user`` may read: all for staff; for an organization, its own users' only."""
    if not reads_as_organization(user):
        return true()
    own = select(User.username).where(User.organization_id == user.organization_id, User.role == Role.APPLICANT) \
        if user.organization_id is not None else select(User.username).where(User.id == user.id)
    return TaskComment.author.in_(own) | (TaskComment.author == user.username)


def document_visible(user: User, kind_column: Any) -> ColumnElement[bool]:
    """The documents ``user`` may read: all for staff; for an organization, those issued to it."""
    if not reads_as_organization(user):
        return true()
    return kind_column.not_in(sorted(INTERNAL_DOCUMENTS))


def withheld_texts(inputs: CaseInputs, comments: Iterable[str] = ()) -> list[str]:
    """The internal words of a case (opinions not given to the organization, staff comments), longest first.
    Words it was given anyway stay; so do short ones ("同意", "已阅"), which say little and would garble
    any message that uses the same words."""
    given = {e.opinion.strip() for e in inputs.events if e.opinion and disclosed_opinion(e, inputs)}
    texts = {e.opinion.strip() for e in inputs.events if e.opinion and not disclosed_opinion(e, inputs)}
    texts.update(c.strip() for c in comments if c)
    return sorted((t for t in texts - given if len(t) >= MIN_WITHHELD), key=len, reverse=True)


def redact(text: str, inputs: CaseInputs, staff: Mapping[str, str], comments: Iterable[str] = ()) -> str:
    """A message for the organization: internal opinions and comments withheld, staff named as the office
    (``staff``: username → display name of the case's staff actors)."""
    for secret in withheld_texts(inputs, comments):
        text = text.replace(secret, WITHHELD)
    for username, display in sorted(staff.items(), key=lambda item: -len(item[1] or "")):
        if display and len(display) >= 2:
            text = text.replace(display, inputs.office)
        if username and username not in inputs.org_users and len(username) >= 3:
            text = text.replace(username, inputs.office)
    return text


def staff_actors(session: Session, inputs: CaseInputs) -> dict[str, str]:
    """Username → display name of everyone who acted on the case or holds its tasks, but the organization."""
    names = {e.actor for e in inputs.events if e.actor} | {t.assignee for t in inputs.tasks.values() if t.assignee} \
        | {t.completed_by for t in inputs.tasks.values() if t.completed_by}
    names -= inputs.org_users
    if not names:
        return {}
    return dict(session.execute(select(User.username, User.display_name).where(
        User.username.in_(sorted(names)), User.role != Role.APPLICANT)).all())


def case_comments(session: Session, instance_id: str, org_users: frozenset[str]) -> list[str]:
    """The texts of the case's comments by anyone but the organization."""
    return list(session.scalars(select(TaskComment.text).where(
        TaskComment.instance_id == instance_id, TaskComment.author.not_in(sorted(org_users)))))


def task_detail(session: Session, reader: User, detail: TaskDetail) -> TaskDetail:
    """A task's detail as ``reader`` reads it: for an organization, the case data its form may open with,
    and staff named as the office."""
    if not reads_as_organization(reader):
        return detail
    inputs = case_inputs(session, reader, detail.instance)
    declared = (detail.form.schema.get("properties") or {}) if isinstance(detail.form.schema, dict) else {}
    instance = detail.instance
    if instance.started_by not in inputs.org_users:
        instance = Shown(instance, started_by=inputs.office)
    return replace(detail, task=shown_task(detail.task, inputs.org_users, inputs.office), instance=instance,
                   variables=task_variables(detail.variables, declared, inputs),
                   cc=[n for n in detail.cc if n in inputs.org_users])


def task_views(session: Session, reader: User, views: list[TaskView]) -> list[TaskView]:
    """Inbox rows as ``reader`` reads them: for an organization, staff named as the office."""
    if not reads_as_organization(reader):
        return views
    org_users, offices = organization_users(session, reader), {}
    shown = []
    for view in views:
        region = view.task.region_code
        if region not in offices:
            offices[region] = authority_name(session, region)
        shown.append(TaskView(shown_task(view.task, org_users, offices[region]), view.form))
    return shown


class Shown:
    """A row read through the rule: the attributes given replaced, every other one the row's own (the row
    itself is never changed, so nothing of this reaches the database)."""

    def __init__(self, row: Any, **replaced: Any) -> None:
        self._row = row
        self.__dict__.update(replaced)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, name)


def shown_task(row: HumanTask, org_users: frozenset[str], office: str) -> Any:
    """A task row with its staff holder, completer or delegator named as the office."""
    people = {name: getattr(row, name) for name in ("assignee", "completed_by", "delegated_from")}
    shown = {name: value if value is None or value in org_users else office for name, value in people.items()}
    return row if shown == people else Shown(row, **shown)
