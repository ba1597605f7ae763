"""Importing the State Council's notice: `socorg calendar import-notice` and the admin calendar page."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import chinese_calendar
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import func, select

from tests.web.test_session import csrf_from, login
from workflow_app.calendar.models import CalendarDay
from workflow_app.calendar.service import CalendarService
from workflow_app.cli import main

NOTICE_2026 = Path(__file__).resolve().parents[1] / "data" / "calendar" / "notice_2026.txt"


def stored(session) -> int:
    session.rollback()  # a fresh transaction sees what the request committed
    return session.scalar(select(func.count()).select_from(CalendarDay))


def test_cli_prints_the_days_asks_and_stores_on_yes(app, demo, session, tmp_path):
    runner = CliRunner()
    info = ScriptInfo(create_app=lambda: app)
    declined = runner.invoke(main, ["calendar", "import-notice", str(NOTICE_2026)], obj=info, input="n\n")
    assert declined.exit_code == 1 and "2026-02-14  上班  春节" in declined.output and "未保存" in declined.output
    assert stored(session) == 0
    done = runner.invoke(main, ["calendar", "import-notice", str(NOTICE_2026), "--yes"], obj=info)
    assert done.exit_code == 0, done.output
    assert "已保存" in done.output
    off = {d for d in chinese_calendar.holidays if d.year == 2026}
    on = {d for d in chinese_calendar.workdays if d.year == 2026 and d.weekday() >= 5}
    assert stored(session) == len(off) + len(on)
    assert CalendarService(session).is_complete(2026)


def test_cli_refuses_a_bad_notice_naming_the_line(app, demo, session, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text(NOTICE_2026.read_text(encoding="utf-8").replace("共9天", "共10天"), encoding="utf-8")
    result = CliRunner().invoke(main, ["calendar", "import-notice", str(bad), "--yes"],
                                obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 1 and "第 6 行" in result.output
    assert stored(session) == 0


def test_admin_page_previews_then_confirms_a_2027_notice(web, session):
    # A made-up 2027 notice in the usual wording: the page must store exactly what it says.
    text = ("国务院办公厅关于2027年部分节假日安排的通知\n"
            "一、元旦：1月1日（周五）至3日（周日）放假，共3天。\n"
            "二、春节：2月5日（农历除夕、周五）至12日（周五）放假调休，共8天。2月14日（周日）、2月20日（周六）上班。\n"
            "三、清明节：4月3日（周六）至5日（周一）放假，共3天。\n"
            "四、劳动节：5月1日（周六）至5日（周三）放假调休，共5天。4月25日（周日）、5月8日（周六）上班。\n"
            "五、端午节：6月9日（周三）放假1天。\n"
            "六、中秋节：9月15日（周三）放假1天。\n"
            "七、国庆节：10月1日（周五）至7日（周四）放假调休，共7天。9月26日（周日）、10月9日（周六）上班。\n")
    login(web, "admin")
    page = web.get("/admin/calendar/2027").get_data(as_text=True)
    assert 'id="notice-import"' in page and 'id="statutory"' in page
    token = csrf_from(page)
    preview = web.post("/admin/calendar/2027/notice", data={"csrf_token": token, "action": "preview", "notice": text})
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "2027-02-20" in body and "调休上班" in body and 'id="confirm-notice"' in body
    assert stored(session) == 0  # a preview stores nothing
    missing_token = web.post("/admin/calendar/2027/notice", data={"action": "confirm", "notice": text})
    assert missing_token.status_code in (400, 403) and stored(session) == 0
    confirm = web.post("/admin/calendar/2027/notice",
                       data={"csrf_token": csrf_from(body), "action": "confirm", "notice": text})
    assert confirm.status_code == 302
    assert stored(session) == 28 + 6  # every day of the seven ranges, and the six make-up days
    calendar = CalendarService(session).calendar()
    assert calendar.covers(2027)
    assert not calendar.is_workday(date(2027, 10, 7)) and calendar.is_workday(date(2027, 10, 9))
    assert calendar.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)


def test_admin_page_shows_the_bad_line_and_stores_nothing(web, session):
    login(web, "admin")
    token = csrf_from(web.get("/admin/calendar/2026").get_data(as_text=True))
    text = NOTICE_2026.read_text(encoding="utf-8").replace("（周四）至3日", "（周五）至3日")
    for action in ("preview", "confirm"):
        response = web.post("/admin/calendar/2026/notice", data={"csrf_token": token, "action": action,
                                                                 "notice": text})
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and "第 5 行" in page and "周四" in page
    assert stored(session) == 0


def test_notice_import_is_for_admins_only(web, session):
    login(web, "window_cc")
    response = web.post("/admin/calendar/2026/notice", data={"action": "confirm",
                                                             "notice": NOTICE_2026.read_text(encoding="utf-8")})
    assert response.status_code in (400, 403) and stored(session) == 0
