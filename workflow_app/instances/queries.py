"""What a user may read and do with cases: visibility-filtered queries, and the start / cancel / retry policy.

Reads filter in SQL with :func:`workflow_app.tasks.visibility.instance_visible` (counts and pages stay
right); a case the caller may not see does not exist for them (404). Changes check the policy,
then hand over to :class:`~workflow_app.instances.service.InstanceService`.

Who may start what (a deliberately simple policy; the BPMN does not declare starters yet):

- applicants start ``registration`` and ``major_event`` (:data:`APPLICANT_PROCESSES`) for their own
  organization: ``organization_id`` defaults to theirs, another organization is 403;
- caseworkers, supervisors and admins start any deployed process; designers start none.

The case's region: the body's ``region`` (the caller's region or one below it, else 403; admins
any), else the organization's region, else the caller's. Tasks of the start form (applicant lane)
that the starter could not otherwise work, e.g. a window clerk entering a paper application, are
assigned to the starter in the same transaction, so the form is in the starter's inbox.

Cancelling (撤销) is for the starter, an admin, or a supervisor whose region covers the case's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, defer, lazyload

from workflow_app.db import unit_of_work
from workflow_app.definitions.models import ProcessDefinition
from workflow_app.definitions.properties import organization_bound, start_variables
from workflow_app.directory.models import Region, Role, User
from workflow_app.documents.context import authority_name
from workflow_app.errors import Forbidden, InvalidInput
from workflow_app.ids import is_uuid
from workflow_app.instances import disclosure
from workflow_app.instances.audit import record
from workflow_app.instances.errors import InstanceNotFound, InvalidVariables
from workflow_app.instances.models import AuditEvent, InstanceStatus, ProcessInstance
from workflow_app.instances.search import EXPORT_LIMIT, CaseFilter, conditions
from workflow_app.instances.service import InstanceService
from workflow_app.organizations.bulk import case_variables
from workflow_app.organizations.models import Organization
from workflow_app.organizations.service import organization_visible
from workflow_app.tasks.models import OPEN_STATUSES, HumanTask, TaskStatus
from workflow_app.tasks.visibility import APPLICANT_GROUP, instance_visible, task_actionable

APPLICANT_PROCESSES = frozenset({"registration", "major_event"})
STARTER_ROLES = frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.ADMIN})


@dataclass(frozen=True)
class Page:
    """One page of a list."""

    items: list[Any]
    total: int
    page: int
    per_page: int


def running_counts(session: Session, definition_ids: Iterable[int]) -> dict[int, int]:
    """Running cases per definition version (the designer sees which versions still have cases)."""
    ids = list(definition_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(ProcessInstance.definition_id, func.count())
        .where(ProcessInstance.definition_id.in_(ids), ProcessInstance.status == InstanceStatus.RUNNING)
        .group_by(ProcessInstance.definition_id)
    )
    return {definition_id: count for definition_id, count in rows}


class InstanceAccess:
    """The cases one user may see, and the changes they may make to them."""

    def __init__(self, session: Session, user: User, service: InstanceService) -> None:
        self.session = session
        self.user = user
        self.service = service

    # -- reads ---------------------------------------------------------------------------------

    def list(self, *, page: int, per_page: int, **filters: Any) -> Page:
        """The visible cases narrowed by ``filters`` (the fields of :class:`CaseFilter`), newest first; items
        carry their open tasks but no variables."""
        query = self._filtered(CaseFilter(**filters))
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = self.session.execute(
            _without_heavy_columns(query)
            .add_columns(ProcessDefinition.version)
            .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
            .order_by(ProcessInstance.started_at.desc(), ProcessInstance.id)
            .limit(per_page).offset((page - 1) * per_page)
        ).all()
        tasks = self._open_tasks([instance.id for instance, _ in rows])
        items = [instance_body(instance, version, [task_body(t) for t in tasks.get(instance.id, [])])
                 for instance, version in rows]
        if disclosure.reads_as_organization(self.user):
            org_users = disclosure.organization_users(self.session, self.user)
            offices: dict[str | None, str] = {}
            for n, (instance, _version) in enumerate(rows):
                if instance.region_code not in offices:
                    offices[instance.region_code] = authority_name(self.session, instance.region_code)
                items[n] = disclosure.instance_body(items[n], offices[instance.region_code], org_users)
        return Page(items, total, page, per_page)

    def export(self, found: CaseFilter, limit: int = EXPORT_LIMIT) -> list[tuple[ProcessInstance, str | None]]:
        """Up to ``limit`` visible cases matching ``found``, newest first, each with its organization's name
        (none for an organization user: the export is for staff)."""
        rows = self.session.execute(
            _without_heavy_columns(self._filtered(found))
            .add_columns(Organization.name)
            .outerjoin(Organization, Organization.id == ProcessInstance.organization_id)
            .order_by(ProcessInstance.started_at.desc(), ProcessInstance.id).limit(limit)).all()
        return [(instance, name) for instance, name in rows]

    def _filtered(self, found: CaseFilter) -> Select[Any]:
        return select(ProcessInstance).where(instance_visible(self.user),
                                             *conditions(found, self.user.username))

    def detail(self, instance_id: str) -> dict[str, Any]:
        """A visible case with its open tasks (and their forms) and its variables."""
        return self._detail(self.visible(instance_id))

    def history(self, instance_id: str, *, page: int, per_page: int) -> Page:
        """A visible case's audit trail, oldest first; an organization reads only what
        :mod:`~workflow_app.instances.disclosure` gives it."""
        instance = self.visible(instance_id)
        if disclosure.reads_as_organization(self.user):
            inputs = disclosure.case_inputs(self.session, self.user, instance)
            shown = disclosure.history(inputs.events, inputs)
            return Page(shown[(page - 1) * per_page:page * per_page], len(shown), page, per_page)
        query = select(AuditEvent).where(AuditEvent.instance_id == instance.id)
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        events = list(self.session.scalars(
            query.order_by(AuditEvent.id).limit(per_page).offset((page - 1) * per_page)))
        return Page(events, total, page, per_page)

    def visible(self, instance_id: str) -> ProcessInstance:
        """The case with that id if the user may see it; InstanceNotFound otherwise (never 403: no leaks)."""
        if not is_uuid(instance_id):
            raise InstanceNotFound(f"no process instance {instance_id!r}")
        instance = self.session.scalars(
            select(ProcessInstance).where(ProcessInstance.id == instance_id, instance_visible(self.user))
        ).first()
        if instance is None:
            raise InstanceNotFound(f"no process instance {instance_id}")
        return instance

    # -- changes -------------------------------------------------------------------------------

    def start(self, process_key: str, *, variables: Mapping[str, Any] | None = None,
              business_key: str | None = None, organization_id: int | None = None,
              region: str | None = None) -> dict[str, Any]:
        """Start a case as the user, under the start policy above; return its detail."""
        self._check_may_start(process_key)
        self._check_start_variables(process_key, variables)
        organization = self._organization_for_start(organization_id)
        if organization_bound(self._properties(process_key)):
            variables = self._registry_variables(organization, variables)
        region_code = self._region_for_start(region, organization)
        with unit_of_work(self.session):
            advance = self.service.start_in_transaction(
                process_key, variables, started_by=self.user.username, business_key=business_key,
                organization_id=organization.id if organization else None, region_code=region_code,
            )
            self._assign_start_form(advance.instance, advance.new_tasks)
        return self._detail(advance.instance)

    def cancel(self, instance_id: str, reason: str) -> dict[str, Any]:
        """Cancel (撤销) a visible case: the starter, an admin or a supervisor over its region may."""
        instance = self.visible(instance_id)
        if not self.may_cancel(instance):
            raise Forbidden("only the person who started the case, a supervisor of its region or an admin "
                            "may cancel it")
        advance = self.service.cancel(instance.id, actor=self.user.username, reason=reason.strip())
        return self._detail(advance.instance)

    def retry(self, instance_id: str, *, latest_version: bool = False) -> dict[str, Any]:
        """Run the failed step of a case in error again (the view lets only admins here)."""
        instance = self.visible(instance_id)
        advance = self.service.retry(instance.id, actor=self.user.username, latest_version=latest_version)
        return self._detail(advance.instance)

    # -- policy --------------------------------------------------------------------------------

    def _check_may_start(self, process_key: str) -> None:
        role = self.user.role
        if role is Role.APPLICANT:
            if process_key not in APPLICANT_PROCESSES:
                allowed = ", ".join(sorted(APPLICANT_PROCESSES))
                raise Forbidden(f"applicants may start only these processes: {allowed}")
        elif role not in STARTER_ROLES:
            raise Forbidden(f"a {role.value} may not start cases")
        exists = self.session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.key == process_key).limit(1))
        if exists is None:
            raise InvalidInput(f"no process definition with key '{process_key}'",
                               details={"fields": {"process_key": ["no such process is deployed"]}})

    def _check_start_variables(self, process_key: str, variables: Mapping[str, Any] | None) -> None:
        """An organization starts with its start form, never with variables; staff pass only the variables
        the process declares in its ``startVariables`` property (docs/bpmn-conventions.md)."""
        if not variables:
            return
        if self.user.role is Role.APPLICANT:
            raise InvalidVariables(
                "发起业务时不能直接提交数据，请在发起后填写申请表（an organization starts a case with its start "
                "form, not with variables）",
                details={"fields": {"variables": ["申请人不能在发起时提交变量（not allowed for applicants）"]}})
        accepted = start_variables(self._properties(process_key))
        refused = sorted(str(name) for name in variables if name not in accepted)
        if refused:
            raise InvalidVariables(
                "流程不接受这些发起变量：" + "、".join(refused) + "（the process does not accept these start variables）",
                details={"fields": {f"variables.{name}": ["本流程未声明此发起变量（not a declared start variable）"]
                                    for name in refused}})

    def _properties(self, process_key: str) -> dict[str, Any]:
        """The process-level properties of the latest version (docs/bpmn-conventions.md)."""
        return self.session.scalar(
            select(ProcessDefinition.properties).where(ProcessDefinition.key == process_key)
            .order_by(ProcessDefinition.version.desc()).limit(1)) or {}

    def _registry_variables(self, organization: Organization | None,
                            variables: Mapping[str, Any] | None) -> dict[str, Any]:
        """An ``organizationBound`` process needs its organization; staff starts get the registry's data as
        the bulk start gives it (the applicant's start form carries theirs)."""
        if organization is None:
            raise InvalidInput(
                "本业务须选择社会组织（organization_id is required: the process acts on one organization）",
                details={"fields": {"organization_id": ["请选择社会组织（required for this process）"]}})
        if self.user.role is Role.APPLICANT:
            return dict(variables or {})
        return {**(variables or {}), **case_variables(organization), "source": "manual"}

    def _organization_for_start(self, organization_id: int | None) -> Organization | None:
        if self.user.role is Role.APPLICANT:
            own = self.user.organization_id
            if own is None:
                raise Forbidden("your account belongs to no organization, so it cannot start a case")
            if organization_id is not None and organization_id != own:
                raise Forbidden("applicants may start cases only for their own organization")
            organization_id = own
        if organization_id is None:
            return None
        # Staff start only for organizations of their region and below (the registry's rule); others are
        # "no such organization", as in the registry API.
        organization = self.session.scalar(select(Organization).where(
            Organization.id == organization_id, organization_visible(self.user)))
        if organization is None:
            raise InvalidInput(f"no organization {organization_id}",
                               details={"fields": {"organization_id": ["no such organization"]}})
        return organization

    def _region_for_start(self, region: str | None, organization: Organization | None) -> str:
        if region is None:
            return organization.region_code if organization is not None else self.user.region_code
        found = self.session.get(Region, region)
        if found is None:
            raise InvalidInput(f"no region {region}", details={"fields": {"region": ["no such region"]}})
        if self.user.role is not Role.ADMIN and not found.path.startswith(self.user.region.path):
            raise Forbidden(f"region {region} is outside your region {self.user.region_code}")
        return found.code

    def _assign_start_form(self, instance: ProcessInstance, new_tasks: list[HumanTask]) -> None:
        start_forms = [t for t in new_tasks if t.candidate_group == APPLICANT_GROUP and t.assignee is None]
        if not start_forms or self.user.role is Role.ADMIN:
            return
        workable = set(self.session.scalars(
            select(HumanTask.id).where(HumanTask.id.in_([t.id for t in start_forms]), task_actionable(self.user))
        ))
        for task in start_forms:
            if task.id not in workable:
                task.assignee, task.status = self.user.username, TaskStatus.CLAIMED
                record(self.session, instance.id, action="assign", actor=self.user.username, task_id=task.id,
                       task_name=task.title, details={"to": self.user.username, "why": "start form"})

    def may_cancel(self, instance: ProcessInstance) -> bool:
        """The starter, an admin, or a supervisor over the case's region may cancel it (撤销)."""
        user = self.user
        if user.role is Role.ADMIN or instance.started_by == user.username:
            return True
        if user.role is not Role.SUPERVISOR or instance.region_code is None:
            return False
        region = self.session.get(Region, instance.region_code)
        return region is not None and region.path.startswith(user.region.path)

    # -- bodies --------------------------------------------------------------------------------

    def _detail(self, instance: ProcessInstance) -> dict[str, Any]:
        definition = instance.definition
        forms = _Forms(definition)
        tasks = self._open_tasks([instance.id]).get(instance.id, [])
        body = instance_body(instance, definition.version, [task_body(t, forms.of(t)) for t in tasks])
        body["variables"] = self.service.variables(instance)
        if disclosure.reads_as_organization(self.user):
            inputs = disclosure.case_inputs(self.session, self.user, instance)
            body = disclosure.instance_body(body, inputs.office, inputs.org_users)
            body["variables"] = disclosure.case_variables(body["variables"], inputs)
        return body

    def _open_tasks(self, instance_ids: list[str]) -> dict[str, list[HumanTask]]:
        if not instance_ids:
            return {}
        found: dict[str, list[HumanTask]] = {}
        for task in self.session.scalars(
            select(HumanTask).where(HumanTask.instance_id.in_(instance_ids), HumanTask.status.in_(OPEN_STATUSES))
            .order_by(HumanTask.created_at, HumanTask.id)
        ):
            found.setdefault(task.instance_id, []).append(task)
        return found


def instance_body(instance: ProcessInstance, version: int, active_tasks: list[dict[str, Any]]) -> dict[str, Any]:
    """API.md's instance body (without ``variables``, which only the detail loads)."""
    return {
        "id": instance.id, "process_key": instance.process_key, "version": version,
        "business_key": instance.business_key, "status": instance.status.value, "region": instance.region_code,
        "organization_id": instance.organization_id, "started_by": instance.started_by,
        "started_at": instance.started_at, "ended_at": instance.ended_at, "due_at": instance.due_at,
        "clock_paused": instance.clock_paused, "active_tasks": active_tasks, "error": instance.error,
    }


def task_body(task: HumanTask, form: dict[str, Any] | None = None) -> dict[str, Any]:
    """API.md's task body; ``form`` only where the caller loaded it (a case's detail)."""
    body = {
        "id": task.id, "instance_id": task.instance_id, "process_key": task.process_key,
        "business_key": task.business_key, "name": task.name, "title": task.title,
        "candidate_group": task.candidate_group, "region": task.region_code, "assignee": task.assignee,
        "status": task.status.value, "created_at": task.created_at, "due_at": task.due_at,
        "escalation_level": task.escalation_level,
    }
    if form is not None:
        body["form"] = form
    return body


class _Forms:
    """The JSON Schema (and UI hints) of a definition's task forms, decoded once per request."""

    def __init__(self, definition: ProcessDefinition) -> None:
        self.definition = definition
        self._decoded: dict[str, Any] = {}

    def of(self, task: HumanTask) -> dict[str, Any]:
        meta = (self.definition.task_meta or {}).get(task.name, {})
        form = {"schema": self._file(task.form or meta.get("form"))}
        ui = self._file(meta.get("ui"))
        if ui is not None:
            form["ui"] = ui
        return form

    def _file(self, ref: str | None) -> Any:
        if not ref:
            return None
        name = f"forms/{PurePosixPath(ref).name}"
        if name not in self._decoded:
            text = (self.definition.files or {}).get(name)
            try:
                self._decoded[name] = json.loads(text) if text else None
            except ValueError:  # deploy checks forms; a broken one must not break the case view
                self._decoded[name] = None
        return self._decoded[name]


def _without_heavy_columns(query: Select) -> Select:
    # A list needs neither the saved engine state nor the definition's spec and files.
    return query.options(lazyload(ProcessInstance.definition), defer(ProcessInstance.state_json))
