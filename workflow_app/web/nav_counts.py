"""The numbers the menu shows on every page: unread 消息, and a supervisor's open alerts (each counted
once per request, however many parts of the page show it)."""

from __future__ import annotations

from collections.abc import Callable

from flask import g

from workflow_app import db
from workflow_app.alerts.board import AlertBoard
from workflow_app.directory.models import Role
from workflow_app.messages.service import MessageService
from workflow_app.web.session import current_web_user


def _once(name: str, count: Callable[[], int]) -> int:
    cache = g.setdefault("socorg_nav_counts", {})
    if name not in cache:
        cache[name] = count()
    return cache[name]


def unread_messages() -> int:
    """The signed-in user's unread messages (0 without one)."""
    user = current_web_user()
    if user is None:
        return 0
    return _once("messages", lambda: MessageService(db.session()).unread_count(user))


def open_alerts() -> int:
    """The open alert rows a supervisor (or admin) sees, one per task and scan; 0 for everyone else."""
    user = current_web_user()
    if user is None or user.role not in (Role.SUPERVISOR, Role.ADMIN):
        return 0
    return _once("alerts", lambda: AlertBoard(db.session()).open_count(user))
