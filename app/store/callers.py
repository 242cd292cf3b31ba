"""What the line remembers about a caller between calls, for how long, and how it is erased.

One row per number's HMAC: where the last call ended inside a topic (to offer "go on from
there") and the speaking rate the caller chose. Nothing a caller said. Every row expires after
RETENTION_DAYS, like texters' places and sent messages; an opt-out is never purged or forgotten,
since it is what keeps messages from a person who asked for none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Column, DateTime, Integer, String, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.store import Store, metadata, sms_positions
from app.store.outbox import Outbox, aware, now, outbox

callers = Table(
    "callers", metadata,
    Column("number_hash", String(64), primary_key=True),
    Column("topic", String(80), nullable=True),  # the topic a call last ended in, or none
    Column("part", Integer, nullable=True),  # that topic's part, from 0
    Column("place_at", DateTime(timezone=True), nullable=True),
    Column("rate", Integer, nullable=False, default=0),  # speaking-rate steps from normal
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("language", String(8), nullable=True),  # the caller's chosen language code; none: the number's own
    Column("listening", Integer, nullable=False, default=0, server_default="0"),  # steps of extra time to speak
)


@dataclass(frozen=True)
class Remembered:
    """What the line knows about a number at the start of a call."""

    place: tuple[str, int] | None  # (topic, part from 0)
    place_at: dt.datetime | None
    rate: int = 0
    listening: int = 0  # steps of extra time to speak (app/core/listening.py)


@dataclass(frozen=True)
class Purged:
    """How many rows a purge removed from each table."""

    callers: int
    sms_positions: int
    outbox: int

    @property
    def total(self) -> int:
        """All rows removed."""
        return self.callers + self.sms_positions + self.outbox


class CallerMemory:
    """The callers table behind one Store; every method is one short transaction."""

    def __init__(self, store: Store, retention_days: int = 30):
        self.store = store
        self.engine = store.engine
        self.retention = dt.timedelta(days=retention_days)

    def recall(self, number: str, at: dt.datetime | None = None) -> Remembered | None:
        """What is remembered about a number, unless it has expired."""
        moment = at or now()
        key = self.store.number_key(number)

        def read() -> Remembered | None:
            with self.engine.connect() as conn:
                row = conn.execute(select(callers).where(callers.c.number_hash == key)).first()
            if row is None or aware(row.updated_at) < moment - self.retention:
                return None
            place_at = aware(row.place_at) if row.place_at else None
            fresh = place_at is not None and place_at >= moment - self.retention
            place = (row.topic, row.part) if row.topic and row.part is not None and fresh else None
            return Remembered(place, place_at if place else None, row.rate or 0, row.listening or 0)

        return self.store.guarded(read)

    def _upsert(self, number: str, changes: dict[str, object], at: dt.datetime | None) -> None:
        key = self.store.number_key(number)
        values = {**changes, "updated_at": at or now()}
        row = {"number_hash": key, "topic": None, "part": None, "place_at": None, "rate": 0, **values}

        def write() -> None:
            with self.engine.begin() as conn:
                insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(callers)
                conn.execute(insert.values(**row).on_conflict_do_update(index_elements=["number_hash"], set_=values))

        self.store.guarded(write)

    def remember_place(self, number: str, place: tuple[str, int] | None, at: dt.datetime | None = None) -> None:
        """Where a call is now (topic, part from 0), or None when it left the topic."""
        moment = at or now()
        if place is None:
            key = self.store.number_key(number)

            def clear() -> None:
                with self.engine.begin() as conn:
                    conn.execute(update(callers).where(callers.c.number_hash == key)
                                 .values(topic=None, part=None, place_at=None, updated_at=moment))

            self.store.guarded(clear)
            return
        self._upsert(number, {"topic": place[0], "part": place[1], "place_at": moment}, moment)

    def remember_rate(self, number: str, rate: int, at: dt.datetime | None = None) -> None:
        """The speaking rate (steps from normal) this caller chose."""
        self._upsert(number, {"rate": rate}, at)

    def remember_listening(self, number: str, steps: int, at: dt.datetime | None = None) -> None:
        """The steps of extra time to speak this caller has (asked for, or misheard twice in a row)."""
        self._upsert(number, {"listening": steps}, at)


def forget(store: Store, number: str) -> int:
    """Erase everything kept about a number (place, rate, texter's place, messages) but an opt-out.

    Returns how many rows went. Queued messages go too, so nothing is sent after a FORGET.
    """
    key = store.number_key(number)

    def erase() -> int:
        with store.engine.begin() as conn:
            return sum(conn.execute(table.delete().where(table.c.number_hash == key)).rowcount
                       for table in (callers, sms_positions, outbox))

    return store.guarded(erase)


def purge(store: Store, retention_days: int, at: dt.datetime | None = None) -> Purged:
    """Delete what is older than the retention: callers' places and rates, texters' places, messages.

    First, messages no sender will finish are settled (see Outbox.give_up_stale), so no number
    waits in the outbox for ever; a message still due is kept. Opt-outs are never purged.
    """
    Outbox(store).give_up_stale(at)
    cutoff = (at or now()) - dt.timedelta(days=retention_days)
    with store.engine.begin() as conn:
        gone_callers = conn.execute(callers.delete().where(callers.c.updated_at < cutoff)).rowcount
        gone_positions = conn.execute(sms_positions.delete().where(sms_positions.c.updated_at < cutoff)).rowcount
        gone_messages = conn.execute(outbox.delete().where(outbox.c.updated_at < cutoff,
                                                           outbox.c.status.notin_(("queued", "sending")))).rowcount
    return Purged(gone_callers, gone_positions, gone_messages)
