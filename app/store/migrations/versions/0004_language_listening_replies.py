"""What the line keeps per number for the languages, listening and reply-limit work: a caller's language
and extra listening time; a texter's language and the replies counted in the current hour (so the limit
holds for every worker and machine). A texter's row may now hold no topic (a texter who only chose a
language, or only had replies counted).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("callers") as callers:
        callers.add_column(sa.Column("language", sa.String(8), nullable=True))
        callers.add_column(sa.Column("listening", sa.Integer, nullable=False, server_default="0"))
    with op.batch_alter_table("sms_positions") as texters:
        texters.alter_column("topic", existing_type=sa.String(80), nullable=True)
        texters.alter_column("next_part", existing_type=sa.Integer, nullable=True)
        texters.add_column(sa.Column("language", sa.String(8), nullable=True))
        texters.add_column(sa.Column("window_start", sa.DateTime(timezone=True), nullable=True))
        texters.add_column(sa.Column("replies", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("sms_positions") as texters:
        texters.drop_column("replies")
        texters.drop_column("window_start")
        texters.drop_column("language")
    with op.batch_alter_table("callers") as callers:
        callers.drop_column("listening")
        callers.drop_column("language")
