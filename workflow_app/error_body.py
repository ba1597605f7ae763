"""API.md's error body ``{"error": {"code", "message", "details"}}``: built here, used by the API's error
handlers (workflow_app.api.errors), by views that answer an error themselves and by the pages' handlers
when a page's script posted JSON (workflow_app.web.errors)."""

from __future__ import annotations

from flask import Response, jsonify


def error_response(status: int, code: str, message: str, details: dict | None = None) -> tuple[Response, int]:
    """An API error body with its status."""
    return jsonify({"error": {"code": code, "message": message, "details": details or {}}}), status
