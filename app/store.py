"""What the line remembers, through SQLAlchemy Core: opt-outs, texters' places, anonymous counts.

Phone numbers are never stored: only a keyed HMAC of the number, so a leaked database does not
reveal who called.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time
from pathlib import Path
from typing import Any

from sqlalchemy import (Column, Date, DateTime, Integer, MetaData, String, Table, and_, create_engine, func,
                        select, update)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

metadata = MetaData()

opt_outs = Table(
    "opt_outs", metadata,
    Column("number_hash", String(64), primary_key=True),
    Column("opted_out_at", DateTime(timezone=True), nullable=False),
)

sms_positions = Table(
    "sms_positions", metadata,
    Column("number_hash", String(64), primary_key=True),
    Column("topic", String(80), nullable=False),
    Column("next_part", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

usage_counts = Table(
    "usage_counts", metadata,
    Column("day", Date, primary_key=True),
    Column("channel", String(10), primary_key=True),
    Column("node", String(120), primary_key=True),
    Column("count", Integer, nullable=False),
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _update_or_insert(conn: Connection, table: Table, where: Any, changes: dict[str, Any],
                      row: dict[str, Any]) -> None:
    """Update the row `where` selects, or insert `row`; safe when two workers race to insert."""
    if conn.execute(update(table).where(where).values(**changes)).rowcount:
        return
    try:
        # A savepoint: on PostgreSQL a failed insert would otherwise abort the whole transaction.
        with conn.begin_nested():
            conn.execute(table.insert().values(**row))
    except IntegrityError:  # another worker inserted it first: update theirs
        conn.execute(update(table).where(where).values(**changes))


def make_engine(url: str) -> Engine:
    """An SQLAlchemy engine for the URL; a SQLite file gets its folder made and safe settings."""
    if url.startswith("postgres://"):  # the old scheme some hosts still hand out
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        return create_engine(url, connect_args={"timeout": 15})
    return create_engine(url, pool_pre_ping=True)


class Store:
    """The line's database; every method is one short transaction."""

    def __init__(self, url: str, hash_secret: str):
        self.engine = make_engine(url)
        self._secret = hash_secret.encode()
        self._create_tables()

    def _create_tables(self, attempts: int = 5) -> None:
        """Create the missing tables. Workers that start together race to: a loser, refused with
        "already exists", checks again and finds what the winner made."""
        for attempt in range(1, attempts + 1):
            try:
                metadata.create_all(self.engine)
                return
            except (IntegrityError, OperationalError, ProgrammingError):
                if attempt == attempts:
                    raise
                time.sleep(0.05 * attempt)

    def number_key(self, number: str) -> str:
        """A keyed HMAC of a phone number: stable for the same number, useless without the secret."""
        canonical = "".join(ch for ch in number if ch.isdigit() or ch == "+")
        return hmac.new(self._secret, canonical.encode(), hashlib.sha256).hexdigest()

    def opt_out(self, number: str) -> None:
        """Record that this number wants no more messages (idempotent)."""
        key = self.number_key(number)
        with self.engine.begin() as conn:
            if conn.execute(select(opt_outs.c.number_hash).where(opt_outs.c.number_hash == key)).first() is None:
                try:
                    # A savepoint: on PostgreSQL a failed insert would otherwise abort the whole transaction.
                    with conn.begin_nested():
                        conn.execute(opt_outs.insert().values(number_hash=key, opted_out_at=_now()))
                except IntegrityError:  # another worker recorded it first: the same outcome
                    pass
            conn.execute(sms_positions.delete().where(sms_positions.c.number_hash == key))

    def opt_in(self, number: str) -> None:
        """Forget an opt-out after START."""
        with self.engine.begin() as conn:
            conn.execute(opt_outs.delete().where(opt_outs.c.number_hash == self.number_key(number)))

    def is_opted_out(self, number: str) -> bool:
        """Whether this number has said STOP and not START since."""
        with self.engine.connect() as conn:
            query = select(opt_outs.c.number_hash).where(opt_outs.c.number_hash == self.number_key(number))
            return conn.execute(query).first() is not None

    def position(self, number: str) -> tuple[str, int] | None:
        """Where this texter is (topic, next message), for MORE."""
        with self.engine.connect() as conn:
            row = conn.execute(select(sms_positions.c.topic, sms_positions.c.next_part)
                               .where(sms_positions.c.number_hash == self.number_key(number))).first()
        return (row.topic, row.next_part) if row else None

    def set_position(self, number: str, position: tuple[str, int] | None) -> None:
        """Remember (or forget) where this texter is: (topic, next message)."""
        key = self.number_key(number)
        with self.engine.begin() as conn:
            if position is None:
                conn.execute(sms_positions.delete().where(sms_positions.c.number_hash == key))
                return
            topic, next_part = position
            values = {"topic": topic, "next_part": next_part, "updated_at": _now()}
            _update_or_insert(conn, sms_positions, sms_positions.c.number_hash == key, values,
                              {"number_hash": key, **values})

    def count(self, channel: str, node: str) -> None:
        """Add one to today's anonymous count for a menu node or topic part."""
        row = {"day": _now().date(), "channel": channel, "node": node[:120]}
        where = and_(*(usage_counts.c[name] == value for name, value in row.items()))
        with self.engine.begin() as conn:
            _update_or_insert(conn, usage_counts, where, {"count": usage_counts.c.count + 1}, {**row, "count": 1})

    def counts(self) -> list[tuple[dt.date, str, str, int]]:
        """All usage counts, newest day first, then by node and channel (the same order on every database)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(usage_counts).order_by(usage_counts.c.day.desc(), usage_counts.c.node,
                                                              usage_counts.c.channel))
            return [(r["day"], r["channel"], r["node"], r["count"]) for r in rows.mappings()]

    def ping(self) -> bool:
        """Whether the database answers and holds every table the line needs."""
        with self.engine.connect() as conn:
            for table in metadata.sorted_tables:
                conn.execute(select(func.count()).select_from(select(table).limit(1).subquery())).scalar()
        return True

    def opt_out_total(self) -> int:
        """How many numbers are opted out (for the health page)."""
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(opt_outs)).scalar_one()
