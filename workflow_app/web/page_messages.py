"""Service messages as pages show them: Chinese only. Services may speak English (the API's ``message``
keeps it); the pages translate the ones they meet, and say something Chinese for any other."""

from __future__ import annotations

import re

from workflow_app.errors import DomainError
from workflow_app.web.lint_zh import _p

_CJK = re.compile(r"[\u4e00-\u9fff]")
# "中文（English）": the page shows the Chinese half.
_MIXED = re.compile(r"^(?P<zh>[^（]*[\u4e00-\u9fff][^（]*)（[^\u4e00-\u9fff）]*）$")

CALENDAR = [_p(e, c) for e, c in (
    ("date {a} is not a date (YYYY-MM-DD)", "日期 {a} 格式不正确，应写作如 2026-10-01"),
    ("{a} is not in {b}", "{a} 不在 {b} 年内"),
    ("{a} is listed twice (also entry {b})", "{a} 重复填写"),
    ("kind {a} must be 'holiday' or 'workday'", "类型只能是放假或调休上班"),
    ("name is longer than {a} characters", "名称不能超过 {a} 个字"),
    ("{a} day(s) for {b} not accepted ({c}); nothing was saved", "{b} 年有 {a} 天填写有误，本次均未保存"),
    ("the calendar for {a} was changed at the same time; reload and try again", "{a} 年日历刚被他人修改，请刷新页面后重试"),
    ("year must be a whole number from {a} to {b}", "年份须为 {a} 至 {b} 之间的整数"),
    ("days must be a list of {a}", "提交的日期格式不正确"),
)]

# What a page says for an English message it has no translation for, by HTTP status.
FALLBACK = {400: "请求无效，请检查后重试", 403: "您无权进行此操作", 404: "记录不存在，或您无权查看",
            409: "操作与案件当前状态冲突，请刷新页面后重试", 422: "填写的内容有误，请检查后重试",
            429: "操作过于频繁，请稍后再试"}


def chinese(message: str, status: int = 400, patterns: list | None = None) -> str:
    """``message`` for a page: itself when Chinese (the Chinese half of "中文（English）"), else its
    translation among ``patterns`` (the calendar's by default), else a Chinese sentence for ``status``."""
    mixed = _MIXED.match(message or "")
    if mixed:
        return mixed.group("zh")
    if _CJK.search(message or ""):
        return message
    for pattern, template in patterns if patterns is not None else CALENDAR:
        found = pattern.match(message or "")
        if found:
            return template.format(**found.groupdict())
    return FALLBACK.get(status, "操作未能完成，请检查后重试")


# Refusals pages meet, by error code, where the service's message is English.
BY_CODE = {"alert_not_open": "该预警已确认过（或已随任务办结而关闭）",
           "urge_rate_limited": "该任务一小时内已催办过，请稍后再催办"}


def for_page(exc: DomainError) -> str:
    """A domain error's message as a page shows it."""
    if exc.code in BY_CODE and not _CJK.search(exc.message or ""):
        return BY_CODE[exc.code]
    return chinese(exc.message, exc.status)
