"""One row per (series, authority region, year): the last number handed out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workflow_app import clock
from workflow_app.db import Base


class NumberSequence(Base):
    """A counter; ``last_value`` only ever grows, inside the transaction that uses the number."""

    __tablename__ = "number_sequences"
    __table_args__ = (UniqueConstraint("series", "region_code", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series: Mapped[str] = mapped_column(String(64))
    # The authority's region code; "" for series that are not per authority. Not a foreign key:
    # numbers already issued stay valid whatever happens to the region table.
    region_code: Mapped[str] = mapped_column(String(12))
    year: Mapped[int]  # 0 for series that never restart
    last_value: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
