"""Database wiring: the typed declarative base, the engine and one session per app context.

Services receive a :class:`~sqlalchemy.orm.Session` and own its transaction; this module
only builds engines and hands out sessions (flaskr's ``db.init_app`` is the model).
"""

from __future__ import annotations

import contextlib
import enum
import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from time import monotonic
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import JSON, DateTime, Engine, MetaData, String, Table, TypeDecorator, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import CursorResult, Dialect
from sqlalchemy.exc import DBAPIError, InvalidatePoolError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from workflow_app import clock

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite drops the offset, so store naive UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return clock.as_utc(value).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else clock.as_utc(value)


JSONType = JSON().with_variant(JSONB(), "postgresql")


def _json_default(value: Any) -> str:
    # Values the engine's serializer keeps natively (Spiff's registry: datetime, timedelta, UUID — not a
    # date or a Decimal) are stored in JSON columns as text; the variables check accepts only these.
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (timedelta, uuid.UUID)):
        return str(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def json_dumps(value: Any) -> str:
    """The JSON columns' serializer: the standard one, with datetimes, durations and UUIDs as text."""
    return json.dumps(value, default=_json_default)


def enum_column(kind: type[enum.Enum], length: int = 20) -> Any:
    """A portable enum column stored by value (readable in SQL, no native enum to migrate)."""
    from sqlalchemy import Enum

    return Enum(kind, values_callable=lambda e: [m.value for m in e], native_enum=False,
                validate_strings=True, length=length)


class Base(DeclarativeBase):
    """The one declarative base; every model inherits it."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONType, str: String(255)}


def build_engine(url: str, echo: bool = False, busy_timeout: float = 30) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout (seconds) so writers queue, not fail."""
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, json_serializer=json_dumps,
                               connect_args={"timeout": busy_timeout, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # A bounded connect: an unreachable server (a dropped packet, not a refusal) fails in seconds, not minutes.
    engine = create_engine(url, echo=echo, json_serializer=json_dumps,
                           connect_args={"connect_timeout": CONNECT_TIMEOUT, "prepare_threshold": PREPARE_THRESHOLD})
    _check_idle_connections(engine)
    return engine


CONNECT_TIMEOUT = 5  # seconds
# psycopg prepares a statement on a connection at its second execution (its default: the sixth), and
# PostgreSQL settles on a cached generic plan after five more when that plan is as good: the inbox's
# counts statement (2–4 ms to plan) is then no longer planned from the 7th request on, not the 11th.
PREPARE_THRESHOLD = 1
# A pooled PostgreSQL connection is checked (one round trip) before use only when it sat idle this
# long: a server restart or an idle timeout leaves such connections dead, and the check replaces them
# unnoticed. A connection in steady use is not checked (SQLAlchemy's pre-ping cost every request a
# round trip); if the server dropped it meanwhile, its one request fails as an outage (503) and the
# pool then discards every connection made before, so the next requests reconnect.
IDLE_CHECK_SECONDS = 5.0
_CHECKED_IN = "socorg_checked_in"


def _check_idle_connections(engine: Engine) -> None:
    """Ping a pooled connection at checkout when it sat idle for ``IDLE_CHECK_SECONDS``; a dead one
    invalidates the pool, which then connects anew (SQLAlchemy retries the checkout)."""
    dialect = engine.dialect

    def mark_checkin(dbapi_connection: Any, record: Any) -> None:
        record.info[_CHECKED_IN] = monotonic()

    def ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        checked_in = record.info.get(_CHECKED_IN)
        if checked_in is None or monotonic() - checked_in < IDLE_CHECK_SECONDS:
            return  # just connected, or in steady use
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_connection, None):
                raise InvalidatePoolError("the pooled connection was closed by the server") from exc
            raise

    event.listen(engine.pool, "checkin", mark_checkin)
    event.listen(engine.pool, "checkout", ping_if_idle)


# PostgreSQL SQLSTATEs of a server that is going away or not there: connection exceptions (class 08),
# admin/crash shutdown, cannot connect now (starting up or shutting down).
_GONE_SQLSTATES = ("08", "57P01", "57P02", "57P03")
_SQLITE_GONE = ("unable to open database file", "disk i/o error")


def is_unreachable(exc: BaseException) -> bool:
    """Whether a database error means the database cannot be reached (an outage), not a fault of the query."""
    if isinstance(exc, SATimeoutError):  # the pool waited for a connection the server never gave
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate.startswith(_GONE_SQLSTATES)
    module = type(orig).__module__.split(".")[0]
    if module == "psycopg":  # a connection that failed or broke has no SQLSTATE
        return type(orig).__name__ in ("OperationalError", "InterfaceError")
    return module == "sqlite3" and any(words in str(orig).lower() for words in _SQLITE_GONE)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # let the "begin" listener issue BEGIN itself
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    # 32 MiB of page cache (the default is 2 MiB): a million-row human_tasks keeps its inbox indexes
    # warm, and an escalation pass writing 100,000 alerts does not spill pages mid-transaction.
    cur.execute("PRAGMA cache_size=-32768")
    cur.execute("PRAGMA temp_store=MEMORY")  # the sorters and IN-lists of inbox queries
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # A unit of work takes SQLite's write lock at BEGIN, so two writers queue on the busy
    # timeout instead of one failing when it upgrades a read snapshot; reads stay deferred.
    write = conn.get_execution_options().get("socorg_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def init_app(app: Flask) -> None:
    """Attach an engine and session factory to ``app`` and close the context's session on teardown."""
    engine = build_engine(app.config["DATABASE_URL"], echo=app.config.get("SQL_ECHO", False),
                          busy_timeout=app.config.get("SQLITE_BUSY_TIMEOUT", 30))
    app.extensions["socorg.db"] = engine
    app.extensions["socorg.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def engine() -> Engine:
    """Return the current app's engine."""
    return current_app.extensions["socorg.db"]


def session() -> Session:
    """Return the session of the current app context, creating it on first use."""
    if "socorg_session" not in g:
        g.socorg_session = current_app.extensions["socorg.sessionmaker"]()
    return g.socorg_session


def read_only(sess: Session) -> None:
    """Run the session's coming reads outside a transaction, until its next rollback or commit (a
    ``unit_of_work`` starts with one): on PostgreSQL that spares each read-only request two round trips,
    BEGIN and ROLLBACK. Under READ COMMITTED, PostgreSQL's default and ours, each statement reads its own
    snapshot in a transaction too, so the reads see what they would have seen. A flush in that time
    fails: writes belong in a unit of work. SQLite is left as it is (its BEGIN is no round trip)."""
    if sess.in_transaction() or sess.get_bind().dialect.name != "postgresql":
        return
    sess.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    sess.info[_READ_ONLY] = True


_READ_ONLY = "socorg_read_only"


@event.listens_for(Session, "before_flush")
def _refuse_read_only_flush(sess: Session, _context: Any, _instances: Any) -> None:
    if sess.info.get(_READ_ONLY) and (sess.new or sess.dirty or sess.deleted):
        raise RuntimeError("a read-only session cannot write: use a unit of work")


@event.listens_for(Session, "after_flush")
def _mark_flushed(sess: Session, _context: Any) -> None:
    sess.info["flushed"] = True


@event.listens_for(Session, "after_transaction_end")
def _clear_flushed(sess: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the outermost transaction ended: its writes are committed or gone
        sess.info.pop("flushed", None)
        sess.info.pop(_READ_ONLY, None)  # the connection went back to the pool, its isolation level reset


_INSERTS: dict[Table, Any] = {}


def append_row(sess: Session, table: Table, values: dict[str, Any]) -> None:
    """Insert one append-only row now, as a Core statement on the session's connection: no unit-of-work
    bookkeeping for rows nobody changes afterwards (audit events, submissions, messages). Objects the
    session holds pending are flushed first, so a row they refer to exists."""
    if sess.new:
        sess.flush()
    statement = _INSERTS.get(table)
    if statement is None:  # built once per table: a statement reused skips SQLAlchemy's cache-key walk
        statement = _INSERTS[table] = table.insert()
    execute_write(sess, statement, values)


def execute_write(sess: Session, statement: Any, params: Any) -> CursorResult[Any]:
    """Run a Core write on the session's connection (in its transaction, without the ORM's flush) and
    mark the session written, as a flush does, so :func:`unit_of_work`'s guard sees it."""
    result = sess.connection().execute(statement, params)
    sess.info["flushed"] = True
    return result


def _close_session(_exc: BaseException | None) -> None:
    sess = g.pop("socorg_session", None)
    if sess is not None:
        sess.close()


@contextlib.contextmanager
def unit_of_work(sess: Session) -> Iterator[Session]:
    """Commit what the block did as one transaction, or roll all of it back on any exception."""
    if sess.new or sess.dirty or sess.deleted or sess.info.get("flushed"):
        raise RuntimeError("unit_of_work needs a session without changes made outside a unit of work")
    if sess.in_transaction():
        # Only reads happened: drop their snapshot so the write starts from the latest state. A rollback
        # also expires what was loaded, so nothing read in an earlier transaction is trusted here.
        sess.rollback()
    sess.connection(execution_options={"socorg_write": True})
    try:
        yield sess
        sess.commit()
    except BaseException:
        sess.rollback()
        raise
