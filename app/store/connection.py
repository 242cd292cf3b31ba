"""Engines that give up quickly: short busy, connect and statement timeouts, parameters kept out of errors.

Nothing on a caller's or texter's path may wait long for the database: Twilio gives up on a
webhook after 15 seconds, and a caller should wait far less.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine


@dataclass(frozen=True)
class Timeouts:
    """How long the database may take, in seconds."""

    busy: float = 0.5  # SQLite: waiting for another connection's write lock
    connect: int = 2  # PostgreSQL: opening a connection (libpq counts whole seconds, at least 2)
    statement: float = 1.0  # PostgreSQL: one statement, enforced by the server
    call: float = 2.0  # any store call, enforced here: a hung server enforces nothing


DEFAULT = Timeouts()
RECYCLE = 300  # seconds a PostgreSQL connection is kept: before proxies and servers drop idle ones
RELAXED = Timeouts(busy=30, connect=10, statement=0, call=0)  # for migrations, which may take a while


def normalize_url(url: str) -> str:
    """The SQLAlchemy URL for a DATABASE_URL: the old postgres:// scheme and plain postgresql:// use psycopg."""
    if url.startswith("postgres://"):  # the old scheme some hosts still hand out
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, or None for another database or an in-memory one."""
    url = normalize_url(url)
    if not url.startswith("sqlite:///") or url.startswith("sqlite:///:memory:"):
        return None
    return Path(url[len("sqlite:///"):].split("?", 1)[0])


def make_engine(url: str, timeouts: Timeouts = DEFAULT) -> Engine:
    """An SQLAlchemy engine for the URL, with the timeouts; error messages never show SQL parameters."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, hide_parameters=True, connect_args={"timeout": timeouts.busy})
        event.listen(engine, "connect", _sqlite_settings)
        return engine
    connect_args: dict[str, Any] = {"connect_timeout": timeouts.connect}
    if timeouts.statement:
        connect_args["options"] = f"-c statement_timeout={int(timeouts.statement * 1000)}"
    # No pre-ping (a round trip on every checkout): connections are renewed after RECYCLE seconds, and one
    # that died with its server (a restart, a failover) is noticed when used and the call tried once more
    # on a new one (Guard.run).
    return create_engine(url, hide_parameters=True, pool_recycle=RECYCLE, pool_timeout=max(timeouts.call, 1),
                         connect_args=connect_args)


def _sqlite_settings(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers go on while another connection writes; NORMAL syncs at checkpoints, not every commit
    (opt-outs ask for a full sync themselves)."""
    cursor = dbapi_connection.cursor()
    # WAL is kept in the file and `flask db init` sets it first; a locked or read-only file is reported when used.
    with contextlib.suppress(Exception):
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
