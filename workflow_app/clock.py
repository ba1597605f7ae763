"""The one clock: every part of the system asks it for "now".

Tests and ``socorg tick --now`` set it; production leaves it on the system clock.
Times are aware datetimes in UTC; :data:`LOCAL_TZ` is for display and for
working-day arithmetic.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

_state = threading.local()
_global_override: datetime | None = None


def now() -> datetime:
    """Return the current moment as an aware UTC datetime."""
    fixed = getattr(_state, "fixed", None) or _global_override
    if fixed is not None:
        return fixed
    return datetime.now(UTC)


def local_now() -> datetime:
    """Return the current moment in Asia/Shanghai."""
    return now().astimezone(LOCAL_TZ)


def as_utc(moment: datetime) -> datetime:
    """Return ``moment`` in UTC; a naive value is taken to be UTC (that is how the database stores it)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@contextlib.contextmanager
def frozen(moment: datetime) -> Iterator[None]:
    """Make ``now()`` return ``moment`` in this thread until the block ends."""
    previous = getattr(_state, "fixed", None)
    _state.fixed = as_utc(moment)
    try:
        yield
    finally:
        _state.fixed = previous


def set_global(moment: datetime | None) -> None:
    """Fix ``now()`` for every thread (a one-shot ``tick --now`` process); ``None`` restores the system clock."""
    global _global_override
    _global_override = as_utc(moment) if moment is not None else None
