"""The statutory days of an unpublished year and reading the State Council's annual holiday notice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import chinese_calendar
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import workflow_app.models  # noqa: F401  # every table, so create_all builds the whole schema
from workflow_app import clock
from workflow_app.calendar.models import CalendarDay, CalendarYear, DayKind
from workflow_app.calendar.notice import NoticeError, parse_notice
from workflow_app.calendar.service import CalendarService
from workflow_app.calendar.statutory import statutory_days
from workflow_app.calendar.workdays import WorkCalendar
from workflow_app.clock import LOCAL_TZ
from workflow_app.db import Base, build_engine
from workflow_app.services import deadlines

DATA = Path(__file__).resolve().parents[1] / "data" / "calendar"


def notice_text(year: int) -> str:
    return (DATA / f"notice_{year}.txt").read_text(encoding="utf-8")


def library(year: int) -> tuple[set[date], set[date]]:
    """The library's days off and its make-up working (weekend) days of ``year``."""
    off = {d for d in chinese_calendar.holidays if d.year == year}
    on = {d for d in chinese_calendar.workdays if d.year == year and d.weekday() >= 5}
    return off, on


@pytest.fixture
def session() -> Iterator[Session]:
    engine = build_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as sess, clock.frozen(datetime(2026, 12, 1, 1, 0, tzinfo=UTC)):
        yield sess
    engine.dispose()


# -- statutory days of a year nobody published -----------------------------------------------------

@pytest.mark.parametrize("year", [2025, 2026])
def test_statutory_days_are_thirteen_and_all_off_in_the_library(year: int) -> None:
    days = statutory_days(year)
    assert len(days) == 13
    off, _ = library(year)
    assert set(days) <= off  # never a guessed "observed" or 调休 day the State Council did not give


def test_statutory_days_of_2027_follow_the_lunar_calendar() -> None:
    days = statutory_days(2027)
    assert days == {
        date(2027, 1, 1): "元旦",
        date(2027, 2, 5): "春节", date(2027, 2, 6): "春节", date(2027, 2, 7): "春节", date(2027, 2, 8): "春节",
        date(2027, 4, 5): "清明节", date(2027, 5, 1): "劳动节", date(2027, 5, 2): "劳动节",
        date(2027, 6, 9): "端午节", date(2027, 9, 15): "中秋节",
        date(2027, 10, 1): "国庆节", date(2027, 10, 2): "国庆节", date(2027, 10, 3): "国庆节",
    }


def test_new_years_day_2027_is_not_a_working_day_before_the_notice() -> None:
    cal = WorkCalendar()
    assert cal.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert not cal.is_workday(date(2027, 2, 8)) and not cal.is_workday(date(2027, 10, 1))
    assert cal.is_workday(date(2027, 10, 4))  # only the three statutory 国庆 days; 调休 unknown yet
    assert not cal.covers(2027)


def test_due_date_through_2027_says_it_is_provisional(session: Session) -> None:
    start = datetime(2026, 12, 10, 9, 0, tzinfo=LOCAL_TZ)
    at, warning = deadlines(session)("16wd", start)
    assert at == datetime(2027, 1, 4, 23, 59, 59, tzinfo=LOCAL_TZ).astimezone(UTC)  # skips 元旦 2027
    assert warning is not None and "2027" in warning and "法定节假日" in warning


# -- reading the notice ------------------------------------------------------------------------------

@pytest.mark.parametrize("year", [2025, 2026])
def test_real_notice_matches_the_library_day_for_day(year: int) -> None:
    notice = parse_notice(notice_text(year))
    assert notice.year == year
    off, on = library(year)
    assert {d.day for d in notice.holidays()} == off
    assert {d.day for d in notice.workdays()} == on
    assert notice.other_years() == []


def test_notice_names_each_day_with_its_festival() -> None:
    days = {d.day: d for d in parse_notice(notice_text(2026)).days}
    assert (days[date(2026, 2, 14)].kind, days[date(2026, 2, 14)].name) == ("workday", "春节")
    assert days[date(2026, 10, 7)].name == "国庆节" and days[date(2026, 10, 7)].line == 11


def replace_line(text: str, start: str, new: str | None) -> str:
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(start))
    if new is None:
        del lines[index]
    else:
        lines[index] = new
    return "\n".join(lines)


BAD = [
    # a wrong weekday: the text is of another year, or mistyped
    (lambda t: t.replace("1月1日（周四）", "1月1日（周五）"), "第 5 行", "周四"),
    # the day count contradicts the range
    (lambda t: t.replace("放假调休，共9天", "放假调休，共8天"), "第 6 行", "共 8 天"),
    # a sentence we cannot read
    (lambda t: t.replace("5月9日（周六）上班", "5月9日（周六）照常办公"), "第 8 行", "无法识别"),
    # a make-up day that is a weekday
    (lambda t: t.replace("5月9日（周六）上班", "5月8日（周五）上班"), "第 8 行", "不需要调休"),
    # a line lost in pasting: the numbering jumps
    (lambda t: replace_line(t, "三、清明节", None), "第 7 行", "缺行"),
    # a truncated paste: the last festivals are missing
    (lambda t: "\n".join(t.splitlines()[:8]), None, "端午节"),
    # an arrangement line that is not one
    (lambda t: replace_line(t, "四、劳动节", "四、劳动节：另行通知"), "第 8 行", "放假日期无法识别"),
    # a statutory day outside every range (中秋 moved by mistake)
    (lambda t: t.replace("9月25日（周五）至27日（周日）放假，共3天", "9月26日（周六）至27日（周日）放假，共2天"),
     None, "中秋节"),
]


@pytest.mark.parametrize(("mangle", "where", "what"), BAD)
def test_bad_notice_is_refused_naming_the_line(mangle, where, what) -> None:
    with pytest.raises(NoticeError) as caught:
        parse_notice(mangle(notice_text(2026)))
    message = caught.value.message
    assert "未保存" in message and what in message
    if where:
        assert where in message


def test_notice_without_a_year_needs_one_and_a_wrong_year_is_refused() -> None:
    body = "\n".join(line for line in notice_text(2026).splitlines() if line[:2] in {
        "一、", "二、", "三、", "四、", "五、", "六、", "七、"})
    with pytest.raises(NoticeError, match="请指定年份"):
        parse_notice(body)
    assert parse_notice(body, 2026).year == 2026
    with pytest.raises(NoticeError, match="周"):
        parse_notice(body, 2027)  # the weekdays written belong to 2026
    with pytest.raises(NoticeError, match="2025 年的"):
        parse_notice(notice_text(2025), 2026)
    with pytest.raises(NoticeError, match="为空"):
        parse_notice("   ")


# -- storing it ------------------------------------------------------------------------------------------

def test_import_stores_every_day_and_marks_the_year_complete(session: Session) -> None:
    service = CalendarService(session)
    service.import_notice(notice_text(2026), actor="admin")
    stored = {day: kind for day, kind in session.execute(select(CalendarDay.day, CalendarDay.kind))}
    off, on = library(2026)
    assert {d for d, k in stored.items() if k is DayKind.HOLIDAY} == off
    assert {d for d, k in stored.items() if k is DayKind.WORKDAY} == on
    assert service.is_complete(2026)


def test_a_bad_notice_stores_nothing(session: Session) -> None:
    service = CalendarService(session)
    with pytest.raises(NoticeError):
        service.import_notice(notice_text(2026).replace("（周四）", "（周五）"), actor="admin")
    assert session.scalars(select(CalendarDay)).all() == []
    assert session.scalars(select(CalendarYear)).all() == []
