"""db.read_only: a read-only request reads outside a transaction on PostgreSQL, and cannot write."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from workflow_app import db
from workflow_app.directory.models import User


def test_a_read_only_session_refuses_writes_and_a_unit_of_work_after_it_commits(app, session, demo):
    session.close()
    db.read_only(session)
    postgres = session.get_bind().dialect.name == "postgresql"
    options = session.connection().get_execution_options()
    assert (options.get("isolation_level") == "AUTOCOMMIT") is postgres  # SQLite: unchanged
    user = session.scalars(select(User).where(User.username == "window_cc")).one()
    user.display_name = "改名"
    if postgres:
        with pytest.raises(RuntimeError, match="read-only"):
            session.flush()
    session.rollback()
    with db.unit_of_work(session):  # its own transaction, at the default isolation level
        assert "isolation_level" not in session.connection().get_execution_options()
        session.get(User, user.id).display_name = "又改名"
    session.close()
    assert session.get(User, user.id).display_name == "又改名"
