"""The admin's view of the outbox: list messages by status (the dead letters), retry one."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow_app import clock
from workflow_app.db import unit_of_work
from workflow_app.errors import Conflict, NotFound
from workflow_app.notifications.models import OutboxMessage, OutboxStatus


class OutboxMessageNotFound(NotFound):
    """No outbox message with that id."""

    code = "outbox_message_not_found"


class OutboxMessageNotDead(Conflict):
    """Only a dead message can be retried (a pending one is retried anyway, a sent one is done)."""

    code = "outbox_message_not_dead"


@dataclass
class OutboxPage:
    """One page of outbox messages."""

    items: list[OutboxMessage]
    total: int
    page: int
    per_page: int


class OutboxService:
    """Reads and re-queues outbox messages; owns its transactions."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def list(self, status: str | None = None, page: int = 1, per_page: int = 50) -> OutboxPage:
        """Messages with ``status`` (all when None), newest first."""
        query = select(OutboxMessage)
        if status:
            query = query.where(OutboxMessage.status == OutboxStatus(status))
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        items = self.session.scalars(
            query.order_by(OutboxMessage.id.desc()).offset((page - 1) * per_page).limit(per_page)).all()
        return OutboxPage(list(items), total, page, per_page)

    def retry(self, message_id: int) -> OutboxMessage:
        """Put a dead message back in the queue with a fresh set of attempts, due now."""
        if not 0 < message_id < 2**63:  # not a 64-bit id: cannot exist (and would overflow the driver)
            raise OutboxMessageNotFound(f"no outbox message {message_id}")
        with unit_of_work(self.session):
            message = self.session.scalars(
                select(OutboxMessage).where(OutboxMessage.id == message_id).with_for_update()).first()
            if message is None:
                raise OutboxMessageNotFound(f"no outbox message {message_id}")
            if message.status is not OutboxStatus.DEAD:
                raise OutboxMessageNotDead(f"outbox message {message_id} is {message.status.value}, not dead",
                                           details={"status": message.status.value})
            message.status, message.attempts, message.next_attempt_at = OutboxStatus.PENDING, 0, clock.now()
        return message
