"""user_messages index (read_at, created_at) for the retention job: read messages by when they were read,
unread ones (read_at NULL) by when they were written, each a range of one index

Without it each of the job's batches would scan the table for old rows (on SQLite inside the write
lock), and an hourly run that finds nothing would read every row. The outbox needs no new index: the
job selects sent and dead rows by (status, next_attempt_at), which ix_outbox_messages_due serves.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_user_messages_retention", "user_messages", ["read_at", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_user_messages_retention", table_name="user_messages")
