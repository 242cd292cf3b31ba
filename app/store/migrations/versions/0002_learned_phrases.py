"""Phrases callers said that the line did not understand (kept only with LEARN_PHRASES=true).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "phrase_sightings",
        sa.Column("phrase_key", sa.String(64), primary_key=True),
        sa.Column("caller_key", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
    )
    op.create_index("ix_phrase_sightings_day", "phrase_sightings", ["day"])
    op.create_table(
        "learned_phrases",
        sa.Column("phrase", sa.String(80), primary_key=True),
        sa.Column("callers", sa.Integer, nullable=False),
        sa.Column("last_day", sa.Date, nullable=False),
    )
    op.create_index("ix_learned_phrases_last_day", "learned_phrases", ["last_day"])


def downgrade() -> None:
    op.drop_table("learned_phrases")
    op.drop_table("phrase_sightings")
