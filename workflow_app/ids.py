"""Identifiers of cases, tasks and documents: canonical UUID strings."""

from __future__ import annotations

import uuid


def is_uuid(value: object) -> bool:
    """True for a canonical UUID string; anything else cannot name a row (and must never reach SQL)."""
    try:
        return str(uuid.UUID(str(value))) == value
    except (ValueError, AttributeError, TypeError):
        return False
