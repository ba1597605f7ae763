"""POST /auth/token (log in), /auth/password (change it), /auth/logout (revoke every token), GET /auth/me."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from workflow_app import db
from workflow_app.auth.current import auth_required, current_user
from workflow_app.auth.service import AuthService
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


@blp.route("/token", methods=["POST"])
@blp.arguments(LoginSchema)
@blp.response(200, TokenSchema)
@blp.doc(security=[])
def token(body: dict) -> dict:
    """Log in: 200 with a bearer token, 401 for bad credentials."""
    token, user = AuthService(db.session()).login(body["username"], body["password"])
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
