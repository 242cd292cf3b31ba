"""The sender drives the real twilio.rest.Client against a local stand-in of Twilio's Messages endpoint."""

from __future__ import annotations

import datetime as dt
import socket
import threading

import pytest
from sqlalchemy import select
from twilio_api import ACCOUNT_SID, AUTH_TOKEN, running

from app import sender as sender_module
from app.sender import Sender, backoff, make_client
from app.store import Store, upgrade
from app.store.outbox import Message, Outbox, outbox

NUMBER = "+15551234567"
LINE = "+15550001111"
LATER = dt.timedelta(hours=2)


@pytest.fixture
def twilio():
    with running() as state:
        yield state


@pytest.fixture
def box(tmp_path):
    url = f"sqlite:///{tmp_path / 'line.db'}"
    upgrade(url)
    store = Store(url, "test-secret", journal=tmp_path / "journal.txt")
    yield Outbox(store)
    store.close()


def sender_for(box: Outbox, url: str, **options) -> Sender:
    return Sender(box, make_client(ACCOUNT_SID, AUTH_TOKEN, url), **options)


def rows(box: Outbox) -> list[tuple]:
    with box.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(outbox.c.status, outbox.c.attempts, outbox.c.error_code,
                                                      outbox.c.to_number).order_by(outbox.c.id))]


def test_messages_reach_twilio_in_order_from_the_number_called(box, twilio):
    box.enqueue(NUMBER, [Message("topic:risks:1", "First."), Message("topic:risks:2", "Second.")], LINE)
    tally = sender_for(box, twilio.url).send_due()
    assert (tally.sent, tally.handled) == (2, 2)
    assert [(m["To"], m["From"], m["Body"]) for m in twilio.accepted] == [(NUMBER, LINE, "First."),
                                                                           (NUMBER, LINE, "Second.")]
    assert rows(box) == [("sent", 1, None, None), ("sent", 1, None, None)]
    assert all(row.status == "sent" for row in box.rows())
    assert sender_for(box, twilio.url).send_due().handled == 0  # nothing is sent twice


def test_sms_from_number_wins_and_the_status_callback_is_asked_for(box, twilio):
    box.enqueue(NUMBER, [Message("menu", "The list.")], LINE)
    sender_for(box, twilio.url, from_number="+15559990000",
               status_callback="https://line.example/sms/status").send_due()
    [sent] = twilio.accepted
    assert sent["From"] == "+15559990000" and sent["StatusCallback"] == "https://line.example/sms/status"


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_temporary_error_is_tried_again_later(box, twilio, status):
    box.enqueue(NUMBER, [Message("menu", "The list.")], LINE)
    twilio.fail_next(1, status)
    sender = sender_for(box, twilio.url)
    assert sender.send_due().retry == 1
    assert rows(box)[0][:3] == ("queued", 1, {429: 20429, 500: 20500, 503: 20503}[status])
    assert sender.send_due().handled == 0  # not due yet: back-off
    assert sender.send_due(at=sender_module.now() + LATER).sent == 1
    assert twilio.bodies_to(NUMBER) == ["The list."]


def test_a_temporary_error_gives_up_after_the_last_attempt(box, twilio):
    box.enqueue(NUMBER, [Message("menu", "The list.")], LINE)
    twilio.fail_next(3, 503)
    sender = sender_for(box, twilio.url, max_attempts=3)
    moment = sender_module.now()
    for _ in range(3):
        sender.send_due(at=moment)
        moment += LATER
    assert rows(box) == [("failed", 3, 20503, None)]
    assert sender.send_due(at=moment).handled == 0 and twilio.accepted == []


@pytest.mark.parametrize("number, code", [("+15005550001", 21211), ("+15005550009", 21614)])
def test_a_permanent_error_gives_up_at_once(box, twilio, number, code):
    box.enqueue(number, [Message("topic:risks:1", "The list."), Message("topic:risks:2", "Again.")], LINE)
    tally = sender_for(box, twilio.url).send_due()
    assert tally.failed == 2 and twilio.requests == 2
    assert rows(box) == [("failed", 1, code, None), ("failed", 1, code, None)]
    assert sender_for(box, twilio.url).send_due(at=sender_module.now() + LATER).handled == 0


def test_an_unsubscribed_number_is_recorded_as_opted_out(box, twilio):
    number = "+15005550004"
    box.enqueue(number, [Message("topic:risks:1", "One."), Message("topic:risks:2", "Two.")], LINE)
    tally = sender_for(box, twilio.url, batch=1).send_due()
    assert tally.opt_outs == 1 and twilio.requests == 1  # the second is cancelled, never tried
    assert box.store.is_opted_out(number)
    assert [r[0] for r in rows(box)] == ["failed", "cancelled"]


def test_wrong_credentials_keep_the_message_for_later(box, twilio):
    box.enqueue(NUMBER, [Message("menu", "The list.")], LINE)
    wrong = Sender(box, make_client(ACCOUNT_SID, "not-the-token", twilio.url))
    assert wrong.send_due().retry == 1
    assert rows(box)[0][:3] == ("queued", 1, 20003)


def test_twilio_unreachable_is_tried_again(box):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    box.enqueue(NUMBER, [Message("menu", "The list.")], LINE)
    assert sender_for(box, closed).send_due().retry == 1
    assert rows(box)[0][:2] == ("queued", 1) and rows(box)[0][3] == NUMBER


def test_an_answer_that_never_comes_is_not_sent_again(box, twilio, monkeypatch):
    """The request reached Twilio but the answer timed out: it may have gone out, so no second try."""
    monkeypatch.setattr(sender_module, "SEND_TIMEOUT_SECONDS", 0.3)
    twilio.delay = 1.0
    box.enqueue(NUMBER, [Message("menu", "The list.")], LINE)
    assert sender_for(box, twilio.url).send_due().unknown == 1
    twilio.delay = 0
    assert sender_for(box, twilio.url).send_due(at=sender_module.now() + LATER).handled == 0
    assert rows(box) == [("unknown", 1, None, None)]


def test_without_a_client_messages_stay_in_the_outbox(box):
    box.enqueue(NUMBER, [Message("menu", "The list.")], LINE)
    assert Sender(box, None).send_due().handled == 0
    assert rows(box)[0][0] == "queued"


def test_backoff_doubles_up_to_an_hour():
    assert backoff(1, jitter=1.0) == dt.timedelta(seconds=30)
    assert backoff(3, jitter=1.0) == dt.timedelta(seconds=120)
    assert backoff(20, jitter=1.0) == dt.timedelta(hours=1)
    assert dt.timedelta(seconds=24) <= backoff(1) <= dt.timedelta(seconds=36)


def test_the_worker_loop_sends_then_stops_when_asked(box, twilio):
    box.enqueue(NUMBER, [Message("menu", "The list.")], LINE)
    stop = threading.Event()
    worker = threading.Thread(target=sender_for(box, twilio.url).run, args=(stop, 0.05))
    worker.start()
    try:
        for _ in range(200):
            if twilio.accepted:
                break
            stop.wait(0.02)
        box.enqueue(NUMBER, [Message("menu", "Later.")], LINE)  # picked up by the next pass
        for _ in range(200):
            if len(twilio.accepted) == 2:
                break
            stop.wait(0.02)
    finally:
        stop.set()
        worker.join(timeout=10)
    assert not worker.is_alive()
    assert twilio.bodies_to(NUMBER) == ["The list.", "Later."]


def test_two_senders_racing_on_postgresql_send_each_message_once(postgres_url, twilio, tmp_path):
    """Two worker processes (two Stores, two pools, two Twilio clients) on one PostgreSQL database."""
    upgrade(postgres_url)
    boxes = [Outbox(Store(postgres_url, "test-secret", journal=tmp_path / f"j{i}")) for i in range(2)]
    numbers = [f"+1555000{index:04d}" for index in range(80)]
    for number in numbers:
        boxes[0].enqueue(number, [Message("menu", f"For {number}.")], LINE)
    senders = [sender_for(b, twilio.url, batch=4) for b in boxes]
    start = threading.Barrier(2)
    tallies, errors = [], []

    def work(sender: Sender) -> None:
        try:
            start.wait(timeout=10)
            tallies.append(sender.send_due())
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(s,)) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sorted(m["To"] for m in twilio.accepted) == sorted(numbers)  # each exactly once
    assert sum(t.sent for t in tallies) == 80 and all(t.sent for t in tallies)  # both did work


def test_a_stop_still_in_the_journal_cancels_the_send(box, twilio):
    """A STOP the database could not take yet waits in the journal: the sender honours it too."""
    box.enqueue(NUMBER, [Message("menu", "The list.")], LINE)
    box.store.journal.append(box.store.number_key(NUMBER))
    assert sender_for(box, twilio.url).send_due().handled == 1
    assert twilio.requests == 0 and rows(box)[0][0] == "cancelled"
