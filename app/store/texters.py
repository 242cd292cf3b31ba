"""A texter's row (sms_positions): opt-out, place and the hour's text count, in one round trip per text.

Every worker and machine counts a number's texts in the same row, so the reply limit holds for
the whole line; the count is taken in the same statement that reads the opt-out and the place
(INSERT ... ON CONFLICT DO UPDATE ... RETURNING on PostgreSQL and SQLite 3.35 or later; one
transaction of two statements on an older SQLite).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from sqlalchemy import DateTime, Integer, String, case, exists, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from app.store.journal import StopJournal
from app.store.schema import opt_outs, sms_positions

T = TypeVar("T")
WINDOW = dt.timedelta(hours=1)  # the reply limit's hour, from a number's first text in it




def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _insert(conn: Connection) -> Any:
    """INSERT with ON CONFLICT, in the dialect of the connection (both databases have it)."""
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(sms_positions)


@dataclass(frozen=True)
class Text:
    """What the database says about a number as one of its texts comes in."""

    opted_out: bool
    place: tuple[str, int] | None  # (topic, next message)
    texts: int  # texts from this number in its current hour, this one included (0: not counted)


def _place(row: Any) -> tuple[str, int] | None:
    return (row.topic, row.next_part) if row is not None and row.topic is not None else None


class TexterRows:
    """The texter's row, for the Store (which provides the engine, the journal, number keys and deadlines)."""

    engine: Engine
    journal: StopJournal
    number_key: Callable[[str], str]
    _call: Callable[..., Any]

    def take_text(self, number: str, at: dt.datetime | None = None) -> Text:
        """Count a text from this number in its hour, and read its opt-out and place: one statement.

        An opted-out number's row is left alone (its texts are not counted)."""
        key = self.number_key(number)
        if key in self.journal.pending():
            return Text(True, None, 0)
        now = at or _now()
        moment = literal(now, DateTime(timezone=True))
        new_hour = or_(sms_positions.c.window_start.is_(None), sms_positions.c.window_start <= now - WINDOW)

        def take() -> Text:
            with self.engine.begin() as conn:
                statement = _insert(conn).from_select(
                    ["number_hash", "updated_at", "window_start", "replies"],
                    select(literal(key, String(64)), moment, moment, literal(1, Integer))
                    .where(~exists().where(opt_outs.c.number_hash == key)),
                ).on_conflict_do_update(index_elements=["number_hash"], set_={
                    "replies": case((new_hour, 1), else_=sms_positions.c.replies + 1),
                    "window_start": case((new_hour, moment), else_=sms_positions.c.window_start),
                    "updated_at": moment,
                })
                columns = (sms_positions.c.topic, sms_positions.c.next_part, sms_positions.c.replies)
                if conn.dialect.insert_returning:
                    row = conn.execute(statement.returning(*columns)).first()
                else:  # SQLite before 3.35: the upsert holds the write lock, so the read sees this very count
                    counted = conn.execute(statement).rowcount
                    row = (conn.execute(select(*columns).where(sms_positions.c.number_hash == key)).first()
                           if counted else None)
            if row is None:  # nothing inserted or updated: the number has opted out
                return Text(True, None, 0)
            return Text(False, _place(row), int(row.replies))

        result: Text = self._call(take)
        return result

    def texter(self, number: str) -> tuple[bool, tuple[str, int] | None]:
        """Whether this number has opted out, and where it is (topic, next message): one read, nothing counted."""
        key = self.number_key(number)
        if key in self.journal.pending():
            return True, None

        def read() -> tuple[bool, tuple[str, int] | None]:
            with self.engine.connect() as conn:
                if conn.execute(select(opt_outs.c.number_hash).where(opt_outs.c.number_hash == key)).first():
                    return True, None
                return False, _place(conn.execute(select(sms_positions.c.topic, sms_positions.c.next_part)
                                                  .where(sms_positions.c.number_hash == key)).first())

        result: tuple[bool, tuple[str, int] | None] = self._call(read)
        return result

    def position(self, number: str) -> tuple[str, int] | None:
        """Where this texter is (topic, next message), for MORE."""
        key = self.number_key(number)

        def read() -> tuple[str, int] | None:
            with self.engine.connect() as conn:
                return _place(conn.execute(select(sms_positions.c.topic, sms_positions.c.next_part)
                                           .where(sms_positions.c.number_hash == key)).first())

        result: tuple[str, int] | None = self._call(read)
        return result

    def set_position(self, number: str, position: tuple[str, int] | None) -> None:
        """Remember (or forget) where this texter is: (topic, next message). The hour's count stays."""
        key = self.number_key(number)

        def write() -> None:
            with self.engine.begin() as conn:
                if position is None:
                    conn.execute(update(sms_positions).where(sms_positions.c.number_hash == key)
                                 .values(topic=None, next_part=None, updated_at=_now()))
                    return
                values = {"topic": position[0], "next_part": position[1], "updated_at": _now()}
                conn.execute(_insert(conn).values(number_hash=key, **values)
                             .on_conflict_do_update(index_elements=["number_hash"], set_=values))

        self._call(write)
