"""The escalation ladder's configuration and its arithmetic.

Three rungs per task (DESIGN.md, "Timers, escalation and the scheduler"):

1. ``reminder`` to the assignee (or the task's group in its region) ``reminder_before`` the due
   time — default ``1wd``: one working day before, i.e. from the end of the working day before
   the due day;
2. ``overdue`` to the supervisors of the task's region once the due time has passed;
3. ``escalated`` to the supervisors of the parent region when the task is still open
   ``parent_after`` after its due time — default ``2wd``: at the end of the second working day
   after the due day.

Values are time limits (``1wd``, ``2d``, ``PT4H``; a bare number means working days; ``off``
disables the rung). They come, each setting on its own, from (last wins):
built-in defaults → the ``default`` object of the JSON file named by ``SOCORG_ESCALATION_CONFIG``
→ the process's BPMN ``spiffworkflow:properties`` (``escalationReminderBefore``,
``escalationParentAfter``) → the file's ``processes.<key>`` object. So a process designer sets
the rule in the BPMN, and operators can still override it without a redeploy.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from workflow_app.calendar.workdays import (
    LimitKind,
    TimeLimit,
    WorkCalendar,
    due_at,
    end_of_local_day,
    parse_time_limit,
)
from workflow_app.clock import LOCAL_TZ, as_utc

DEFAULT_REMINDER_BEFORE = "1wd"
DEFAULT_PARENT_AFTER = "2wd"
REMINDER_PROPERTY = "escalationReminderBefore"
PARENT_PROPERTY = "escalationParentAfter"
CONFIG_ENV = "SOCORG_ESCALATION_CONFIG"
_DAY = timedelta(days=1)
_TICK = timedelta(microseconds=1)  # turns "due_at <= x" into "due_at < x + tick" (both databases keep µs)
_OFF = frozenset({"", "off", "none", "no", "false", "0"})
# Setting names accepted in the config file: snake_case, or the BPMN property names.
_ALIASES = {"reminder_before": "reminder_before", REMINDER_PROPERTY: "reminder_before",
            "parent_after": "parent_after", PARENT_PROPERTY: "parent_after"}


class LadderConfigError(ValueError):
    """A ladder setting (in the config file or a BPMN property) is not a valid time limit."""


def parse_setting(value: Any, *, name: str) -> TimeLimit | None:
    """``"1wd"``/``"2d"``/``"PT4H"`` → a limit; a bare number → working days; ``off`` → None (rung disabled)."""
    if value is None or value is False:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = f"{value}wd" if value > 0 else "off"
    text = str(value).strip()
    if text.lower() in _OFF:
        return None
    if text.isdigit():
        text += "wd"
    try:
        return parse_time_limit(text)
    except ValueError as exc:
        raise LadderConfigError(f"{name}: {exc}") from exc


@dataclass(frozen=True)
class Ladder:
    """One process's ladder: how long before the due time to remind, how long after to go up a region."""

    reminder_before: TimeLimit | None = parse_time_limit(DEFAULT_REMINDER_BEFORE)
    parent_after: TimeLimit | None = parse_time_limit(DEFAULT_PARENT_AFTER)

    def remind_at(self, due: datetime, calendar: WorkCalendar) -> datetime | None:
        """When the reminder is due (None when disabled): ``due`` minus a span or calendar days; for
        working days, the end of the n-th working day before the due day."""
        limit = self.reminder_before
        if limit is None:
            return None
        due = as_utc(due)
        if limit.kind is LimitKind.SPAN:
            return due - limit.span
        if limit.kind is LimitKind.DAYS:
            return due - timedelta(days=limit.days)
        return end_of_local_day(_sub_workdays(calendar, due.astimezone(LOCAL_TZ).date(), limit.days))

    def escalate_at(self, due: datetime, calendar: WorkCalendar) -> datetime | None:
        """When a still-open task goes to the parent region: ``parent_after`` counted from ``due``."""
        if self.parent_after is None:
            return None
        return due_at(due, self.parent_after, calendar).at

    def bounds(self, now: datetime, calendar: WorkCalendar) -> Bounds:
        """The due-time bounds of each rung at ``now``: the scan's SQL is ``due_at < bound``, exactly."""
        now = as_utc(now)
        today = now.astimezone(LOCAL_TZ).date()
        # The last local day that has fully ended at `now` (its 23:59:59 is not later than now).
        ended = today if now >= end_of_local_day(today) else today - _DAY
        reminder = escalated = None
        limit = self.reminder_before
        if limit is not None:
            if limit.kind is LimitKind.SPAN:
                reminder = now + limit.span + _TICK
            elif limit.kind is LimitKind.DAYS:
                reminder = now + timedelta(days=limit.days) + _TICK
            else:
                # The n-th working day before day D has ended ⇔ D is at most the n-th working day after `ended`.
                reminder = start_of_local_day(calendar.add_workdays(ended, limit.days) + _DAY)
        limit = self.parent_after
        if limit is not None:
            if limit.kind is LimitKind.SPAN:
                escalated = now - limit.span + _TICK
            else:
                # escalate_at depends only on the due day and grows with it: walk back to the last day
                # whose escalation moment has passed.
                day = ended
                for _ in range(limit.days * 7 + 60):
                    if due_at(end_of_local_day(day), limit, calendar).at <= end_of_local_day(ended):
                        break
                    day -= _DAY
                escalated = start_of_local_day(day + _DAY)
        return Bounds(reminder=reminder, overdue=now, escalated=escalated)

    def target_level(self, due: datetime, now: datetime, calendar: WorkCalendar) -> int:
        """The highest rung a task due at ``due`` has reached at ``now`` (0: none yet)."""
        return self.bounds(now, calendar).level(due)


@dataclass(frozen=True)
class Bounds:
    """``due_at < escalated`` → level 3; ``< overdue`` (now) → 2; ``< reminder`` → 1. None: rung disabled."""

    reminder: datetime | None
    overdue: datetime
    escalated: datetime | None

    def level(self, due: datetime) -> int:
        """The rung of a task due at ``due``."""
        if self.escalated is not None and due < self.escalated:
            return 3
        if due < self.overdue:
            return 2
        if self.reminder is not None and due < self.reminder:
            return 1
        return 0


def start_of_local_day(day: date) -> datetime:
    """00:00 Asia/Shanghai on ``day``, as an aware UTC datetime."""
    return datetime.combine(day, time(0), LOCAL_TZ).astimezone(UTC)


def _sub_workdays(calendar: WorkCalendar, day: date, n: int) -> date:
    """The ``n``-th working day before ``day`` (``day`` itself not counted)."""
    found = 0
    # Even the longest holiday run leaves a working day within a few weeks; the bound only guards typos.
    for _ in range(n * 7 + 60):
        day -= timedelta(days=1)
        if calendar.is_workday(day):
            found += 1
            if found == n:
                return day
    raise LadderConfigError(f"no {n} working days found before {day}")


class LadderConfig:
    """Builds each process's :class:`Ladder` from the defaults, the config file and BPMN properties."""

    def __init__(self, default: Mapping[str, Any] | None = None,
                 processes: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.default = _normalise(default or {}, "default")
        self.processes = {key: _normalise(values, f"processes.{key}") for key, values in (processes or {}).items()}
        self.base = self._build({}, "default")

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> LadderConfig:
        """Read the JSON config file (``path``, else ``$SOCORG_ESCALATION_CONFIG``); none means defaults only."""
        path = path or os.environ.get(CONFIG_ENV)
        if not path:
            return cls()
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise LadderConfigError(f"escalation config {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise LadderConfigError(f"escalation config {path}: expected a JSON object")
        config = cls(data.get("default"), data.get("processes"))
        for key in config.processes:  # fail at load, not in the middle of a scan
            config.for_process(key, {})
        return config

    def for_process(self, key: str, properties: Mapping[str, Any] | None) -> Ladder:
        """The ladder of process ``key`` whose definition declares ``properties``."""
        from_bpmn = _normalise({k: v for k, v in (properties or {}).items() if k in (REMINDER_PROPERTY, PARENT_PROPERTY)},
                               f"process {key}")
        merged = {**from_bpmn, **self.processes.get(key, {})}
        return self._build(merged, key) if merged else self.base

    def _build(self, values: Mapping[str, Any], where: str) -> Ladder:
        merged = {"reminder_before": DEFAULT_REMINDER_BEFORE, "parent_after": DEFAULT_PARENT_AFTER,
                  **self.default, **values}
        return Ladder(
            reminder_before=parse_setting(merged["reminder_before"], name=f"{where}: reminder_before"),
            parent_after=parse_setting(merged["parent_after"], name=f"{where}: parent_after"),
        )


def _normalise(values: Any, where: str) -> dict[str, Any]:
    if not isinstance(values, Mapping):
        raise LadderConfigError(f"escalation config {where}: expected an object")
    unknown = sorted(set(values) - set(_ALIASES))
    if unknown:
        raise LadderConfigError(f"escalation config {where}: unknown setting(s) {', '.join(unknown)}")
    out = {_ALIASES[name]: value for name, value in values.items()}
    for name, value in out.items():
        parse_setting(value, name=f"{where}: {name}")
    return out
