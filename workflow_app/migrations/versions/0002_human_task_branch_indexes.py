"""human_tasks: one index per visibility branch, each leading with its column then status

The inbox queries each visibility branch (assignee, completed by, delegated from, organization,
group pool) as its own part of a UNION; on SQLite, which keeps no statistics, a part uses the
index matching most of its equalities, so each branch's index must beat (status, due_at).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_human_tasks_completed_by", table_name="human_tasks")
    op.create_index("ix_human_tasks_completed_by", "human_tasks", ["completed_by", "status", "due_at"])
    op.drop_index("ix_human_tasks_delegated_from", table_name="human_tasks")
    op.create_index("ix_human_tasks_delegated_from", "human_tasks", ["delegated_from", "status", "due_at"])
    op.drop_index("ix_human_tasks_organization_id", table_name="human_tasks")
    op.create_index("ix_human_tasks_organization", "human_tasks", ["organization_id", "status", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_human_tasks_organization", table_name="human_tasks")
    op.create_index("ix_human_tasks_organization_id", "human_tasks", ["organization_id"])
    op.drop_index("ix_human_tasks_delegated_from", table_name="human_tasks")
    op.create_index("ix_human_tasks_delegated_from", "human_tasks", ["delegated_from"])
    op.drop_index("ix_human_tasks_completed_by", table_name="human_tasks")
    op.create_index("ix_human_tasks_completed_by", "human_tasks", ["completed_by", "completed_at"])
