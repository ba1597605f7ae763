"""Inbox tests: a window → reviewer → approver test process and helpers to drive it over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import DATA, read_bundle
from workflow_app.directory.models import User
from workflow_app.services import definition_service, instance_service
from workflow_app.tasks.models import OPEN_STATUSES, HumanTask

CHANGCHUN = "220100"  # 长春市
JILIN_CITY = "220200"  # 吉林市, a sibling city
PROVINCE = "220000"
APPLY = {"title": "年度会员大会", "amount": 2000}


@pytest.fixture
def approval(app: Flask, demo: None) -> str:
    """Deploy the test approval process (applicant → window → reviewer → approver); return its key."""
    [result] = definition_service().deploy(read_bundle(DATA / "approval"), deployed_by="test")
    return result.key


class Flow:
    """Start approval cases and move them along with the services, as the demo users."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def org_of(self, username: str) -> int | None:
        """The organization of a demo user."""
        return self.session.scalar(select(User.organization_id).where(User.username == username))

    def start(self, region: str = CHANGCHUN, business_key: str | None = "CC-2026-001") -> str:
        """A case of the applicant's organization in ``region``; return its instance id (at 'apply')."""
        advance = instance_service().start("approval_test", started_by="applicant", business_key=business_key,
                                           organization_id=self.org_of("applicant"), region_code=region)
        return advance.instance.id

    def open(self, instance_id: str, name: str | None = None) -> HumanTask:
        """The case's one open task (of that BPMN id)."""
        self.session.rollback()  # a fresh snapshot: requests in other threads may have committed
        query = select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status.in_(OPEN_STATUSES))
        if name:
            query = query.where(HumanTask.name == name)
        [row] = self.session.scalars(query).all()
        return row

    def complete(self, instance_id: str, name: str, data: dict[str, Any], actor: str, opinion: str | None = None) -> str:
        """Complete the open task ``name``; return its id."""
        row = self.open(instance_id, name)
        instance_service().complete_task(row.id, data, actor=actor, opinion=opinion)
        return row.id

    def to(self, step: str, region: str = CHANGCHUN) -> tuple[str, HumanTask]:
        """A new case moved to its ``step`` task (apply, accept, review, approve); return (instance id, task)."""
        instance_id = self.start(region)
        order = ["apply", "accept", "review", "approve"]
        who = {"apply": "applicant", "accept": "window_cc", "review": "reviewer_cc"}
        data = {"apply": APPLY, "accept": {"received": True},
                "review": {"decision": "approve", "opinion": "同意报批"}}
        for name in order[:order.index(step)]:
            self.complete(instance_id, name, data[name], who[name])
        return instance_id, self.open(instance_id, step)


@pytest.fixture
def flow(approval: str, session: Session) -> Flow:
    """Drive approval cases."""
    return Flow(session)


@pytest.fixture
def post(client: Any, auth: Any) -> Any:
    """POST JSON to /api/v1/tasks/<path> as a demo user."""

    def call(username: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        return client.post(f"/api/v1/tasks/{path}", json=body if body is not None else {},
                           headers=auth(username), **kwargs)

    return call


@pytest.fixture
def get(client: Any, auth: Any) -> Any:
    """GET /api/v1/tasks<path> as a demo user."""

    def call(username: str, path: str = "", **params: Any) -> Any:
        return client.get(f"/api/v1/tasks{path}", query_string=params, headers=auth(username))

    return call
