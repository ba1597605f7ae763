"""human_tasks indexes: (instance_id, status) for the sync after each step (a case's open tasks only),
and (status, due_at, created_at, id) for a supervisor's 'all' tab read in due order

The first replaces the single-column instance_id index (it leads with it, so lookups and the cascade
from process_instances still use it); the second replaces (status, due_at), which it extends.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("human_tasks") as batch:
        batch.create_index("ix_human_tasks_instance_status", ["instance_id", "status"], unique=False)
        batch.drop_index("ix_human_tasks_instance_id")
        batch.create_index("ix_human_tasks_status_order", ["status", "due_at", "created_at", "id"], unique=False)
        batch.drop_index("ix_human_tasks_status_due")


def downgrade() -> None:
    with op.batch_alter_table("human_tasks") as batch:
        batch.create_index("ix_human_tasks_instance_id", ["instance_id"], unique=False)
        batch.drop_index("ix_human_tasks_instance_status")
        batch.create_index("ix_human_tasks_status_due", ["status", "due_at"], unique=False)
        batch.drop_index("ix_human_tasks_status_order")
