"""The statutory clock of a case (法定办理时限): start, pause, resume, stop; shown as ``due_at``/``clock_paused``.

Counted in working days on the calendar (调休 respected). ``due_at`` is the end of the
last working day; while paused it is null and ``clock_remaining_wd`` keeps the working days
left (those after the pause day up to the due day), which resuming counts again from the
resume day. Pause, resume and stop on a case whose clock never started do nothing and
return null, so a path may pause "just in case" (补正 before 受理 started the clock).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from handlers import HandlerContext
from handlers.support import fail, handler, text
from workflow_app import clock
from workflow_app.calendar.workdays import WorkCalendar, due_at, end_of_local_day, working_days_between
from workflow_app.instances.audit import record

_LIMIT_RE = re.compile(r"(\d{1,4})\s*wd", re.ASCII | re.IGNORECASE)
MAX_WORKDAYS = 2000


def parse_limit(value: object, operator: str) -> int:
    """Working days from ``"15wd"`` (or a plain number)."""
    if isinstance(value, int) and not isinstance(value, bool):
        days = value
    else:
        match = _LIMIT_RE.fullmatch(str(value or "").strip())
        if not match:
            raise fail(operator, f"时限 {value!r} 无效，应为工作日数如 \"15wd\"",
                       f"limit {value!r} must be working days such as \"15wd\"")
        days = int(match.group(1))
    if not 1 <= days <= MAX_WORKDAYS:
        raise fail(operator, "时限超出范围", f"limit must be 1 to {MAX_WORKDAYS} working days, got {days}")
    return days


def _calendar(context: HandlerContext) -> WorkCalendar:
    from workflow_app.calendar.service import CalendarService

    return CalendarService(context.session).calendar()


def _remaining(context: HandlerContext) -> int | None:
    """Working days left on the clock now (negative when overdue); None when no clock runs."""
    instance = context.instance
    if instance.clock_paused:
        return instance.clock_remaining_wd
    if instance.due_at is None:
        return None
    return working_days_between(clock.now(), instance.due_at, _calendar(context))


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


_CALENDAR_DAYS_RE = re.compile(r"(\d{1,4})\s*d", re.ASCII | re.IGNORECASE)


@handler("case.clock_start")
def clock_start(context: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Start (or restart) the statutory clock: ``due_at`` = the end of the limit's last working day.

    ``limit`` is working days (``"15wd"``) or calendar days (``"60d"``: due on the day the days end, moved
    to a working day; kept as the working days up to it, so pauses count in working days like any other).
    ``started_at`` (ISO) counts from an earlier moment — a case deemed accepted from the day of receipt
    (行政许可法 art 32(1)(4)); ``reason`` goes into the history."""
    op = "case.clock_start"
    raw = str(params.get("limit") or "").strip()
    calendar_days = _CALENDAR_DAYS_RE.fullmatch(raw)
    started = text(params, "started_at", op, required=False, max_length=40)
    try:
        start = clock.as_utc(datetime.fromisoformat(started)) if started else clock.now()
    except ValueError:
        raise fail(op, f"开始时间 {started!r} 无效", f"started_at {started!r} is not an ISO moment") from None
    calendar = _calendar(context)
    instance = context.instance
    if calendar_days and not 1 <= int(calendar_days.group(1)) <= MAX_WORKDAYS:
        raise fail(op, "时限超出范围", f"limit must be 1 to {MAX_WORKDAYS} days, got {raw}")
    if calendar_days:
        instance.due_at = due_at(start, f"{int(calendar_days.group(1))}d", calendar).at
        days = working_days_between(start, instance.due_at, calendar)
    else:
        days = parse_limit(params.get("limit"), op)
        instance.due_at = due_at(start, f"{days}wd", calendar).at
    instance.clock_paused, instance.clock_limit_wd, instance.clock_remaining_wd = False, days, None
    details: dict[str, Any] = {"limit_workdays": days, "due_at": _iso(instance.due_at)}
    if calendar_days:
        details["limit"] = raw
    if started:
        details["started_at"] = _iso(start)
    reason = text(params, "reason", op, required=False, max_length=255)
    if reason:
        details["reason"] = reason
    record(context.session, instance.id, action="clock_start", actor=context.actor, details=details)
    return {"due_at": _iso(instance.due_at)}


@handler("case.clock_pause")
def clock_pause(context: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Pause the clock (补正/修改章程期间不计入): keep the working days left, clear ``due_at``."""
    reason = text(params, "reason", "case.clock_pause", required=False, max_length=255)
    instance = context.instance
    if instance.clock_paused or instance.due_at is None:
        return {"remaining_workdays": instance.clock_remaining_wd if instance.clock_paused else None}
    remaining = _remaining(context)
    instance.clock_paused, instance.clock_remaining_wd, instance.due_at = True, remaining, None
    record(context.session, instance.id, action="clock_pause", actor=context.actor,
           details={"remaining_workdays": remaining, "reason": reason})
    return {"remaining_workdays": remaining}


@handler("case.clock_resume")
def clock_resume(context: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Resume a paused clock: the days left count again from today."""
    instance = context.instance
    if not instance.clock_paused:
        return {"due_at": _iso(instance.due_at)}
    remaining = instance.clock_remaining_wd or 0
    now = clock.now()
    if remaining >= 1:
        instance.due_at = due_at(now, f"{remaining}wd", _calendar(context)).at
    else:  # paused on (or after) its last day: what was left was the rest of that day
        instance.due_at = end_of_local_day(clock.local_now().date())
    instance.clock_paused, instance.clock_remaining_wd = False, None
    record(context.session, instance.id, action="clock_resume", actor=context.actor,
           details={"remaining_workdays": remaining, "due_at": _iso(instance.due_at)})
    return {"due_at": _iso(instance.due_at)}


@handler("case.clock_stop")
def clock_stop(context: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """Stop the clock at the decision; report the working days used (pauses not counted)."""
    instance = context.instance
    remaining = _remaining(context)
    if remaining is None or instance.clock_limit_wd is None:
        return {"used_workdays": None}
    used = instance.clock_limit_wd - remaining
    instance.due_at, instance.clock_paused, instance.clock_remaining_wd = None, False, None
    record(context.session, instance.id, action="clock_stop", actor=context.actor,
           details={"used_workdays": used, "limit_workdays": instance.clock_limit_wd})
    return {"used_workdays": used}
