"""What the line remembers about a caller between calls, for how long, and how it is erased.

One row per number's HMAC: where the last call ended inside a topic (to offer "go on from
there") and the speed step the caller chose. Nothing a caller said. Every row expires after
RETENTION_DAYS, like texters' places and sent messages; an opt-out is never purged or forgotten,
since it is what keeps messages from a person who asked for none.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, DateTime, Integer, String, Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.store import Store, fast, metadata, sms_positions
from app.store.calls import CallPlaces
from app.store.later import Row
from app.store.outbox import Outbox, now, outbox

callers = Table(
    "callers", metadata,
    Column("number_hash", String(64), primary_key=True),
    Column("topic", String(80), nullable=True),  # the topic a call last ended in, or none
    Column("part", Integer, nullable=True),  # that topic's part, from 0
    Column("place_at", DateTime(timezone=True), nullable=True),
    Column("rate", Integer, nullable=False, default=0),  # the speed step (from normal): Remembered.speed_step
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("language", String(8), nullable=True),  # the caller's chosen language code; none: the number's own
    Column("listening", Integer, nullable=False, default=0, server_default="0"),  # steps of extra time to speak
)

# Built once: building a statement costs more than running it, and every call's first request reads this.
_RECALL = select(callers).where(callers.c.number_hash == bindparam("key", type_=String(64)))

_UPSERTS: dict[tuple[str, tuple[str, ...]], Any] = {}


def _upsert_statement(dialect: str, columns: tuple[str, ...]) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE of these columns (and updated_at) of a caller's row, built once per
    dialect and set of columns; values are bound by column name, the number's hash as `key`."""
    if (dialect, columns) not in _UPSERTS:
        changed = {name: bindparam(name, type_=callers.c[name].type) for name in (*columns, "updated_at")}
        row = {"topic": None, "part": None, "place_at": None, "rate": 0, **changed}
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(callers)
        _UPSERTS[dialect, columns] = (insert.values(number_hash=bindparam("key", type_=String(64)), **row)
                                      .on_conflict_do_update(index_elements=["number_hash"], set_=changed))
    return _UPSERTS[dialect, columns]


PLACE = ("part", "place_at", "topic")
# Leaving a topic clears the place of a row there is, and makes none.
_CLEAR = (update(callers).where(callers.c.number_hash == bindparam("key", type_=String(64)))
          .values(topic=None, part=None, place_at=None, updated_at=bindparam("updated_at")))


def _write_callers(dialect: str, rows: list[tuple[str, Row]]) -> list[tuple[Any, list[Row]]]:
    """Write the callers' waiting changes: one statement per set of columns changed, run for many rows."""
    by_columns: dict[tuple[str, ...], list[Row]] = {}
    for key, values in rows:
        columns = tuple(sorted(name for name in values if name != "updated_at"))
        if columns == PLACE and values["topic"] is None:
            by_columns.setdefault(("",), []).append({"key": key, "updated_at": values["updated_at"]})
        else:
            by_columns.setdefault(columns, []).append({"key": key, **values})
    return [(_CLEAR if columns == ("",) else _upsert_statement(dialect, columns), params)
            for columns, params in by_columns.items()]


@dataclass(frozen=True)
class Remembered:
    """What the line knows about a number at the start of a call."""

    place: tuple[str, int] | None  # (topic, part from 0)
    place_at: dt.datetime | None
    speed_step: int = 0
    language: str | None = None  # the language the caller chose; None: never chose one
    listening: int = 0  # steps of extra time to speak (app/core/listening.py)


@dataclass(frozen=True)
class Purged:
    """How many rows a purge removed from each table."""

    callers: int
    sms_positions: int
    outbox: int
    call_places: int = 0

    @property
    def total(self) -> int:
        """All rows removed."""
        return self.callers + self.sms_positions + self.outbox + self.call_places


class CallerMemory:
    """The callers table behind one Store: a read is one short statement; changes are written a moment later,
    with the other waiting writes (store/later.py), so no request waits for them."""

    def __init__(self, store: Store, retention_days: int = 30):
        self.store = store
        self.engine = store.engine
        self.retention = dt.timedelta(days=retention_days)

    def recall(self, number: str, at: dt.datetime | None = None) -> Remembered | None:
        """What is remembered about a number, unless it has expired."""
        moment = at or now()
        key = self.store.number_key(number)
        self.store.written("callers", key)

        def read() -> Remembered | None:
            rows = fast.run(self.store.held, _RECALL, {"key": key})
            row = rows[0] if rows else None
            updated_at = fast.moment(row["updated_at"]) if row else None
            if row is None or updated_at is None or updated_at < moment - self.retention:
                return None
            place_at = fast.moment(row["place_at"])
            fresh = place_at is not None and place_at >= moment - self.retention
            place = (row["topic"], row["part"]) if row["topic"] and row["part"] is not None and fresh else None
            return Remembered(place, place_at if place else None, row["rate"] or 0,  # column "rate": the speed step
                              row["language"], row["listening"] or 0)

        return self.store._call_held(read)

    def _upsert(self, number: str, changes: dict[str, object], at: dt.datetime | None) -> None:
        self.store.defer("callers", self.store.number_key(number), {**changes, "updated_at": at or now()},
                         _write_callers)

    def remember_place(self, number: str, place: tuple[str, int] | None, at: dt.datetime | None = None) -> None:
        """Where a call is now (topic, part from 0), or None when it left the topic."""
        moment = at or now()
        topic, part = place if place is not None else (None, None)
        self._upsert(number, {"topic": topic, "part": part, "place_at": moment if place else None}, moment)

    def remember_speed_step(self, number: str, speed_step: int, at: dt.datetime | None = None) -> None:
        """The speed step (from normal) this caller chose."""
        self._upsert(number, {"rate": speed_step}, at)

    def remember_language(self, number: str, language: str, at: dt.datetime | None = None) -> None:
        """The language this caller chose ("es"), for the next call's greeting."""
        self._upsert(number, {"language": language}, at)

    def remember_listening(self, number: str, steps: int, at: dt.datetime | None = None) -> None:
        """The steps of extra time to speak this caller has (asked for, or misheard twice in a row)."""
        self._upsert(number, {"listening": steps}, at)


def forget(store: Store, number: str) -> int:
    """Erase everything kept about a number (place, speed step, texter's place, messages) but an opt-out.

    Returns how many rows went. Queued messages go too, so nothing is sent after a FORGET.
    """
    key = store.number_key(number)
    waiting = store.later.drop(key, ("callers", "sms_positions"))  # rows not written yet go too
    with contextlib.suppress(Exception):  # a failed flush of other rows never stops a FORGET
        store.flush_writes()  # and one being written now lands before the erasing
    waiting += store.later.drop(key, ("callers", "sms_positions"))  # put back by a failed flush

    def erase() -> int:
        with store.engine.begin() as conn:
            return sum(conn.execute(table.delete().where(table.c.number_hash == key)).rowcount
                       for table in (callers, sms_positions, outbox))

    return waiting + store.guarded(erase)


def purge(store: Store, retention_days: int, at: dt.datetime | None = None) -> Purged:
    """Delete what is older than the retention: callers' places and speed steps, texters' places, messages.

    First, messages no sender will finish are settled (see Outbox.give_up_stale), so no number
    waits in the outbox for ever; a message still due is kept. Opt-outs are never purged.
    """
    with contextlib.suppress(Exception):  # a failed flush of waiting rows never stops the purge
        store.flush_writes()  # rows still waiting to be written are judged by their age too
    Outbox(store).give_up_stale(at)
    cutoff = (at or now()) - dt.timedelta(days=retention_days)
    with store.engine.begin() as conn:
        gone_callers = conn.execute(callers.delete().where(callers.c.updated_at < cutoff)).rowcount
        gone_positions = conn.execute(sms_positions.delete().where(sms_positions.c.updated_at < cutoff)).rowcount
        gone_messages = conn.execute(outbox.delete().where(outbox.c.updated_at < cutoff,
                                                           outbox.c.status.notin_(("queued", "sending")))).rowcount
    return Purged(gone_callers, gone_positions, gone_messages, CallPlaces(store).purge(at))
