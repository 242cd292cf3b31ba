"""Where each call in progress last was, so that Twilio's call status callback can count where it ended.

One row per call, keyed by an HMAC of its CallSid (never the id itself): the last node a turn left the
caller at, written with the other waiting writes by the store's background thread (store/later.py): no
turn waits for it. The status callback takes the row (reads and
deletes it), so no call's trace outlives the call; rows of calls whose status never came are purged.
Any web worker may write a row and any other take it: the database is what they share.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Column, DateTime, String, Table, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from app.store import Store, metadata
from app.store.later import Row
from app.store.outbox import now

MAX_NODE = 120
# A call's row outlives no call: Twilio ends every call within 4 hours.
KEEP = dt.timedelta(hours=6)

call_places = Table(
    "call_places", metadata,
    Column("call_key", String(64), primary_key=True),
    Column("node", String(MAX_NODE), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


_NOTE: dict[str, Any] = {}  # per dialect, built once


def _write_notes(dialect: str, rows: list[tuple[str, Row]]) -> list[tuple[Any, list[Row]]]:
    """Upsert the waiting places of calls: one statement, run for many rows."""
    if dialect not in _NOTE:
        changed = {"node": bindparam("node", type_=String(MAX_NODE)),
                   "updated_at": bindparam("updated_at", type_=DateTime(timezone=True))}
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(call_places)
        _NOTE[dialect] = (insert.values(call_key=bindparam("key", type_=String(64)), **changed)
                          .on_conflict_do_update(index_elements=["call_key"], set_=changed))
    return [(_NOTE[dialect], [{"key": key, **values} for key, values in rows])]


class CallPlaces:
    """The call_places table behind one Store; every method is one short transaction behind its deadline."""

    def __init__(self, store: Store):
        self.store = store

    def _key(self, call_sid: str) -> str:
        return self.store.keyed("call", call_sid)

    def note(self, call_sid: str, node: str, at: dt.datetime | None = None) -> None:
        """Where this call is now (the node its last turn left it at): written within a moment, not now."""
        self.store.defer("call_places", self._key(call_sid), {"node": node[:MAX_NODE], "updated_at": at or now()},
                         _write_notes)

    def take(self, call_sid: str) -> str | None:
        """Where this call was last, forgetting it; None when no turn of it was noted (or it was taken)."""
        key = self._key(call_sid)
        self.store.written("call_places", key)

        def take() -> str | None:
            with self.store.engine.begin() as conn:
                node = conn.execute(select(call_places.c.node).where(call_places.c.call_key == key)).scalar()
                if node is not None:
                    gone = conn.execute(delete(call_places).where(call_places.c.call_key == key)).rowcount
                    if not gone:  # another worker took it at the same moment: counted there
                        return None
                return None if node is None else str(node)

        return self.store.guarded(take)

    def purge(self, at: dt.datetime | None = None) -> int:
        """Delete the rows of calls whose status never came (no status callback set, say)."""
        with self.store.engine.begin() as conn:
            return int(conn.execute(delete(call_places).where(call_places.c.updated_at < (at or now()) - KEEP))
                       .rowcount)
