"""When would a timer fire if a case reached it now: the studio's preview of a timer event's expression.

The expression is evaluated like the engine does (the sandbox, the helpers ``workdays_later`` & co. on the
working-day calendar) but without case data: an expression that reads a case variable cannot be previewed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from workflow_app import clock
from workflow_app.calendar.workdays import WorkCalendar
from workflow_app.engine.helpers import build_helpers
from workflow_app.engine.sandbox import SandboxedEnvironment, SandboxError

KINDS = ("timeDate", "timeDuration", "timeCycle")
MAX_EXPRESSION = 2000
WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True)
class TimerPreview:
    """The due moment (None when it cannot be computed) and a sentence saying it in Chinese."""

    due: datetime | None
    workdays: int | None
    text: str


def preview_timer(kind: str, expression: str, calendar: WorkCalendar, now: datetime | None = None) -> TimerPreview:
    """Evaluate a timer expression as if a case reached the timer at ``now`` (the app clock by default)."""
    now = clock.as_utc(now or clock.now())
    if kind not in KINDS:
        return TimerPreview(None, None, "定时方式应为 时间点、时长 或 周期")
    source = (expression or "").strip()
    if not source:
        return TimerPreview(None, None, "请填写定时表达式")
    if len(source) > MAX_EXPRESSION:
        return TimerPreview(None, None, f"表达式过长（超过 {MAX_EXPRESSION} 个字符）")
    environment = SandboxedEnvironment(build_helpers(lambda: now, lambda: calendar), time_limit=1.0)
    try:
        value = environment.evaluate(source, {})
    except NameError as exc:
        name = getattr(exc, "name", None) or str(exc)
        return TimerPreview(None, None, f"表达式用到了案件变量 {name}，到达时按案件数据计算，此处无法预览")
    except SandboxError as exc:
        return TimerPreview(None, None, f"表达式无法编译：{exc}")
    except Exception as exc:  # the expression's own error (a bad argument, a division by zero ...)
        return TimerPreview(None, None, f"表达式计算出错：{type(exc).__name__}")
    try:
        due = _due(kind, value, now)
    except Exception:  # Spiff's ISO parsers raise bare Exception, ValueError, IndexError ...
        return TimerPreview(None, None, f"计算结果 {str(value)[:80]!r} 不是有效的 ISO 8601 值")
    due = clock.as_utc(due)
    local = due.astimezone(clock.LOCAL_TZ)
    workdays = calendar.count_workdays(now.astimezone(clock.LOCAL_TZ).date(), local.date())
    text = (f"若案件现在到达，将于 {local:%Y-%m-%d %H:%M}（星期{WEEKDAYS[local.weekday()]}）触发，"
            f"距今 {workdays} 个工作日")
    return TimerPreview(due, workdays, text)


def _due(kind: str, value: object, now: datetime) -> datetime:
    """The first moment the timer fires for the evaluated value."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, timedelta):
        return now + value
    text = str(value)
    if kind == "timeDate":
        moment = TimerEventDefinition.parse_time_or_duration(text)
        if not isinstance(moment, datetime):
            raise ValueError("not a date-time")
        return moment if moment.tzinfo else moment.replace(tzinfo=clock.LOCAL_TZ)
    if kind == "timeDuration":
        return now + TimerEventDefinition.get_timedelta_from_start(TimerEventDefinition.parse_iso_duration(text), now)
    _count, start, duration = TimerEventDefinition.parse_iso_recurring_interval(text)
    # "R3/PT1H" starts a duration from now (Spiff reads its own clock there; the preview uses the app's).
    only_duration = text.upper().lstrip("R0123456789").lstrip("/").startswith("P") and text.count("/") == 1
    return now + duration if only_duration else start
