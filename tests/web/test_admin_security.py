"""The admin's 安全事件 page: login lockouts are listed and an admin can lift one."""

from __future__ import annotations

import pytest

from tests.web.test_session import csrf_from, login


def lock(web, username: str = "reviewer_cc", addr: str = "203.0.113.7") -> None:
    for _ in range(10):
        web.post("/api/v1/auth/token", json={"username": username, "password": "wrong"},
                 environ_base={"REMOTE_ADDR": addr})


def right_password(web, username: str = "reviewer_cc", addr: str = "203.0.113.7") -> int:
    return web.post("/api/v1/auth/token", json={"username": username, "password": "demo12345"},
                    environ_base={"REMOTE_ADDR": addr}).status_code


def test_a_lockout_is_listed_for_the_admin_and_can_be_lifted(web):
    lock(web)
    assert right_password(web) == 429
    login(web, "admin")
    page = web.get("/admin/security").get_data(as_text=True)
    assert "登录锁定" in page and "reviewer_cc" in page and "203.0.113.7" in page and "失败 10 次" in page
    assert "解除锁定</button>" in page
    response = web.post("/admin/security/unlock", data={"scope": "account", "key": "reviewer_cc",
                                                        "csrf_token": csrf_from(page)})
    assert response.status_code == 302
    page = web.get("/admin/security").get_data(as_text=True)
    assert "已解除账号 reviewer_cc 的登录锁定" in page and "由 admin 解除" in page
    assert "解除锁定</button>" not in page  # the lock is gone: no button on the old event
    assert right_password(web) == 200


def test_unlocking_needs_the_csrf_token(web):
    lock(web)
    login(web, "admin")
    assert web.post("/admin/security/unlock", data={"scope": "account", "key": "reviewer_cc"}).status_code == 400
    assert right_password(web) == 429


@pytest.mark.parametrize("username", ["reviewer_cc", "supervisor_prov", "designer"])
def test_the_security_page_is_for_admins_only(web, username):
    login(web, username)
    assert web.get("/admin/security").status_code == 403
    assert web.post("/admin/security/unlock", data={"scope": "account", "key": "x",
                                                    "csrf_token": csrf_from(web.get("/").get_data(as_text=True))
                                                    }).status_code == 403
