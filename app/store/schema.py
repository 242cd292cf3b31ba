"""The line's tables, as SQLAlchemy Core sees them; Alembic migrations (store/migrations) create them.

The outbox (app/store/outbox.py) and the callers' memory (app/store/callers.py) define their tables on this
metadata too, next to the code that uses them (migration 0003).
"""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, Integer, MetaData, String, Table

metadata = MetaData()

# The migration that brings a database to the tables below: the store refuses a database at any
# other revision (a test checks this is the newest file in store/migrations/versions).
SCHEMA_REVISION = "0005"

opt_outs = Table(
    "opt_outs", metadata,
    Column("number_hash", String(64), primary_key=True),
    Column("opted_out_at", DateTime(timezone=True), nullable=False),
)

sms_positions = Table(
    "sms_positions", metadata,
    Column("number_hash", String(64), primary_key=True),
    Column("topic", String(80), nullable=True),  # none: the texter is reading no topic
    Column("next_part", Integer, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("language", String(8), nullable=True),  # the texter's chosen language code; none: the line's first
    Column("window_start", DateTime(timezone=True), nullable=True),  # the hour the reply count below is for
    Column("replies", Integer, nullable=False, default=0, server_default="0"),
)

usage_counts = Table(
    "usage_counts", metadata,
    Column("day", Date, primary_key=True),
    Column("channel", String(10), primary_key=True),
    Column("node", String(120), primary_key=True),
    Column("count", Integer, nullable=False),
)

# Phrases callers said that matched nothing (app/store/learned.py, only with LEARN_PHRASES=true).
MAX_PHRASE_CHARS = 80

# One row per (phrase, caller) not understood: hashes and a day, never the words or the number.
phrase_sightings = Table(
    "phrase_sightings", metadata,
    Column("phrase_key", String(64), primary_key=True),
    Column("caller_key", String(64), primary_key=True),
    Column("day", Date, nullable=False, index=True),
)

# Phrases that at least 3 different callers said.
learned_phrases = Table(
    "learned_phrases", metadata,
    Column("phrase", String(MAX_PHRASE_CHARS), primary_key=True),
    Column("callers", Integer, nullable=False),
    Column("last_day", Date, nullable=False, index=True),
)
