"""The few statements every webhook request runs, sent straight to the driver on a pooled connection.

Through SQLAlchemy's Connection a one-row read by primary key costs about four times what the
driver itself takes (checkout, compiled-cache lookup, bind and result processing); the call's
first request and every text each run one such statement. Here a statement built with SQLAlchemy
Core is compiled once per dialect, its values bound as SQLAlchemy would store them (SQLite keeps
datetimes as text) and its rows read back as dictionaries, on a pooled connection each thread
keeps between statements (a checkout and check-in cost more than the read; on PostgreSQL it stays
in autocommit, so one statement is one round trip). Errors are wrapped as SQLAlchemy's, and a
connection lost with its server is invalidated, exactly as the Connection would, so the store's
deadlines and retries treat them the same.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
import re
import socket
import threading
import time
from typing import Any, Mapping

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import ClauseElement

from app.store.connection import RECYCLE

_COMPILED: dict[tuple[int, str], tuple[str, tuple[str, ...] | None, dict[str, Any]]] = {}
_NAMES: dict[str, tuple[str, ...]] = {}  # the columns each statement returns (none: it returns no rows)
CURSOR = "line.cursor"  # where a connection's own cursor is kept (the pool's info, cleared if it is invalidated)
BROKEN = "line.broken"  # set on a connection whose socket the watchdog shut down
TAKEN = "line.taken"  # when this thread took the connection from the pool (time.monotonic())
PREPARED = "line.prepared"  # the names of the statements prepared on a PostgreSQL connection
ADAPT = "line.adapt"  # a PostgreSQL connection's psycopg Transformer: its values' adapters, found once


def _compiled(engine: Engine, statement: ClauseElement) -> tuple[str, tuple[str, ...] | None, dict[str, Any]]:
    """The SQL text for this engine's dialect, the order of its parameters when the driver wants them by
    position (SQLite's qmark), and the values the statement fixes itself (literal values, columns' scalar
    defaults), once per statement and dialect."""
    key = (id(statement), engine.dialect.name)
    found = _COMPILED.get(key)
    if found is None:
        compiled = statement.compile(dialect=engine.dialect)
        order = tuple(getattr(compiled, "positiontup", None) or ()) if engine.dialect.positional else None
        fixed = dict(compiled.params)  # every parameter, None where the statement does not fix it
        for column in getattr(compiled, "insert_prefetch", ()):
            if column.default is not None and column.default.is_scalar:
                fixed[column.key] = column.default.arg
        found = _COMPILED[key] = (str(compiled), order, fixed)
    return found


def _value(value: Any, sqlite: bool) -> Any:
    if sqlite and isinstance(value, dt.datetime):  # as SQLAlchemy stores it: UTC, "YYYY-MM-DD HH:MM:SS.ffffff"
        if value.tzinfo is not None:
            if value.tzinfo is not dt.timezone.utc:
                value = value.astimezone(dt.timezone.utc)
            value = value.replace(tzinfo=None)
        return value.isoformat(" ", "microseconds")
    return value


def moment(value: Any) -> dt.datetime | None:
    """A datetime column read back: SQLite's text, or the driver's datetime; always aware (UTC)."""
    if value is None:
        return None
    when: dt.datetime = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


class Held:
    """One pooled connection per thread of an engine, kept between statements; given back on close()."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._by_thread: dict[int, PoolProxiedConnection] = {}
        self._lock = threading.Lock()

    def ready(self) -> bool:
        """Whether this thread holds a connection that looks usable (none yet: opening one may wait on the server)."""
        held = self._by_thread.get(threading.get_ident())
        return held is not None and self._usable(held)

    def _usable(self, held: PoolProxiedConnection) -> bool:
        # Kept no longer than the pool would keep it (proxies and servers drop idle connections).
        young = time.monotonic() - held.info.get(TAKEN, 0.0) < RECYCLE
        return held.is_valid and held._pool is self.engine.pool and not held.info.get(BROKEN) and young

    def connection(self, ident: int | None = None) -> PoolProxiedConnection:
        """This thread's (or the thread `ident`'s) connection: a new one after the pool was disposed (a replaced
        SQLite file) or one was lost."""
        ident = threading.get_ident() if ident is None else ident
        held = self._by_thread.get(ident)
        if held is not None and self._usable(held):
            return held
        if held is not None:
            self.drop(ident=ident)
        held = self.engine.raw_connection()
        held.info[TAKEN] = time.monotonic()
        if self.engine.dialect.name == "postgresql":
            held.dbapi_connection.autocommit = True  # type: ignore[union-attr]
        self._by_thread[ident] = held
        return held

    def interrupt(self, ident: int) -> None:
        """Break the connection the thread `ident` is waiting on (from another thread: its server hangs), so
        that the driver's wait ends at once with an error. SQLite's waits are bounded by its busy timeout."""
        held = self._by_thread.get(ident)
        dbapi = held.dbapi_connection if held is not None else None
        if held is None or dbapi is None or not hasattr(dbapi, "fileno"):
            return
        held.info[BROKEN] = True  # even if the statement ended just now: the next one takes a new connection
        with contextlib.suppress(Exception), socket.socket(fileno=os.dup(dbapi.fileno())) as hung:
            hung.shutdown(socket.SHUT_RDWR)  # the socket itself, whichever descriptor names it

    def drop(self, error: BaseException | None = None, ident: int | None = None) -> None:
        """Give this thread's connection back (invalidated, when it broke with its server)."""
        held = self._by_thread.pop(threading.get_ident() if ident is None else ident, None)
        if held is not None:
            self._give_back(held, error)

    def _give_back(self, held: PoolProxiedConnection, error: BaseException | None = None) -> None:
        with contextlib.suppress(Exception):  # a connection that broke is discarded by the pool anyway
            if error is not None or held.info.get(BROKEN):
                held.invalidate(error)
            elif held.dbapi_connection is not None and self.engine.dialect.name == "postgresql":
                held.dbapi_connection.autocommit = False  # as the pool hands connections out
            held.close()

    def close(self) -> None:
        """Give every thread's connection back to the pool."""
        with self._lock:
            every, self._by_thread = list(self._by_thread.values()), {}
        for held in every:
            self._give_back(held)


def _params(engine: Engine, statement: ClauseElement, values: Mapping[str, Any]) -> tuple[str, Any]:
    """The SQL and the driver's parameters for these values."""
    sql, order, fixed = _compiled(engine, statement)
    every = dict(fixed)  # the statement's own values are literals and defaults: no datetimes to convert
    if engine.dialect.name == "sqlite":
        for name, value in values.items():
            every[name] = _value(value, True) if isinstance(value, dt.datetime) else value
    else:
        every.update(values)
    return sql, tuple(map(every.get, order)) if order is not None else every


def _failed(held: Held, connection: PoolProxiedConnection, sql: str, error: Any) -> Exception:
    """The driver's error as SQLAlchemy's (no parameters shown); a connection lost with its server is invalidated,
    and, as SQLAlchemy does, every older connection in the pool; otherwise what was begun is rolled back."""
    engine = held.engine
    lost = engine.dialect.is_disconnect(error, connection.dbapi_connection, None)
    if lost:
        held.drop(error)
        engine.pool._invalidate(connection, error)
    else:
        with contextlib.suppress(Exception):
            connection.rollback()
    wrapped: Exception = DBAPIError.instance(sql, None, error, engine.dialect.loaded_dbapi.Error,
                                             hide_parameters=True, connection_invalidated=lost, dialect=engine.dialect)
    return wrapped


_PREPARED_NAMES = itertools.count()
_POSTGRES: dict[str, tuple[bytes, bytes, tuple[str, ...]]] = {}  # SQL -> its prepared statement's name, text, order
PARAMETER = re.compile(r"%\((\w+)\)s")


def _postgres_statement(sql: str) -> tuple[bytes, bytes, tuple[str, ...]]:
    """A statement compiled for psycopg (`%(name)s`) as libpq prepares it (`$1`), with a name of its own and the
    order of its parameters (once per statement)."""
    found = _POSTGRES.get(sql)
    if found is None:
        order: list[str] = []

        def numbered(match: re.Match[str]) -> str:
            if match.group(1) not in order:
                order.append(match.group(1))
            return f"${order.index(match.group(1)) + 1}"

        text = PARAMETER.sub(numbered, sql).replace("%%", "%")
        found = _POSTGRES[sql] = (f"line_{next(_PREPARED_NAMES)}".encode(), text.encode(), tuple(order))
    return found


def _text_formats(count: int) -> list[Any]:
    from psycopg.adapt import PyFormat

    return [PyFormat.TEXT] * count


def _check(result: Any, pgconn: Any) -> None:
    """Raise the driver's own error for a failed result: OperationalError when the connection broke (so it is
    taken as lost with its server, as psycopg's cursor would), else the server's error."""
    import psycopg  # only with PostgreSQL (the postgres extra)
    from psycopg import pq

    if result.status in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK):
        return
    if pgconn.status == pq.ConnStatus.BAD:
        raise psycopg.OperationalError((result.error_message or pgconn.error_message).decode(errors="replace"))
    raise psycopg.errors.error_from_result(result)


def _run_postgres(connection: PoolProxiedConnection, sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Run a statement on PostgreSQL as a prepared statement of this connection, through libpq itself.

    psycopg's cursor spends about 20 µs of Python per statement on what these few statements never need (its
    own preparing, pipelines, row factories); here the same adapters turn the values into text and the rows
    back, and libpq waits for the server without the GIL, so the watchdog can still break the wait."""
    name, text, order = _postgres_statement(sql)
    dbapi = connection.dbapi_connection
    pgconn = dbapi.pgconn  # type: ignore[union-attr]
    prepared: set[bytes] = connection.info.setdefault(PREPARED, set())
    if name not in prepared:
        _check(pgconn.prepare(name, text), pgconn)
        prepared.add(name)
    adapt = connection.info.get(ADAPT)
    if adapt is None:
        from psycopg.adapt import Transformer

        adapt = connection.info[ADAPT] = Transformer(dbapi)  # type: ignore[arg-type]
    # Every value is sent as text, its type the one the statement casts it to.
    values = adapt.dump_sequence([params[key] for key in order], _text_formats(len(order)))
    result = pgconn.exec_prepared(name, values)
    _check(result, pgconn)
    if not result.nfields:
        return []
    names = _NAMES.get(sql)
    if names is None:
        names = _NAMES[sql] = tuple(result.fname(i).decode() for i in range(result.nfields))
    adapt.set_pgresult(result)
    return [dict(zip(names, row)) for row in adapt.load_rows(0, result.ntuples, tuple)]


def run(held: Held, statement: ClauseElement, values: Mapping[str, Any], *,
        write: bool = False) -> list[dict[str, Any]]:
    """Run one statement (statements are kept by identity: build them once, at import) in its own transaction
    (SQLite's driver begins only before a write, and commits here; PostgreSQL's connection is in autocommit,
    and the statement prepared on it once); its rows, if it returns any."""
    sql, params = _params(held.engine, statement, values)
    connection = held.connection()
    try:
        if held.engine.dialect.name == "postgresql":
            assert isinstance(params, Mapping)
            return _run_postgres(connection, sql, params)
        cursor = connection.info.get(CURSOR)  # one per connection, kept with it: making one costs more than a read
        if cursor is None:
            cursor = connection.info[CURSOR] = connection.cursor()
        cursor.execute(sql, params)
        names = _NAMES.get(sql)
        if names is None:  # the driver builds a description per statement run: the names are read once
            names = _NAMES[sql] = tuple(column[0] for column in cursor.description or ())
        rows = [dict(zip(names, row)) for row in cursor.fetchall()] if names else []
        if write and held.engine.dialect.name == "sqlite":
            connection.commit()
        return rows
    except held.engine.dialect.loaded_dbapi.Error as error:
        raise _failed(held, connection, sql, error) from None


def run_many(held: Held, batches: list[tuple[Any, list[dict[str, Any]]]]) -> None:
    """Run each statement for many rows (the driver's executemany), all in one transaction."""
    engine = held.engine
    connection = held.connection()
    sql = ""
    try:
        cursor = connection.cursor()
        try:
            if engine.dialect.name == "postgresql":
                cursor.execute("BEGIN")  # the connection is in autocommit: one transaction for the lot
            for statement, rows in batches:
                made = [_params(engine, statement, values) for values in rows]
                if made:
                    sql = made[0][0]
                    cursor.executemany(sql, [params for _, params in made])
            if engine.dialect.name == "postgresql":
                cursor.execute("COMMIT")
        finally:
            cursor.close()
        if engine.dialect.name == "sqlite":
            connection.commit()
    except engine.dialect.loaded_dbapi.Error as error:
        raise _failed(held, connection, sql, error) from None
