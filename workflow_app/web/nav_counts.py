"""The numbers the menu shows on every page: unread 消息, and a supervisor's open alerts."""

from __future__ import annotations

from workflow_app import db
from workflow_app.alerts.board import AlertBoard
from workflow_app.directory.models import Role
from workflow_app.messages.service import MessageService
from workflow_app.web.session import current_web_user


def unread_messages() -> int:
    """The signed-in user's unread messages (0 without one)."""
    user = current_web_user()
    return MessageService(db.session()).unread_count(user) if user is not None else 0


def open_alerts() -> int:
    """The open alerts a supervisor (or admin) sees, one per task and scan; 0 for everyone else."""
    user = current_web_user()
    if user is None or user.role not in (Role.SUPERVISOR, Role.ADMIN):
        return 0
    return AlertBoard(db.session()).open_count(user)
