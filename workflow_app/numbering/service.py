"""Hand out the next number of a sequence inside the caller's transaction.

One statement does it: ``INSERT … ON CONFLICT (series, region_code, year) DO UPDATE SET
last_value = last_value + 1 RETURNING last_value``. On PostgreSQL the upsert locks the
row until the transaction ends, so a concurrent caller waits and then gets the next
value; on SQLite the unit of work already holds the database's write lock (``BEGIN
IMMEDIATE``). Either way no number is handed out twice, and a transaction that rolls
back gives its number back (the sequence stays gapless).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from workflow_app import clock
from workflow_app.numbering.models import NumberSequence

SERIES_RE = re.compile(r"[a-z][a-z0-9_]{0,63}", re.ASCII)


@dataclass(frozen=True)
class IssuedNumber:
    """A number as handed out: the formatted text and its parts."""

    number: str
    seq: int
    year: int
    series: str
    region_code: str


def check_series(series: object) -> str:
    """Return ``series`` if it is a valid series name (snake_case, ≤64), else raise ``ValueError``."""
    if not isinstance(series, str) or not SERIES_RE.fullmatch(series):
        raise ValueError(f"编号序列名称无效 / invalid series name {series!r}: use snake_case letters, digits, '_'")
    return series


def next_value(session: Session, series: str, region_code: str = "", year: int = 0) -> int:
    """The next value (1, 2, 3, …) of the sequence, counted in the session's current transaction."""
    check_series(series)
    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert is None:
        raise RuntimeError(f"number sequences are not implemented for {dialect}")
    table = NumberSequence.__table__
    now = clock.now()
    statement = (
        insert(table)
        .values(series=series, region_code=region_code, year=year, last_value=1, updated_at=now)
        .on_conflict_do_update(
            index_elements=["series", "region_code", "year"],
            set_={"last_value": table.c.last_value + 1, "updated_at": now},
        )
        .returning(table.c.last_value)
    )
    return int(session.execute(statement).scalar_one())


def format_number(prefix: str, year: int, seq: int) -> str:
    """The 文号 style ``吉民社登字〔2026〕15号`` (just ``〔2026〕15号`` without a prefix)."""
    return f"{prefix}〔{year}〕{seq}号"


def issue(session: Session, series: str, region_code: str, *, prefix: str = "") -> IssuedNumber:
    """The next number of ``series`` for the authority of ``region_code`` in the current (Beijing) year."""
    year = clock.local_now().year
    seq = next_value(session, series, region_code, year)
    return IssuedNumber(format_number(prefix, year, seq), seq, year, series, region_code)
