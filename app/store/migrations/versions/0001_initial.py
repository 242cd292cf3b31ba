"""The first tables: opt-outs, texters' places, anonymous usage counts.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "opt_outs",
        sa.Column("number_hash", sa.String(64), primary_key=True),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "sms_positions",
        sa.Column("number_hash", sa.String(64), primary_key=True),
        sa.Column("topic", sa.String(80), nullable=False),
        sa.Column("next_part", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "usage_counts",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("channel", sa.String(10), primary_key=True),
        sa.Column("node", sa.String(120), primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("usage_counts")
    op.drop_table("sms_positions")
    op.drop_table("opt_outs")
