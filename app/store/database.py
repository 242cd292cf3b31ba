"""The line's database, through SQLAlchemy Core: opt-outs, texters' places, anonymous counts.

Phone numbers are never stored: only a keyed HMAC of the number, so a leaked database does not
reveal who called. Every call answers within a deadline or raises Unavailable (see guard.py); a
STOP the database cannot take goes to the local journal (journal.py) and is applied when it can;
counts wait in memory and are written every few seconds by a background thread.
"""

from __future__ import annotations

import atexit
import datetime as dt
import hashlib
import hmac
import logging
import os
import threading
import time
import weakref
from pathlib import Path
from typing import Any, Callable, Literal, TypeVar

from sqlalchemy import delete, func, inspect, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from app.core.events import Channel, Event, Tally
from app.store import fast
from app.store.connection import DEFAULT, Timeouts, make_engine, sqlite_path
from app.store.guard import Guard, SchemaNotReady, Unavailable, describe
from app.store.journal import StopJournal
from app.store.later import WRITE_EVERY, Later, Row, Writer
from app.store.schema import SCHEMA_REVISION, metadata, opt_outs, sms_positions, usage_counts
from app.store.texters import TexterRows
from app.store.usage import UsageCounts, read_tally, stored_name

T = TypeVar("T")
log = logging.getLogger(__name__)

StopRecord = Literal["database", "journal"]
FLUSH_EVERY = 5.0  # seconds between writes of the counts (and tries of the journal): what a crash may lose
MAX_KEYS = 4096  # numbers and call ids whose HMAC a worker keeps: the calls and texts of the last few minutes
HEALTH_ROW = {"day": dt.date(1970, 1, 1), "channel": "health", "node": "write-check", "count": 0}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _dialect_insert(conn: Connection, table: Any) -> Any:
    """INSERT with ON CONFLICT, in the dialect of the connection (both databases have it)."""
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


class Store(TexterRows):
    """The line's database; every method is one short transaction, or an answer from memory."""

    def __init__(self, url: str, hash_secret: str, *, journal: Path | str, timeouts: Timeouts = DEFAULT,
                 flush_every: float = FLUSH_EVERY):
        self.engine = make_engine(url, timeouts)
        self.held = fast.Held(self.engine)  # each thread's connection for the statements every request runs
        self._file = sqlite_path(url)
        self._file_name = str(self._file) if self._file is not None else ""
        # A network database can hang without a word, so its calls run in a thread with a deadline. A SQLite
        # file cannot (its waits are bounded by the busy timeout), so its calls run inline, which is cheaper.
        self.guard = Guard(timeouts.call if self._file is None else 0)
        self.journal = StopJournal(journal)
        self.usage = UsageCounts()
        self.later = Later()
        self._flushing = threading.Lock()  # one flush of the waiting writes at a time, so an older one never lands last
        self._secret = hash_secret.encode()
        self._keys: dict[str | tuple[str, str], str] = {}  # number (or purpose, id) -> its HMAC
        self._inode: int | None = None
        self._schema_ok = False
        self._flush_every = flush_every
        self._worker: threading.Thread | None = None
        self._worker_pid = 0
        self._running_in = 0  # the process whose maintenance thread is running (0: none; it clears this as it ends)
        self._stopping = threading.Event()
        self._start_lock = threading.Lock()

    # --- calls with a deadline -------------------------------------------------------------

    def _check_file(self) -> None:
        """A SQLite file that was deleted or replaced must not be written through connections still open on it."""
        if self._file is None:
            return
        try:
            inode = os.stat(self._file_name).st_ino  # every statement asks: os.stat costs less than Path.stat
        except OSError:
            self.engine.dispose()
            if self._inode is None:
                raise SchemaNotReady(f"the database file {self._file.name} does not exist yet: "
                                     "run `flask db init`") from None
            raise Unavailable(f"the database file {self._file.name} is gone") from None
        if self._inode is not None and inode != self._inode:
            self.engine.dispose()  # restored from a backup, say: open the new file
            self._schema_ok = False
        self._inode = inode

    def _check_schema(self) -> None:
        """Whether `flask db init` has brought the database to this code's schema (checked until it has)."""
        if self._schema_ok:
            return
        with self.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                raise SchemaNotReady("the database has no tables yet: run `flask db init`")
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        if revision != SCHEMA_REVISION:
            raise SchemaNotReady(f"the database is at schema {revision}, this code needs {SCHEMA_REVISION}: "
                                 "run `flask db init`")
        self._schema_ok = True

    def _call(self, fn: Callable[[], T], *, probe: bool = False) -> T:
        def checked() -> T:
            self._check_file()
            self._check_schema()
            return fn()

        return self.guard.run(checked, probe=probe)

    def _call_held(self, fn: Callable[[], T]) -> T:
        """A call that uses only this thread's held connection (fast.run): run in this thread with the watchdog
        keeping the deadline, once the schema is known and the connection open (both may wait on the server,
        so they go through the guard's threads first)."""
        if self.guard.deadline and not (self._schema_ok and self.held.ready()):
            ident = threading.get_ident()
            self._call(lambda: self.held.connection(ident))

        def checked() -> T:
            self._check_file()
            self._check_schema()
            return fn()

        return self.guard.run(checked, interrupt=self.held.interrupt)

    def guarded(self, fn: Callable[[], T]) -> T:
        """Run a short database call of another module (the outbox, callers' memory) with this store's
        deadline and schema check, as the store's own calls are."""
        return self._call(fn)

    # --- numbers and opt-outs --------------------------------------------------------------

    def number_key(self, number: str) -> str:
        """A keyed HMAC of a phone number: stable for the same number, useless without the secret (kept for the
        last MAX_KEYS numbers seen: every call's turn and every text asks for it)."""
        found = self._keys.get(number)
        if found is None:
            canonical = "".join(ch for ch in number if ch.isdigit() or ch == "+")
            found = hmac.new(self._secret, canonical.encode(), hashlib.sha256).hexdigest()
            self._keep(number, found)
        return found

    def _write_stops(self, keys: list[str]) -> None:
        """Record opt-outs (idempotent) and forget those texters' places, synced to disk on SQLite."""
        for key in keys:  # a place waiting to be written would come back after the STOP cleared it
            self.later.drop(key, ("sms_positions",))
        with self.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA synchronous=FULL")  # an opt-out must survive a power cut too
            try:
                now = _now()
                conn.execute(_dialect_insert(conn, opt_outs).on_conflict_do_nothing(),
                             [{"number_hash": key, "opted_out_at": now} for key in dict.fromkeys(keys)])
                # The place goes; the hour's count stays, so STOP then START does not reset the reply limit.
                conn.execute(update(sms_positions).where(sms_positions.c.number_hash.in_(keys))
                             .values(topic=None, next_part=None))
                conn.commit()
            finally:
                if conn.dialect.name == "sqlite":
                    conn.rollback()
                    conn.exec_driver_sql("PRAGMA synchronous=NORMAL")

    def opt_out(self, number: str) -> StopRecord:
        """Record that this number wants no more messages: in the database, or else in the journal.

        Raises JournalError when neither could take it: then the person must be asked to send STOP again.
        """
        key = self.number_key(number)
        try:
            self._call(lambda: self._write_stops([key]))
            return "database"
        except Exception as error:
            log.warning("a STOP went to the journal: the database could not take it (%s)", describe(error))
            self.journal.append(key)
            self._start_worker()
            return "journal"

    def replay_journal(self, wait: float = 0) -> int:
        """Apply the STOPs waiting in the journal; how many (-1: another worker is at it)."""
        return self.journal.replay(lambda keys: self._call(lambda: self._write_stops(keys)), wait=wait)

    def opt_in(self, number: str) -> None:
        """Forget an opt-out after START; a STOP of this number still in the journal is applied first."""
        key = self.number_key(number)
        if key in self.journal.pending():
            try:
                self.replay_journal(wait=self.guard.deadline or 1.0)
            except Exception as error:
                raise Unavailable(f"a STOP from this number waits in the journal ({describe(error)})") from error
            if key in self.journal.pending():
                raise Unavailable("a STOP from this number waits in the journal (another worker is applying it)")
        self._call(lambda: self._delete_opt_out(key))

    def _delete_opt_out(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(opt_outs).where(opt_outs.c.number_hash == key))

    def _opted_out(self, conn: Connection, key: str) -> bool:
        return conn.execute(select(opt_outs.c.number_hash).where(opt_outs.c.number_hash == key)).first() is not None

    def is_opted_out(self, number: str) -> bool:
        """Whether this number has said STOP and not START since (the journal counts)."""
        key = self.number_key(number)
        if key in self.journal.pending():
            return True

        def read() -> bool:
            with self.engine.connect() as conn:
                return self._opted_out(conn, key)

        return self._call(read)

    # --- writes no request waits for -------------------------------------------------------

    def defer(self, table: str, key: str, values: Row, writer: Writer) -> None:
        """Write these values of a row later, with the others waiting (see later.py): no round trip now."""
        self.later.put(table, key, values, writer)
        self._start_worker()

    def flush_writes(self) -> int:
        """Write every row waiting, in one transaction; how many. When the database refuses, they wait for the next."""
        with self._flushing:
            batch = self.later.take()
            if not batch:
                return 0

            def write() -> None:
                dialect = self.engine.dialect.name
                fast.run_many(self.held, [part for writer, rows in batch for part in writer(dialect, rows)])

            try:
                self._call(write)
            except Unavailable:
                self.later.put_back(batch)  # the database is away: they wait for the next flush
                raise
            except Exception:
                # Refused, and it would be refused again: one bad row must not hold every later write back.
                log.exception("waiting writes refused by the database; %d rows dropped",
                              sum(len(rows) for _, rows in batch))
                raise
            return sum(len(rows) for _, rows in batch)

    def written(self, table: str, key: str) -> None:
        """Before reading a row: write it first if it waits here (a worker always reads its own writes)."""
        if self.later.waiting(table, key) is not None:
            self.flush_writes()

    # --- anonymous counts ------------------------------------------------------------------

    def count(self, channel: Channel, *events: Event) -> None:
        """Add one to today's anonymous count of each event (in memory; written in batches)."""
        self.usage.add(_now().date(), channel, *map(stored_name, events))
        self._start_worker()

    def flush_counts(self) -> int:
        """Write the counts waiting in memory; how many rows. When the database refuses, they wait for the next."""
        batch = self.usage.take()
        if not batch:
            return 0
        rows = [{"day": day, "channel": channel, "node": node, "count": count}
                for (day, channel, node), count in batch.items()]

        def write() -> None:
            with self.engine.begin() as conn:
                insert = _dialect_insert(conn, usage_counts)
                conn.execute(insert.on_conflict_do_update(
                    index_elements=["day", "channel", "node"],
                    set_={"count": usage_counts.c.count + insert.excluded.count}), rows)

        try:
            self._call(write)
        except Exception:
            self.usage.put_back(batch)
            raise
        return len(rows)

    def counts(self, since: dt.date | None = None) -> list[tuple[dt.date, str, str, int]]:
        """The usage counts (from `since` on), newest day first, then by name and channel (the same order on
        every database)."""
        self.flush_counts()
        query = select(usage_counts).where(usage_counts.c.channel != HEALTH_ROW["channel"])
        if since is not None:
            query = query.where(usage_counts.c.day >= since)

        def read() -> list[tuple[dt.date, str, str, int]]:
            with self.engine.connect() as conn:
                order = (usage_counts.c.day.desc(), usage_counts.c.node, usage_counts.c.channel)
                rows = conn.execute(query.order_by(*order))
                return [(day, channel, node, count) for day, channel, node, count in rows]

        return self._call(read)

    def tallies(self, since: dt.date | None = None) -> list[Tally]:
        """The counts as typed events (from `since` on), oldest day first."""
        return [tally for tally in (read_tally(*row) for row in reversed(self.counts(since))) if tally is not None]

    def keyed(self, purpose: str, value: str) -> str:
        """A keyed HMAC of an id that must not be kept as it is (a call's id, a client's address); kept, like
        numbers' (a call's every turn asks for its id's)."""
        found = self._keys.get((purpose, value))
        if found is None:
            found = hmac.new(self._secret, f"{purpose}\n{value}".encode(), hashlib.sha256).hexdigest()
            self._keep((purpose, value), found)
        return found

    def _keep(self, value: str | tuple[str, str], key: str) -> None:
        if len(self._keys) >= MAX_KEYS:  # bounded: start again (dropping the oldest one by one costs more)
            self._keys.clear()
        self._keys[value] = key

    # --- health ----------------------------------------------------------------------------

    def _write_check(self) -> None:
        """Read every table, write a row and roll it back: a database that reads but cannot write is not healthy."""
        with self.engine.connect() as conn, conn.begin() as transaction:
            for table in metadata.sorted_tables:
                conn.execute(select(func.count()).select_from(select(table).limit(1).subquery())).scalar()
            conn.execute(_dialect_insert(conn, usage_counts).values(**HEALTH_ROW).on_conflict_do_nothing())
            transaction.rollback()

    def problems(self) -> list[str]:
        """What keeps the store from working now, in words for the operator (empty: all is well)."""
        found = []
        if self._file is not None and self._file.exists() and not (
                os.access(self._file, os.W_OK) and os.access(self._file.parent, os.W_OK)):
            found.append(f"database: the file {self._file.name} or its folder is read-only")
        else:
            try:
                self._call(self._write_check, probe=True)
            except Exception as error:
                found.append(f"database: {describe(error)}")
        if not self.journal.writable():
            found.append(f"stop journal: {self.journal.path} cannot be written")
        if self.journal.pending() and not found:
            try:
                self.replay_journal()
            except Exception as error:
                found.append(f"stop journal: could not apply it ({describe(error)})")
        waiting = len(self.journal.pending())
        if waiting:
            found.append(f"stop journal: {waiting} STOP(s) wait for the database")
        return found

    # --- the background worker -------------------------------------------------------------

    def _start_worker(self) -> None:
        """Start (once per process: threads do not survive a fork) the thread that writes counts and the journal."""
        if self._running_in == os.getpid():  # every request asks: the thread's own check would cost more
            return
        with self._start_lock:
            if self._worker is not None and self._worker_pid == os.getpid() and self._worker.is_alive():
                self._running_in = self._worker_pid
                return
            self._stopping = threading.Event()
            ref = weakref.ref(self)  # the thread must not keep a forgotten store (and its pool) alive
            self._worker = threading.Thread(target=_maintain, args=(ref, self._stopping, self._flush_every),
                                            name="store-maintenance", daemon=True)
            self._worker_pid = os.getpid()
            self._worker.start()
            self._running_in = self._worker_pid
            atexit.register(_at_exit, ref)

    def tick(self, counts: bool = True) -> None:
        """One round of the background work: write the waiting rows (and the counts), apply the journal."""
        try:
            self.flush_writes()
        except Exception as error:
            log.warning("places wait in memory: %s", describe(error))
        if counts:
            try:
                self.flush_counts()
            except Exception as error:
                log.warning("usage counts wait in memory: %s", describe(error))
        if self.journal.pending():
            try:
                if self.replay_journal() > 0:
                    log.warning("the database is back: applied the STOPs from the journal")
            except Exception as error:
                log.warning("STOPs wait in the journal: %s", describe(error))

    def close(self) -> None:
        """Write what waits, stop the thread, close the connections."""
        self._stopping.set()
        self.tick()
        self.guard.close()
        self.held.close()
        self.engine.dispose()


def _maintain(ref: weakref.ReferenceType[Store], stopping: threading.Event, every: float) -> None:
    try:
        counts_at = time.monotonic() + every
        while not stopping.wait(min(every, WRITE_EVERY)):
            store = ref()
            if store is None:
                return
            counts = time.monotonic() >= counts_at
            if counts:
                counts_at = time.monotonic() + every
            store.tick(counts)
            del store
    finally:
        store = ref()
        if store is not None and store._worker is threading.current_thread():
            store._running_in = 0  # the next request starts another


def _at_exit(ref: weakref.ReferenceType[Store]) -> None:
    """A worker that exits (SIGTERM included) writes the rows and counts it holds (a killed one loses at most
    WRITE_EVERY seconds of places and FLUSH_EVERY seconds of counts)."""
    store = ref()
    if store is not None and store._worker_pid == os.getpid():
        store.tick()
