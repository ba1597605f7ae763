"""prune_retained: read 消息 and delivered outbox rows past their retention go, in bounded batches; the rest
(unread and recent 消息, pending and recent dead letters, and every case record) stays."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, insert, select, update

from scheduler import jobs
from tests.notifications.support import free_port
from tests.threads import at_once
from workflow_app import clock, config, create_app, db
from workflow_app.messages.models import MessageKind, UserMessage
from workflow_app.models import Base
from workflow_app.notifications.models import Channel, OutboxMessage, OutboxStatus
from workflow_app.retention import Retention, RetentionSettings, batch_delete, rules

MESSAGES, OUTBOX = UserMessage.__table__, OutboxMessage.__table__
QUICK = RetentionSettings(pause_seconds=0)  # the defaults, without the pause between batches


def _ago(days: float):
    return clock.now() - timedelta(days=days)


def add_messages(session, *rows: tuple[str, float, float | None]) -> None:
    """Messages (title, written days ago, read days ago or None for unread), committed."""
    session.execute(insert(MESSAGES), [
        {"username": "clerk", "kind": MessageKind.CASE_MOVED, "title": title, "body": "",
         "created_at": _ago(written), "read_at": None if read is None else _ago(read)} for title, written, read in rows])
    session.commit()


def add_outbox(session, *rows: tuple[str, OutboxStatus, float, float | None]) -> None:
    """Outbox rows (subject, status, last attempt days ago, sent days ago or None), committed."""
    session.execute(insert(OUTBOX), [
        {"channel": Channel.EMAIL, "recipient": "clerk@example.org", "subject": subject, "body": "", "payload": {},
         "status": status, "attempts": 1, "created_at": _ago(attempt + 1), "next_attempt_at": _ago(attempt),
         "sent_at": None if sent is None else _ago(sent)} for subject, status, attempt, sent in rows])
    session.commit()


def titles(session) -> set[str]:
    session.rollback()  # end the read snapshot: the job committed in its own transactions
    return set(session.scalars(select(UserMessage.title))) | set(session.scalars(select(OutboxMessage.subject)))


def test_old_read_messages_go_recent_and_unread_ones_stay(app, session):
    add_messages(session, ("read long ago", 500, 400), ("read a month ago", 500, 30), ("read just now", 1, 0),
                 ("unread for two years", 730, None), ("unread for four years", 4 * 365, None))
    result = Retention(session, QUICK).prune()
    # A year counts from reading: the message written 500 days ago but read a month ago stays on the page.
    assert titles(session) == {"read a month ago", "read just now", "unread for two years"}
    assert str(result) == ("sent outbox: 0 deleted; dead outbox: 0 deleted; unread messages: 1 deleted; "
                           "read messages: 1 deleted")


def test_sent_outbox_rows_go_pending_and_recent_dead_ones_stay(app, session):
    add_outbox(session, ("sent in spring", OutboxStatus.SENT, 100, 100), ("sent last month", OutboxStatus.SENT, 30, 30),
               ("pending for a year", OutboxStatus.PENDING, 400, None),
               ("dead half a year", OutboxStatus.DEAD, 200, None), ("dead two years", OutboxStatus.DEAD, 730, None))
    result = Retention(session, QUICK).prune()
    assert titles(session) == {"sent last month", "pending for a year", "dead half a year"}
    assert [r.deleted for r in result.rules] == [1, 1, 0, 0]


def test_a_sent_row_is_judged_by_sent_at_whatever_its_lease(app, session):
    # Its lease ended long ago (next_attempt_at), but it was sent last month: kept.
    add_outbox(session, ("sent after a long wait", OutboxStatus.SENT, 200, 30))
    Retention(session, QUICK).prune()
    assert titles(session) == {"sent after a long wait"}


def test_batches_remove_everything_each_in_its_own_transaction(app, session):
    add_messages(session, *[(f"m{n}", 800, 400) for n in range(10)])
    add_outbox(session, *[(f"o{n}", OutboxStatus.SENT, 100, 100) for n in range(7)])
    commits = []

    def count(_conn) -> None:
        commits.append(1)

    event.listen(db.engine(), "commit", count)
    try:
        result = Retention(session, replace(QUICK, batch=3)).prune()
    finally:
        event.remove(db.engine(), "commit", count)
    assert titles(session) == set()
    assert str(result) == ("sent outbox: 7 deleted; dead outbox: 0 deleted; unread messages: 0 deleted; "
                           "read messages: 10 deleted")
    # 3+3+1 and 3+3+3+1, plus one empty batch for each of the other two rules.
    assert len(commits) == 3 + 4 + 2


def test_a_run_stops_at_its_bound_and_the_next_one_goes_on_oldest_first(app, session):
    add_messages(session, *[(f"m{n}", 800, 400 + n) for n in range(10)])
    bounded = replace(QUICK, batch=3, max_batches=2)
    first = Retention(session, bounded).prune()
    assert str(first).endswith("read messages: 6 deleted, more next run")
    assert titles(session) == {"m0", "m1", "m2", "m3"}  # the six read longest ago went first
    second = Retention(session, bounded).prune()
    assert str(second).endswith("read messages: 4 deleted")
    assert titles(session) == set()


def test_a_spent_time_budget_lets_each_rule_one_batch(app, session):
    add_messages(session, *[(f"m{n}", 800, 400) for n in range(5)], *[(f"u{n}", 2000, None) for n in range(5)])
    result = Retention(session, replace(QUICK, batch=2, time_budget_seconds=0)).prune()
    assert [(r.name, r.deleted, r.more) for r in result.rules] == [
        ("sent outbox", 0, False), ("dead outbox", 0, False), ("unread messages", 2, True), ("read messages", 2, True)]


def test_zero_keeps_those_rows_for_ever(app, session):
    add_messages(session, ("read long ago", 5000, 4000), ("unread for ever", 5000, None))
    add_outbox(session, ("sent long ago", OutboxStatus.SENT, 4000, 4000), ("dead long ago", OutboxStatus.DEAD, 4000, None))
    app.config.update(MESSAGE_RETENTION_DAYS=0, MESSAGE_UNREAD_RETENTION_DAYS=0, OUTBOX_RETENTION_DAYS=0,
                      OUTBOX_DEAD_RETENTION_DAYS=0)
    assert jobs.prune_retained(app) == ("sent outbox: kept (0 days); dead outbox: kept (0 days); "
                                        "unread messages: kept (0 days); read messages: kept (0 days)")
    assert len(titles(session)) == 4


def test_a_negative_period_is_refused_and_nothing_is_deleted(app, session):
    add_messages(session, ("read yesterday", 2, 1))
    app.config["MESSAGE_RETENTION_DAYS"] = -30  # would put the cutoff a month ahead: every read message
    with pytest.raises(ValueError, match="SOCORG_MESSAGE_RETENTION_DAYS=-30"):
        jobs.prune_retained(app)
    outcomes = jobs.run_all(app)
    assert outcomes["prune_retained"].startswith("failed: SOCORG_MESSAGE_RETENTION_DAYS=-30")
    assert titles(session) == {"read yesterday"}


def test_the_periods_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SOCORG_OUTBOX_RETENTION_DAYS", "30")
    monkeypatch.setenv("SOCORG_MESSAGE_UNREAD_RETENTION_DAYS", "0")
    loaded = config.load(str(tmp_path))
    settings = RetentionSettings.from_config(loaded)
    assert (settings.message_days, settings.message_unread_days, settings.outbox_days, settings.outbox_dead_days) \
        == (365, 0, 30, 365)
    monkeypatch.setenv("SOCORG_OUTBOX_RETENTION_DAYS", "ninety")
    with pytest.raises(RuntimeError, match="SOCORG_OUTBOX_RETENTION_DAYS='ninety' is not a valid int"):
        config.load(str(tmp_path))


def test_the_job_runs_in_tick_and_says_what_it_deleted(app, session):
    add_messages(session, ("read long ago", 800, 400), ("read long ago too", 800, 400))
    add_outbox(session, ("sent in spring", OutboxStatus.SENT, 100, 100))
    assert jobs.JOBS["prune_retained"].interval_seconds == 3600
    assert jobs.run_all(app)["prune_retained"] == ("sent outbox: 1 deleted; dead outbox: 0 deleted; "
                                                   "unread messages: 0 deleted; read messages: 2 deleted")
    assert jobs.prune_retained(app) == ("sent outbox: 0 deleted; dead outbox: 0 deleted; "
                                        "unread messages: 0 deleted; read messages: 0 deleted")  # idempotent


def test_two_runs_at_once_delete_each_row_once(app, session):
    add_messages(session, *[(f"m{n}", 800, 400) for n in range(120)])
    add_outbox(session, *[(f"o{n}", OutboxStatus.SENT, 100, 100) for n in range(80)])
    counted: list[int] = []

    def run() -> None:
        with app.app_context():  # its own session and connection, as a second scheduler process has
            result = Retention(db.session(), replace(QUICK, batch=7)).prune()
        counted.append(sum(r.deleted for r in result.rules))

    assert at_once(run) == []
    assert sum(counted) == 200
    assert titles(session) == set()


def test_a_run_meeting_rows_another_is_deleting_neither_fails_nor_counts_them(app, session, new_session):
    add_messages(session, *[(f"m{n}", 800, 400) for n in range(10)])
    rule = next(r for r in rules(QUICK) if r.name == "read messages")
    other = new_session()
    postgres = other.get_bind().dialect.name == "postgresql"
    with db.unit_of_work(other):  # another scheduler, mid-batch: it holds 4 rows (PostgreSQL) or the write lock
        held = db.execute_write(other, batch_delete(rule, _ago(365), 4, postgres), {}).rowcount
        outcome: list[int] = []
        worker = threading.Thread(target=lambda: outcome.append(_prune_in_own_context(app)))
        worker.start()
        worker.join(timeout=1.0)
        if postgres:  # SKIP LOCKED: it does not wait, and takes the six the other does not hold
            assert not worker.is_alive() and outcome == [6]
    worker.join(timeout=30)  # SQLite: it waited for the other's commit, then found the six left
    assert held == 4 and outcome == [6]
    assert titles(session) == set()


def _prune_in_own_context(app) -> int:
    with app.app_context():
        return sum(r.deleted for r in Retention(db.session(), QUICK).prune().rules)


def test_legal_records_are_never_pruned(app, demo, session):
    """Cases worked through the real services leave history, documents, submissions and attachments: thirty
    years on, with every 消息 read and every e-mail sent or dead, the job empties those two tables and no other."""
    from workflow_app.definitions.service import collect_files
    from workflow_app.demo_history import DemoHistory
    from workflow_app.services import definition_service

    definition_service().deploy(collect_files([Path(app.config["BPMN_DIR"])]), deployed_by="test")
    DemoHistory(session, seed=5).run(cases=10, months=2)
    session.execute(update(UserMessage).values(read_at=clock.now()))
    session.execute(update(OutboxMessage).values(status=OutboxStatus.SENT, sent_at=clock.now()))
    session.commit()
    add_outbox(session, ("sent", OutboxStatus.SENT, 1, 1), ("dead", OutboxStatus.DEAD, 1, None))

    def counts() -> dict[str, int]:
        session.rollback()
        return {t.name: session.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}

    before = counts()
    for table in ("audit_events", "documents", "submissions", "attachments", "user_messages", "outbox_messages"):
        assert before[table] > 0, table
    with clock.frozen(clock.now() + timedelta(days=30 * 365)):
        Retention(session, QUICK).prune()
    after = counts()
    assert after.pop("user_messages") == 0 and after.pop("outbox_messages") == 0
    assert after == {name: n for name, n in before.items() if name not in ("user_messages", "outbox_messages")}


def test_an_index_serves_every_rule(app, session):
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return  # PostgreSQL's plans depend on the table's size; see docs/scheduler-and-alerts.md
    index = {"sent outbox": "ix_outbox_messages_due", "dead outbox": "ix_outbox_messages_due",
             "unread messages": "ix_user_messages_retention", "read messages": "ix_user_messages_retention"}
    for rule in rules(QUICK):
        seen: list[tuple[str, object]] = []

        def capture(_conn, _cursor, sql, parameters, *_args, seen=seen) -> None:
            seen.append((sql, parameters))

        event.listen(connection, "before_cursor_execute", capture)
        try:
            connection.execute(batch_delete(rule, clock.now(), 10, postgres=False))
        finally:
            event.remove(connection, "before_cursor_execute", capture)
        sql, parameters = seen[-1]
        plan = [row[3] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, parameters)]
        assert any(f"INDEX {index[rule.name]}" in step for step in plan), (rule.name, plan)
        assert not any(step.startswith("SCAN") or "TEMP B-TREE" in step for step in plan), (rule.name, plan)
    session.rollback()


def test_an_unreachable_database_propagates_as_in_the_other_jobs(tmp_path):
    down = create_app({"DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/socorg",
                       "SECRET_KEY": "test", "TESTING": True, "FILE_STORE": str(tmp_path / "files")})
    try:
        started = time.monotonic()
        with pytest.raises(Exception) as raised:
            jobs.prune_retained(down)
        assert db.is_unreachable(raised.value) and time.monotonic() - started < 20
    finally:
        down.extensions["socorg.db"].dispose()
