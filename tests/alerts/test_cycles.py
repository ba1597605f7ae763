"""A task sent back to (退回) starts a new cycle: its new time limit climbs the escalation ladder again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.alerts.support import T0
from tests.conftest import DATA, read_bundle
from tests.tasks.conftest import Flow
from workflow_app import clock
from workflow_app.alerts.models import Alert, AlertStatus
from workflow_app.alerts.service import EscalationService
from workflow_app.notifications.models import OutboxMessage
from workflow_app.services import definition_service, instance_service

SECOND = timedelta(seconds=1)


@pytest.fixture
def flow(demo, session) -> Flow:
    definition_service().deploy(read_bundle(DATA / "approval"), deployed_by="test")
    return Flow(session)


def alerts_of(session, task_id):
    session.rollback()
    return [(a.cycle, a.level, a.status) for a in session.scalars(
        select(Alert).where(Alert.task_id == task_id).order_by(Alert.cycle, Alert.level))]


def test_a_task_sent_back_to_climbs_the_ladder_again(flow, session):
    with clock.frozen(T0):
        instance_id, review = flow.to("review")
    first_due = review.due_at
    EscalationService(session).scan(first_due + SECOND)
    assert alerts_of(session, review.id) == [(0, 2, AlertStatus.OPEN)]

    with clock.frozen(first_due + 2 * SECOND):
        flow.complete(instance_id, "review", {"decision": "approve", "opinion": "同意报批"}, "reviewer_cc")
    approve = flow.open(instance_id, "approve")
    with clock.frozen(first_due + 3 * SECOND):
        instance_service().return_task(approve.id, actor="approver_cc", opinion="请补充审核意见")
    again = flow.open(instance_id, "review")
    assert again.id == review.id and (again.cycle, again.escalation_level) == (1, 0)
    assert again.due_at > first_due
    # The first cycle's alert closed with the completion; the new time limit is not yet over.
    assert alerts_of(session, review.id) == [(0, 2, AlertStatus.CLOSED)]
    # Before the new due time: the new cycle's reminder, to the reviewer it was sent back to.
    EscalationService(session).scan(again.due_at - SECOND)
    assert alerts_of(session, review.id) == [(0, 2, AlertStatus.CLOSED), (1, 1, AlertStatus.OPEN)]

    EscalationService(session).scan(again.due_at + SECOND)
    EscalationService(session).scan(again.due_at + 2 * SECOND)  # and only once
    assert alerts_of(session, review.id) == [(0, 2, AlertStatus.CLOSED), (1, 1, AlertStatus.OPEN),
                                             (1, 2, AlertStatus.OPEN)]
    assert flow.open(instance_id, "review").escalation_level == 2
    mails = session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.like(f"alert:{review.id}:%"))
                            .order_by(OutboxMessage.id)).all()
    assert mails == [f"alert:{review.id}:2:mail:supervisor_cc", f"alert:{review.id}:1:1:mail:reviewer_cc",
                     f"alert:{review.id}:1:2:mail:supervisor_cc"]
