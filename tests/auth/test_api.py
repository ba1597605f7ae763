"""Logging in, bearer tokens, revocation, and that every API endpoint is guarded."""

from __future__ import annotations

import pytest

PUBLIC = {"/api/v1/auth/token", "/api/v1/health", "/api/v1/openapi.json"}


def test_login_returns_a_token_and_the_user(client, demo):
    response = client.post("/api/v1/auth/token", json={"username": "reviewer_cc", "password": "demo12345"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["token"]
    assert body["user"]["username"] == "reviewer_cc"
    assert body["user"]["region"] == "220100" and "reviewer" in body["user"]["groups"]
    assert "password" not in body["user"] and "password_hash" not in body["user"]


@pytest.mark.parametrize("username,password", [("reviewer_cc", "wrong-password"), ("nobody", "demo12345")])
def test_bad_credentials_answer_401_in_the_error_format(client, demo, username, password):
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "bad_credentials"


def test_login_body_is_validated_with_field_details(client, demo):
    response = client.post("/api/v1/auth/token", json={"username": 5})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_input"
    assert set(error["details"]["fields"]) == {"username", "password"}


def test_malformed_json_is_a_clear_4xx(client, demo):
    response = client.post("/api/v1/auth/token", data="{not json", content_type="application/json")
    assert 400 <= response.status_code < 500
    assert "error" in response.get_json()


def test_token_authenticates_and_garbage_does_not(client, auth):
    assert client.get("/api/v1/auth/me", headers=auth("window_cc")).get_json()["username"] == "window_cc"
    for header in ["Bearer nonsense", "Basic abc", "Bearer", ""]:
        response = client.get("/api/v1/auth/me", headers={"Authorization": header})
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "not_authenticated"


def test_password_change_revokes_older_tokens(client, auth):
    old = auth("window_cc")
    response = client.post("/api/v1/auth/password", headers=old,
                           json={"current_password": "demo12345", "new_password": "a-new-password"})
    assert response.status_code == 200
    assert client.get("/api/v1/auth/me", headers=old).status_code == 401
    fresh = {"Authorization": f"Bearer {response.get_json()['token']}"}
    assert client.get("/api/v1/auth/me", headers=fresh).status_code == 200
    relogin = client.post("/api/v1/auth/token", json={"username": "window_cc", "password": "a-new-password"})
    assert relogin.status_code == 200


def test_logout_revokes_every_token(client, auth):
    headers = auth("inspector")
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_expired_token_is_refused(app, client, auth):
    headers = auth("inspector")
    app.config["TOKEN_TTL_SECONDS"] = -1
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_every_api_endpoint_requires_a_token(app, client, demo):
    """Walk the URL map: every /api/v1 route but the public ones answers 401 without a token."""
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.rule in PUBLIC:
            continue
        url = rule.rule
        for argument in rule.arguments:
            url = url.replace(f"<{argument}>", "1").replace(f"<int:{argument}>", "1")
            url = url.replace(f"<string:{argument}>", "1").replace(f"<path:{argument}>", "1")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method, json={})
            assert response.status_code == 401, f"{method} {rule.rule} answered {response.status_code}"
            checked += 1
    assert checked >= 3
