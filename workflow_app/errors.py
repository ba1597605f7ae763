"""Domain errors shared by every feature area.

Services raise these; the HTTP edge translates them once into the API error body
(``{"error": {"code", "message", "details"}}``) with the status each class carries.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    status: int = 400
    code: str = "bad_request"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        """Return the API error body for this error."""
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class NotFound(DomainError):
    """The object does not exist (or is not visible to the caller)."""

    status = 404
    code = "not_found"


class Forbidden(DomainError):
    """The caller may see the object but not do this to it."""

    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """The change collides with the current state (stale version, task no longer ready)."""

    status = 409
    code = "conflict"


class InvalidInput(DomainError):
    """The input is well-formed but not acceptable; details name the fields."""

    status = 422
    code = "invalid_input"
