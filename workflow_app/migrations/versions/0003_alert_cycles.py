"""alerts per cycle of a task: a reopened task climbs the escalation ladder again

A task sent back to (退回/撤回) keeps its id; with alerts unique per (task, level) its new round
of work could never be reminded or escalated. human_tasks.cycle counts the rounds; alerts carry
the cycle they were raised in and are unique per (task, cycle, level).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("human_tasks") as batch:
        batch.add_column(sa.Column("cycle", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("cycle", sa.Integer(), nullable=False, server_default="0"))
        batch.drop_constraint("uq_alerts_task_id_level", type_="unique")
        batch.create_unique_constraint("uq_alerts_task_id_cycle_level", ["task_id", "cycle", "level"])


def downgrade() -> None:
    op.execute("DELETE FROM alerts WHERE cycle > 0")  # later cycles' alerts cannot be told apart without it
    with op.batch_alter_table("alerts") as batch:
        batch.drop_constraint("uq_alerts_task_id_cycle_level", type_="unique")
        batch.create_unique_constraint("uq_alerts_task_id_level", ["task_id", "level"])
        batch.drop_column("cycle")
    with op.batch_alter_table("human_tasks") as batch:
        batch.drop_column("cycle")
