"""Writes no request waits for (a caller's place and speed, a call's last point, a texter's place), kept in memory
and written together, in one transaction, by the store's background thread.

Each is kept per row (its table and key), and a newer value of a column replaces the older, so a caller who
moves through five parts in a second costs one write. A read of a row that waits here is answered from
it (or the row is written first), so a worker always sees its own writes; another worker sees them within
WRITE_EVERY seconds. A crash (SIGKILL) loses at most that much; SIGTERM and a normal exit write them first.
Nothing that must not be lost goes here: a STOP is written, and synced, before the reply.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

WRITE_EVERY = 0.5  # seconds: what a crash may lose, and how late another worker sees a place
MAX_ROWS = 20_000  # while the database is away: beyond this many rows waiting, the newest are dropped

Row = dict[str, Any]
# The statements that write a table's waiting rows, [(key, values), ...], on a dialect: each with its rows' values.
Writer = Callable[[str, list[tuple[str, Row]]], list[tuple[Any, list[Row]]]]


class Later:
    """Rows waiting to be written, per (table, key); thread-safe."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], Row] = {}
        self._writers: dict[str, Writer] = {}
        self._lock = threading.Lock()
        self.dropped = 0

    def put(self, table: str, key: str, values: Row, writer: Writer) -> None:
        """Keep these column values for a row; newer values of the same columns win."""
        with self._lock:
            self._writers.setdefault(table, writer)
            row = self._rows.get((table, key))
            if row is not None:
                row.update(values)
            elif len(self._rows) < MAX_ROWS:
                self._rows[table, key] = dict(values)
            else:
                self.dropped += 1

    def waiting(self, table: str, key: str) -> Row | None:
        """A copy of the values waiting for this row, if any."""
        with self._lock:
            row = self._rows.get((table, key))
            return dict(row) if row is not None else None

    def drop(self, key: str, tables: tuple[str, ...]) -> int:
        """Forget what waits for this key in these tables (it was erased, or a STOP cleared it); how many rows."""
        with self._lock:
            return sum(self._rows.pop((table, key), None) is not None for table in tables)

    def take(self) -> list[tuple[Writer, list[tuple[str, Row]]]]:
        """Everything waiting, by table with its writer, leaving nothing."""
        with self._lock:
            rows, self._rows = self._rows, {}
            writers = dict(self._writers)
        by_table: dict[str, list[tuple[str, Row]]] = {}
        for (table, key), values in rows.items():
            by_table.setdefault(table, []).append((key, values))
        return [(writers[table], found) for table, found in by_table.items()]

    def put_back(self, batch: list[tuple[Writer, list[tuple[str, Row]]]]) -> None:
        """Return a batch that could not be written; values put since then are newer and win."""
        with self._lock:
            tables = {writer: table for table, writer in self._writers.items()}
            for writer, rows in batch:
                table = tables[writer]
                for key, values in rows:
                    newer = self._rows.get((table, key))
                    if newer is not None:
                        self._rows[table, key] = {**values, **newer}
                    elif len(self._rows) < MAX_ROWS:
                        self._rows[table, key] = values
                    else:
                        self.dropped += 1

    def __len__(self) -> int:
        return len(self._rows)
