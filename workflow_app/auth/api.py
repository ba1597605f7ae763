"""POST /auth/token (log in), /auth/password (change it), /auth/logout (revoke every token), GET /auth/me."""

from __future__ import annotations

from flask import Response, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from workflow_app import db
from workflow_app.api.errors import error_response
from workflow_app.auth.current import auth_required, current_user
from workflow_app.auth.service import AuthService
from workflow_app.auth.throttle import TooManyAttempts
from workflow_app.directory.schemas import UserSchema

blp = Blueprint("auth", __name__, url_prefix="/auth", description="Authentication: bearer tokens.")


class LoginSchema(Schema):
    """Credentials."""

    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)


class TokenSchema(Schema):
    """A token and whom it belongs to."""

    token = fields.String()
    user = fields.Nested(UserSchema)


class PasswordChangeSchema(Schema):
    """The current password and the new one."""

    current_password = fields.String(required=True, validate=validate.Length(max=256))
    new_password = fields.String(required=True, validate=validate.Length(min=8, max=256))


@blp.errorhandler(TooManyAttempts)
def too_many_attempts(exc: TooManyAttempts) -> tuple[Response, int]:
    """429 in the API error format, with Retry-After (the app-wide handler knows no headers)."""
    db.session().rollback()
    response, status = error_response(exc.status, exc.code, exc.message, exc.details)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response, status


@blp.route("/token", methods=["POST"])
@blp.arguments(LoginSchema)
@blp.response(200, TokenSchema)
@blp.alt_response(429, response="TOO_MANY_REQUESTS",
                  description="too_many_attempts: 10 failed logins for the account (50 from the address) in "
                              "15 minutes; refused even with the right password until Retry-After seconds pass")
@blp.doc(security=[])
def token(body: dict) -> dict:
    """Log in: 200 with a bearer token, 401 for bad credentials, 429 (Retry-After) while throttled."""
    token, user = AuthService(db.session()).login(body["username"], body["password"], request.remote_addr or "")
    return {"token": token, "user": user}


@blp.route("/me")
@auth_required()
@blp.response(200, UserSchema)
def me() -> object:
    """The authenticated user."""
    return current_user()


@blp.route("/password", methods=["POST"])
@auth_required()
@blp.arguments(PasswordChangeSchema)
@blp.response(200, TokenSchema)
def change_password(body: dict) -> dict:
    """Change the password: every older token stops working; a new token is returned."""
    user = current_user()
    token = AuthService(db.session()).change_password(user, body["current_password"], body["new_password"])
    return {"token": token, "user": user}


@blp.route("/logout", methods=["POST"])
@auth_required()
@blp.response(204)
def logout() -> None:
    """Revoke every token of the caller."""
    AuthService(db.session()).revoke_all(current_user())
