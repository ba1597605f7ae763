"""Security headers on every response, the session cookie's flags, the proxy setting, and CSP-clean templates."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.web.test_session import login
from workflow_app import create_app
from workflow_app.auth.models import LoginAttempt

TEMPLATES = Path(__file__).resolve().parents[2] / "workflow_app" / "templates"
COMMON = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}


def directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/login", "/no-such-page", "/static/css/app.css", "/"])
def test_pages_send_the_frame_type_referrer_headers_and_a_strict_csp(web, path):
    response = web.get(path)
    for name, value in COMMON.items():
        assert response.headers[name] == value, (path, name)
    csp = directives(response)
    assert csp["default-src"] == "'self'" and csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
    assert csp["object-src"] == "'none'" and csp["frame-ancestors"] == "'none'"
    assert csp["base-uri"] == "'self'" and csp["form-action"] == "'self'" and csp["img-src"] == "'self' data:"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # only when served over TLS


@pytest.mark.parametrize("method,path", [("get", "/api/v1/health"), ("get", "/api/v1/auth/me"),
                                         ("get", "/api/v1/no-such"), ("post", "/api/v1/auth/token")])
def test_api_responses_send_the_headers_too(client, demo, method, path):
    response = getattr(client, method)(path, json={} if method == "post" else None)
    for name, value in COMMON.items():
        assert response.headers[name] == value, (path, name)
    csp = directives(response)
    assert csp == {"default-src": "'none'", "frame-ancestors": "'none'"}


def test_the_session_cookie_is_httponly_and_samesite_lax(web):
    response = login(web, "reviewer_cc")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_a_web_login_lasts_eight_hours_not_flasks_month(app):
    assert app.permanent_session_lifetime == timedelta(hours=8)


def test_secure_cookies_make_the_cookie_secure_and_send_hsts(database_url, demo):
    secure = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test-secret", "TESTING": True,
                         "SECURE_COOKIES": True})
    try:
        client = secure.test_client()
        page = client.get("/login")
        assert page.headers["Strict-Transport-Security"].startswith("max-age=")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
        response = client.post("/login", data={"username": "reviewer_cc", "password": "demo12345",
                                               "csrf_token": token})
        assert "Secure" in response.headers["Set-Cookie"]
        assert client.get("/api/v1/health").headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        secure.extensions["socorg.db"].dispose()


def _stored_addresses(session) -> list[str]:
    session.rollback()
    return [a.remote_addr for a in session.scalars(select(LoginAttempt).order_by(LoginAttempt.id))]


def test_forwarded_for_is_ignored_unless_proxies_are_trusted(client, demo, session, database_url):
    headers = {"X-Forwarded-For": "198.51.100.23"}
    client.post("/api/v1/auth/token", json={"username": "x", "password": "y"}, headers=headers,
                environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert _stored_addresses(session) == ["10.0.0.5"]  # else an attacker rotates the header past the limit
    proxied = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test-secret", "TESTING": True,
                          "TRUSTED_PROXIES": 1})
    try:
        with proxied.app_context():
            proxied.test_client().post("/api/v1/auth/token", json={"username": "x", "password": "y"},
                                       headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.5"})
    finally:
        proxied.extensions["socorg.db"].dispose()
    assert _stored_addresses(session) == ["10.0.0.5", "198.51.100.23"]


def test_templates_have_no_inline_script_handler_or_style():
    """The CSP refuses inline code and styles: keep them out of every template (JSON data blocks are fine)."""
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text()
        for match in re.finditer(r"<script\b([^>]*)>", text):
            if "src=" not in match.group(1) and 'type="application/json"' not in match.group(1):
                found.append(f"{path.name}: inline <script>")
        found += [f"{path.name}: <style>" for _ in re.finditer(r"<style\b", text)]
        found += [f"{path.name}: {m.group(0)}" for m in re.finditer(r"\s(on[a-z]+|style)\s*=", text)]
        found += [f"{path.name}: javascript: URL" for _ in re.finditer(r"javascript:", text, re.IGNORECASE)]
    assert found == []


def test_a_views_own_csp_is_kept_and_made_unframeable(app):
    from flask import Response

    from workflow_app.security_headers import add_headers

    with app.test_request_context("/api/v1/documents/x/print"):
        response = Response("<p>x</p>", headers={"Content-Security-Policy": "default-src 'none'; img-src data:"})
        policy = add_headers(response).headers["Content-Security-Policy"]
    assert policy == "default-src 'none'; img-src data:; frame-ancestors 'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
