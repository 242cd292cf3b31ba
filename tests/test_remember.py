"""Remembering the caller through the real voice and SMS webhooks: text me this, pick up where I left off,
slower, forget me. The golden conversations show whole calls; these tests pin each rule."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from app.core.callflow import CallFlow, Input, State
from app.phone import Phone
from app.services import services
from app.store.callers import CallerMemory, callers
from app.store.outbox import Outbox, outbox

CALLER = "+15551234567"
LINE = "+15550001111"


@pytest.fixture
def app(make_app):
    return make_app(TWILIO_AUTH_TOKEN="remember-token", CONTACT_NUMBER="+12025550199", SMS_OPT_OUT_BY_TWILIO=False)


@pytest.fixture
def phone(app):
    return Phone(app.test_client(), "http://localhost/", "remember-token", line_phone_number=LINE)


def queued(app) -> list[tuple]:
    with app.app_context(), services().store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(outbox.c.kind, outbox.c.to_number, outbox.c.from_number,
                                                      outbox.c.status).order_by(outbox.c.id))]


def speeds(reply) -> set[str]:
    return {say.prosody_rate for say in reply.says if say.prosody_rate != "slow"}


# ----- text me this -------------------------------------------------------------------------------

def test_text_me_this_queues_the_topics_texts_from_the_number_called_and_carries_on(app, phone, line):
    call = phone.call(CALLER)
    call.press("3")
    reply = call.press("5")
    assert f"I am sending {line.topics['risks'].title} to your phone by text now." in reply.text
    assert "If your phone cannot get texts, text risks to this number" in reply.text  # the first time only
    assert "To go on, press 1" in reply.text  # carries on where it was: part 1's choices
    count = len(line.topics["risks"].sms)
    assert queued(app) == [(f"topic:risks:{i}", CALLER, LINE, "queued") for i in range(1, count + 1)]
    assert "Part 2 of" in call.press("1").text
    with app.app_context():
        bodies = [body for _, _, body in Outbox(services().store).received_by(CALLER)]
    assert bodies[0] == f"1/{count} {line.topics['risks'].sms[0]}" and line.sms.texts["last_footer"] in bodies[-1]
    assert not any(line.sms.texts["more_footer"] in body for body in bodies)  # all come at once: no MORE
    # Another call, another request: queued again, without the first-time words.
    again = phone.call(CALLER)
    again.press("3")
    assert "If your phone cannot get texts" not in again.say("can you text me").text
    assert len(queued(app)) == 2 * count


def test_text_me_the_list_at_a_menu(app, phone, line):
    reply = phone.call(CALLER).say("text me the list")
    assert "I am sending the list of topics to your phone by text now." in reply.text
    assert queued(app) == [("menu", CALLER, LINE, "queued")]


def test_an_opted_out_number_gets_nothing_and_hears_how_to_start_again(app, phone, line):
    assert phone.send_sms("STOP", CALLER) == [line.sms.texts["stop"]]
    call = phone.call(CALLER)
    call.press("3")
    assert line.pronounce(line.phrases["text_opted_out"]) in call.press("5").text
    assert queued(app) == []


def test_a_stop_after_queueing_cancels_what_is_not_yet_sent(app, phone):
    call = phone.call(CALLER)
    call.press("3")
    call.press("5")
    phone.send_sms("STOP", CALLER)
    with app.app_context():
        assert Outbox(services().store).claim() == []
    assert {status for *_, status in queued(app)} == {"cancelled"}


def test_past_the_daily_limit_the_caller_is_told(make_app, line):
    app = make_app(TEXTS_PER_DAY=1)
    phone = Phone.for_app(app)
    first = phone.call(CALLER)
    first.press("5")
    second = phone.call(CALLER)
    assert line.phrases["text_limit"] in second.press("5").text
    assert len(queued(app)) == 1
    other = phone.call("+15559998888")  # the limit is per number
    assert "I am sending the list" in other.press("5").text


@pytest.mark.parametrize("hidden", ["", "anonymous", "+266696687"])
def test_a_call_without_a_number_to_text_says_how_to_get_it_by_text(app, phone, hidden, line):
    call = phone.call(hidden)
    call.press("3")
    reply = call.press("5")
    assert "I cannot see a number to text on this call. You can text RISKS to this number" in reply.text \
        or "You can text risks to this number" in reply.text
    assert queued(app) == []


def test_the_database_away_means_an_apology_and_the_call_goes_on(app, phone, monkeypatch):
    call = phone.call(CALLER)
    call.press("3")
    monkeypatch.setattr(Outbox, "enqueue", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("down")))
    reply = call.press("5")
    assert "Sorry, I could not send the text just now. You can text" in reply.text
    assert "To go on, press 1" in reply.text


# ----- slower, faster --------------------------------------------------------------------------------

def test_slower_holds_for_the_call_and_the_next_call_from_the_number(app, phone):
    call = phone.call(CALLER)
    assert speeds(call.press("6")) == {"80%"}
    assert speeds(call.press("3")) == {"80%"}  # the rest of the call
    assert speeds(call.say("too fast")) == {"70%"}
    assert speeds(phone.call(CALLER).press("9")) == {"70%"}  # kept for the next call
    assert speeds(phone.call("+15559998888").press("9")) == {"90%"}  # another number: the usual speed


def test_the_speed_travels_in_the_state(line):
    flow = CallFlow(line)
    turn = flow.respond(State(), Input("digits", "6"))
    assert turn.state is not None and turn.state.speed_step == -1
    assert State.from_params(turn.state.to_params()) == turn.state
    assert turn.state.to_params()["pace"] == "-1"
    assert State.from_params({"at": "main", "pace": "-9"}) is None
    assert State.from_params({"at": "main", "ask": "nonsense"}) is None


# ----- more time to speak ----------------------------------------------------------------------------

def test_more_time_holds_for_the_call_and_the_next_call_from_the_number(app, phone):
    call = phone.call(CALLER)
    assert call.press("3").gather.speech_timeout == "3"
    reply = call.say("please wait, I need more time to answer")
    assert "I will wait longer for you to speak" in reply.text and reply.gather.speech_timeout == "5"
    assert call.press("1").gather.speech_timeout == "5"  # the rest of the call
    assert phone.call(CALLER).gather.speech_timeout == "5"  # kept for the next call
    assert phone.call("+15559998888").gather.speech_timeout == "3"  # another number: the usual time


def test_misheard_twice_in_a_row_gives_more_time_on_this_and_later_calls(app, phone):
    call = phone.call(CALLER)
    call.say("blue elephant tuesday")
    assert call.say("purple giraffe").gather.speech_timeout == "5"
    assert phone.call(CALLER).gather.speech_timeout == "5"


# ----- pick up where I left off ----------------------------------------------------------------------

def test_a_caller_back_within_resume_days_is_offered_the_part_they_left(app, phone, line):
    call = phone.call(CALLER)
    call.press("3")
    call.press("1")
    call.press("1")
    greeting = phone.call(CALLER)
    offer = line.templates["resume"].format(title=line.topics["risks"].title, number=3, key="1")
    assert offer in greeting.events[-1].text
    assert "Part 3 of" in greeting.press("1").text


def test_anything_else_after_the_offer_goes_on_as_at_the_main_menu(app, phone, line):
    call = phone.call(CALLER)
    call.press("3")
    assert "Part 1 of" in phone.call(CALLER).press("1").text  # 1 at the main menu: how it works
    assert "For how it works, press 1" in phone.call(CALLER).wait().text


def test_no_offer_after_resume_days(app, phone, line):
    call = phone.call(CALLER)
    call.press("3")
    with app.app_context():
        services().store.flush_writes()  # the place, written a moment after the turn
    with app.app_context(), services().store.engine.begin() as conn:
        old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=31)
        conn.execute(update(callers).values(place_at=old))
    assert "Last time you were listening" not in phone.call(CALLER).events[-1].text


def test_leaving_the_topic_means_no_offer(app, phone):
    call = phone.call(CALLER)
    call.press("3")
    call.press("8")  # back to the topics
    assert "Last time you were listening" not in phone.call(CALLER).events[-1].text


# ----- forget me --------------------------------------------------------------------------------------

def test_forget_me_asks_first_then_erases_all_but_the_opt_out(app, phone, line):
    call = phone.call(CALLER)
    call.press("3")
    call.press("6")
    call.press("5")
    asked = call.say("forget me")
    assert line.pronounce(line.phrases["forget_ask"]) in asked.text and "For yes, press 1" in asked.text
    assert line.phrases["forget_kept"] in call.press("2").text
    with app.app_context():
        assert CallerMemory(services().store).recall(CALLER) is not None
    call.say("forget me")
    done = call.press("1")
    assert line.phrases["forgotten"] in done.text and speeds(done) == {"90%"}
    with app.app_context():
        assert CallerMemory(services().store).recall(CALLER) is None
    assert queued(app) == []
    fresh = phone.call(CALLER)
    assert "Last time" not in fresh.events[-1].text and speeds(fresh.press("9")) == {"90%"}


def test_forget_by_text_keeps_a_stop(app, phone, line):
    phone.send_sms("RISKS", CALLER)
    assert phone.send_sms("FORGET", CALLER) == [line.sms.texts["forgotten"]]
    assert phone.send_sms("MORE", CALLER) == [line.sms.texts["menu"]]  # the place is gone
    phone.send_sms("STOP", CALLER)
    assert phone.send_sms("FORGET", CALLER) == []  # nothing to a number that stopped
    with app.app_context():
        assert services().store.is_opted_out(CALLER)


def test_nothing_is_stored_under_the_number_once_texts_are_sent(app, phone):
    """The number waits in the outbox only until Twilio has the message; afterwards only its hash."""
    call = phone.call(CALLER)
    call.press("5")
    with app.app_context():
        box = Outbox(services().store)
        [claimed] = box.claim()
        box.sent(claimed.id, "SM1")
        with services().store.engine.connect() as conn:
            rows = [str(tuple(r)) for table in (outbox, callers) for r in conn.execute(select(table))]
    assert rows and not any("5551234567" in row for row in rows)
