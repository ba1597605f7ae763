"""case_deadlines: a case's named deadline and the warning before it on every open step (行政处罚法 60)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_deadlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("warn_at", sa.DateTime(), nullable=False),
        sa.Column("warned_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instances.id"],
                                name=op.f("fk_case_deadlines_instance_id_process_instances"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_deadlines")),
        sa.UniqueConstraint("instance_id", "name", name=op.f("uq_case_deadlines_instance_id_name")),
    )
    op.create_index(op.f("ix_case_deadlines_instance_id"), "case_deadlines", ["instance_id"])
    op.create_index(op.f("ix_case_deadlines_warn_at"), "case_deadlines", ["warn_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_case_deadlines_warn_at"), table_name="case_deadlines")
    op.drop_index(op.f("ix_case_deadlines_instance_id"), table_name="case_deadlines")
    op.drop_table("case_deadlines")
