"""Every store call answers within a deadline or fails at once; a database known to be down is not waited on."""

from __future__ import annotations

import concurrent.futures
import os
import threading
import time
from typing import Callable, TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError

T = TypeVar("T")

# How long a database found down is left alone before a call tries it again.
RETRY_AFTER = 2.0


class Unavailable(Exception):
    """The database cannot be used right now; the message says why (never a parameter)."""


class StoreError(Exception):
    """The database refused a call. Only the driver's first line is kept: PostgreSQL's DETAIL lines (and
    SQLAlchemy's, without hide_parameters) would print the values, number hashes among them, in every traceback."""


class SchemaNotReady(Unavailable):
    """The database answers but `flask db init` has not made (or updated) its tables: cheap to ask again."""


def _is_outage(error: BaseException) -> bool:
    """Whether an error means the database is unreachable, rather than busy for a moment or a bug here."""
    if isinstance(error, SchemaNotReady):
        return False
    if isinstance(error, (Unavailable, concurrent.futures.TimeoutError)):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, OperationalError):
        message = str(error.orig).lower()
        return not ("locked" in message or "busy" in message or "statement timeout" in message)
    return False


def describe(error: BaseException) -> str:
    """A short reason for the health page and the log: the driver's first line, no SQL or parameters."""
    if isinstance(error, Unavailable):
        return str(error)
    orig = getattr(error, "orig", None) or error
    first = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    return f"{type(orig).__name__}: {first}"[:200]


def _in_own_thread(fn: Callable[[], T]) -> concurrent.futures.Future[T]:
    future: concurrent.futures.Future[T] = concurrent.futures.Future()

    def run() -> None:
        try:
            future.set_result(fn())
        except BaseException as error:
            future.set_exception(error)

    threading.Thread(target=run, daemon=True).start()
    return future


WATCH_EVERY = 0.05  # seconds between the watchdog's looks: a watched call ends at most this long after its deadline


class Watchdog:
    """One thread per process that breaks the connection of a call still running past its deadline.

    Handing each call to another thread and waiting for it costs more CPU than the call itself (a one-row
    read on PostgreSQL: about 45 µs inline, 170 µs through a thread). So a call on a connection that can be
    broken from outside runs in the request's own thread, noted here with its deadline; a call past it has
    its connection's socket shut down, which ends the driver's wait at once with an error.
    """

    def __init__(self) -> None:
        self._watched: dict[int, tuple[float, Callable[[int], None], list[bool]]] = {}
        self._lock = threading.Lock()
        self._pid = 0

    def _start(self) -> None:
        with self._lock:
            if self._pid != os.getpid():  # threads do not survive a fork
                self._pid = os.getpid()
                threading.Thread(target=self._watch, name="store-watchdog", daemon=True).start()

    def run(self, fn: Callable[[], T], deadline: float, interrupt: Callable[[int], None]) -> T:
        """fn's result in this thread; Unavailable when the watchdog had to break its connection (`interrupt`
        is given this thread's id)."""
        if self._pid != os.getpid():
            self._start()
        ident, broken = threading.get_ident(), [False]
        self._watched[ident] = (time.monotonic() + deadline, interrupt, broken)
        try:
            return fn()
        except Exception:
            if broken[0]:
                raise Unavailable(f"the database did not answer within {deadline:g} s") from None
            raise
        finally:
            with self._lock:
                self._watched.pop(ident, None)

    def _watch(self) -> None:
        while True:
            time.sleep(WATCH_EVERY)
            now = time.monotonic()
            with self._lock:
                for ident, (until, interrupt, broken) in list(self._watched.items()):
                    if now >= until and not broken[0]:
                        broken[0] = True
                        interrupt(ident)


WATCHDOG = Watchdog()


class Guard:
    """Runs database calls in a few threads of this process and waits at most `deadline` seconds.

    A hung server answers nothing, so only a deadline kept here can bound the wait. A call that
    timed out before it started is cancelled; one stuck in the driver finishes when the server
    wakes (every store write may be repeated safely). A call on a connection the watchdog can break
    (`interrupt`) runs in the caller's thread instead. After an outage, calls fail at once for
    RETRY_AFTER seconds instead of each waiting the whole deadline.
    """

    def __init__(self, deadline: float, threads: int = 4):
        self.deadline = deadline
        self._threads = threads
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._pid = 0
        self._lock = threading.Lock()
        self.down_since: float | None = None
        self.reason = ""
        self._last_try = 0.0

    def _executor(self) -> concurrent.futures.ThreadPoolExecutor:
        with self._lock:
            if self._pool is None or self._pid != os.getpid():  # threads do not survive a fork
                self._pool = concurrent.futures.ThreadPoolExecutor(self._threads, thread_name_prefix="store")
                self._pid = os.getpid()
            return self._pool

    def run(self, fn: Callable[[], T], *, probe: bool = False, interrupt: Callable[[int], None] | None = None) -> T:
        """fn's result, or Unavailable when the database is down or too slow; other errors pass through.
        With `interrupt` (which breaks the connection a thread uses), fn runs in this thread, watched."""
        now = time.monotonic()
        if self.down_since is not None and not probe and now - self._last_try < RETRY_AFTER:
            raise Unavailable(self.reason)
        self._last_try = now
        try:
            try:
                result = self._run(fn, interrupt)
            except DBAPIError as error:
                if not error.connection_invalidated:
                    raise
                # A pooled connection died with its server (restarted, failed over): SQLAlchemy has dropped the
                # pool's connections, so the call is tried once more on a new one (store calls may be repeated).
                result = self._run(fn)
        except Exception as error:
            if _is_outage(error):
                self.mark_down(describe(error))
                if isinstance(error, Unavailable):
                    raise
                raise Unavailable(self.reason) from None  # the driver's error may show parameters
            self.down_since = None  # it answered, if only with an error
            if isinstance(error, DBAPIError):
                raise StoreError(describe(error)) from None
            raise
        self.down_since = None
        return result

    def _run(self, fn: Callable[[], T], interrupt: Callable[[int], None] | None = None) -> T:
        """fn's result, waited for at most the deadline (in a thread of the pool, or watched in this one), or at
        once without one."""
        if not self.deadline:
            return fn()
        if interrupt is not None:
            return WATCHDOG.run(fn, self.deadline, interrupt)
        try:
            future = self._executor().submit(fn)
        except RuntimeError:  # the interpreter is exiting and takes no new futures: one thread of our own
            future = _in_own_thread(fn)
        try:
            return future.result(timeout=self.deadline)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise Unavailable(f"the database did not answer within {self.deadline:g} s") from None

    def mark_down(self, reason: str) -> None:
        """Remember that the database is unreachable, and why."""
        if self.down_since is None:
            self.down_since = time.monotonic()
        self.reason = reason

    def close(self) -> None:
        """Let the threads go (a call still stuck in the driver keeps its thread until it returns)."""
        with self._lock:
            if self._pool is not None and self._pid == os.getpid():
                self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
