"""attachments: files uploaded to the attachment fields of task forms (the bytes are in the file store)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("field", sa.String(length=128), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instances.id"],
                                name=op.f("fk_attachments_instance_id_process_instances"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["task_id"], ["human_tasks.id"],
                                name=op.f("fk_attachments_task_id_human_tasks"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    with op.batch_alter_table("attachments") as batch:
        batch.create_index(batch.f("ix_attachments_instance_id"), ["instance_id"], unique=False)
        batch.create_index(batch.f("ix_attachments_sha256"), ["sha256"], unique=False)
        batch.create_index("ix_attachments_task_field", ["task_id", "field"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("attachments") as batch:
        batch.drop_index("ix_attachments_task_field")
        batch.drop_index(batch.f("ix_attachments_sha256"))
        batch.drop_index(batch.f("ix_attachments_instance_id"))
    op.drop_table("attachments")
