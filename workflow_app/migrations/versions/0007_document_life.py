"""documents have a life: issued → served (method, day, 回证) or void (reason); the issuing task's engine id

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("task_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("status", sa.Enum("issued", "served", "void", name="documentstatus",
                                                     native_enum=False, length=20),
                                   nullable=False, server_default="issued"))
        batch.add_column(sa.Column("served_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("service_method", sa.Enum("direct", "mail", "electronic", "announcement",
                                                             name="servicemethod", native_enum=False, length=20),
                                   nullable=True))
        batch.add_column(sa.Column("service_receipt", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("service_note", sa.Text(), nullable=True))
        batch.add_column(sa.Column("served_recorded_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("voided_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("void_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        for column in ("void_reason", "voided_at", "served_recorded_by", "service_note", "service_receipt",
                       "service_method", "served_on", "status", "task_id"):
            batch.drop_column(column)
