"""submissions: each step's form data kept as submitted (the case file builds on it)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "submissions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=True),
        sa.Column("task_name", sa.String(length=128), nullable=True),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("candidate_group", sa.String(length=64), nullable=True),
        sa.Column("form", sa.String(length=255), nullable=True),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("form_version", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),  # json, not jsonb: form data may hold NUL characters
        sa.Column("opinion", sa.Text(), nullable=True),
        sa.Column("submitted_by", sa.String(length=64), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instances.id"],
                                name=op.f("fk_submissions_instance_id_process_instances"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["definition_id"], ["process_definitions.id"],
                                name=op.f("fk_submissions_definition_id_process_definitions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
    )
    with op.batch_alter_table("submissions") as batch:
        batch.create_index(batch.f("ix_submissions_instance_id"), ["instance_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_index(batch.f("ix_submissions_instance_id"))
    op.drop_table("submissions")
