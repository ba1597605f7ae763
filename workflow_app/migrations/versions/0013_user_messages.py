"""user_messages: the in-app 消息 of each user (催办, 抄送, 委派/转办, 退回, alerts, cases moving on)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("urge", "cc", "delegate", "delegate_done", "transfer", "returned", "alert", "case_moved")


def upgrade() -> None:
    op.create_table(
        "user_messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("kind", sa.Enum(*KINDS, name="messagekind", native_enum=False, length=24), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("instance_id", sa.String(36), nullable=True),
        sa.Column("task_id", sa.String(36), nullable=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_messages")),
    )
    op.create_index("ix_user_messages_unread", "user_messages", ["username", "read_at"])
    op.create_index("ix_user_messages_username_id", "user_messages", ["username", "id"])


def downgrade() -> None:
    op.drop_index("ix_user_messages_username_id", table_name="user_messages")
    op.drop_index("ix_user_messages_unread", table_name="user_messages")
    op.drop_table("user_messages")
