"""Bring a database to the schema this code needs: the release step (`flask db init`) and fresh test databases.

Workers never do this: a worker that starts while the database is away must still serve voice.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from app.store.connection import RELAXED, make_engine, sqlite_path

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Taken by `flask db init` on PostgreSQL, so that two release steps at once migrate one after the other.
ADVISORY_LOCK = 7_160_913


def alembic_config() -> Config:
    """Alembic's settings, without an alembic.ini: the migrations live in the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest migration's revision."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "store/migrations/versions holds no migration"
    return head


def upgrade(url: str) -> list[str]:
    """Create or update the tables; returns what was done, for the operator (empty: already up to date)."""
    done = []
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    lock = _sqlite_lock(path) if path is not None else None
    engine = make_engine(url, RELAXED)
    try:
        if path is not None:
            with engine.connect() as conn:  # WAL is kept in the file; it cannot be set inside a transaction
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
            config = alembic_config()
            config.attributes["connection"] = conn
            before = MigrationContext.configure(conn).get_current_revision()
            if before is None and "opt_outs" in inspect(conn).get_table_names():
                # Tables made by an older version of the line, before migrations: they are revision 0001.
                command.stamp(config, "0001")
                before = "0001"
                done.append("found tables made before migrations; marked them as revision 0001")
            command.upgrade(config, "head")
            after = MigrationContext.configure(conn).get_current_revision()
            if after != before:
                done.append(f"migrated the database from {before or 'empty'} to {after}")
    finally:
        engine.dispose()
        if lock is not None:
            os.close(lock)  # releases the lock
    return done


def _sqlite_lock(path: Path) -> int:
    """Two `flask db init` on one SQLite file at once: the second waits for the first (PostgreSQL uses
    an advisory lock instead)."""
    fd = os.open(path.with_name(path.name + ".migrate-lock"), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd
