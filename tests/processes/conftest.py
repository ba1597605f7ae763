"""Driving the shipped processes (bpmn/) through the services, step by step.

Each process test deploys only the files of the processes it needs (by naming convention:
``bpmn/<key>.bpmn``, ``bpmn/<key>*.dmn``, ``bpmn/forms/<key>_*.json``), starts a case as a
demo user, completes tasks by their BPMN id and moves the application clock for timers.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.attachments import samples
from workflow_app import clock
from workflow_app.attachments.fields import attachment_fields
from workflow_app.attachments.service import attachment_service
from workflow_app.directory.models import User
from workflow_app.instances import audit
from workflow_app.instances.errors import TaskNotFound
from workflow_app.instances.models import InstanceStatus, ProcessInstance
from workflow_app.services import definition_service, instance_service
from workflow_app.tasks.forms import FormCatalog
from workflow_app.tasks.models import OPEN_STATUSES, HumanTask
from workflow_app.tasks.service import task_service

BPMN = Path(__file__).resolve().parents[2] / "bpmn"


def process_files(*keys: str) -> dict[str, bytes]:
    """The deployable files of the named shipped processes."""
    files: dict[str, bytes] = {}
    for key in keys:
        files[f"{key}.bpmn"] = (BPMN / f"{key}.bpmn").read_bytes()
        for dmn in sorted(BPMN.glob(f"{key}*.dmn")):
            files[dmn.name] = dmn.read_bytes()
        for form in sorted((BPMN / "forms").glob(f"{key}_*.json")):
            files[f"forms/{form.name}"] = form.read_bytes()
    return files


class Timeline:
    """The application clock for one test: frozen at a moment that the test moves forward."""

    def __init__(self, start: datetime) -> None:
        self._stack = ExitStack()
        self.go(start)

    def go(self, moment: datetime) -> None:
        """Freeze the clock at ``moment`` (later completions and timers count from there)."""
        self._stack.close()
        self._stack = ExitStack()
        self._stack.enter_context(clock.frozen(moment))

    def close(self) -> None:
        """Give the clock back."""
        self._stack.close()


class Case:
    """One running case of a shipped process, driven like a caseworker would."""

    def __init__(self, session: Session, instance_id: str) -> None:
        self.session = session
        self.id = instance_id

    @property
    def instance(self) -> ProcessInstance:
        """The instance row, fresh from the database."""
        self.session.expire_all()
        return self.session.get(ProcessInstance, self.id)

    @property
    def status(self) -> InstanceStatus:
        """running / completed / cancelled / error."""
        return self.instance.status

    def open_tasks(self) -> list[HumanTask]:
        """The case's open human tasks."""
        self.session.expire_all()
        return list(self.session.scalars(select(HumanTask).where(
            HumanTask.instance_id == self.id, HumanTask.status.in_(OPEN_STATUSES)).order_by(HumanTask.created_at)))

    def task(self, name: str) -> HumanTask:
        """The open task with BPMN id ``name`` (fails listing the open ones otherwise)."""
        matching = [t for t in self.open_tasks() if t.name == name]
        assert matching, f"no open task {name!r}; open: {[t.name for t in self.open_tasks()]}; error: {self.instance.error}"
        return matching[0]

    def complete(self, name: str, data: dict[str, Any] | None = None, *, actor: str = "test",
                 opinion: str | None = None) -> Case:
        """Complete the open task ``name`` with ``data``, fields its form declares (as through the API and web)."""
        task = self.task(name)
        form = FormCatalog().form(self.session, self.instance.definition_id, task.name, None)
        # Some tests skip the schema on purpose (the gateways hold the rule anyway); undeclared fields never.
        undeclared = set(data or {}) - form.fields
        assert not undeclared, f"the form of {name!r} declares no {sorted(undeclared)}"
        instance_service().complete_task(task.id, data or {}, actor=actor, opinion=opinion)
        assert self.status is not InstanceStatus.ERROR, self.instance.error
        return self

    def upload(self, name: str, field: str, content: bytes, *, filename: str, actor: str) -> str:
        """Upload a file to attachment field ``field`` of the open task ``name`` as ``actor``, through the
        attachment service (its checks included); the new attachment's id."""
        task = self.task(name)
        user = self.session.scalar(select(User).where(User.username == actor))
        if user is None or not self._may_work(user, task):
            # Process tests name actors freely (cases start without an organization, in any region); who may
            # upload is tested in tests/attachments. Such uploads go in as an admin, still through every check.
            user = self.session.scalar(select(User).where(User.username == "admin"))
        return attachment_service().upload(user, task.id, field, filename, io.BytesIO(content)).id

    def _may_work(self, user: User, task: HumanTask) -> bool:
        try:
            _row, _definition, eligible = task_service().visible_to_work(user, task.id)
        except TaskNotFound:
            return False
        return eligible or task.assignee == user.username

    def with_uploads(self, name: str, data: dict[str, Any], *, actor: str) -> dict[str, Any]:
        """``data`` with each attachment field it names filled by real uploads: one small file (a PDF, or a
        PNG where only images are accepted) per item listed, whatever the item says."""
        task = self.task(name)
        form = FormCatalog().form(self.session, self.instance.definition_id, task.name, None)
        data = dict(data)
        for field, spec in attachment_fields(form.schema).items():
            if field in data:
                as_pdf = spec.accepts("pdf")
                data[field] = [self.upload(name, field, samples.pdf(f"{field} {n}") if as_pdf else samples.png(),
                                           filename=f"{spec.title}{n + 1}.{'pdf' if as_pdf else 'png'}", actor=actor)
                               for n in range(len(data[field]))]
        return data

    def variables(self) -> dict[str, Any]:
        """The case's current data."""
        return instance_service().variables(self.instance)

    def advance_to(self, moment: datetime) -> Case:
        """Fire every timer due by ``moment`` (the application clock stays at ``moment`` inside)."""
        with clock.frozen(moment):
            # Spiff fires a timer once its due moment has passed (strictly), as the scheduler does.
            if self.instance.next_timer_at is not None and self.instance.next_timer_at < moment:
                instance_service().fire_timers(self.id)
        assert self.status is not InstanceStatus.ERROR, self.instance.error
        return self

    def advance(self, **delta: float) -> Case:
        """Fire every timer due after ``timedelta(**delta)`` from now."""
        return self.advance_to(clock.now() + timedelta(**delta))

    def history(self) -> list[tuple[str, str | None]]:
        """(action, task name) of every audit event, oldest first."""
        return [(e.action, e.task_name) for e in audit.history(self.session, self.id)]


@pytest.fixture
def deploy_processes(app: Flask) -> Any:
    """Deploy the named shipped processes; return their keys."""

    def deploy(*keys: str) -> list[str]:
        results = definition_service().deploy(process_files(*keys), deployed_by="test")
        return [r.key for r in results]

    return deploy


@pytest.fixture
def start_case(app: Flask, session: Session, demo: None) -> Iterator[Any]:
    """Start a case of a deployed process as a demo user; returns a :class:`Case`."""

    def start(process_key: str, variables: dict[str, Any] | None = None, *, started_by: str = "applicant",
              organization_id: int | None = None, region_code: str | None = "220000") -> Case:
        advance = instance_service().start(process_key, variables or {}, started_by=started_by,
                                           organization_id=organization_id, region_code=region_code)
        assert advance.instance.status is not InstanceStatus.ERROR, advance.instance.error
        return Case(session, advance.instance.id)

    yield start
