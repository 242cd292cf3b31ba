"""The simulated Twilio: TwiML parsing, signed requests, and following a call like Twilio does."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from app.phone import (
    CallEnded,
    CallPosition,
    Dial,
    Gather,
    Hangup,
    Phone,
    Redirect,
    WebhookError,
    parse_messages,
    parse_voice,
)

TOKEN = "test-token"
BASE = "http://localhost"

TWIML = """<?xml version="1.0" encoding="UTF-8"?><Response>
<Gather action="/voice/turn?at=main" hints="side effects, go back" input="dtmf speech" numDigits="1"
        speechTimeout="3" timeout="12" language="en-US" method="POST">
  <Say voice="Polly.Joanna-Neural" language="en-US"><prosody rate="90%"><s>Welcome.</s><break time="800ms"/>
    <s>For side effects, press 3.</s><break time="1.5s"/><say-as interpret-as="telephone">555 0100</say-as>
  </prosody></Say>
</Gather>
<Redirect method="POST">/voice/turn?event=silence&amp;at=main</Redirect>
</Response>"""


@pytest.fixture
def signed_app(make_app):
    return make_app(TWILIO_AUTH_TOKEN=TOKEN)


def test_parse_voice_reads_says_gather_and_redirect():
    response = parse_voice(TWIML)
    gather = response.gather
    assert isinstance(gather, Gather)
    assert (gather.action, gather.input, gather.timeout, gather.num_digits) == (
        "/voice/turn?at=main", ("dtmf", "speech"), 12, 1)
    assert gather.hints == ("side effects", "go back")
    assert [(u.text, u.pause_ms, u.interpret_as) for u in response.utterances] == [
        ("Welcome.", 800, None), ("For side effects, press 3.", 1500, None), ("555 0100", 0, "telephone")]
    assert response.says[0].voice == "Polly.Joanna-Neural" and response.says[0].prosody_rate == "90%"
    assert response.redirect == Redirect("/voice/turn?event=silence&at=main", "POST")
    assert not response.hangs_up


def test_parse_voice_reads_plain_say_dial_and_hangup():
    response = parse_voice('<Response><Say>Goodbye.</Say><Dial action="/voice/transfer-done" timeout="20">'
                           "+15555550100</Dial><Hangup/></Response>")
    assert response.text == "Goodbye."
    assert response.dial == Dial("+15555550100", "/voice/transfer-done", "POST", 20)
    assert isinstance(response.verbs[-1], Hangup) and response.hangs_up


def test_parse_voice_refuses_unknown_verbs():
    with pytest.raises(ValueError, match="Record"):
        parse_voice("<Response><Record/></Response>")


def test_parse_messages():
    assert parse_messages("<Response><Message>Hi</Message><Message><Body>Two</Body></Message></Response>") == [
        "Hi", "Two"]
    assert parse_messages("<Response/>") == []


def test_every_request_is_signed_as_twilio_signs_it():
    seen = []

    def post(url, form, headers):
        seen.append((url, form, headers))
        return 200, "<Response><Say>Bye.</Say><Hangup/></Response>"

    call = Phone(post, "https://line.example.org/", TOKEN).call("+12025550142")
    url, form, headers = seen[0]
    assert url == "https://line.example.org/voice"
    assert form["From"] == "+12025550142" and form["CallSid"].startswith("CA")
    assert RequestValidator(TOKEN).validate(url, form, headers["X-Twilio-Signature"])
    assert call.ended and call.events[-1].text == "The line hung up."


def test_no_signature_without_a_token():
    seen = []
    Phone(lambda url, form, headers: seen.append(headers) or (200, "<Response/>"), BASE).send_sms("MENU")
    assert seen == [{}]


def test_a_call_through_the_real_webhooks_with_signatures_checked(signed_app, line):
    call = Phone(signed_app.test_client(), BASE, TOKEN).call()
    assert line.phrases["greeting"].split()[0] in call.last.text
    assert call.gather.input == ("dtmf", "speech") and call.gather.timeout >= 10

    call.press("3")
    assert "Part 1 of" in call.last.text
    call.wait()
    assert line.phrases["silence"] in call.last.text
    call.say("main menu")
    assert call.last.text.startswith("Main menu.")
    # The greeting's offer of Spanish is a <Say> of its own (another voice): consecutive line events count once.
    who = [e.who for e in call.events]
    assert [w for i, w in enumerate(who) if i == 0 or who[i - 1] != w] == ["line", "caller", "line", "caller",
                                                                           "line", "caller", "line"]


def test_silence_three_times_ends_the_call_with_words(signed_app):
    call = Phone(signed_app.test_client(), BASE, TOKEN).call()
    for _ in range(3):
        call.wait()
    assert call.ended and call.last.hangs_up and call.last.text
    with pytest.raises(CallEnded):
        call.press("1")


def test_a_wrong_token_is_refused(signed_app):
    with pytest.raises(WebhookError) as refused:
        Phone(signed_app.test_client(), BASE, "not-the-token").call()
    assert refused.value.status == 403


def test_a_call_goes_on_from_a_position_kept_elsewhere(signed_app):
    phone = Phone(signed_app.test_client(), BASE, TOKEN)
    first = phone.call()
    kept = CallPosition.from_dict(first.position.to_dict())
    later = phone.resume(kept)
    later.press("1")
    assert later.call_sid == first.call_sid and "Part 1 of" in later.last.text


def test_a_position_pointing_elsewhere_is_refused(app):
    phone = Phone(app.test_client(), BASE)
    position = CallPosition("CA1", "+1", "+1", "https://evil.example/voice/turn", None)
    with pytest.raises(ValueError):
        phone.resume(position)


def test_a_transfer_nobody_answers_comes_back_to_the_menu(make_app, line):
    call = Phone.for_app(make_app(TRANSFER_NUMBER="+12025550199")).call()
    call.press("0")
    assert any(e.who == "network" and "+12025550199" in e.text for e in call.events)
    assert line.phrases["transfer_failed"].split()[0] in call.last.text and not call.ended


def test_texting_through_the_real_webhook(app):
    phone = Phone.for_app(app)
    assert "RISKS" in phone.send_sms("MENU")[0]
    assert len(phone.send_sms("RISKS")) == 1
    assert phone.send_sms("STOP") == []  # Twilio's own opt-out handling answers STOP
    assert phone.send_sms("MENU") == []
