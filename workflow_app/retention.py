"""Retention: deleting the rows that only grow and that nobody needs after a while. Four rules, each off at 0:

- a read 消息 (``user_messages``) ``MESSAGE_RETENTION_DAYS`` (365) after it was read (``read_at``);
- an unread 消息 ``MESSAGE_UNREAD_RETENTION_DAYS`` (1095) after it was written (``created_at``);
- a sent outbox message ``OUTBOX_RETENTION_DAYS`` (90) after it was sent (``sent_at``);
- a dead outbox message ``OUTBOX_DEAD_RETENTION_DAYS`` (365) after its last attempt (``next_attempt_at``).

Pending outbox messages are never deleted, and nothing else is: the case history (``audit_events``),
documents, submissions and attachments are legal records, and this module names no table but the two above.

Each rule deletes in batches, one ``DELETE … WHERE id IN (SELECT id … LIMIT n)`` per short transaction
(PostgreSQL picks the rows ``FOR UPDATE SKIP LOCKED``, so two schedulers take disjoint rows; on SQLite the
write transactions queue), and pauses between batches so other writers get the lock. A run stops a rule
after ``max_batches`` and starts no further batch once ``time_budget_seconds`` are spent; the rest waits for
the next run. Counts are the rows this run deleted, so two runs at once never count a row twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, select
from sqlalchemy.orm import Session

from workflow_app import clock
from workflow_app.config import DEFAULTS
from workflow_app.db import execute_write, unit_of_work
from workflow_app.messages.models import UserMessage
from workflow_app.notifications.models import OutboxMessage, OutboxStatus


@dataclass(frozen=True)
class RetentionSettings:
    """How long each kind of row is kept (days; 0 keeps it for ever) and how much one run may delete."""

    message_days: int = DEFAULTS["MESSAGE_RETENTION_DAYS"]
    message_unread_days: int = DEFAULTS["MESSAGE_UNREAD_RETENTION_DAYS"]
    outbox_days: int = DEFAULTS["OUTBOX_RETENTION_DAYS"]
    outbox_dead_days: int = DEFAULTS["OUTBOX_DEAD_RETENTION_DAYS"]
    batch: int = 5000  # rows per DELETE, each its own transaction
    max_batches: int = 20  # per rule and run: at most 100,000 rows of a kind an hour
    # No batch starts after this: a run ends well inside the scheduler unit's 60 s stop timeout (SIGTERM waits
    # for the running job). A run with nothing to delete takes milliseconds.
    time_budget_seconds: float = 30.0
    pause_seconds: float = 0.25  # above SQLite's longest busy-handler sleep (100 ms): a waiting writer gets in

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RetentionSettings:
        """The four periods from ``MESSAGE_RETENTION_DAYS``, ``MESSAGE_UNREAD_RETENTION_DAYS``,
        ``OUTBOX_RETENTION_DAYS`` and ``OUTBOX_DEAD_RETENTION_DAYS``; a negative one is refused."""
        d = cls()
        names = {"message_days": "MESSAGE_RETENTION_DAYS", "message_unread_days": "MESSAGE_UNREAD_RETENTION_DAYS",
                 "outbox_days": "OUTBOX_RETENTION_DAYS", "outbox_dead_days": "OUTBOX_DEAD_RETENTION_DAYS"}
        days = {}
        for attribute, name in names.items():
            value = int(config.get(name, getattr(d, attribute)))
            if value < 0:  # a cutoff in the future would delete every row of the kind: refuse, delete nothing
                raise ValueError(f"SOCORG_{name}={value}: a number of days, or 0 to keep the rows for ever")
            days[attribute] = value
        return cls(**days)


@dataclass(frozen=True)
class Rule:
    """Which rows of ``table`` may go once older than ``days``: ``where(cutoff)``, taken oldest first
    (``oldest``: the order of the index that serves the selection)."""

    name: str
    table: Table
    days: int
    where: Callable[[datetime], list[ColumnElement[bool]]]
    oldest: tuple[ColumnElement[Any], ...]


def rules(settings: RetentionSettings) -> list[Rule]:
    """The rules, in the order a run applies them: the outbox, then the 消息."""
    messages, outbox = UserMessage.__table__, OutboxMessage.__table__
    return [
        # ix_outbox_messages_due (status, next_attempt_at) serves both. A sent row's next_attempt_at is the
        # end of the lease it was sent under, so never much before its sent_at, which decides.
        Rule("sent outbox", outbox, settings.outbox_days, lambda cutoff: [
            outbox.c.status == OutboxStatus.SENT, outbox.c.next_attempt_at < cutoff, outbox.c.sent_at < cutoff],
            (outbox.c.next_attempt_at,)),
        Rule("dead outbox", outbox, settings.outbox_dead_days, lambda cutoff: [
            outbox.c.status == OutboxStatus.DEAD, outbox.c.next_attempt_at < cutoff], (outbox.c.next_attempt_at,)),
        # ix_user_messages_retention (read_at, created_at) serves both: NULL read_at and a range of created_at;
        # a range of read_at (which leaves out the NULLs).
        Rule("unread messages", messages, settings.message_unread_days, lambda cutoff: [
            messages.c.read_at.is_(None), messages.c.created_at < cutoff], (messages.c.read_at, messages.c.created_at)),
        Rule("read messages", messages, settings.message_days, lambda cutoff: [messages.c.read_at < cutoff],
             (messages.c.read_at,)),
    ]


def batch_delete(rule: Rule, cutoff: datetime, limit: int, postgres: bool) -> Any:
    """One batch's statement: delete the (at most ``limit``) oldest rows of ``rule`` before ``cutoff``, by
    primary key. The order keeps the planner on the index (PostgreSQL would otherwise scan the table while
    a backlog makes most rows match) and deletes the oldest first when a run stops at its bound."""
    ids = select(rule.table.c.id).where(*rule.where(cutoff)).order_by(*rule.oldest).limit(limit)
    if postgres:  # rows another run is deleting right now are skipped, not waited for
        ids = ids.with_for_update(skip_locked=True)
    return delete(rule.table).where(rule.table.c.id.in_(ids.scalar_subquery()))


@dataclass
class Pruned:
    """What one rule did in a run."""

    name: str
    days: int
    deleted: int = 0
    more: bool = False  # stopped at the run's bound with rows left

    def __str__(self) -> str:
        if not self.days:
            return f"{self.name}: kept (0 days)"
        return f"{self.name}: {self.deleted} deleted" + (", more next run" if self.more else "")


@dataclass
class PruneResult:
    """What a run deleted, rule by rule."""

    rules: list[Pruned] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(str(r) for r in self.rules)


class Retention:
    """Apply the retention rules to the database behind ``session``; owns its transactions."""

    def __init__(self, session: Session, settings: RetentionSettings) -> None:
        self.session = session
        self.settings = settings

    def prune(self) -> PruneResult:
        """Delete what the rules allow, within the run's bounds; each rule's first batch always runs."""
        now = clock.now()
        deadline = time.monotonic() + self.settings.time_budget_seconds
        postgres = self.session.get_bind().dialect.name == "postgresql"
        result = PruneResult()
        for rule in rules(self.settings):
            pruned = Pruned(rule.name, rule.days)
            result.rules.append(pruned)
            if rule.days:
                self._prune(rule, now - timedelta(days=rule.days), postgres, deadline, pruned)
        return result

    def _prune(self, rule: Rule, cutoff: datetime, postgres: bool, deadline: float, pruned: Pruned) -> None:
        statement = batch_delete(rule, cutoff, self.settings.batch, postgres)
        for number in range(self.settings.max_batches):
            if number:
                if time.monotonic() >= deadline:
                    break
                time.sleep(self.settings.pause_seconds)
            with unit_of_work(self.session):
                deleted = execute_write(self.session, statement, {}).rowcount or 0
            pruned.deleted += deleted
            if deleted < self.settings.batch:
                return  # the last of them (or another run holds the rest on PostgreSQL: it deletes them)
        pruned.more = True
