"""Translate errors, once, at the edge: API.md's body ``{"error": {"code", "message", "details"}}`` under /api/,
a Chinese page (workflow_app.web.errors) anywhere else."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, request
from marshmallow import Schema, fields
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from workflow_app import db
from workflow_app.error_body import error_response
from workflow_app.errors import DomainError
from workflow_app.web.errors import domain_error_page, http_error_page, retry_later_page

log = logging.getLogger(__name__)

_CODES = {400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type",
          422: "invalid_input", 429: "too_many_requests"}


class ErrorDetailSchema(Schema):
    """The inside of an error body."""

    code = fields.String(required=True, metadata={"description": "snake_case error code", "example": "not_found"})
    message = fields.String(required=True, metadata={"description": "what went wrong, for people"})
    details = fields.Dict(required=True, metadata={"description": "e.g. `fields` (invalid input) or `problems`"})


class ErrorSchema(Schema):
    """API.md's error body, documented for every error response (smorest's own shape is never sent)."""

    error = fields.Nested(ErrorDetailSchema, required=True)


# HTTPStatus names: flask-smorest registers a response component under each, with ErrorSchema.
_RESPONSE_REFS = {401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 409: "CONFLICT",
                  413: "REQUEST_ENTITY_TOO_LARGE", 422: "UNPROCESSABLE_ENTITY"}


def documents_errors(blp: Any, *statuses: int) -> Any:
    """Decorator: document ``statuses`` (401, 403, 404, 409, 413, 422) on a view with the error body."""

    def decorate(view: Any) -> Any:
        for status in statuses:
            view = blp.alt_response(status, response=_RESPONSE_REFS[status])(view)
        return view

    return decorate


def _validation_details(exc: HTTPException) -> dict[str, Any]:
    # webargs puts {"json": {"field": ["message"]}} (by location) into exc.data["messages"].
    messages = (getattr(exc, "data", None) or {}).get("messages") or {}
    details: dict[str, Any] = {}
    for by_location in messages.values():
        if isinstance(by_location, dict):
            details.update(by_location)
    return {"fields": details} if details else {}


# SQLite's own words once its busy timeout has run out; PostgreSQL's lock_not_available (lock_timeout),
# serialization_failure and deadlock_detected: all mean "try again", none means a bug.
_BUSY_WORDS = ("database is locked", "database table is locked", "database is busy")
_BUSY_SQLSTATES = {"55P03", "40001", "40P01"}
BUSY_RETRY_AFTER = 1  # seconds: the busy timeout already waited, a writer rarely holds on for longer


def is_database_busy(exc: OperationalError) -> bool:
    """Whether a database error means "another writer holds the lock; retry", not a fault."""
    if getattr(exc.orig, "sqlstate", None) in _BUSY_SQLSTATES:
        return True
    text = str(exc.orig).lower()
    return any(words in text for words in _BUSY_WORDS)


UNREACHABLE_RETRY_AFTER = 10  # seconds: a database restart or fail-over takes about that long


def database_unavailable(exc: Exception) -> Any:
    """503 with Retry-After while the database cannot be reached: one log line, no traceback."""
    log.warning("database unreachable on %s %s: %s", request.method, request.path,
                str(getattr(exc, "orig", None) or exc).strip().splitlines()[:1])
    return retry_later(UNREACHABLE_RETRY_AFTER, "database_unavailable",
                       "系统暂时无法连接数据库，请稍后重试（the database is unreachable; retry shortly）",
                       "系统暂时不可用", "系统暂时无法连接数据库，请稍后刷新重试。")


def retry_later(seconds: int, code: str, message: str, page_title: str, page_message: str) -> Any:
    """A 503 with Retry-After: the API error body, or a page in Chinese."""
    if not request.path.startswith("/api/"):
        response = retry_later_page(page_title, page_message)
    else:
        response = error_response(503, code, message, {"retry_after": seconds})
    response[0].headers["Retry-After"] = str(seconds)
    return response


def init_app(app: Flask) -> None:
    """Install the handlers: domain errors, HTTP errors and unexpected ones (which roll back)."""

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError) -> Any:
        db.session().rollback()
        if not request.path.startswith("/api/"):
            return domain_error_page(exc)
        return error_response(exc.status, exc.code, exc.message, exc.details)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        if not request.path.startswith("/api/"):
            return http_error_page(exc)
        status = exc.code or 500
        details = _validation_details(exc)
        message = "the request is not valid" if details else (exc.description or exc.name)
        response, status = error_response(status, _CODES.get(status, "http_error"), message, details)
        for name, value in ((getattr(exc, "data", None) or {}).get("headers") or {}).items():
            response.headers[name] = value
        return response, status

    @app.errorhandler(OperationalError)
    def database_error(exc: OperationalError) -> Any:
        if not is_database_busy(exc):
            return unexpected(exc)
        db.session().rollback()
        log.warning("database busy on %s %s: %s", request.method, request.path, exc.orig)
        return retry_later(BUSY_RETRY_AFTER, "database_busy", "系统繁忙，请稍后重试（the database is busy; retry shortly）",
                           "系统繁忙", "系统繁忙，请稍后重试。")

    @app.errorhandler(RecursionError)
    def nested_too_deeply(exc: RecursionError) -> Any:
        # json.loads recurses once per nesting level: a body of 100,000 "[" must be a 400, not a 500.
        db.session().rollback()
        if not request.path.startswith("/api/"):
            raise exc
        log.warning("recursion limit on %s %s (a deeply nested body?)", request.method, request.path)
        return error_response(400, "bad_request", "the request body is nested too deeply")

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        db.session().rollback()
        if db.is_unreachable(exc):
            return database_unavailable(exc)
        log.exception("unhandled error on %s %s", request.method, request.path)
        if not request.path.startswith("/api/"):
            raise exc
        return error_response(500, "internal_error", "an internal error occurred; nothing was changed")
