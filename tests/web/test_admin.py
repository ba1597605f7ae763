"""系统管理 pages: the calendar editor and users, for admins only; bad input kept in place."""

from __future__ import annotations

from datetime import date

import pytest

from tests.web.test_session import csrf_from, login


@pytest.mark.parametrize("username", ["window_cc", "supervisor_prov", "designer", "applicant"])
def test_admin_pages_are_denied_to_everyone_else(web, username):
    login(web, username)
    for url in ["/admin/calendar/2026", "/admin/users", "/admin/users/1"]:
        assert web.get(url).status_code == 403, (username, url)


def test_calendar_shows_library_days_and_flags_an_uncovered_year(web):
    login(web, "admin")
    page = web.get("/admin/calendar/2026").get_data(as_text=True)
    assert "2026-10-01" in page and "国庆节" in page and 'id="uncovered"' not in page
    assert 'id="uncovered"' in web.get("/admin/calendar/2027").get_data(as_text=True)


def test_saving_2027_overrides_covers_the_year(web, session):
    from workflow_app.calendar.service import CalendarService

    login(web, "admin")
    token = csrf_from(web.get("/admin/calendar/2027").get_data(as_text=True))
    form = {"csrf_token": token, "rows": "2", "date_0": "2027-10-01", "kind_0": "holiday", "name_0": "国庆节",
            "date_1": "2027-09-26", "kind_1": "workday", "name_1": "国庆调休", "complete": "on"}
    response = web.post("/admin/calendar/2027", data=form)
    assert response.status_code == 302
    session.expire_all()
    calendar = CalendarService(session).calendar()
    assert calendar.covers(2027)
    assert not calendar.is_workday(date(2027, 10, 1)) and calendar.is_workday(date(2027, 9, 26))


def test_bad_calendar_row_is_shown_in_place_and_nothing_is_saved(web, session):
    from workflow_app.calendar.service import CalendarService

    login(web, "admin")
    token = csrf_from(web.get("/admin/calendar/2027").get_data(as_text=True))
    form = {"csrf_token": token, "rows": "2", "date_0": "2027-10-01", "kind_0": "holiday", "name_0": "国庆节",
            "date_1": "2028-01-01", "kind_1": "holiday", "name_1": "元旦"}
    response = web.post("/admin/calendar/2027", data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="2028-01-01"' in page and 'value="国庆节"' in page and "field-error" in page
    # In Chinese on the page (the API keeps the service's English message).
    assert "2028-01-01 不在 2027 年内" in page and "2027 年有 1 天填写有误，本次均未保存" in page
    assert "not in" not in page and "nothing was saved" not in page
    session.expire_all()
    assert all(e["source"] != "override" for e in CalendarService(session).year(2027))


def test_admin_creates_a_user_and_bad_input_keeps_what_was_typed(web, session):
    from workflow_app.directory.models import User

    login(web, "admin")
    token = csrf_from(web.get("/admin/users").get_data(as_text=True))
    bad = {"csrf_token": token, "username": "Bad Name", "display_name": "王五", "role": "caseworker",
           "region_code": "220100", "groups": ["window"], "email": "not-an-email", "password": "short"}
    response = web.post("/admin/users", data=bad)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="王五"' in page and "电子邮箱格式不正确" in page and "密码至少 8 位" in page
    good = dict(bad, username="wangwu", email="wangwu@example.cn", password="a-good-password")
    assert web.post("/admin/users", data=good).status_code == 302
    created = session.query(User).filter_by(username="wangwu").one()
    assert created.region_code == "220100" and created.group_names == ["window"]


def test_deactivating_a_user_ends_their_sessions(web, app, session):
    from tests.conftest import IsolatedClient
    from workflow_app.directory.models import User

    other = IsolatedClient(app, app.response_class, use_cookies=True)
    login(other, "inspector")
    assert other.get("/").status_code == 200
    login(web, "admin")
    inspector = session.query(User).filter_by(username="inspector").one()
    token = csrf_from(web.get(f"/admin/users/{inspector.id}").get_data(as_text=True))
    response = web.post(f"/admin/users/{inspector.id}", data={
        "csrf_token": token, "display_name": inspector.display_name, "role": "caseworker",
        "region_code": inspector.region_code, "groups": ["inspector"], "email": ""})
    assert response.status_code == 302
    assert other.get("/").status_code == 302
