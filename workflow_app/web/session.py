"""Logged-in users of the web UI: a signed session cookie holding the user id and token version."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from flask import Flask, abort, redirect, request, session, url_for

from workflow_app import db
from workflow_app.directory.models import Role, User

F = TypeVar("F", bound=Callable[..., Any])


def login_user(user: User) -> None:
    """Start a web session for ``user`` (a fresh session: no fixation)."""
    session.clear()
    session["uid"] = user.id
    session["tv"] = user.token_version
    session.permanent = False


def logout_user() -> None:
    """End the web session."""
    session.clear()


def current_web_user() -> User | None:
    """The user of this web session, if it is still valid (password changes end old sessions)."""
    uid = session.get("uid")
    if not isinstance(uid, int):
        return None
    found = db.session().get(User, uid)  # the identity map makes repeated calls in a request free
    if found is None or not found.active or found.token_version != session.get("tv"):
        return None
    return found


def login_required(*roles: Role) -> Callable[[F], F]:
    """Pages: redirect to the login page without a session; 403 for a role not in ``roles`` (admin passes)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_web_user()
            if user is None:
                return redirect(url_for("web_auth.login", next=request.full_path.rstrip("?")))
            if roles and user.role not in roles and user.role is not Role.ADMIN:
                abort(403)
            return view(*args, **kwargs)

        wrapper.socorg_page_auth = roles  # type: ignore[attr-defined]  # lets a test list unguarded pages
        return wrapper  # type: ignore[return-value]

    return decorate


def init_app(app: Flask) -> None:
    """Harden Flask's session cookie: HttpOnly, SameSite=Lax, Secure over TLS, valid for 8 hours.

    These are assignments, not ``setdefault``: Flask defines every ``SESSION_COOKIE_*`` key (SameSite None,
    a 31-day lifetime), so a ``setdefault`` would silently keep Flask's values. The lifetime also bounds
    a browser-session cookie: Flask checks its signature's age against it.
    """
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    if app.config.get("SESSION_COOKIE_SAMESITE") is None:  # Flask's default; a deliberate "Strict" stays
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    if app.config.get("SECURE_COOKIES"):
        app.config["SESSION_COOKIE_SECURE"] = True
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=app.config.get("SESSION_LIFETIME_SECONDS", 8 * 3600))
