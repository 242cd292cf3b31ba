"""What operators need: where each call in progress last was (for the call status callback), failed
sign-ins per client (for /report), and usage counts stored as typed events ("kind|node").

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# The counts kept before events were typed, and the event each was: (old prefix, new prefix).
RENAMED = (("call", "call|"), ("input:", "input|"), ("not-understood:", "miss|"), ("question:", "question|"),
           ("text:", "text_requested|"))


def upgrade() -> None:
    op.create_table(
        "call_places",
        sa.Column("call_key", sa.String(64), primary_key=True),
        sa.Column("node", sa.String(120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "sign_in_failures",
        sa.Column("client_key", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
    )
    for old, new in RENAMED:
        op.execute(sa.text("UPDATE usage_counts SET node = :new || substr(node, :cut) "
                           "WHERE channel <> 'health' AND node LIKE :pattern")
                   .bindparams(new=new, cut=len(old) + 1, pattern=old if old == "call" else old + "%"))
    # Every other count was where a request left the caller or texter.
    op.execute(sa.text("UPDATE usage_counts SET node = 'reached|' || node "
                       "WHERE channel <> 'health' AND node NOT LIKE '%|%'"))


def downgrade() -> None:
    op.execute(sa.text("UPDATE usage_counts SET node = substr(node, 9) WHERE node LIKE 'reached|%'"))
    op.drop_table("sign_in_failures")
    op.drop_table("call_places")
