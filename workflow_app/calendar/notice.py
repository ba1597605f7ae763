"""Reading the State Council's annual holiday notice (国务院办公厅关于某年部分节假日安排的通知).

The notice's arrangement lines read "一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。";
every such line is parsed into its days off and its make-up working days. Anything a line says that
we cannot read, or that contradicts itself (a wrong weekday, a wrong day count, a festival left out),
is an error naming the line, so a mistyped paste never reaches the calendar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from workflow_app.calendar.statutory import statutory_days
from workflow_app.errors import InvalidInput

FESTIVALS = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节")
_NUMERALS = tuple("一二三四五六七八九十") + ("十一", "十二")
_WEEKDAYS = "一二三四五六日"
MAX_SPAN = 15  # no arrangement has ever been longer than nine days

_SECTION = re.compile(r"^([一二三四五六七八九十]{1,2})、\s*([^：:]{1,32})[：:]\s*(.*)$")
_NUMBERED = re.compile(r"^[一二三四五六七八九十]{1,2}、")
_DATE = r"(?:(\d{4})年)?(?:(\d{1,2})月)?(\d{1,2})日(?:[（(]([^）)]*)[）)])?"
_RANGE = re.compile(rf"^{_DATE}(?:至{_DATE})?放假")
_ONE_DATE = re.compile(_DATE)
_COUNT = re.compile(r"共(\d+)天|放假(?:调休)?(\d+)天")
_YEAR = re.compile(r"(\d{4})年(?:元旦|部分节假日)")
_WEEKDAY = re.compile(r"(?:周|星期)([一二三四五六日天])")


@dataclass
class NoticeDay:
    """A day the notice names: off (``holiday``) or a 调休 working day (``workday``)."""

    day: date
    kind: str
    name: str
    line: int


@dataclass
class Notice:
    """What a notice says for one year, in the order of its lines."""

    year: int
    days: list[NoticeDay] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)

    def holidays(self) -> list[NoticeDay]:
        """The days off of the notice's own year."""
        return [d for d in self.days if d.kind == "holiday" and d.day.year == self.year]

    def workdays(self) -> list[NoticeDay]:
        """The make-up working days of the notice's own year."""
        return [d for d in self.days if d.kind == "workday" and d.day.year == self.year]

    def other_years(self) -> list[NoticeDay]:
        """Days in a neighbouring year (元旦 of some notices starts on 12-31): not stored with this year."""
        return [d for d in self.days if d.day.year != self.year]


class NoticeError(InvalidInput):
    """The notice text could not be read; the message names the line."""

    code = "calendar_notice_invalid"


def _fail(line: int | None, text: str) -> NoticeError:
    where = f"第 {line} 行：" if line else ""
    return NoticeError(f"放假通知无法导入，未保存任何内容。{where}{text}",
                       details={"line": line, "problem": text})


def _date(groups: tuple[str | None, ...], year: int, month: int | None, line: int) -> date:
    y, m, d, note = groups
    month_value = int(m) if m else month
    if month_value is None:
        raise _fail(line, f"“{d}日”缺少月份")
    try:
        day = date(int(y) if y else year, month_value, int(d))
    except ValueError:
        raise _fail(line, f"“{month_value}月{d}日”不是有效日期") from None
    weekday = _WEEKDAY.search(note or "")
    if weekday:
        said = "日" if weekday.group(1) == "天" else weekday.group(1)
        actual = _WEEKDAYS[day.weekday()]
        if said != actual:
            raise _fail(line, f"{day.month}月{day.day}日是周{actual}，通知写作周{said}，请核对年份与日期")
    return day


def notice_year(text: str) -> int | None:
    """The year a notice is about, from its title or opening ("2026年部分节假日安排"), if it says."""
    found = _YEAR.search(text)
    return int(found.group(1)) if found else None


def parse_notice(text: str, year: int | None = None) -> Notice:
    """Parse a notice's text into its days off and make-up working days; raise ``NoticeError`` naming the line."""
    if not isinstance(text, str) or not text.strip():
        raise _fail(None, "通知内容为空")
    stated = notice_year(text)
    if year is None:
        year = stated
    if year is None:
        raise _fail(None, "通知中没有写明年份（如“2026年部分节假日安排”），请指定年份")
    if stated is not None and stated != year:
        raise _fail(None, f"通知是 {stated} 年的，而要导入的是 {year} 年")
    notice = Notice(year)
    seen: dict[date, int] = {}
    expected = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().replace(" ", "").replace("\u3000", "")
        if not _NUMBERED.match(line):
            continue
        match = _SECTION.match(line)
        if match is None:
            raise _fail(number, f"无法识别“{line[:40]}”：应为“一、元旦：1月1日（周四）放假……”的格式")
        numeral, name, body = match.groups()
        want = _NUMERALS[min(expected, len(_NUMERALS) - 1)]
        if numeral != want:
            raise _fail(number, f"序号应为“{want}”，实为“{numeral}”，通知可能缺行")
        expected += 1
        for day in _section_days(number, name, body, year):
            if day.day in seen:
                raise _fail(number, f"{day.day.month}月{day.day.day}日已在第 {seen[day.day]} 行出现")
            seen[day.day] = number
            notice.days.append(day)
        notice.sections.append(name)
    _check_complete(notice)
    return notice


def _section_days(number: int, name: str, body: str, year: int) -> list[NoticeDay]:
    sentences = [s for s in re.split(r"[。；;]", body) if s]
    if not sentences:
        raise _fail(number, f"“{name}”没有写放假日期")
    head = _RANGE.match(sentences[0])
    if head is None:
        raise _fail(number, f"“{name}”的放假日期无法识别：“{sentences[0][:40]}”")
    first = _date(head.groups()[0:4], year, None, number)
    last = _date(head.groups()[4:8], year, first.month, number) if head.group(7) else first
    if last < first:
        raise _fail(number, f"放假结束日 {last.month}月{last.day}日 早于开始日 {first.month}月{first.day}日")
    span = (last - first).days + 1
    if span > MAX_SPAN:
        raise _fail(number, f"放假 {span} 天，超过 {MAX_SPAN} 天，请核对日期")
    count = _COUNT.search(sentences[0])
    if count is not None and int(count.group(1) or count.group(2)) != span:
        raise _fail(number, f"写明共 {count.group(1) or count.group(2)} 天，但 {first.month}月{first.day}日"
                            f"至{last.month}月{last.day}日是 {span} 天")
    days = [NoticeDay(first + timedelta(days=i), "holiday", name, number) for i in range(span)]
    for sentence in sentences[1:]:
        if sentence == "不调休":
            continue
        if not sentence.endswith("上班"):
            raise _fail(number, f"无法识别“{sentence[:40]}”：调休上班应写作“1月4日（周日）上班”")
        dates = list(_ONE_DATE.finditer(sentence))
        if not dates or any(m.group(2) is None for m in dates):
            raise _fail(number, f"调休上班日期无法识别：“{sentence[:40]}”（每个日期都要写月份）")
        for found in dates:
            day = _date(found.groups(), year, None, number)
            if day.weekday() < 5:
                raise _fail(number, f"调休上班日 {day.month}月{day.day}日 是工作日（周{_WEEKDAYS[day.weekday()]}），不需要调休")
            days.append(NoticeDay(day, "workday", name, number))
    return days


def _check_complete(notice: Notice) -> None:
    if not notice.sections:
        raise _fail(None, "没有找到“一、元旦：……”这样的放假安排行")
    named = "".join(notice.sections)
    missing = [f for f in FESTIVALS if f not in named and f.rstrip("节") not in named]
    if missing:
        raise _fail(None, f"通知缺少{'、'.join(missing)}的安排，可能只粘贴了一部分")
    off = {d.day for d in notice.holidays()}
    for day, name in statutory_days(notice.year).items():
        if day not in off:
            raise _fail(None, f"法定节假日{name}（{day.month}月{day.day}日）不在通知的放假日期内，请核对年份与文本")
