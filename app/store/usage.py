"""Anonymous usage counts, added up in memory and written in batches: counting costs a request nothing.

A row of usage_counts is (day, channel, name, count), its name an event's kind and node as "kind|node"
("reached|menu:main", "miss|topic:risks:2"): written and read back as typed Events here, and only here.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections import Counter

from app.core.events import CHANNELS, EVENT_KINDS, Event, Tally

Key = tuple[dt.date, str, str]  # (day, channel, stored name)
SEPARATOR = "|"

# Distinct (day, channel, node) rows kept while the database is away; a menu has a few hundred.
MAX_KEYS = 5000
MAX_NODE = 120


@functools.lru_cache(maxsize=4096)  # every request counts a few events, nearly always the same few hundred
def stored_name(event: Event) -> str:
    """The name a count is stored under: "kind|node"."""
    return f"{event.kind}{SEPARATOR}{event.node}"[:MAX_NODE]


def read_tally(day: dt.date, channel: str, name: str, count: int) -> Tally | None:
    """A stored row as a Tally; None for a row this code does not know (a health check, a newer kind)."""
    kind, separator, node = name.partition(SEPARATOR)
    found_kind = next((k for k in EVENT_KINDS if k == kind), None)
    found_channel = next((c for c in CHANNELS if c == channel), None)
    if not separator or found_kind is None or found_channel is None:
        return None
    return Tally(day, found_channel, Event(found_kind, node), count)


class UsageCounts:
    """Counts waiting to be written; thread-safe, and bounded when the database stays away."""

    def __init__(self) -> None:
        self._counts: Counter[Key] = Counter()
        self._lock = threading.Lock()
        self.dropped = 0

    def add(self, day: dt.date, channel: str, *nodes: str) -> None:
        """Count one visit of each node (dictionary updates under one lock)."""
        with self._lock:
            for node in nodes:
                key = (day, channel, node[:MAX_NODE])
                if key in self._counts or len(self._counts) < MAX_KEYS:
                    self._counts[key] += 1
                else:
                    self.dropped += 1

    def take(self) -> dict[Key, int]:
        """Everything counted so far, leaving nothing."""
        with self._lock:
            batch, self._counts = dict(self._counts), Counter()
            return batch

    def put_back(self, batch: dict[Key, int]) -> None:
        """Return a batch that could not be written, to go with the next one."""
        with self._lock:
            for key, count in batch.items():
                if key in self._counts or len(self._counts) < MAX_KEYS:
                    self._counts[key] += count
                else:
                    self.dropped += count

    def __len__(self) -> int:
        return len(self._counts)
