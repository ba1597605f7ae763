"""Build the services with the app's collaborators (engine, handlers, calendar) for the current context."""

from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app
from sqlalchemy.orm import Session

import handlers
from workflow_app import db
from workflow_app.calendar.service import CalendarService
from workflow_app.calendar.workdays import due_at, uncovered_warning
from workflow_app.definitions.service import DefinitionService
from workflow_app.engine import get_engine
from workflow_app.instances.service import InstanceService
from workflow_app.tasks.sync import DueFor

log = logging.getLogger(__name__)


def definition_service(session: Session | None = None) -> DefinitionService:
    """The definition service bound to ``session`` (the context's session by default)."""
    return DefinitionService(
        session or db.session(), get_engine(), max_bytes=current_app.config["MAX_UPLOAD_BYTES"],
        known_operators=handlers.load_builtin().names(),
    )


def instance_service(session: Session | None = None) -> InstanceService:
    """The instance service bound to ``session`` (the context's session by default)."""
    session = session or db.session()
    return InstanceService(session, get_engine(), handlers.load_builtin(), due_for=deadlines(session))


def deadlines(session: Session) -> DueFor:
    """Due moments of user-task time limits, counted on the working-day calendar."""

    def due_for(limit: str | None, start: datetime) -> tuple[datetime | None, str | None]:
        if not limit:
            return None, None
        # The calendar tables are all it reads: pending task changes need not be flushed for it (they
        # go with the caller's next flush, one fewer per new task).
        with session.no_autoflush:
            calendar = CalendarService(session).calendar()
        due = due_at(start, limit, calendar)
        if not due.uncovered_years:
            return due.at, None
        log.warning("due date %s for limit %s counted over uncovered years %s", due.at, limit,
                    sorted(due.uncovered_years))
        return due.at, uncovered_warning(due.uncovered_years)

    return due_for
