"""Reading one's own 消息: list, unread count, mark one or all read. A user reaches only their own rows:
every statement here is filtered on the caller's username, so another user's message id is a 404."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from workflow_app import clock
from workflow_app.db import unit_of_work
from workflow_app.directory.models import User
from workflow_app.errors import NotFound
from workflow_app.messages.models import UserMessage

MAX_ID = 2**63  # ids beyond a 64-bit integer cannot exist (and would overflow the driver)


class MessageNotFound(NotFound):
    """No message with that id addressed to the caller."""

    code = "message_not_found"


@dataclass(frozen=True)
class MessagePage:
    """One page of the caller's messages, newest first, with their unread count."""

    items: list[UserMessage]
    total: int
    unread: int
    page: int
    per_page: int


class MessageService:
    """The caller's messages; owns its transactions."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def unread_count(self, user: User) -> int:
        """How many of the caller's messages are unread (the bell)."""
        return self.session.scalar(select(func.count()).select_from(UserMessage).where(
            UserMessage.username == user.username, UserMessage.read_at.is_(None))) or 0

    def list(self, user: User, *, unread_only: bool = False, page: int = 1, per_page: int = 20) -> MessagePage:
        """A page of the caller's messages, newest first."""
        where = [UserMessage.username == user.username]
        if unread_only:
            where.append(UserMessage.read_at.is_(None))
        total = self.session.scalar(select(func.count()).select_from(UserMessage).where(*where)) or 0
        items = list(self.session.scalars(select(UserMessage).where(*where).order_by(UserMessage.id.desc())
                                          .limit(per_page).offset((page - 1) * per_page)))
        return MessagePage(items, total, self.unread_count(user), page, per_page)

    def mark_read(self, user: User, message_id: int) -> UserMessage:
        """Mark one of the caller's messages read (idempotent); another user's is not found."""
        if not 0 < message_id < MAX_ID:
            raise MessageNotFound(f"no message {message_id}")
        with unit_of_work(self.session):
            message = self.session.scalars(select(UserMessage).where(
                UserMessage.id == message_id, UserMessage.username == user.username)).first()
            if message is None:
                raise MessageNotFound(f"no message {message_id}")
            if message.read_at is None:
                message.read_at = clock.now()
        return message

    def mark_all_read(self, user: User) -> int:
        """Mark every unread message of the caller read; how many were."""
        with unit_of_work(self.session):
            result = self.session.execute(
                update(UserMessage).where(UserMessage.username == user.username, UserMessage.read_at.is_(None))
                .values(read_at=clock.now()), execution_options={"synchronize_session": False})
        return result.rowcount or 0
