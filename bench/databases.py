"""Throwaway PostgreSQL databases for the benchmark and the scale run."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def throwaway_database(base_url: str, prefix: str) -> tuple[str, Callable[[], None]]:
    """A new database ``<prefix>_<random>`` on ``base_url``'s server: its URL, and how to drop it."""
    admin_url = make_url(base_url)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin_url.set(database=name).render_as_string(hide_password=False), drop
