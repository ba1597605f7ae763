"""Logging in and out: checks credentials, issues and revokes tokens."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.util import identity_key

from workflow_app.auth import tokens
from workflow_app.auth.cache import user_cache
from workflow_app.auth.throttle import LoginThrottle
from workflow_app.db import unit_of_work
from workflow_app.directory.models import User
from workflow_app.directory.passwords import check_password, hash_password
from workflow_app.errors import DomainError, InvalidInput


class BadCredentials(DomainError):
    """Unknown user, wrong password or inactive account (deliberately not told apart)."""

    status = 401
    code = "bad_credentials"


class NotAuthenticated(DomainError):
    """No valid bearer token on a request that needs one."""

    status = 401
    code = "not_authenticated"


class AuthService:
    """Credentials and tokens for one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def login(self, username: str, password: str, remote_addr: str) -> tuple[str, User]:
        """Check the credentials and return (token, user); TooManyAttempts while the account or address is locked."""
        throttle = LoginThrottle.from_config(self.session, current_app.config)
        standing = throttle.check(username, remote_addr)  # before the password: a lock holds even for the right one
        user = self.session.scalars(select(User).where(User.username == username)).first()
        try:
            valid = user is not None and user.active and check_password(user.password_hash, password)
        except ValueError:  # a stored hash with an unknown method: treat as a failed login
            valid = False
        throttle.record(username, remote_addr, success=valid, before=standing)
        if not valid:
            raise BadCredentials("用户名或密码错误 (wrong username or password)")
        return self._issue(user), user

    def authenticate(self, token: str) -> User:
        """The active user a bearer token belongs to, or NotAuthenticated."""
        try:
            claims = tokens.read(current_app.config["SECRET_KEY"], token, current_app.config["TOKEN_TTL_SECONDS"])
        except tokens.InvalidToken as exc:
            raise NotAuthenticated(str(exc)) from exc
        cache = user_cache()
        known = None if cache is None else cache.get(token)
        # Checked within the last AUTH_USER_CACHE_SECONDS (auth/cache.py): rebuilt, not read.
        user = None if known is None else known.attach(self.session)
        if user is not None:
            return user
        generation = 0 if cache is None else cache.generation  # before the read: see UserCache.put
        # Kept only when read now: a user the session held already may be older than the generation.
        read_now = self.session.identity_map.get(identity_key(User, claims.user_id)) is None
        # The groups come joined: every request reads them (visibility), so one statement, not two.
        user = self.session.get(User, claims.user_id, options=[joinedload(User.groups)])
        if user is None or not user.active or user.token_version != claims.token_version:
            raise NotAuthenticated("the token has been revoked")
        if cache is not None and read_now:
            cache.put(token, user, generation)
        return user

    def change_password(self, user: User, current: str, new: str) -> str:
        """Set a new password, revoke every older token, and return a fresh token."""
        if not check_password(user.password_hash, current):
            raise BadCredentials("当前密码错误 (the current password is wrong)")
        try:
            new_hash = hash_password(new)
        except ValueError as exc:
            raise InvalidInput(str(exc), details={"new_password": [str(exc)]}) from exc
        with unit_of_work(self.session):
            user = self.session.get(User, user.id)
            user.password_hash = new_hash
            user.token_version += 1
        return self._issue(user)

    def revoke_all(self, user: User) -> None:
        """Log the user out everywhere: every token issued so far stops working."""
        with unit_of_work(self.session):
            self.session.get(User, user.id).token_version += 1

    def _issue(self, user: User) -> str:
        return tokens.issue(current_app.config["SECRET_KEY"], user.id, user.token_version)
