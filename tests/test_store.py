"""The store on both databases the contract promises: a SQLite file, and PostgreSQL.

Every test here that takes database_url runs twice, once per backend, each on a fresh database.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import threading
import time

import pytest
from sqlalchemy import inspect, select, text

from app import store as store_module
from app.store import Store, make_engine, opt_outs
from helpers import send

NUMBER = "+15551234567"
SECRET = "test-secret"


@pytest.fixture
def store(database_url):
    return Store(database_url, SECRET)


def dump(store: Store) -> str:
    """Every row of every table, as text: what a leaked database would show."""
    with store.engine.connect() as conn:
        tables = inspect(conn).get_table_names()
        assert {"opt_outs", "sms_positions", "usage_counts"} <= set(tables)
        return " ".join(str(row) for table in tables for row in conn.execute(text(f"SELECT * FROM {table}")))


def test_opt_out_then_opt_in(store):
    assert not store.is_opted_out(NUMBER)
    store.opt_out(NUMBER)
    assert store.is_opted_out(NUMBER)
    assert not store.is_opted_out("+15550000000")
    assert store.opt_out_total() == 1
    store.opt_in(NUMBER)
    assert not store.is_opted_out(NUMBER)
    assert store.opt_out_total() == 0
    store.opt_in(NUMBER)  # START without a STOP: nothing to forget, no error


def test_a_second_stop_changes_nothing(store):
    store.opt_out(NUMBER)
    with store.engine.connect() as conn:
        first = conn.execute(select(opt_outs.c.opted_out_at)).scalar_one()
    store.opt_out(NUMBER)
    assert store.is_opted_out(NUMBER) and store.opt_out_total() == 1
    with store.engine.connect() as conn:
        assert conn.execute(select(opt_outs.c.opted_out_at)).scalar_one() == first


def test_stop_forgets_the_texters_place(store):
    store.set_position(NUMBER, ("risks", 2))
    store.opt_out(NUMBER)
    assert store.position(NUMBER) is None


def test_positions_are_set_replaced_and_cleared(store):
    assert store.position(NUMBER) is None
    store.set_position(NUMBER, ("risks", 1))
    store.set_position("+15550000000", ("find-a-trial", 3))
    assert store.position(NUMBER) == ("risks", 1)
    store.set_position(NUMBER, ("what-is-car-t", 2))
    assert store.position(NUMBER) == ("what-is-car-t", 2)
    store.set_position(NUMBER, None)
    assert store.position(NUMBER) is None
    store.set_position(NUMBER, None)  # clearing twice is fine
    assert store.position("+15550000000") == ("find-a-trial", 3)


def test_usage_counts_add_up_per_day_channel_and_node(store, monkeypatch):
    today = dt.datetime(2024, 5, 2, 23, 59, tzinfo=dt.timezone.utc)
    yesterday = today - dt.timedelta(days=1)
    monkeypatch.setattr(store_module, "_now", lambda: yesterday)
    store.count("voice", "menu")
    monkeypatch.setattr(store_module, "_now", lambda: today)
    store.count("sms", "topic:risks:1")
    store.count("sms", "menu")
    store.count("sms", "menu")  # the same node twice: one row, counted two
    store.count("voice", "menu")  # the same node on another channel: its own row
    store.count("sms", "x" * 300)  # long node names are cut to fit, not refused
    assert store.counts() == [
        (today.date(), "sms", "menu", 2),
        (today.date(), "voice", "menu", 1),
        (today.date(), "sms", "topic:risks:1", 1),
        (today.date(), "sms", "x" * 120, 1),
        (yesterday.date(), "voice", "menu", 1),
    ]


def test_ping_succeeds_on_a_good_database_and_raises_on_a_broken_one(store):
    assert store.ping() is True
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE sms_positions"))
    with pytest.raises(Exception, match="sms_positions"):
        store.ping()


def test_number_key_is_a_keyed_hash_of_the_number(store, database_url):
    key = store.number_key(NUMBER)
    assert len(key) == 64 and int(key, 16) >= 0
    assert store.number_key("+1 (555) 123-4567") == key
    assert store.number_key(" +1.555.123.4567 ") == key
    assert store.number_key("+15550000000") != key
    other = Store(database_url, "another-secret")
    assert other.number_key(NUMBER) != key
    store.opt_out(NUMBER)
    assert not other.is_opted_out(NUMBER)  # the secret is part of the key: lost secret, lost opt-outs


def test_the_raw_number_is_in_no_table(store):
    store.opt_out("+1 (555) 123-4567")
    store.set_position("+15557654321", ("risks", 1))
    store.count("sms", "topic:risks:1")
    assert store.is_opted_out(NUMBER)
    rows = dump(store)
    for digits in ("5551234567", "555) 123", "123-4567", "7654321"):
        assert digits not in rows
    assert store.number_key(NUMBER) in rows  # only the hash


def test_two_workers_on_one_database_see_each_others_opt_outs(database_url):
    first, second = Store(database_url, SECRET), Store(database_url, SECRET)
    first.opt_out(NUMBER)
    assert second.is_opted_out(NUMBER)
    second.opt_in(NUMBER)
    assert not first.is_opted_out(NUMBER)
    second.set_position(NUMBER, ("risks", 2))
    assert first.position(NUMBER) == ("risks", 2)


def test_make_engine_maps_postgres_urls_to_psycopg():
    for url in ("postgres://u:p@db.example/line", "postgresql://u:p@db.example/line"):
        engine = make_engine(url)
        assert engine.url.drivername == "postgresql+psycopg"
        assert (engine.url.username, engine.url.password, engine.url.host, engine.url.database) == (
            "u", "p", "db.example", "line")
    assert make_engine("postgresql+psycopg://u@h/d").url.drivername == "postgresql+psycopg"


def test_workers_starting_together_on_an_empty_database(database_url):
    """gunicorn starts its workers at once; each builds the app, and so creates the tables."""
    start = threading.Barrier(4)
    errors, stores = [], []

    def boot() -> None:
        try:
            start.wait(timeout=10)
            stores.append(Store(database_url, SECRET))
        except Exception as error:
            errors.append(error)

    pool = [threading.Thread(target=boot) for _ in range(4)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=60)
    assert not errors, errors
    stores[0].opt_out(NUMBER)
    assert all(store.is_opted_out(NUMBER) for store in stores)


# PostgreSQL only: what several machines sharing one database depend on.

def test_stop_survives_a_restart_of_the_whole_app_on_postgresql(make_app, postgres_url, line):
    client = make_app(DATABASE_URL=postgres_url, SMS_OPT_OUT_BY_TWILIO=False).test_client()
    assert send(client, "STOP") == [line.sms.texts["stop"]]
    restarted = make_app(DATABASE_URL=postgres_url, SMS_OPT_OUT_BY_TWILIO=False).test_client()
    assert send(restarted, "MENU") == []
    assert send(restarted, "MENU", number="+15550000000") == [line.sms.texts["menu"]]


def test_concurrent_counts_lose_no_increments_on_postgresql(postgres_url):
    workers = [Store(postgres_url, SECRET) for _ in range(2)]  # two "processes", two pools
    threads, per_thread = 4, 50
    start = threading.Barrier(threads)
    errors = []

    def hammer(store: Store) -> None:
        try:
            start.wait(timeout=10)
            for _ in range(per_thread):
                store.count("sms", "menu")
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    pool = [threading.Thread(target=hammer, args=(workers[i % 2],)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=60)
    assert not errors
    [(_, _, _, total)] = workers[0].counts()
    assert total == threads * per_thread


def test_messages_at_once_from_one_number_keep_one_place_on_postgresql(postgres_url):
    workers = [Store(postgres_url, SECRET) for _ in range(2)]
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
    assert workers[0].position(NUMBER)[0] == "risks"


def test_health_fails_when_a_table_is_missing(make_app, tmp_path):
    app = make_app()
    client = app.test_client()
    assert client.get("/health").status_code == 200
    with sqlite3.connect(tmp_path / "line.db") as conn:
        conn.execute("DROP TABLE sms_positions")
    response = client.get("/health")
    assert response.status_code == 503 and response.get_json()["database"] == "failed"


def test_two_stops_at_once_from_two_workers_on_postgresql(postgres_url):
    """The second STOP's insert waits on the first's uncommitted row, then finds it taken."""
    store = Store(postgres_url, SECRET)
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
                time.sleep(0.01)
    finally:
        first.commit()
        other.close()
        thread.join(timeout=30)
    assert not errors, errors
    assert store.is_opted_out(NUMBER) and store.opt_out_total() == 1
    assert store.position(NUMBER) is None


def test_flask_usage_shows_anonymous_counts(make_app):
    app = make_app()
    runner = app.test_cli_runner()
    assert "No calls or messages yet." in runner.invoke(args=["usage"]).output
    client = app.test_client()
    client.post("/voice", data={"CallSid": "CA1"})
    client.post("/sms", data={"From": "+15551112222", "Body": "RISKS"})
    client.post("/sms", data={"From": "+15551113333", "Body": "RISKS"})
    output = runner.invoke(args=["usage"]).output
    assert re.search(r"voice\s+menu:main\s+1\n", output)
    assert re.search(r"sms\s+topic:risks:1\s+2", output)
    assert "5551112222" not in output
