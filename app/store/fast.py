"""The few statements every webhook request runs, sent straight to the driver on a pooled connection.

Through SQLAlchemy's Connection a one-row read by primary key costs about four times what the
driver itself takes (checkout, compiled-cache lookup, bind and result processing); the call's
first request, a key into a topic and every text each run one such statement. Here a statement
built with SQLAlchemy Core is compiled once per dialect, its values bound as SQLAlchemy would
store them (SQLite keeps datetimes as text) and its rows read back as dictionaries. Errors are
wrapped as SQLAlchemy's, and a connection lost with its server is invalidated, exactly as the
Connection would, so the store's deadlines and retries treat them the same.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any, Mapping

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement

_COMPILED: dict[tuple[int, str], tuple[str, tuple[str, ...] | None, dict[str, Any]]] = {}
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's own storage format for SQLite


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
    if sqlite and isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).strftime(SQLITE_DATETIME) if value.tzinfo else \
            value.strftime(SQLITE_DATETIME)
    return value


def moment(value: Any) -> dt.datetime | None:
    """A datetime column read back: SQLite's text, or the driver's datetime; always aware (UTC)."""
    if value is None:
        return None
    when: dt.datetime = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def run(engine: Engine, statement: ClauseElement, values: Mapping[str, Any], *,
        write: bool = False) -> list[dict[str, Any]]:
    """Run one statement (statements are kept by identity: build them once, at import) in its own transaction;
    its rows, if it returns any. `write` commits."""
    sql, order, fixed = _compiled(engine, statement)
    sqlite = engine.dialect.name == "sqlite"
    every = {**fixed, **values}
    params: Any = (tuple(_value(every.get(name), sqlite) for name in order) if order is not None
                   else {name: _value(value, sqlite) for name, value in every.items()})
    connection = engine.raw_connection()
    # One statement is its own transaction: on PostgreSQL, autocommit spares the BEGIN and the COMMIT (or the
    # pool's ROLLBACK), two round trips of three. SQLite's driver begins only before a write, and commits here.
    autocommit = engine.dialect.name == "postgresql"
    try:
        if autocommit:
            connection.dbapi_connection.autocommit = True  # type: ignore[union-attr]
        cursor = connection.cursor()
        try:
            cursor.execute(sql, params)
            names = [column[0] for column in cursor.description or ()]
            rows = [dict(zip(names, row)) for row in cursor.fetchall()] if names else []
        finally:
            cursor.close()
        if write and not autocommit:
            connection.commit()
        return rows
    except engine.dialect.loaded_dbapi.Error as error:
        lost = engine.dialect.is_disconnect(error, connection.dbapi_connection, None)
        if lost:
            connection.invalidate(error)  # and, as SQLAlchemy does, every older connection in the pool
            engine.pool._invalidate(connection, error)
        raise DBAPIError.instance(sql, None, error, engine.dialect.loaded_dbapi.Error, hide_parameters=True,
                                  connection_invalidated=lost, dialect=engine.dialect) from None
    finally:
        if autocommit and connection.dbapi_connection is not None:
            with contextlib.suppress(Exception):  # a connection that broke is discarded by the pool anyway
                connection.dbapi_connection.autocommit = False  # as the pool hands connections out
        connection.close()  # back to the pool, rolled back if nothing was committed
