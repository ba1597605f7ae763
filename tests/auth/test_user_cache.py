"""A token's user rebuilt from memory for AUTH_USER_CACHE_SECONDS (auth/cache.py): a change to a user
takes effect at once in the process that made it, and a change made elsewhere (another worker, the CLI,
plain SQL) within the bound — never later."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, update

from tests.conftest import IsolatedClient
from workflow_app import db
from workflow_app.auth import cache as user_cache
from workflow_app.directory.models import User
from workflow_app.directory.service import DirectoryService


@pytest.fixture
def api(app: Flask, demo: None):
    """A client whose every request has its own app context and session, as under a WSGI server."""
    db.session().close()
    app.test_client_class = IsolatedClient
    try:
        yield app.test_client()
    finally:
        app.test_client_class = FlaskClient


def login(api, username: str) -> tuple[str, dict[str, str]]:
    answer = api.post("/api/v1/auth/token", json={"username": username, "password": "demo12345"})
    assert answer.status_code == 200
    token = answer.get_json()["token"]
    return token, {"Authorization": f"Bearer {token}"}


def cached(app: Flask, token: str) -> bool:
    return app.extensions["socorg.user_cache"].get(token) is not None


def user_id(new_session, username: str) -> int:
    with new_session() as session:
        return session.scalars(select(User.id).where(User.username == username)).one()


def test_a_rebuilt_user_reads_and_writes_as_a_loaded_one(app, api, new_session):
    token, headers = login(api, "window_cc")
    first = api.get("/api/v1/auth/me", headers=headers).get_json()
    assert cached(app, token)
    assert api.get("/api/v1/auth/me", headers=headers).get_json() == first  # from memory, the same answer
    assert api.get("/api/v1/tasks/counts", headers=headers).status_code == 200
    # A write in a request whose user was rebuilt: the password change commits, and revokes the token.
    answer = api.post("/api/v1/auth/password", headers=headers,
                      json={"current_password": "demo12345", "new_password": "a-new-password"})
    assert answer.status_code == 200
    assert api.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_a_user_deactivated_here_is_refused_at_once(app, api, new_session):
    token, headers = login(api, "window_cc")
    assert api.get("/api/v1/tasks", headers=headers).status_code == 200
    assert cached(app, token)
    with app.app_context():
        directory = DirectoryService(db.session())
        found = directory.user(user_id(new_session, "window_cc"))
        directory.update_user(found.id, display_name=found.display_name, role=found.role.value,
                              region_code=found.region_code, groups=found.group_names, email=found.email,
                              active=False)
    for url in ("/api/v1/tasks", "/api/v1/tasks/counts", "/api/v1/auth/me"):
        assert api.get(url, headers=headers).status_code == 401, url


def test_a_role_and_groups_changed_here_take_effect_at_once(app, api, new_session):
    token, headers = login(api, "window_cc")
    before = api.get("/api/v1/auth/me", headers=headers).get_json()
    assert before["role"] == "caseworker" and before["groups"]
    assert cached(app, token)
    with app.app_context():
        directory = DirectoryService(db.session())
        found = directory.user(user_id(new_session, "window_cc"))
        directory.update_user(found.id, display_name=found.display_name, role="supervisor",
                              region_code=found.region_code, groups=[], email=found.email, active=True)
    after = api.get("/api/v1/auth/me", headers=headers).get_json()
    assert after["role"] == "supervisor" and after["groups"] == []


def test_logout_everywhere_refuses_the_cached_token_at_once(app, api):
    token, headers = login(api, "inspector")
    assert api.get("/api/v1/auth/me", headers=headers).status_code == 200
    assert cached(app, token)
    assert api.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert api.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_a_change_made_elsewhere_holds_no_longer_than_the_bound(app, api, database_url, monkeypatch):
    """Another process deactivates the user (plain SQL: nothing here hears of it): the token works for at
    most AUTH_USER_CACHE_SECONDS more, then is refused."""
    token, headers = login(api, "window_cc")
    assert api.get("/api/v1/auth/me", headers=headers).status_code == 200
    elsewhere = create_engine(database_url)
    with elsewhere.begin() as conn:
        conn.execute(update(User).where(User.username == "window_cc").values(active=False))
    elsewhere.dispose()
    assert api.get("/api/v1/auth/me", headers=headers).status_code == 200  # inside the bound: still served
    taken = app.extensions["socorg.user_cache"].get(token).taken
    bound = app.config["AUTH_USER_CACHE_SECONDS"]
    assert 0 < bound <= 5
    monkeypatch.setattr(user_cache, "monotonic", lambda: taken + bound)
    assert api.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_a_forged_or_expired_token_is_refused_whatever_is_cached(app, api):
    token, headers = login(api, "window_cc")
    assert api.get("/api/v1/auth/me", headers=headers).status_code == 200
    assert cached(app, token)
    forged = {"Authorization": f"Bearer {token[:-2]}{'AA' if not token.endswith('AA') else 'BB'}"}
    assert api.get("/api/v1/auth/me", headers=forged).status_code == 401
    app.config["TOKEN_TTL_SECONDS"] = -1
    assert api.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_the_cache_can_be_turned_off(app, api):
    app.extensions["socorg.user_cache"].ttl = 0
    token, headers = login(api, "window_cc")
    assert api.get("/api/v1/auth/me", headers=headers).status_code == 200
    assert not cached(app, token)


def test_a_user_read_before_an_emptying_is_not_kept(app):
    """A request that read the user, then saw a commit change them before it could keep the snapshot,
    keeps nothing: the snapshot may be what the commit changed."""
    from workflow_app.auth.cache import UserCache

    cache = UserCache(2.0)
    generation = cache.generation
    cache.clear()  # a commit wrote a user meanwhile
    cache.put("token", object(), generation)  # type: ignore[arg-type]  # never snapshotted
    assert cache.get("token") is None
