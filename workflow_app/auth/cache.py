"""The users behind recently checked tokens, for a few seconds: a request of a token checked just before
(an inbox page and its counts come together) builds its user from memory, without a round trip.

The bound (``AUTH_USER_CACHE_SECONDS``, 0 turns it off): a change to a user — deactivated, another role,
region or groups, every token revoked — takes effect at once in the process that committed it (a commit
that wrote a user, or its groups, empties that app's cache), and within the bound in every other process
(another server worker, the CLI). The token itself (signature, age) is checked on every request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from time import monotonic
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from workflow_app.directory.models import Group, Region, User, user_groups

_EXTENSION = "socorg.user_cache"
_CHANGED = "socorg_users_changed"
# Entries beyond this are not kept (a burst of distinct tokens empties the cache rather than grow it).
MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class Snapshot:
    """A user's row, region and groups as loaded, to rebuild the user in another session."""

    user: dict[str, Any]
    region: dict[str, Any] | None
    groups: tuple[dict[str, Any], ...]
    taken: float

    @classmethod
    def of(cls, user: User) -> Snapshot:
        region = None if user.region is None else _columns(user.region)
        return cls(_columns(user), region, tuple(_columns(group) for group in user.groups), monotonic())

    def attach(self, session: Session) -> User | None:
        """The user as a persistent object of ``session`` — as if loaded there, with no SQL; None when the
        session holds the user, their region or a group already (then it is read as usual)."""
        keys = [(User, self.user["id"]), *((Group, group["name"]) for group in self.groups)]
        if self.region is not None:
            keys.append((Region, self.region["code"]))
        if any(session.identity_map.get(identity_key(kind, key)) is not None for kind, key in keys):
            return None
        user = User(**self.user)
        user.region = None if self.region is None else _detached(Region, self.region)
        user.groups = [_detached(Group, group) for group in self.groups]
        make_transient_to_detached(user)  # the relationships set above count as loaded, not as changes
        session.add(user)
        return user


def _columns(row: Any) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in row.__mapper__.column_attrs}


def _detached(kind: type, values: dict[str, Any]) -> Any:
    row = kind(**values)
    make_transient_to_detached(row)
    return row


class UserCache:
    """Snapshots by token, each good for ``ttl`` seconds; emptied by a commit that wrote a user."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, Snapshot] = {}
        self._lock = threading.Lock()
        # Bumped by every emptying: a user read before it is not kept (it may be what the commit changed).
        self.generation = 0

    def get(self, token: str) -> Snapshot | None:
        found = self._entries.get(token)
        if found is None or monotonic() - found.taken >= self.ttl:
            return None
        return found

    def put(self, token: str, user: User, generation: int) -> None:
        """Keep the user of ``token``, read after ``generation`` was current (unless the cache was emptied since)."""
        if self.ttl <= 0 or generation != self.generation:
            return
        snapshot = Snapshot.of(user)
        with self._lock:
            if generation != self.generation:
                return
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[token] = snapshot

    def clear(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries.clear()


def init_app(app: Flask) -> None:
    """Give ``app`` its cache, of ``AUTH_USER_CACHE_SECONDS`` (0: none is kept)."""
    app.extensions[_EXTENSION] = UserCache(float(app.config.get("AUTH_USER_CACHE_SECONDS", 0)))


def user_cache() -> UserCache | None:
    """The current app's cache."""
    return current_app.extensions.get(_EXTENSION)


@event.listens_for(Session, "before_flush")
def _note_user_writes(session: Session, _context: Any, _instances: Any) -> None:
    if any(isinstance(row, User) for rows in (session.new, session.dirty, session.deleted) for row in rows):
        session.info[_CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _note_user_statements(state: Any) -> None:
    # An UPDATE or DELETE of users (or an insert or delete of group memberships) run through the session.
    if (state.is_update or state.is_delete or state.is_insert) and _touches_users(state.statement):
        state.session.info[_CHANGED] = True


def _touches_users(statement: Any) -> bool:
    table = getattr(statement, "table", None)
    return table is not None and getattr(table, "name", None) in (User.__tablename__, user_groups.name)


@event.listens_for(Session, "after_commit")
def _forget_changed_users(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        cache = current_app.extensions.get(_EXTENSION) if has_app_context() else None
        if cache is not None:
            cache.clear()
