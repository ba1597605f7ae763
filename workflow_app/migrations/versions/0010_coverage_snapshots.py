"""party_coverage_snapshots: the monthly party-coverage counts per region (the dashboard's trend)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "party_coverage_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("active_count", sa.Integer(), nullable=False),
        sa.Column("single_count", sa.Integer(), nullable=False),
        sa.Column("joint_count", sa.Integer(), nullable=False),
        sa.Column("temporary_count", sa.Integer(), nullable=False),
        sa.Column("instructor_count", sa.Integer(), nullable=False),
        sa.Column("charter_clause_count", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"],
                                name=op.f("fk_party_coverage_snapshots_region_code_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_coverage_snapshots")),
        sa.UniqueConstraint("month", "region_code", name=op.f("uq_party_coverage_snapshots_month_region_code")),
    )
    op.create_index(op.f("ix_party_coverage_snapshots_region_code"), "party_coverage_snapshots", ["region_code"])


def downgrade() -> None:
    op.drop_index(op.f("ix_party_coverage_snapshots_region_code"), table_name="party_coverage_snapshots")
    op.drop_table("party_coverage_snapshots")
