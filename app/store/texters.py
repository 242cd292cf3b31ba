"""A texter's row (sms_positions): opt-out, place and the hour's text count, in one round trip per text.

A new place (after RISKS, MORE) is written a moment later with the other waiting writes (store/later.py);
until then this worker reads it from there, and other workers within WRITE_EVERY seconds, far sooner than
any texter can read a reply and answer it.

Every worker and machine counts a number's texts in the same row, so the reply limit holds for
the whole line; the count is taken in the same statement that reads the opt-out and the place
(INSERT ... ON CONFLICT DO UPDATE ... RETURNING on PostgreSQL and SQLite 3.35 or later; one
transaction of two statements on an older SQLite).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple, TypeVar

from sqlalchemy import DateTime, Integer, String, bindparam, case, exists, func, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from app.store import fast
from app.store.journal import StopJournal
from app.store.later import Later, Row
from app.store.schema import opt_outs, sms_positions

T = TypeVar("T")
WINDOW = dt.timedelta(hours=1)  # the reply limit's hour, from a number's first text in it


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True)
class Text:
    """What the database says about a number as one of its texts comes in."""

    opted_out: bool
    place: tuple[str, int] | None  # (topic, next message)
    texts: int  # texts from this number in its current hour, this one included (0: not counted)
    language: str | None = None  # the language the texter chose; None: never chose one


class Texter(NamedTuple):
    """What one read tells about a texter: opted out, where it is (topic, next message), its language."""

    opted_out: bool
    position: tuple[str, int] | None
    language: str | None


_KEY = bindparam("key", type_=String(64))
_NOW = bindparam("now", type_=DateTime(timezone=True))
_SINCE = bindparam("since", type_=DateTime(timezone=True))
_COLUMNS = (sms_positions.c.topic, sms_positions.c.next_part, sms_positions.c.replies, sms_positions.c.language)
_READ = select(*_COLUMNS).where(sms_positions.c.number_hash == _KEY)
_TAKE: dict[str, tuple[Any, Any]] = {}  # per dialect: built once (building a statement costs more than running it)


def _take_statements(dialect: str) -> tuple[Any, Any]:
    """The upsert that counts a text unless the number opted out, without and with RETURNING, for a dialect."""
    if dialect not in _TAKE:
        table = sms_positions
        new_hour = or_(table.c.window_start.is_(None), table.c.window_start <= _SINCE)
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
        statement = insert.from_select(
            ["number_hash", "updated_at", "window_start", "replies"],
            select(_KEY, _NOW, _NOW, literal(1, Integer)).where(~exists().where(opt_outs.c.number_hash == _KEY)),
        ).on_conflict_do_update(index_elements=["number_hash"], set_={
            "replies": case((new_hour, 1), else_=table.c.replies + 1),
            "window_start": case((new_hour, _NOW), else_=table.c.window_start),
            "updated_at": _NOW,
        })
        _TAKE[dialect] = (statement, statement.returning(*_COLUMNS))
    return _TAKE[dialect]


_PLACE: dict[str, Any] = {}
# Before the places are written, their rows are locked, in one order (two workers' flushes never deadlock): a STOP
# that cleared a row first has committed by then, so the write below sees its opt-out (PostgreSQL reads each
# statement as committed when it starts; SQLite has one writer at a time and needs no lock).
_LOCK = (select(sms_positions.c.number_hash).where(sms_positions.c.number_hash == _KEY).with_for_update())


def _place_statement(dialect: str) -> Any:
    """The upsert of a texter's place (none: cleared) and language (none: unchanged), for a dialect (built once).

    It writes nothing for a number that has opted out: a place taken to be written before a STOP (another
    worker's, or this one's while the flush was under way) must not come back after the STOP cleared it."""
    if dialect not in _PLACE:
        topic, part = bindparam("topic", type_=String(80)), bindparam("part", type_=Integer)
        language = bindparam("language", type_=String(8))
        kept = ~exists().where(opt_outs.c.number_hash == _KEY)
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(sms_positions)
        _PLACE[dialect] = (insert.from_select(["number_hash", "topic", "next_part", "language", "updated_at"],
                                              select(_KEY, topic, part, language, _NOW).where(kept))
                           .on_conflict_do_update(index_elements=["number_hash"], set_={
                               "topic": topic, "next_part": part, "updated_at": _NOW,
                               "language": func.coalesce(language, sms_positions.c.language)}, where=kept))
    return _PLACE[dialect]


def _place(row: Any) -> tuple[str, int] | None:
    return (row.topic, row.next_part) if row is not None and row.topic is not None else None


def _write_places(dialect: str, rows: list[tuple[str, Row]]) -> list[tuple[Any, list[Row]]]:
    """Upsert the texters' waiting places (a language only where one was chosen), numbers that opted out left
    alone: one statement, many rows (after their rows are locked, on PostgreSQL)."""
    ordered = sorted(rows, key=lambda row: row[0])
    places = (_place_statement(dialect), [{"language": None, **values, "key": key} for key, values in ordered])
    return [(_LOCK, [{"key": key} for key, _ in ordered]), places] if dialect == "postgresql" else [places]


def _waiting(later: Later, key: str, place: tuple[str, int] | None,
             language: str | None) -> tuple[tuple[str, int] | None, str | None]:
    """The place and language as read, with a newer place (and language) still waiting to be written over them."""
    newer = later.waiting("sms_positions", key)
    if newer is None:
        return place, language
    topic = newer["topic"]
    return (topic, newer["part"]) if topic is not None else None, newer.get("language") or language


class TexterRows:
    """The texter's row, for the Store (which provides the engine, the journal, number keys and deadlines)."""

    engine: Engine
    held: fast.Held
    journal: StopJournal
    later: Later
    number_key: Callable[[str], str]
    _call: Callable[..., Any]
    _call_held: Callable[..., Any]
    defer: Callable[..., None]

    def take_text(self, number: str, at: dt.datetime | None = None) -> Text:
        """Count a text from this number in its hour, and read its opt-out and place: one statement.

        An opted-out number's row is left alone (its texts are not counted)."""
        key = self.number_key(number)
        if key in self.journal.pending():
            return Text(True, None, 0)
        now = at or _now()
        values = {"key": key, "now": now, "since": now - WINDOW}

        def take() -> Text:
            statement, returning = _take_statements(self.engine.dialect.name)
            if self.engine.dialect.insert_returning:
                rows = fast.run(self.held, returning, values, write=True)
                row = rows[0] if rows else None
            else:  # SQLite before 3.35: the upsert holds the write lock, so the read sees this very count
                with self.engine.begin() as conn:
                    counted = conn.execute(statement, values).rowcount
                    found = conn.execute(_READ, values).first() if counted else None
                    row = found._asdict() if found is not None else None
            if row is None:  # nothing inserted or updated: the number has opted out
                return Text(True, None, 0)
            place = (row["topic"], row["next_part"]) if row["topic"] is not None else None
            place, language = _waiting(self.later, key, place, row["language"])
            return Text(False, place, int(row["replies"]), language)

        result: Text = self._call_held(take) if self.engine.dialect.insert_returning else self._call(take)
        return result

    def texter(self, number: str) -> Texter:
        """Whether this number has opted out, where it is (topic, next message) and its language: one read,
        nothing counted."""
        key = self.number_key(number)
        if key in self.journal.pending():
            return Texter(True, None, None)

        def read() -> Texter:
            with self.engine.connect() as conn:
                if conn.execute(select(opt_outs.c.number_hash).where(opt_outs.c.number_hash == key)).first():
                    return Texter(True, None, None)
                row = conn.execute(select(sms_positions.c.topic, sms_positions.c.next_part, sms_positions.c.language)
                                   .where(sms_positions.c.number_hash == key)).first()
                return Texter(False, *_waiting(self.later, key, _place(row), row.language if row is not None else None))

        result: Texter = self._call(read)
        return result

    def set_position(self, number: str, position: tuple[str, int] | None, language: str | None = None) -> None:
        """Remember (or clear) where this texter is, (topic, next message), and the language it chose (None:
        leave it as it is), a moment later. The hour's count stays."""
        values: Row = {"now": _now(), "topic": position[0] if position else None,
                       "part": position[1] if position else None}
        if language is not None:  # None keeps the language already waiting or written
            values["language"] = language
        self.defer("sms_positions", self.number_key(number), values, _write_places)
