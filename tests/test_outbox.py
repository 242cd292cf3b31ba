"""The outbox and the callers' memory on both databases: queue, claim, settle, expire, forget.

Every test that takes database_url runs on a SQLite file and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import select, text

from app.store.callers import CallerMemory, forget, purge
from app.store.outbox import GIVE_UP_AFTER, LEASE, Message, Outbox, mask, outbox

NUMBER = "+15551234567"
OTHER = "+15557654321"
LINE = "+15550001111"
T0 = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.timezone.utc)


def messages(count: int, kind: str = "topic:risks") -> list[Message]:
    return [Message(f"{kind}:{i + 1}", f"Message {i + 1} of {count}.") for i in range(count)]


def test_queued_messages_are_claimed_in_order_once(store):
    box = Outbox(store)
    box.enqueue(NUMBER, messages(3), LINE, at=T0)
    first = box.claim(2, at=T0)
    assert [(m.body, m.to_number, m.from_number, m.attempts) for m in first] == [
        ("Message 1 of 3.", NUMBER, LINE, 1), ("Message 2 of 3.", NUMBER, LINE, 1)]
    assert [m.body for m in box.claim(10, at=T0)] == ["Message 3 of 3."]
    assert box.claim(10, at=T0) == []  # claimed messages are not claimed again


def test_a_message_is_due_only_at_its_time(store):
    box = Outbox(store)
    box.enqueue(NUMBER, messages(1), at=T0)
    [claimed] = box.claim(at=T0)
    box.retry(claimed.id, T0 + dt.timedelta(minutes=1), 20503, at=T0)
    assert box.claim(at=T0 + dt.timedelta(seconds=59)) == []
    [again] = box.claim(at=T0 + dt.timedelta(minutes=1))
    assert again.id == claimed.id and again.attempts == 2


def test_a_sent_message_keeps_the_sid_and_forgets_the_number(store):
    box = Outbox(store)
    box.enqueue(NUMBER, messages(1), at=T0)
    [claimed] = box.claim(at=T0)
    assert box.sent(claimed.id, "SM123")
    with store.engine.connect() as conn:
        row = conn.execute(select(outbox)).one()
    assert (row.status, row.twilio_sid, row.to_number) == ("sent", "SM123", None)
    assert row.number_hash == store.number_key(NUMBER)
    assert box.rows()[0].number == f"#{row.number_hash[:8]}"


def test_an_opted_out_number_gets_nothing(store):
    box = Outbox(store)
    box.enqueue(NUMBER, messages(2), at=T0)
    box.enqueue(OTHER, messages(1), at=T0)
    store.opt_out(NUMBER)  # after queueing, before the sender gets to it
    assert [m.to_number for m in box.claim(at=T0)] == [OTHER]
    assert box.totals() == {"cancelled": 2, "sending": 1}


def test_a_claim_left_by_a_stopped_sender_is_never_sent_again(store):
    box = Outbox(store)
    box.enqueue(NUMBER, messages(1), at=T0)
    box.claim(at=T0)  # this sender dies before it can record the outcome
    assert Outbox(store).claim(at=T0 + LEASE * 2) == []
    assert box.give_up_stale(at=T0 + LEASE * 2) == (1, 0)
    assert box.totals() == {"unknown": 1}
    assert Outbox(store).claim(at=T0 + LEASE * 3) == []


def test_a_message_never_sent_for_a_day_is_given_up(store):
    box = Outbox(store)
    box.enqueue(NUMBER, messages(1), at=T0)
    assert box.give_up_stale(at=T0 + GIVE_UP_AFTER - dt.timedelta(minutes=1)) == (0, 0)
    assert box.give_up_stale(at=T0 + GIVE_UP_AFTER + dt.timedelta(minutes=1)) == (0, 1)
    with store.engine.connect() as conn:
        assert conn.execute(select(outbox.c.status, outbox.c.to_number)).one() == ("failed", None)


def test_status_callbacks_move_forward_only(store):
    box = Outbox(store)
    box.enqueue(NUMBER, messages(1), at=T0)
    [claimed] = box.claim(at=T0)
    box.sent(claimed.id, "SM1")
    assert not box.status_callback("SM1", "sent", None)  # nothing new
    assert box.status_callback("SM1", "undelivered", 30003)
    assert box.status_callback("SM1", "delivered", None)  # a late delivery report
    assert not box.status_callback("SM1", "undelivered", 30003)
    assert not box.status_callback("SM-unknown", "delivered", None)
    assert box.rows()[0].status == "delivered"


def test_requests_are_counted_for_the_daily_limit(store):
    box = Outbox(store)
    assert box.history(NUMBER, T0 - dt.timedelta(hours=1)) == (0, False, False)
    box.enqueue(NUMBER, messages(3), at=T0, request_id="CA1:risks")  # one request of three messages
    box.enqueue(NUMBER, messages(1, "menu"), at=T0 + dt.timedelta(hours=2))
    box.enqueue(OTHER, messages(1), at=T0)
    assert box.history(NUMBER, T0 - dt.timedelta(hours=1), "CA1:risks") == (2, True, True)
    assert box.history(NUMBER, T0 + dt.timedelta(hours=1), "CA2:risks") == (1, True, False)


def test_the_same_request_twice_queues_its_messages_once(store):
    box = Outbox(store)
    box.enqueue(NUMBER, messages(3), at=T0, request_id="CA1:risks")
    box.enqueue(NUMBER, messages(3), at=T0, request_id="CA1:risks")  # asked again, or a retried write
    box.enqueue(NUMBER, messages(3), at=T0, request_id="CA2:risks")  # another call: a new request
    assert box.totals() == {"queued": 6}


def test_texts_received_by_a_number(store):
    box = Outbox(store)
    box.enqueue(NUMBER, messages(2), at=T0)
    box.enqueue(OTHER, messages(1), at=T0)
    received = box.received_by(NUMBER)
    assert [body for _, _, body in received] == ["Message 1 of 2.", "Message 2 of 2."]
    assert box.received_by(NUMBER, after_id=received[0][0])[0][2] == "Message 2 of 2."


def test_the_caller_memory_remembers_place_and_rate_until_it_expires(store):
    memory = CallerMemory(store, retention_days=30)
    assert memory.recall(NUMBER, at=T0) is None
    memory.remember_place(NUMBER, ("risks", 2), at=T0)
    memory.remember_speed_step(NUMBER, -2, at=T0 + dt.timedelta(minutes=1))
    remembered = memory.recall(NUMBER, at=T0 + dt.timedelta(days=29))
    assert remembered and remembered.place == ("risks", 2) and remembered.speed_step == -2
    assert remembered.place_at == T0
    memory.remember_place(NUMBER, None, at=T0 + dt.timedelta(minutes=2))  # the caller left the topic
    remembered = memory.recall(NUMBER, at=T0 + dt.timedelta(days=1))
    assert remembered and remembered.place is None and remembered.speed_step == -2
    assert memory.recall(NUMBER, at=T0 + dt.timedelta(days=31)) is None
    assert memory.recall(OTHER, at=T0) is None


def test_purge_deletes_what_is_older_than_the_retention_but_never_an_opt_out(store):
    box, memory = Outbox(store), CallerMemory(store)
    old = T0 - dt.timedelta(days=31)
    memory.remember_place(NUMBER, ("risks", 1), at=old)
    memory.remember_speed_step(OTHER, 1, at=T0)
    box.enqueue(NUMBER, messages(1), at=old)
    [claimed] = box.claim(at=old)
    box.sent(claimed.id, "SM1", at=old)
    box.enqueue(OTHER, messages(1), at=T0)  # still due: kept
    store.set_position(NUMBER, ("risks", 1))
    store.flush_writes()  # as the background thread does within half a second
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE sms_positions SET updated_at = :old"), {"old": old})
    store.opt_out(OTHER)
    purged = purge(store, 30, at=T0)
    assert (purged.callers, purged.sms_positions, purged.outbox) == (1, 1, 1)
    assert memory.recall(NUMBER, at=T0) is None and memory.recall(OTHER, at=T0) is not None
    assert store.texter(NUMBER).position is None
    assert store.is_opted_out(OTHER)
    assert [row.number for row in box.rows()] == [mask(OTHER, "")]


def test_forget_erases_everything_but_the_opt_out(store):
    box, memory = Outbox(store), CallerMemory(store)
    memory.remember_place(NUMBER, ("risks", 1))
    memory.remember_speed_step(NUMBER, -1)
    store.set_position(NUMBER, ("risks", 2))
    box.enqueue(NUMBER, messages(2))
    box.enqueue(OTHER, messages(1))
    assert forget(store, NUMBER) == 4  # callers, sms_positions and two messages
    assert memory.recall(NUMBER) is None and store.texter(NUMBER).position is None
    assert box.received_by(NUMBER) == [] and len(box.received_by(OTHER)) == 1
    store.opt_out(NUMBER)
    forget(store, NUMBER)
    assert store.is_opted_out(NUMBER)


def test_numbers_are_masked():
    assert mask("+15551234567", "abc") == "+*********67"
    assert mask(None, "0123456789abcdef") == "#01234567"


def test_two_senders_racing_never_take_the_same_message(new_store):
    """Each 'sender' has its own Store (its own connection pool), as two processes would."""
    boxes = [Outbox(new_store()) for _ in range(2)]
    for index in range(60):
        boxes[0].enqueue(f"+1555000{index:04d}", messages(1), at=T0)
    taken: list[list[int]] = [[], []]
    errors: list[Exception] = []
    start = threading.Barrier(2)

    def take(which: int) -> None:
        try:
            start.wait(timeout=10)
            while claimed := boxes[which].claim(3, at=T0):
                taken[which] += [m.id for m in claimed]
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=take, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(taken[0] + taken[1]) == sorted(set(taken[0] + taken[1]))
    assert len(taken[0]) + len(taken[1]) == 60
