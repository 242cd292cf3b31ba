"""Voice webhooks through Flask's test client, checked as parsed TwiML."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from twiml import voice

TOKEN = "test-auth-token"


def call(client, url, data=None, **kwargs):
    return voice(client.post(url, data=data or {}, **kwargs))


def test_incoming_call_gathers_keys_and_speech_without_time_pressure(client):
    reply = call(client, "/voice", {"CallSid": "CA1", "From": "+15551230000"})
    gather = reply.gather
    assert gather.get("input") == "dtmf speech" and gather.get("numDigits") == "1"
    assert int(gather.get("timeout")) >= 10
    assert "side effects" in gather.get("hints") and "repeat" in gather.get("hints")
    say = gather.find("Say")
    assert say.get("voice") == "Polly.Joanna-Neural" and say.find("prosody").get("rate") == "90%"
    assert say.find("prosody").find("break") is not None  # pauses between options
    assert "car tee and M S information line" in reply.said  # pronunciations applied to speech
    assert reply.at == "main"
    # No input: Twilio falls through to the redirect, which reports the silence.
    assert reply.redirect.startswith("/voice/turn?") and "event=silence" in reply.redirect


def test_the_voice_and_rate_are_settings(make_app):
    client = make_app(TWILIO_VOICE="Polly.Matthew-Neural", SPEECH_RATE="85%").test_client()
    say = call(client, "/voice").gather.find("Say")
    assert say.get("voice") == "Polly.Matthew-Neural" and say.find("prosody").get("rate") == "85%"


def test_gather_timeout_never_below_ten_seconds(make_app):
    assert call(make_app(GATHER_TIMEOUT=3).test_client(), "/voice").gather.get("timeout") == "10"


def test_keypad_walk_through_a_topic(client):
    reply = call(client, "/voice/turn?at=main", {"Digits": "3"})
    assert reply.said.startswith("Risks and side effects.") and reply.at == "main/risks"
    reply = call(client, reply.action, {"Digits": "1"})
    assert "Part 2 of" in reply.said and "part=1" in reply.action


def test_speech_result_chooses_a_topic(client):
    reply = call(client, "/voice/turn?at=main", {"SpeechResult": "Side effects.", "Confidence": "0.9"})
    assert reply.at == "main/risks"


def test_silence_then_goodbye_with_a_way_back(client):
    reply = call(client, "/voice")
    for _ in range(2):
        reply = call(client, reply.redirect)
        assert reply.gather is not None and "Take your time" in reply.said
    reply = call(client, reply.redirect)
    assert reply.hung_up and reply.gather is None and "call this number again" in reply.said


@pytest.mark.parametrize("url, data", [
    ("/voice/turn", {}),
    ("/voice/turn?at=main/unknown", {"Digits": "1"}),
    ("/voice/turn?at=main&part=abc&quiet=zz", {"Digits": "1"}),
    ("/voice/turn?at=main", {"Digits": "99999999999999999999999"}),
    ("/voice/turn?at=main", {"Digits": "\x00"}),
    ("/voice/turn?at=main", {"SpeechResult": "\u202e" + "z" * 20000}),
    ("/voice/turn?at=main", {"SpeechResult": "<Say>hi</Say>&amp;"}),
    ("/voice/turn?at=main&at=main/risks", {"Digits": "9"}),
    ("/voice/turn?at=%ff%fe", {"Digits": "1"}),
    ("/voice/transfer-done?at=main", {"DialCallStatus": "no-answer"}),
])
def test_bad_input_always_gets_valid_twiml(client, url, data):
    reply = call(client, url, data)
    assert reply.gather is not None and reply.said


def test_an_error_inside_a_request_is_an_apology_not_a_500(app, monkeypatch):
    from app import services

    with app.app_context():
        flow = services().calls
    monkeypatch.setattr(flow, "respond", lambda *a: 1 / 0)
    reply = call(app.test_client(), "/voice/turn?at=main", {"Digits": "1"})
    assert reply.said.startswith("Sorry, something went wrong on our side.") and reply.at == "main"


def test_when_even_the_apology_fails_the_caller_hears_goodbye(app, monkeypatch):
    from app import services

    with app.app_context():
        flow = services().calls
    monkeypatch.setattr(flow, "respond", lambda *a: 1 / 0)
    monkeypatch.setattr(flow, "error_turn", lambda *a: 1 / 0)
    reply = call(app.test_client(), "/voice/turn?at=main", {"Digits": "1"})
    assert reply.hung_up and "Please call again later" in reply.said


def test_transfer_dials_the_configured_number(make_app):
    client = make_app(TRANSFER_NUMBER="+15550001111").test_client()
    reply = call(client, "/voice/turn?at=main", {"Digits": "0"})
    dial = reply.root.find("Dial")
    assert dial.text == "+15550001111" and dial.get("action").startswith("/voice/transfer-done")
    assert "Connecting you to a person" in reply.said
    done = call(client, dial.get("action"), {"DialCallStatus": "completed"})
    assert done.hung_up and "Goodbye" in done.said
    failed = call(client, dial.get("action"), {"DialCallStatus": "busy"})
    assert "no one could take your call" in failed.said and failed.at == "main"


def test_contact_number_is_read_as_a_telephone_number(make_app):
    client = make_app(CONTACT_NUMBER="+15550002222").test_client()
    reply = call(client, "/voice/turn?at=main", {"Digits": "0"})
    numbers = reply.root.findall(".//say-as")
    assert len(numbers) == 2 and numbers[0].get("interpret-as") == "telephone"


def test_health_reports_content_and_database(client):
    body = client.get("/health").get_json()
    assert body == {"content": "ok", "database": "ok", "language": "en", "topics": 5}


# ----- signatures ------------------------------------------------------------------------

def signed(url, params, token=TOKEN):
    return RequestValidator(token).compute_signature(url, params)


@pytest.fixture
def secure(make_app):
    return make_app(TWILIO_AUTH_TOKEN=TOKEN).test_client()


def test_valid_signature_is_accepted(secure):
    params = {"CallSid": "CA1", "Digits": "3"}
    url = "http://localhost/voice/turn?at=main"
    response = secure.post("/voice/turn?at=main", data=params, headers={"X-Twilio-Signature": signed(url, params)})
    assert voice(response).at == "main/risks"


@pytest.mark.parametrize("headers", [{}, {"X-Twilio-Signature": "forged"}])
def test_missing_or_forged_signature_is_refused(secure, headers):
    assert secure.post("/voice", data={"CallSid": "CA1"}, headers=headers).status_code == 403
    assert secure.post("/sms", data={"Body": "MENU"}, headers=headers).status_code == 403


def test_signature_for_other_parameters_is_refused(secure):
    url = "http://localhost/voice/turn?at=main"
    header = {"X-Twilio-Signature": signed(url, {"Digits": "1"})}
    assert secure.post("/voice/turn?at=main", data={"Digits": "3"}, headers=header).status_code == 403
    assert secure.post("/voice/turn?at=main/risks", data={"Digits": "1"}, headers=header).status_code == 403


def test_signature_behind_a_proxy_uses_forwarded_proto_and_host(secure):
    url = "https://line.example.org/voice"
    headers = {"X-Twilio-Signature": signed(url, {"CallSid": "CA1"}),
               "X-Forwarded-Proto": "https", "X-Forwarded-Host": "line.example.org"}
    assert secure.post("/voice", data={"CallSid": "CA1"}, headers=headers).status_code == 200


def test_signature_with_public_base_url(make_app):
    client = make_app(TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL="https://calls.example.org/").test_client()
    url = "https://calls.example.org/voice/turn?at=main"
    ok = client.post("/voice/turn?at=main", data={"Digits": "2"},
                     headers={"X-Twilio-Signature": signed(url, {"Digits": "2"})})
    assert voice(ok).at == "main/car-t-for-ms-today"
    wrong_host = signed("http://localhost/voice/turn?at=main", {"Digits": "2"})
    assert client.post("/voice/turn?at=main", data={"Digits": "2"},
                       headers={"X-Twilio-Signature": wrong_host}).status_code == 403


def test_a_token_without_a_hash_secret_refuses_to_start(make_app):
    with pytest.raises(ValueError, match="PHONE_HASH_SECRET"):
        make_app(TWILIO_AUTH_TOKEN=TOKEN, PHONE_HASH_SECRET="")


def test_without_a_token_the_start_up_warns(make_app, caplog):
    make_app()
    assert "signatures are NOT checked" in caplog.text
