"""Functions offered to BPMN scripts and expressions beyond the sandbox's safe builtins.

Timer expressions use these to set working-day deadlines, e.g. a boundary timer with
``timeDate`` = ``workdays_later(15)``: the end of the 15th working day from now (Beijing
time, 调休 respected), as an ISO string Spiff's timer understands.

Helpers get "now" and the calendar from two functions: in the web or scheduler process they read the
app clock and the database (:func:`script_helpers`); in a script worker they read what the request
carried (:func:`build_helpers` with the request's values).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from workflow_app import clock

# The helpers that read the working-day calendar: code naming none of them needs no calendar snapshot.
CALENDAR_HELPERS = frozenset({"workdays_later", "days_later", "deadline", "workdays_until"})


def database_calendar() -> Any:
    """The working-day calendar of the app context's database (cached by CalendarService)."""
    # Read without flushing what the running change has pending: a flush here would run inside the
    # script's time bound (and is not the script's business).
    from workflow_app import db
    from workflow_app.calendar.service import CalendarService

    session = db.session()
    with session.no_autoflush:
        return CalendarService(session).calendar()


def build_helpers(now: Callable[[], datetime], calendar: Callable[[], Any]) -> dict[str, Any]:
    """The helper functions, reading the moment from ``now`` (aware UTC) and the calendar from ``calendar``."""
    from workflow_app.calendar.workdays import due_at

    def _now() -> datetime:
        """The application clock's now, in Asia/Shanghai (what caseworkers mean by "today")."""
        return now().astimezone(clock.LOCAL_TZ)

    def _now_iso() -> str:
        """The application clock's now as ISO 8601."""
        return now().isoformat()

    def _due_iso(limit: str) -> str:
        return due_at(now(), limit, calendar()).at.isoformat()

    def _workdays_later(n: int) -> str:
        """End of the n-th working day after today (Beijing), as ISO 8601 for a timeDate timer."""
        return _due_iso(f"{int(n)}wd")

    def _days_later(n: int) -> str:
        """End of the n-th calendar day after today, moved to a working day, as ISO 8601."""
        return _due_iso(f"{int(n)}d")

    def _deadline(limit: str) -> str:
        """The due moment of a time limit (``5wd``, ``30d``, ``PT4H``) counted from now, as ISO 8601."""
        return _due_iso(str(limit))

    def _workdays_until(day: str) -> int:
        """Working days after today (Beijing) and before ``day`` (ISO date): the lead time a report gives."""
        from datetime import date, timedelta

        target = date.fromisoformat(str(day)[:10])
        today = _now().date()
        if target <= today + timedelta(days=1):
            return 0
        return calendar().count_workdays(today, target - timedelta(days=1))

    return {"now": _now, "now_iso": _now_iso, "workdays_later": _workdays_later, "days_later": _days_later,
            "deadline": _deadline, "workdays_until": _workdays_until}


def script_helpers() -> dict[str, Any]:
    """The helper names every script and condition may call, reading the app clock and the database."""
    return build_helpers(clock.now, database_calendar)


def reserved_names() -> frozenset[str]:
    """Names task data may not use: a form field called ``date`` would break every script of the case."""
    import builtins

    from workflow_app.engine.sandbox import SAFE_HELPERS

    offered = set(SAFE_HELPERS) | set(script_helpers())
    return frozenset(name for name in offered if not hasattr(builtins, name))
