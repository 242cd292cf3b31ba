"""The outbox of texts to send ("text me this") and what the line remembers about callers.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("batch", sa.String(32), nullable=False),
        sa.Column("number_hash", sa.String(64), nullable=False),
        sa.Column("to_number", sa.String(32), nullable=True),
        sa.Column("from_number", sa.String(32), nullable=True),
        sa.Column("kind", sa.String(80), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(32), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("twilio_sid", sa.String(40), nullable=True),
        sa.Column("error_code", sa.Integer, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("outbox_due", "outbox", ["status", "next_attempt_at"])
    op.create_index("outbox_number", "outbox", ["number_hash", "created_at"])
    op.create_index("outbox_twilio_sid", "outbox", ["twilio_sid"], unique=True)
    op.create_index("outbox_request", "outbox", ["batch", "kind"], unique=True)
    op.create_table(
        "callers",
        sa.Column("number_hash", sa.String(64), primary_key=True),
        sa.Column("topic", sa.String(80), nullable=True),
        sa.Column("part", sa.Integer, nullable=True),
        sa.Column("place_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rate", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("callers")
    op.drop_index("outbox_request", "outbox")
    op.drop_index("outbox_twilio_sid", "outbox")
    op.drop_index("outbox_number", "outbox")
    op.drop_index("outbox_due", "outbox")
    op.drop_table("outbox")
