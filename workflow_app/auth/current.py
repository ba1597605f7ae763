"""The user behind the current request and the ``auth_required`` guard every API view carries."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, request

from workflow_app import db
from workflow_app.auth.service import AuthService, NotAuthenticated
from workflow_app.directory.models import Role, User
from workflow_app.errors import Forbidden

F = TypeVar("F", bound=Callable[..., Any])


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer …`` header, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def current_user() -> User:
    """The authenticated user of this request (after ``auth_required`` ran)."""
    user = g.get("socorg_user")
    if user is None:
        raise NotAuthenticated("authentication required: send Authorization: Bearer <token>")
    return user


def auth_required(*roles: Role, read_only: bool = False) -> Callable[[F], F]:
    """Require a valid bearer token, and one of ``roles`` when given (admin passes every role check).
    ``read_only``: the view only reads, outside a transaction from the token's check on (see
    :func:`db.read_only`; a unit of work in it still gets its own transaction)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            token = bearer_token()
            if token is None:
                raise NotAuthenticated("authentication required: send Authorization: Bearer <token>")
            if read_only:
                db.read_only(db.session())
            user = AuthService(db.session()).authenticate(token)
            if roles and user.role not in roles and user.role is not Role.ADMIN:
                allowed = ", ".join(r.value for r in roles)
                raise Forbidden(f"this needs one of the roles: {allowed}")
            g.socorg_user = user
            return view(*args, **kwargs)

        wrapper.socorg_auth = roles  # type: ignore[attr-defined]  # lets a test list unguarded views
        return wrapper  # type: ignore[return-value]

    return decorate
