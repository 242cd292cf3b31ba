"""The Procfile's own gunicorn command under steady signed load: deploys, crashes and shutdowns lose nothing,
and the reply limit holds across workers and machines.

Each test is bounded (well under a minute): a few client threads send calls (the first request and a
main-menu key), texts and STOPs from their own numbers; then gunicorn's master gets a HUP (a rolling
restart, as platforms deploy), one worker a SIGKILL, or the master a SIGTERM. What must hold: no
error but those a killed worker had in flight, every confirmed STOP in the database (or its journal),
the counts written at shutdown, and one number's flood answered with the limit and one notice.
Marked `deploy` (see pyproject.toml): they run in the normal suite, once each (never per backend
where one shows the point); `-m deploy` runs them alone.
"""

from __future__ import annotations

import http.client
import itertools
import os
import signal
import subprocess
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

import pytest
from serve import Served
from sqlalchemy import func, select

from app.phone import parse_messages
from app.store import Store, opt_outs, upgrade, usage_counts

pytestmark = pytest.mark.deploy

TOKEN = "deploy-test-token"
SECRET = "deploy-secret"
LIMIT = 5


def env_for(url: str, folder, **settings: str) -> dict[str, str]:
    return {"DATABASE_URL": url, "TWILIO_AUTH_TOKEN": TOKEN, "PHONE_HASH_SECRET": SECRET, "LINE_ENV": "production",
            "STOP_JOURNAL": str(folder / "journal.txt"), "SIMULATOR_ENABLED": "", "PUBLIC_BASE_URL": "",
            "SMS_OPT_OUT_BY_TWILIO": "false", "WEB_CONCURRENCY": "2", **settings}


def workers_of(server: Served) -> set[int]:
    """The pids of the gunicorn master's workers."""
    assert server.process is not None
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(server.process.pid)], capture_output=True, text=True)
    return {int(pid) for pid in out.stdout.split()}


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds:g} s"
        time.sleep(0.05)


@dataclass
class Load:
    """What steady load sent and got: errors, STOPs confirmed, texts and calls answered."""

    errors: list[str] = field(default_factory=list)
    stops: list[str] = field(default_factory=list)  # numbers whose STOP was confirmed
    answered: dict[str, int] = field(default_factory=lambda: {"voice": 0, "sms": 0})
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def steady_load(server: Served, threads: int = 3) -> Iterator[Load]:
    """Calls, texts and STOPs (every fourth text) from fresh numbers, until the block ends."""
    load, stopping, numbers = Load(), threading.Event(), itertools.count()

    def client() -> None:
        while not stopping.is_set():
            i = next(numbers)
            number = f"+1303555{i:04d}"
            kind = ("first", "key", "sms", "stop")[i % 4]
            if kind == "first":
                path, params = "/voice", {"From": number, "CallSid": f"CA{i}"}
            elif kind == "key":
                path, params = "/voice/turn?at=main", {"From": number, "CallSid": f"CA{i}", "Digits": "3"}
            else:
                path, params = "/sms", {"From": number, "Body": "STOP" if kind == "stop" else "RISKS",
                                        "MessageSid": f"SM{i}"}
            try:
                status, body = server.post(path, params, TOKEN, timeout=10)
            except (OSError, http.client.HTTPException) as error:  # a killed worker may cut a response short
                status, body = 0, repr(error).encode()
            with load.lock:
                if status != 200 or b"<Response" not in body:
                    load.errors.append(f"{path} {kind}: {status} {body[:80]!r}")
                elif kind == "stop":
                    if parse_messages(body.decode()):  # confirmed: it must never be lost
                        load.stops.append(number)
                else:
                    load.answered["sms" if path == "/sms" else "voice"] += 1

    pool = [threading.Thread(target=client) for _ in range(threads)]
    for thread in pool:
        thread.start()
    try:
        yield load
    finally:
        stopping.set()
        for thread in pool:
            thread.join(timeout=20)


def assert_no_stop_lost(url: str, folder, load: Load) -> None:
    store = Store(url, SECRET, journal=folder / "journal.txt")
    try:
        with store.engine.connect() as conn:
            recorded = set(conn.execute(select(opt_outs.c.number_hash)).scalars()) | store.journal.pending()
    finally:
        store.close()
    lost = [number for number in load.stops if store.number_key(number) not in recorded]
    assert load.stops and not lost, f"{len(lost)} of {len(load.stops)} confirmed STOPs lost"


@pytest.fixture
def sqlite_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'line.db'}"
    upgrade(url)  # the release step
    return url


def test_a_rolling_restart_gives_no_error_and_loses_no_stop(sqlite_line, tmp_path):
    with Served(env_for(sqlite_line, tmp_path)) as server, steady_load(server) as load:
        wait_for(lambda: len(workers_of(server)) == 2, 20, "two workers")
        time.sleep(1)
        before = workers_of(server)
        os.kill(server.process.pid, signal.SIGHUP)  # what a deploy does: new workers, the old ones finish
        wait_for(lambda: len(workers_of(server)) == 2 and not workers_of(server) & before, 30,
                 "the old workers' replacement")
        time.sleep(1)  # and the new ones serve
    assert load.errors == []
    assert load.answered["voice"] > 10 and load.answered["sms"] > 5
    assert_no_stop_lost(sqlite_line, tmp_path, load)


def test_a_killed_worker_fails_at_most_its_request_in_flight_and_is_replaced(sqlite_line, tmp_path):
    with Served(env_for(sqlite_line, tmp_path)) as server, steady_load(server) as load:
        wait_for(lambda: len(workers_of(server)) == 2, 20, "two workers")
        time.sleep(1)
        victim = min(workers_of(server))
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: len(workers_of(server)) == 2 and victim not in workers_of(server), 20,
                 "the master's replacement of the killed worker")
        served_before = sum(load.answered.values())
        wait_for(lambda: sum(load.answered.values()) > served_before + 20, 20, "requests served after the crash")
    # A sync worker serves one request at a time: only that one may fail.
    assert len(load.errors) <= 1, load.errors
    assert_no_stop_lost(sqlite_line, tmp_path, load)


def test_a_shutdown_writes_the_counts_held_in_memory(sqlite_line, tmp_path):
    """SIGTERM (as a platform stops a machine): each worker writes its counts on the way out (atexit)."""
    server = Served(env_for(sqlite_line, tmp_path))
    with server, steady_load(server) as load:
        time.sleep(2)  # well within the 5 s between background writes
    answered = load.answered["sms"]
    store = Store(sqlite_line, SECRET, journal=tmp_path / "journal.txt")
    try:
        with store.engine.connect() as conn:
            counted = conn.execute(select(func.sum(usage_counts.c.count))
                                   .where(usage_counts.c.channel == "sms",
                                          usage_counts.c.node.like("reached|topic:%"))).scalar()
    finally:
        store.close()
    assert answered > 5 and counted == answered


def flood(servers: list[Served], texts: int = 40) -> list[list[str]]:
    """One number texts RISKS `texts` times, spread over the servers and four threads at once; the replies."""
    replies: list[list[str]] = []
    turns = itertools.count()

    def client() -> None:
        while (i := next(turns)) < texts:
            status, body = servers[i % len(servers)].post(
                "/sms", {"From": "+13035550000", "Body": "RISKS", "MessageSid": f"SM{i}"}, TOKEN)
            assert status == 200
            replies.append(parse_messages(body.decode()))

    pool = [threading.Thread(target=client) for _ in range(4)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=60)
    assert len(replies) == texts
    return [reply for reply in replies if reply]


def test_a_flood_gets_the_limit_and_one_notice_from_two_workers_on_one_sqlite_file(sqlite_line, tmp_path, line):
    with Served(env_for(sqlite_line, tmp_path, SMS_REPLIES_PER_HOUR=str(LIMIT))) as server:
        wait_for(lambda: len(workers_of(server)) == 2, 20, "two workers")
        sent = flood([server])
    assert len(sent) == LIMIT + 1, sent  # not 2 x the limit, as when each worker counted for itself
    assert sent.count([line.sms.texts["limit"]]) == 1


def test_a_flood_gets_the_limit_and_one_notice_from_two_web_processes_on_one_postgresql(postgres_url, tmp_path,
                                                                                        line):
    upgrade(postgres_url)
    env = env_for(postgres_url, tmp_path, SMS_REPLIES_PER_HOUR=str(LIMIT), WEB_CONCURRENCY="1")
    with Served(env) as first, Served(env) as second:  # two machines' web processes
        sent = flood([first, second])
    assert len(sent) == LIMIT + 1 and sent.count([line.sms.texts["limit"]]) == 1, sent
