"""Calling handlers directly: a HandlerContext on a started sample case, inside a unit of work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

import handlers
from handlers import HandlerContext
from workflow_app.db import unit_of_work
from workflow_app.instances.models import ProcessInstance
from workflow_app.services import instance_service


@pytest.fixture
def case(deployed_sample: str, demo: None, session: Session) -> ProcessInstance:
    """A running sample case of the province (at its first task), linked to the applicant's organization."""
    from workflow_app.organizations.models import Organization

    org = session.query(Organization).filter_by(name="长春市软件行业协会").one()
    return instance_service().start("sample_review", {"org_name": "长春市软件行业协会"}, started_by="applicant",
                                    region_code="220000", organization_id=org.id).instance


@pytest.fixture
def call(session: Session, case: ProcessInstance) -> Callable[..., Any]:
    """Run one handler on ``case`` in its own transaction (as the engine would), as ``actor``."""

    def run(operator: str, params: dict[str, Any] | None = None, *, actor: str = "window_prov",
            instance: ProcessInstance | None = None) -> Any:
        with unit_of_work(session):
            target = session.get(ProcessInstance, (instance or case).id)
            context = HandlerContext(session=session, instance=target, actor=actor)
            return handlers.load_builtin().call(operator, context, params or {})

    return run
