"""The line when its database is locked, stopped, hung or not there yet, and when it is abused.

What must hold: callers hear every topic, and a voice turn without a caller's number never asks the
database; a database found down is not asked again at once; the line comes back by itself; no STOP
is lost or silently dropped; a flood from one number costs a handful of replies. No test here times
anything (timings live in benchmarks/): the deadlines that bound a wait are the store's own.
"""

from __future__ import annotations

import base64
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from serve import Served
from sqlalchemy import create_engine, select

from app.core.reply_limit import ReplyLimit
from app.phone import parse_messages, parse_voice
from app.services import learner, services
from app.store import StoreError, Unavailable, fast, opt_outs, upgrade

NUMBER = "+15551234567"
TOKEN = "fault-test-token"


def store_of(app):
    with app.app_context():
        return services().store


@contextmanager
def database_attempts(store):
    """Records every store call that reached the database (rather than being refused at once as down)."""
    attempts: list[str] = []
    run = store.guard.run

    def recorded(fn, **options):
        def attempt():
            attempts.append(getattr(fn, "__name__", "call"))
            return fn()
        return run(attempt, **options)

    store.guard.run = recorded
    try:
        yield attempts
    finally:
        del store.guard.run


def sms(client, body, number=NUMBER) -> list[str]:
    """The replies to one text."""
    response = client.post("/sms", data={"From": number, "Body": body, "MessageSid": "SMfault"})
    assert response.status_code == 200 and response.mimetype == "text/xml"
    return parse_messages(response.get_data(as_text=True))


def walk_every_topic(client, line, store) -> None:
    """Press through every menu to every topic, as a caller would: every topic is heard, and no turn asks
    the database (a call without a caller's number has nothing to recall), so none can wait on it."""
    heard: set[str] = set()

    def visit(action: str, menu_id: str) -> None:
        for option in line.menus[menu_id].options:
            response = client.post(action, data={"Digits": option.key, "CallSid": "CAfault"})
            assert response.status_code == 200, response.data
            reply = parse_voice(response.get_data(as_text=True))
            if option.kind == "topic":
                assert reply.gather is not None and option.target in reply.gather.action
                heard.add(option.target)
            else:
                visit(reply.gather.action, option.target)

    with database_attempts(store) as attempts:
        greeting = parse_voice(client.post("/voice", data={"CallSid": "CAfault"}).get_data(as_text=True))
        visit(greeting.gather.action, "main")
    assert heard == set(line.topics), "some topics could not be reached"
    assert attempts == [], f"voice turns asked the database: {attempts}"


def health(client) -> tuple[int, dict]:
    response = client.get("/health")
    return response.status_code, response.get_json()


def wait_for_health(client, seconds: float = 15) -> dict:
    """Poll /health until it says 200 by itself (giving up after `seconds`, rather than hanging); the body."""
    deadline = time.monotonic() + seconds
    while True:
        status, body = health(client)
        if status == 200:
            return body
        assert time.monotonic() < deadline, f"/health still says {status}: {body['problems']}"
        time.sleep(0.2)


def opted_out_in_database(url: str, app) -> set[str]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return set(conn.execute(select(opt_outs.c.number_hash)).scalars())
    finally:
        engine.dispose()


# ----- a held SQLite lock ----------------------------------------------------------------

@contextmanager
def sqlite_held(path: Path):
    """Another connection holding the file in a transaction, as a backup or an open `sqlite3` shell would."""
    other = sqlite3.connect(path, isolation_level=None, timeout=0.1)
    other.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_held_sqlite_lock_costs_callers_nothing_and_loses_no_stop(make_app, tmp_path, line):
    app = make_app(SMS_OPT_OUT_BY_TWILIO=False)
    client = app.test_client()
    store = store_of(app)
    assert sms(client, "MENU", number="+15550000001") == [line.sms.texts["menu"]]  # the pool is open
    with sqlite_held(tmp_path / "line.db"):
        walk_every_topic(client, line, store)
        assert sms(client, "STOP") == [line.sms.texts["stop"]]  # after SQLite's busy timeout, into the journal
        assert store.journal.pending() == {store.number_key(NUMBER)}
        assert sms(client, "RISKS") == []  # the journal is consulted before any reply
        status, body = health(client)
        assert status == 503
        assert any("locked" in problem for problem in body["problems"])
    body = wait_for_health(client)  # applies the journal once the lock is gone
    assert body["problems"] == [] and not store.journal.pending()
    assert store.number_key(NUMBER) in opted_out_in_database(app.config["DATABASE_URL"], app)
    assert sms(client, "RISKS") == []


def test_counts_taken_during_a_held_lock_are_written_after_it(make_app, tmp_path):
    app = make_app()
    client = app.test_client()
    store = store_of(app)
    with sqlite_held(tmp_path / "line.db"):
        client.post("/voice", data={"CallSid": "CA1"})
        with pytest.raises(StoreError, match="locked"):
            store.flush_counts()
    assert [(node, count) for _, _, node, count in store.counts()] == [("call|", 1), ("reached|menu:main", 1)]


def test_learning_a_phrase_goes_through_the_stores_deadline(make_app):
    """A phrase is learned on a call's path: like every other store call, it has the store's deadline."""
    app = make_app(LEARN_PHRASES=True)
    with app.app_context():
        store = services().store
        with database_attempts(store) as attempts:
            learner().note("purple elephant umbrella", NUMBER)
            learner().phrases()
    assert len(attempts) == 2  # the note and the list, each one guarded call


# ----- PostgreSQL stopped and hung ---------------------------------------------------------

@pytest.fixture
def pg_app(make_app, postgres_url):
    def build(**overrides):
        return make_app(DATABASE_URL=postgres_url, SMS_OPT_OUT_BY_TWILIO=False, DATABASE_TIMEOUT=1.0, **overrides)

    return build


@pytest.mark.parametrize("fault", ["stopped", "hung"])
def test_postgresql_stopped_or_hung(pg_app, postgres, postgres_url, line, fault):
    app = pg_app()
    client = app.test_client()
    store = store_of(app)
    numbers = [f"+1555000{i:04d}" for i in range(12)]
    for number in numbers[:4]:  # before: recorded in the database
        assert sms(client, "STOP", number) == [line.sms.texts["stop"]]
    # On a busy machine a first call may pass the 1 s deadline and journal its STOP: it is in the database
    # once /health has said 200 (which applies the journal), so the journal is empty when the fault begins.
    wait_for_health(client)
    assert not store.journal.pending()
    (postgres.stop if fault == "stopped" else postgres.pause)()
    try:
        walk_every_topic(client, line, store)
        for number in numbers[4:8]:  # during: every one confirmed, because every one is in the journal
            assert sms(client, "STOP", number) == [line.sms.texts["stop"]]
        assert len(store.journal.pending()) == 4
        assert sms(client, "MENU", numbers[5]) == []  # a journaled STOP is honoured at once
        assert sms(client, "START", numbers[6]) == [line.sms.texts["start_failed"]]  # never a false restart
        status, body = health(client)
        assert status == 503 and body["database"] == "failed"
        walk_every_topic(client, line, store)
    finally:
        (postgres.start if fault == "stopped" else postgres.resume)()
    wait_for_health(client)
    for number in numbers[8:]:  # after
        assert sms(client, "STOP", number) == [line.sms.texts["stop"]]
    assert opted_out_in_database(postgres_url, app) == {store.number_key(n) for n in numbers}
    assert not store.journal.pending()
    assert sms(client, "START", numbers[6]) == [line.sms.texts["start"]]  # now it can be done


def test_a_hung_postgresql_is_waited_on_once_not_by_every_text(pg_app, postgres, line, monkeypatch):
    """After the first call finds the database hung (its deadline passed), the others fail at once rather
    than each waiting: only the first text's call reaches the database."""
    monkeypatch.setattr("app.store.guard.RETRY_AFTER", 600.0)  # no retry within this test, however slow the machine
    app = pg_app()
    client = app.test_client()
    store = store_of(app)
    assert sms(client, "MENU") == [line.sms.texts["menu"]]
    postgres.pause()
    try:
        with database_attempts(store) as attempts:
            sms(client, "RISKS", "+15551110000")
            first = len(attempts)
            for i in range(1, 10):
                sms(client, "RISKS", f"+1555111{i:04d}")
    finally:
        postgres.resume()
    assert first == 1 and len(attempts) == 1, attempts
    assert store.guard.down_since is not None


def test_a_texts_statement_runs_in_the_requests_thread_and_a_hung_server_still_ends_it(pg_app, postgres, line,
                                                                                      monkeypatch):
    """The statement every text runs is not handed to another thread (that cost more than the statement); the
    watchdog keeps its deadline by shutting the connection's socket, and a new connection is used afterwards."""
    monkeypatch.setattr("app.store.guard.RETRY_AFTER", 0.0)
    app = pg_app()
    client = app.test_client()
    store = store_of(app)
    assert sms(client, "MENU") == [line.sms.texts["menu"]]
    threads, real = [], fast.run
    monkeypatch.setattr(fast, "run", lambda *args, **kw: (threads.append(threading.get_ident()), real(*args, **kw))[1])
    assert sms(client, "RISKS", "+15551110000")
    assert threads == [threading.get_ident()]
    postgres.pause()
    try:
        with pytest.raises(Unavailable):
            store.take_text("+15551110001")
    finally:
        postgres.resume()
    assert store.take_text("+15551110002").texts == 1  # on a new connection


# ----- starting without the database ------------------------------------------------------

def test_a_worker_starts_while_postgresql_is_down_and_recovers_by_itself(pg_app, postgres, postgres_url, line):
    upgrade(postgres_url)
    postgres.stop()
    try:
        app = pg_app(migrate=False)  # create_app touches no database
        client = app.test_client()
        walk_every_topic(client, line, store_of(app))
        assert health(client)[0] == 503
        assert sms(client, "STOP") == [line.sms.texts["stop"]]
    finally:
        postgres.start()
    wait_for_health(client)
    assert store_of(app).number_key(NUMBER) in opted_out_in_database(postgres_url, app)


def test_a_worker_starts_before_the_release_step_and_works_once_it_ran(make_app, tmp_path, line):
    url = f"sqlite:///{tmp_path / 'not-yet' / 'line.db'}"
    app = make_app(DATABASE_URL=url, migrate=False, SMS_OPT_OUT_BY_TWILIO=False)
    client = app.test_client()
    walk_every_topic(client, line, store_of(app))
    status, body = health(client)
    assert status == 503 and "flask db init" in body["problems"][0]
    assert sms(client, "STOP") == [line.sms.texts["stop"]]  # into the journal
    upgrade(url)  # the release step
    wait_for_health(client)
    assert sms(client, "MENU") == []
    assert sms(client, "MENU", number="+15550009999") == [line.sms.texts["menu"]]


def test_gunicorn_boots_with_postgresql_down_and_comes_back_by_itself(postgres, postgres_url, tmp_path):
    """The Procfile's own command: the master and its workers stay up, voice works, /health follows the database."""
    upgrade(postgres_url)
    env = {"DATABASE_URL": postgres_url, "TWILIO_AUTH_TOKEN": TOKEN, "PHONE_HASH_SECRET": "fault-secret",
           "LINE_ENV": "production", "STOP_JOURNAL": str(tmp_path / "journal.txt"), "WEB_CONCURRENCY": "2",
           "SIMULATOR_ENABLED": "", "PUBLIC_BASE_URL": ""}
    postgres.stop()
    try:
        with Served(env) as server:
            for _ in range(6):  # both workers up (the first answer may come while the second still loads)
                assert server.post("/voice", {"CallSid": "CA0"}, TOKEN)[0] == 200
            status, body = server.post("/voice", {"CallSid": "CA1"}, TOKEN)
            assert status == 200 and b"<Gather" in body
            assert server.get("/health")[0] == 503
            status, body = server.post("/sms", {"From": NUMBER, "Body": "STOP", "MessageSid": "SM1"}, TOKEN)
            assert status == 200 and b"<Response" in body
            postgres.start()
            deadline = time.monotonic() + 15
            while server.get("/health")[0] != 200:
                assert time.monotonic() < deadline, "gunicorn's workers never saw the database come back"
                time.sleep(0.2)
            assert server.post("/voice", {"CallSid": "CA2"}, TOKEN)[0] == 200
    finally:
        if not postgres.running:
            postgres.start()


# ----- health that tells the truth ---------------------------------------------------------

def test_health_fails_when_the_sqlite_folder_is_deleted(make_app, tmp_path, line):
    folder = tmp_path / "data"
    url = f"sqlite:///{folder / 'line.db'}"
    app = make_app(DATABASE_URL=url, SMS_OPT_OUT_BY_TWILIO=False)
    client = app.test_client()
    assert health(client)[0] == 200
    for file in folder.iterdir():
        file.unlink()
    folder.rmdir()
    status, body = health(client)
    assert status == 503 and "line.db is gone" in body["problems"][0]
    assert sms(client, "STOP") == [line.sms.texts["stop"]]  # the journal took it: not a silent success
    assert store_of(app).journal.pending()


def test_health_fails_when_the_sqlite_folder_is_read_only(make_app, tmp_path, monkeypatch):
    app = make_app()
    client = app.test_client()
    assert health(client)[0] == 200
    real = __import__("os").access
    # Root may write anywhere, so the tests cannot make a folder read-only for themselves: stand in for it.
    monkeypatch.setattr("app.store.database.os.access", lambda path, mode: False if Path(path) == tmp_path
                        else real(path, mode))
    status, body = health(client)
    assert status == 503 and "read-only" in body["problems"][0]


# ----- abuse and cost ----------------------------------------------------------------------

def test_a_flood_from_one_number_costs_a_handful_of_replies(make_app, line):
    client = make_app(SMS_OPT_OUT_BY_TWILIO=False, SMS_REPLIES_PER_HOUR=5).test_client()
    replies = [sms(client, "RISKS") for _ in range(300)]
    sent = [reply for reply in replies if reply]
    assert len(sent) == 6 and sent[-1] == [line.sms.texts["limit"]]  # five answers, then one notice
    assert sms(client, "HELP") == [line.sms.texts["help"]]  # HELP, STOP and START always work
    assert sms(client, "STOP") == [line.sms.texts["stop"]]
    assert sms(client, "START") == [line.sms.texts["start"]]
    assert sms(client, "RISKS") == []  # still over the limit
    assert sms(client, "RISKS", number="+15550000002") != []  # others are not affected


def test_the_default_limit_is_twenty_replies_an_hour(make_app):
    client = make_app().test_client()
    assert sum(1 for _ in range(60) if sms(client, "MENU")) == 21  # twenty and the notice


def test_the_reply_limit_frees_up_as_the_hour_passes():
    now = [0.0]
    limit = ReplyLimit(3, clock=lambda: now[0])

    def take_at(*times: float) -> list[str]:
        verdicts = []
        for moment in times:
            now[0] = moment
            verdicts.append(limit.take("a"))
        return verdicts

    assert take_at(0, 1, 2, 3, 4) == ["reply", "reply", "reply", "notice", "silent"]
    assert limit.take("b") == "reply"  # each number has its own count
    assert take_at(3599) == ["silent"]
    assert take_at(3600.5, 3600.6) == ["reply", "silent"]  # the first reply is an hour old: one more, no new notice
    assert take_at(7300, 7301, 7302, 7303, 7304) == ["reply", "reply", "reply", "notice", "silent"]
    assert ReplyLimit(0).take("a") == "reply"  # 0: no limit


def basic(password: str, user: str = "editor") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_outside_development_the_simulator_needs_its_password(make_app):
    with pytest.raises(ValueError, match="SIMULATOR_PASSWORD"):
        make_app(LINE_ENV="production", TWILIO_AUTH_TOKEN=TOKEN, SIMULATOR_ENABLED=True)
    app = make_app(LINE_ENV="production", TWILIO_AUTH_TOKEN=TOKEN, SIMULATOR_ENABLED=True,
                   SIMULATOR_PASSWORD="open sesame")
    client = app.test_client()
    for path in ("/simulator", "/simulator/static/simulator.js"):
        refused = client.get(path)
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Basic")
        assert client.get(path, headers=basic("wrong")).status_code == 401
        assert client.get(path, headers=basic("open sesame")).status_code == 200
    text = {"from": NUMBER, "body": "STOP"}
    assert client.post("/simulator/api/text", json=text).status_code == 401
    assert client.post("/simulator/api/text", json=text, headers=basic("open sesame")).status_code == 200
    assert not store_of(app).journal.pending() and store_of(app).is_opted_out(NUMBER)


def test_in_development_the_simulator_is_open_unless_a_password_is_set(make_app):
    assert make_app().test_client().get("/simulator").status_code == 200
    guarded = make_app(SIMULATOR_PASSWORD="pw").test_client()
    assert guarded.get("/simulator").status_code == 401
