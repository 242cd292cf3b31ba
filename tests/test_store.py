"""The store on both databases the contract promises: a SQLite file, and PostgreSQL.

Every test here that takes database_url runs twice, once per backend, each on a fresh database.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import threading
import time
import traceback
from importlib import import_module

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from helpers import send
from sqlalchemy import Column, Date, DateTime, Integer, MetaData, String, Table, inspect, select, text
from sqlalchemy.exc import IntegrityError

from app.core.events import Event, Tally
from app.store import Store, StoreError, Unavailable, make_engine, metadata, opt_outs, upgrade, usage_counts
from app.store import database as store_module
from app.store.migrate import head_revision
from app.store.schema import SCHEMA_REVISION

NUMBER = "+15551234567"
SECRET = "test-secret"


def dump(store: Store) -> str:
    """Every row of every table, as text: what a leaked database would show."""
    with store.engine.connect() as conn:
        tables = inspect(conn).get_table_names()
        assert {"opt_outs", "sms_positions", "usage_counts"} <= set(tables)
        return " ".join(str(row) for table in tables for row in conn.execute(text(f"SELECT * FROM {table}")))


def opted_out_rows(store) -> int:
    """How many numbers the opt-out table holds (read directly: the line itself never needs the count)."""
    with store.engine.connect() as conn:
        return len(conn.execute(select(opt_outs.c.number_hash)).all())


def test_opt_out_then_opt_in(store):
    assert not store.is_opted_out(NUMBER)
    store.opt_out(NUMBER)
    assert store.is_opted_out(NUMBER)
    assert not store.is_opted_out("+15550000000")
    assert opted_out_rows(store) == 1
    store.opt_in(NUMBER)
    assert not store.is_opted_out(NUMBER)
    assert opted_out_rows(store) == 0
    store.opt_in(NUMBER)  # START without a STOP: nothing to forget, no error


def test_a_second_stop_changes_nothing(store):
    store.opt_out(NUMBER)
    with store.engine.connect() as conn:
        first = conn.execute(select(opt_outs.c.opted_out_at)).scalar_one()
    store.opt_out(NUMBER)
    assert store.is_opted_out(NUMBER) and opted_out_rows(store) == 1
    with store.engine.connect() as conn:
        assert conn.execute(select(opt_outs.c.opted_out_at)).scalar_one() == first


def test_stop_forgets_the_texters_place(store):
    store.set_position(NUMBER, ("risks", 2))
    store.opt_out(NUMBER)
    assert store.texter(NUMBER).position is None


def test_positions_are_set_replaced_and_cleared(store):
    assert store.texter(NUMBER).position is None
    store.set_position(NUMBER, ("risks", 1))
    store.set_position("+15550000000", ("find-a-trial", 3))
    assert store.texter(NUMBER).position == ("risks", 1)
    store.set_position(NUMBER, ("what-is-car-t", 2))
    assert store.texter(NUMBER).position == ("what-is-car-t", 2)
    store.set_position(NUMBER, None)
    assert store.texter(NUMBER).position is None
    store.set_position(NUMBER, None)  # clearing twice is fine
    assert store.texter("+15550000000").position == ("find-a-trial", 3)


def test_usage_counts_add_up_per_day_channel_and_node(store, monkeypatch):
    today = dt.datetime(2024, 5, 2, 23, 59, tzinfo=dt.timezone.utc)
    yesterday = today - dt.timedelta(days=1)
    monkeypatch.setattr(store_module, "_now", lambda: yesterday)
    store.count("voice", Event("reached", "menu"))
    monkeypatch.setattr(store_module, "_now", lambda: today)
    store.count("sms", Event("reached", "topic:risks:1"))
    store.count("sms", Event("reached", "menu"))
    store.count("sms", Event("reached", "menu"))  # the same node twice: one row, counted two
    store.count("voice", Event("reached", "menu"))  # the same node on another channel: its own row
    store.count("sms", Event("reached", "x" * 300))  # long node names are cut to fit, not refused
    assert len(store.usage) == 5  # in memory: nothing written on the request path
    assert store.counts() == [
        (today.date(), "sms", "reached|menu", 2),
        (today.date(), "voice", "reached|menu", 1),
        (today.date(), "sms", "reached|topic:risks:1", 1),
        (today.date(), "sms", "reached|" + "x" * 112, 1),
        (yesterday.date(), "voice", "reached|menu", 1),
    ]
    assert Tally(today.date(), "sms", Event("reached", "menu"), 2) in store.tallies(today.date())
    assert {tally.day for tally in store.tallies(today.date())} == {today.date()}


def test_a_healthy_store_has_no_problems(store):
    assert store.problems() == []


def test_number_key_is_a_keyed_hash_of_the_number(store, new_store):
    key = store.number_key(NUMBER)
    assert len(key) == 64 and int(key, 16) >= 0
    assert store.number_key("+1 (555) 123-4567") == key
    assert store.number_key(" +1.555.123.4567 ") == key
    assert store.number_key("+15550000000") != key
    other = new_store("another-secret")
    assert other.number_key(NUMBER) != key
    store.opt_out(NUMBER)
    assert not other.is_opted_out(NUMBER)  # the secret is part of the key: lost secret, lost opt-outs


def test_the_raw_number_is_in_no_table(store):
    store.opt_out("+1 (555) 123-4567")
    store.set_position("+15557654321", ("risks", 1))
    store.count("sms", Event("reached", "topic:risks:1"))
    assert store.is_opted_out(NUMBER)
    rows = dump(store)
    for digits in ("5551234567", "555) 123", "123-4567", "7654321"):
        assert digits not in rows
    assert store.number_key(NUMBER) in rows  # only the hash


def test_two_workers_on_one_database_see_each_others_opt_outs(new_store):
    first, second = new_store(), new_store()
    first.opt_out(NUMBER)
    assert second.is_opted_out(NUMBER)
    second.opt_in(NUMBER)
    assert not first.is_opted_out(NUMBER)
    second.set_position(NUMBER, ("risks", 2))
    assert second.texter(NUMBER).position == ("risks", 2)  # its own place, before it is written
    second.flush_writes()  # as its background thread does within WRITE_EVERY
    assert first.texter(NUMBER).position == ("risks", 2)


def test_places_are_written_in_the_background_within_a_moment_and_on_close(new_store):
    worker = new_store()
    worker.set_position(NUMBER, ("risks", 2))
    reader = new_store()
    deadline = time.monotonic() + 5
    while reader.texter(NUMBER).position != ("risks", 2):
        assert time.monotonic() < deadline, "the place was never written"
        time.sleep(0.05)
    assert len(worker.later) == 0
    worker.set_position(NUMBER, ("risks", 3))
    worker.close()  # as a worker's exit does (SIGTERM included)
    assert reader.texter(NUMBER).position == ("risks", 3)


def test_a_stop_forgets_a_place_still_waiting_to_be_written(store):
    store.set_position(NUMBER, ("risks", 2))
    store.opt_out(NUMBER)
    store.opt_in(NUMBER)
    store.flush_writes()
    assert store.texter(NUMBER).position is None


def test_a_place_being_written_when_a_stop_lands_does_not_come_back(new_store, monkeypatch):
    """A flush takes the waiting places, a STOP (this worker's or another's) clears the place, then the flush
    writes: the place stays cleared, and a START after it begins afresh."""
    from app.store import fast

    worker, other = new_store(), new_store()
    worker.take_text(NUMBER)  # the texter's row, as every text makes it
    worker.set_position(NUMBER, ("risks", 2))
    write = fast.run_many

    def stop_first(held, batches):
        other.opt_out(NUMBER)  # lands after the places were taken, before they are written
        write(held, batches)

    monkeypatch.setattr(fast, "run_many", stop_first)
    assert worker.flush_writes() == 1
    monkeypatch.undo()
    other.opt_in(NUMBER)
    assert worker.texter(NUMBER).position is None and other.texter(NUMBER).position is None
    worker.set_position(NUMBER, ("risks", 3))  # after the START, places are written again
    worker.flush_writes()
    assert other.texter(NUMBER).position == ("risks", 3)


def test_a_flush_waits_for_a_stop_under_way_and_leaves_its_place_cleared_on_postgresql(postgres_url, tmp_path):
    """PostgreSQL: the STOP has cleared the row but not committed when the flush starts; the flush waits for it
    (the row is locked first), then sees the opt-out and writes nothing."""
    upgrade(postgres_url)
    store = Store(postgres_url, SECRET, journal=tmp_path / "journal.txt")
    store.take_text(NUMBER)
    store.set_position(NUMBER, ("risks", 2))
    key = store.number_key(NUMBER)
    other = store.engine.connect()
    stop = other.begin()  # another worker's STOP, as Store._write_stops runs it
    other.execute(opt_outs.insert().values(number_hash=key, opted_out_at=store_module._now()))
    other.execute(text("UPDATE sms_positions SET topic = NULL, next_part = NULL WHERE number_hash = :key"),
                  {"key": key})
    flushed: list[object] = []
    thread = threading.Thread(target=lambda: flushed.append(store.flush_writes()))
    thread.start()
    try:
        deadline = time.monotonic() + 10
        with store.engine.connect() as watcher:  # wait until the flush is blocked on the STOP's row
            while not watcher.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                           "AND datname = current_database()")).scalar():
                assert time.monotonic() < deadline, "the flush never waited on the STOP"
                watcher.rollback()
                time.sleep(0.01)
    finally:
        stop.commit()
        other.close()
        thread.join(timeout=30)
    assert flushed == [1]
    store.opt_in(NUMBER)
    assert store.texter(NUMBER).position is None
    store.close()


def test_a_forget_erases_even_when_the_waiting_writes_cannot_be_flushed(store, monkeypatch):
    from app.store.callers import forget

    store.set_position(NUMBER, ("risks", 2))
    store.flush_writes()
    store.set_position(NUMBER, ("risks", 3))

    def refused() -> int:
        raise StoreError("refused")

    monkeypatch.setattr(store, "flush_writes", refused)
    assert forget(store, NUMBER) >= 1
    monkeypatch.undo()
    store.flush_writes()
    assert store.texter(NUMBER).position is None


def test_make_engine_maps_postgres_urls_to_psycopg():
    for url in ("postgres://u:p@db.example/line", "postgresql://u:p@db.example/line"):
        engine = make_engine(url)
        assert engine.url.drivername == "postgresql+psycopg"
        assert (engine.url.username, engine.url.password, engine.url.host, engine.url.database) == (
            "u", "p", "db.example", "line")
    assert make_engine("postgresql+psycopg://u@h/d").url.drivername == "postgresql+psycopg"


def test_release_steps_at_once_migrate_one_after_the_other(database_url, tmp_path):
    """Two `flask db init` at once (two deploys, say): one creates the tables, the other finds them."""
    start = threading.Barrier(3)
    errors, results = [], []

    def release() -> None:
        try:
            start.wait(timeout=10)
            results.append(upgrade(database_url))
        except Exception as error:
            errors.append(error)

    pool = [threading.Thread(target=release) for _ in range(3)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(len(done) for done in results) == [0, 0, 1]
    store = Store(database_url, SECRET, journal=tmp_path / "journal.txt")
    store.opt_out(NUMBER)
    assert store.is_opted_out(NUMBER)


def test_a_worker_on_a_database_without_tables_starts_and_says_what_to_do(database_url, tmp_path):
    store = Store(database_url, SECRET, journal=tmp_path / "journal.txt")  # touches nothing
    with pytest.raises(Unavailable, match="flask db init"):
        store.is_opted_out(NUMBER)
    [problem] = store.problems()
    assert problem.startswith("database: the database") and problem.endswith("run `flask db init`")
    assert store.opt_out(NUMBER) == "journal"  # kept safe until the tables exist
    upgrade(database_url)
    assert store.problems() == []  # the journal was applied on the way
    assert not store.journal.pending() and store.is_opted_out(NUMBER)


def run_in_threads(target, workers, threads):
    """Run `target` in `threads` threads, each on one of the two workers' stores in turn, and wait for them."""
    pool = [threading.Thread(target=target, args=(workers[i % 2],)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=60)


def test_the_migrations_make_exactly_the_tables_the_code_uses(database_url):
    # Every module that defines a table, as the running line has them (tables live next to their code).
    import_module("app.factory")
    upgrade(database_url)
    engine = make_engine(database_url)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_REVISION
    assert head_revision() == SCHEMA_REVISION
    assert upgrade(database_url) == []  # a second release step changes nothing


def test_tables_made_before_migrations_are_adopted(database_url):
    engine = make_engine(database_url)
    # What the line did at start-up before it had migrations: the tables of revision 0001, as they were then.
    then = MetaData()
    Table("opt_outs", then, Column("number_hash", String(64), primary_key=True),
          Column("opted_out_at", DateTime(timezone=True), nullable=False))
    Table("sms_positions", then, Column("number_hash", String(64), primary_key=True),
          Column("topic", String(80), nullable=False), Column("next_part", Integer, nullable=False),
          Column("updated_at", DateTime(timezone=True), nullable=False))
    Table("usage_counts", then, Column("day", Date, primary_key=True), Column("channel", String(10), primary_key=True),
          Column("node", String(120), primary_key=True), Column("count", Integer, nullable=False))
    then.create_all(engine)
    with engine.begin() as conn:
        conn.execute(opt_outs.insert().values(number_hash="kept", opted_out_at=store_module._now()))
    assert upgrade(database_url) == ["found tables made before migrations; marked them as revision 0001",
                                     f"migrated the database from 0001 to {SCHEMA_REVISION}"]
    with engine.connect() as conn:
        assert conn.execute(select(opt_outs.c.number_hash)).scalars().all() == ["kept"]


def test_sqlite_runs_in_wal_mode_with_a_short_busy_timeout(tmp_path):
    url = f"sqlite:///{tmp_path / 'folder' / 'line.db'}"
    upgrade(url)  # makes the folder too
    with sqlite3.connect(tmp_path / "folder" / "line.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() <= 1000


def test_postgresql_connections_carry_connect_and_statement_timeouts(postgres_url):
    engine = make_engine(postgres_url)
    with engine.connect() as conn:
        assert conn.execute(text("SHOW statement_timeout")).scalar() == "1s"
        assert conn.connection.dbapi_connection.info.get_parameters()["connect_timeout"] == "2"
    assert not engine.pool._pre_ping and engine.pool._recycle == 300  # no round trip on every checkout


def test_a_postgresql_restart_costs_no_request(postgres, postgres_url, tmp_path):
    """Without a pre-ping, pooled connections die with the server; the first call after it is tried again."""
    store = Store(postgres_url, SECRET, journal=tmp_path / "journal.txt")
    upgrade(postgres_url)
    try:
        store.take_text(NUMBER)
        postgres.stop()
        postgres.start()
        assert store.take_text(NUMBER).texts == 2 and store.guard.down_since is None
    finally:
        store.close()


def test_errors_never_show_sql_parameters(store):
    with pytest.raises(IntegrityError) as raised, store.engine.begin() as conn:
        for _ in range(2):
            conn.execute(opt_outs.insert().values(number_hash="secret-hash-value", opted_out_at=store_module._now()))
    assert "hidden due to hide_parameters" in str(raised.value)  # SQLAlchemy's part

    def insert_twice() -> None:
        with store.engine.begin() as conn:
            for _ in range(2):
                conn.execute(opt_outs.insert().values(number_hash="secret-hash-value",
                                                      opted_out_at=store_module._now()))

    with pytest.raises(StoreError) as raised:
        store._call(insert_twice)
    printed = "".join(traceback.format_exception(raised.value))  # what a logged traceback shows
    assert "secret-hash-value" not in printed and ("unique" in printed.lower() or "duplicate" in printed.lower())


def test_counts_are_written_in_the_background_every_few_seconds(new_store):
    store = new_store(flush_every=0.05)
    store.count("voice", Event("reached", "menu:main"))
    deadline = time.monotonic() + 5
    while True:
        with store.engine.connect() as conn:
            if conn.execute(select(usage_counts.c.count)).scalar() == 1:
                break
        assert time.monotonic() < deadline, "the counts were never written"
        time.sleep(0.02)
    assert len(store.usage) == 0


def test_counts_wait_in_memory_while_the_database_refuses_them(store, monkeypatch):
    store.count("voice", Event("reached", "menu:main"))
    store.count("voice", Event("reached", "menu:main"))
    real = store._call
    monkeypatch.setattr(store, "_call", lambda fn, **kw: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        store.flush_counts()
    store.count("voice", Event("reached", "menu:main"))
    monkeypatch.setattr(store, "_call", real)
    assert [count for *_, count in store.counts()] == [3]


# PostgreSQL only: what several machines sharing one database depend on.

def test_stop_survives_a_restart_of_the_whole_app_on_postgresql(make_app, postgres_url, line):
    client = make_app(DATABASE_URL=postgres_url, SMS_OPT_OUT_BY_TWILIO=False).test_client()
    assert send(client, "STOP") == [line.sms.texts["stop"]]
    restarted = make_app(DATABASE_URL=postgres_url, SMS_OPT_OUT_BY_TWILIO=False).test_client()
    assert send(restarted, "MENU") == []
    assert send(restarted, "MENU", number="+15550000000") == [line.sms.texts["menu"]]


def test_concurrent_counts_lose_no_increments_on_postgresql(postgres_url, tmp_path):
    upgrade(postgres_url)
    workers = [Store(postgres_url, SECRET, journal=tmp_path / f"j{i}") for i in range(2)]  # two "processes"
    threads, per_thread = 4, 50
    start = threading.Barrier(threads)
    errors = []

    def hammer(store: Store) -> None:
        try:
            start.wait(timeout=10)
            for i in range(per_thread):
                store.count("sms", Event("reached", "menu"))
                if i % 10 == 0:
                    store.flush_counts()  # batches from both workers meet in the same row
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    run_in_threads(hammer, workers, threads)
    assert not errors
    workers[1].flush_counts()
    [(_, _, _, total)] = workers[0].counts()
    assert total == threads * per_thread


def test_messages_at_once_from_one_number_keep_one_place_on_postgresql(postgres_url, tmp_path):
    upgrade(postgres_url)
    workers = [Store(postgres_url, SECRET, journal=tmp_path / f"j{i}") for i in range(2)]
    threads, per_thread = 6, 20
    start = threading.Barrier(threads)
    errors = []

    def text(store: Store, part: int) -> None:
        try:
            start.wait(timeout=10)
            for _ in range(per_thread):
                store.set_position(NUMBER, ("risks", part))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    pool = [threading.Thread(target=text, args=(workers[i % 2], i)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=60)
    assert not errors, errors[:3]
    assert workers[0].texter(NUMBER).position[0] == "risks"


def test_health_fails_when_a_table_is_missing(make_app, tmp_path):
    app = make_app()
    client = app.test_client()
    assert client.get("/health").status_code == 200
    with sqlite3.connect(tmp_path / "line.db") as conn:
        conn.execute("DROP TABLE sms_positions")
    response = client.get("/health")
    assert response.status_code == 503 and response.get_json()["database"] == "failed"


def test_two_stops_at_once_from_two_workers_on_postgresql(postgres_url, tmp_path):
    """The second STOP's insert waits on the first's uncommitted row, then finds it taken."""
    upgrade(postgres_url)
    store = Store(postgres_url, SECRET, journal=tmp_path / "journal.txt")
    store.set_position(NUMBER, ("risks", 2))
    key = store.number_key(NUMBER)
    errors = []
    other = store.engine.connect()
    first = other.begin()
    other.execute(opt_outs.insert().values(number_hash=key, opted_out_at=store_module._now()))

    def second_stop() -> None:
        try:
            store.opt_out(NUMBER)
        except Exception as error:
            errors.append(error)

    thread = threading.Thread(target=second_stop)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        with store.engine.connect() as watcher:  # wait until the second insert is blocked on the first
            while not watcher.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                           "AND datname = current_database()")).scalar():
                assert time.monotonic() < deadline, "the second STOP never waited on the first"
                watcher.rollback()  # a new snapshot of pg_stat_activity
                time.sleep(0.01)
    finally:
        first.commit()
        other.close()
        thread.join(timeout=30)
    assert not errors, errors
    assert store.is_opted_out(NUMBER) and opted_out_rows(store) == 1
    assert store.texter(NUMBER).position is None
    assert not store.journal.pending()  # the database took it, after the wait


def test_flask_usage_shows_anonymous_counts(make_app):
    app = make_app()
    runner = app.test_cli_runner()
    assert "No calls or messages yet." in runner.invoke(args=["usage"]).output
    client = app.test_client()
    client.post("/voice", data={"CallSid": "CA1"})
    client.post("/sms", data={"From": "+15551112222", "Body": "RISKS"})
    client.post("/sms", data={"From": "+15551113333", "Body": "RISKS"})
    output = runner.invoke(args=["usage"]).output
    assert re.search(r"voice\s+reached\s+menu:main\s+1\n", output)
    assert re.search(r"sms\s+reached\s+topic:risks:1\s+2", output)
    assert "5551112222" not in output


# ----- the reply limit's count, in the texter's row ----------------------------------------

def test_each_text_is_counted_in_its_hour_with_the_opt_out_and_place(store):
    start = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.timezone.utc)
    assert [store.take_text(NUMBER, start + dt.timedelta(minutes=i)).texts for i in range(3)] == [1, 2, 3]
    store.set_position(NUMBER, ("risks", 1))
    taken = store.take_text(NUMBER, start + dt.timedelta(minutes=59))
    assert (taken.opted_out, taken.place, taken.texts) == (False, ("risks", 1), 4)
    store.set_position(NUMBER, None)  # the place goes, the count stays
    assert store.take_text(NUMBER, start + dt.timedelta(minutes=59, seconds=30)).texts == 5
    assert store.take_text(NUMBER, start + dt.timedelta(minutes=61)).texts == 1  # a new hour
    assert store.take_text("+15550000000", start).texts == 1  # each number its own count


def test_an_opted_out_number_is_not_counted_and_stop_keeps_the_count(store):
    store.take_text(NUMBER)
    store.set_position(NUMBER, ("risks", 2))
    store.opt_out(NUMBER)
    taken = store.take_text(NUMBER)
    assert (taken.opted_out, taken.place, taken.texts) == (True, None, 0)
    store.opt_in(NUMBER)
    taken = store.take_text(NUMBER)
    assert (taken.opted_out, taken.place, taken.texts) == (False, None, 2)  # STOP then START resets nothing


def test_texts_at_once_through_two_stores_are_each_counted_once(new_store):
    """Two workers (or machines) on one database: every text from a number gets its own count."""
    workers = [new_store(), new_store()]
    threads, per_thread = 4, 10
    start = threading.Barrier(threads)
    counts: list[int] = []
    errors = []

    def text(store: Store) -> None:
        try:
            start.wait(timeout=10)
            for _ in range(per_thread):
                counts.append(store.take_text(NUMBER).texts)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    run_in_threads(text, workers, threads)
    assert not errors, errors[:3]
    assert sorted(counts) == list(range(1, threads * per_thread + 1))
