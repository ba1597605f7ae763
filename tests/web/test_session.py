"""Web sessions: login, logout, CSRF on every form, and that every page needs a login."""

from __future__ import annotations

import re

PUBLIC_PAGES = {"/login", "/static/<path:filename>", "/vendor/<package>/<path:filename>",
                # 公示公告: public notices, on purpose (tests/web/test_public.py)
                "/public/announcements", "/public/announcements/<int:announcement_id>",
                "/public/announcements/<int:announcement_id>/print", "/public/announcements.atom"}


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the form"
    return match.group(1)


def login(web, username: str, password: str = "demo12345"):
    token = csrf_from(web.get("/login").get_data(as_text=True))
    return web.post("/login", data={"username": username, "password": password, "csrf_token": token})


def test_login_shows_the_users_name_role_and_region(web):
    response = login(web, "reviewer_cc")
    assert response.status_code == 302
    page = web.get("/").get_data(as_text=True)
    assert "长春市" in page and "经办人" in page


def test_wrong_password_stays_on_the_form_keeping_the_username(web):
    response = login(web, "reviewer_cc", "wrong-password")
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "用户名或密码错误" in page and 'value="reviewer_cc"' in page


def test_form_post_without_csrf_token_is_refused(web):
    response = web.post("/login", data={"username": "reviewer_cc", "password": "demo12345"})
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)
    assert web.get("/").status_code == 302  # not logged in


def test_logout_needs_post_with_token(web):
    login(web, "reviewer_cc")
    page = web.get("/").get_data(as_text=True)
    assert web.post("/logout").status_code == 400
    assert web.get("/").status_code == 200
    assert web.post("/logout", data={"csrf_token": csrf_from(page)}).status_code == 302
    assert web.get("/").status_code == 302


def test_login_never_redirects_off_site(web):
    token = csrf_from(web.get("/login").get_data(as_text=True))
    response = web.post("/login?next=//evil.example/x", data={"username": "reviewer_cc", "password": "demo12345",
                                                               "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_password_change_ends_web_sessions(web, app, session):
    from workflow_app.directory.models import User

    login(web, "reviewer_cc")
    user = session.query(User).filter_by(username="reviewer_cc").one()
    user.token_version += 1
    session.commit()
    assert web.get("/").status_code == 302


def test_every_page_needs_a_login(app, web):
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or rule.rule in PUBLIC_PAGES or "GET" not in rule.methods:
            continue
        url = rule.rule
        for argument in rule.arguments:
            url = re.sub(r"<(?:[a-z]+:)?" + argument + ">", "1", url)
        response = web.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], rule.rule
        checked += 1
    assert checked >= 1


def test_vendor_route_serves_only_allowed_packages(web):
    assert web.get("/vendor/bpmn-js/bpmn-viewer.production.min.js").status_code in (200, 404)
    assert web.get("/vendor/bpmn-js/../../package.json").status_code == 404
    assert web.get("/vendor/lodash/index.js").status_code == 404


def test_login_form_is_throttled_with_a_chinese_message(web):
    for _ in range(10):
        assert login(web, "reviewer_cc", "wrong-password").status_code == 401
    response = login(web, "reviewer_cc")  # the right password, but the account is locked
    assert response.status_code == 429
    assert "登录失败次数过多，请 15 分钟后再试" in response.get_data(as_text=True)
    assert 0 < int(response.headers["Retry-After"]) <= 900
    assert web.get("/").status_code == 302  # no session was started
