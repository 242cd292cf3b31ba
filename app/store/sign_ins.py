"""Failed operator sign-ins per client, in the shared database: the limit holds for every web worker.

One row per client, keyed by an HMAC of its address: how many sign-ins failed since the window began.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, DateTime, Integer, String, Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from app.store import Store, metadata
from app.store.outbox import aware, now

MAX_FAILURES = 5
WINDOW = dt.timedelta(minutes=15)

sign_in_failures = Table(
    "sign_in_failures", metadata,
    Column("client_key", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("window_start", DateTime(timezone=True), nullable=False),
)


class SignIns:
    """Counts failed sign-ins; a client with MAX_FAILURES in WINDOW is refused until the window ends."""

    def __init__(self, store: Store):
        self.store = store

    def _key(self, client: str) -> str:
        return self.store.keyed("sign-in", client)

    def locked(self, client: str, at: dt.datetime | None = None) -> bool:
        """Whether this client has failed too often in the current window."""
        key, moment = self._key(client), at or now()

        def read() -> bool:
            with self.store.engine.connect() as conn:
                row = conn.execute(select(sign_in_failures).where(sign_in_failures.c.client_key == key)).first()
            return row is not None and row.failures >= MAX_FAILURES and aware(row.window_start) > moment - WINDOW

        return self.store.guarded(read)

    def failed(self, client: str, at: dt.datetime | None = None) -> int:
        """Count a failed sign-in; how many this client has in the current window."""
        key, moment = self._key(client), at or now()

        def write() -> int:
            with self.store.engine.begin() as conn:
                row = conn.execute(select(sign_in_failures).where(sign_in_failures.c.client_key == key)).first()
                fresh = row is None or aware(row.window_start) <= moment - WINDOW
                # Added in the database, not here: two workers failing at once both count.
                values: dict[str, object] = ({"failures": 1, "window_start": moment} if fresh
                                             else {"failures": sign_in_failures.c.failures + 1})
                insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(sign_in_failures)
                conn.execute(insert.values(client_key=key, failures=1, window_start=moment)
                             .on_conflict_do_update(index_elements=["client_key"], set_=values))
                return int(conn.execute(select(sign_in_failures.c.failures)
                                        .where(sign_in_failures.c.client_key == key)).scalar_one())

        return self.store.guarded(write)

    def succeeded(self, client: str) -> None:
        """Forget a client's failures once it signed in."""
        key = self._key(client)

        def write() -> None:
            with self.store.engine.begin() as conn:
                conn.execute(delete(sign_in_failures).where(sign_in_failures.c.client_key == key))

        self.store.guarded(write)
