"""Voice webhooks through Flask's test client, checked as parsed TwiML."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from twilio.request_validator import RequestValidator

from app.phone import VoiceResponse, parse_voice

TOKEN = "test-auth-token"


def voice(response) -> VoiceResponse:
    """The TwiML of a successful response, parsed."""
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/xml"
    return parse_voice(response.get_data(as_text=True))


def call(client, url, data=None, **kwargs) -> VoiceResponse:
    return voice(client.post(url, data=data or {}, **kwargs))


def at(reply: VoiceResponse) -> str:
    """The menu path the line will be at when the caller answers."""
    return dict(parse_qsl(urlsplit(reply.gather.action).query))["at"]


def test_incoming_call_gathers_keys_and_speech_without_time_pressure(client):
    reply = call(client, "/voice", {"CallSid": "CA1", "From": "+15551230000"})
    gather = reply.gather
    assert gather.input == ("dtmf", "speech") and gather.num_digits == 1
    assert 'finishOnKey=""' in client.post("/voice").get_data(as_text=True)  # '#' is a key, not "done"
    assert gather.timeout >= 10
    assert "side effects" in gather.hints and "repeat" in gather.hints
    [say] = gather.says
    assert say.voice == "Polly.Joanna-Neural" and say.prosody_rate == "90%"
    assert all(u.pause_ms >= 400 for u in say.utterances)  # pauses between options
    assert "the car tee test line" in reply.text  # pronunciations applied to speech
    assert at(reply) == "main"
    # No input: Twilio falls through to the redirect, which reports the silence.
    assert reply.redirect.url.startswith("/voice/turn?") and "event=silence" in reply.redirect.url


def test_the_voice_and_rate_are_settings(make_app):
    client = make_app(TWILIO_VOICE="Polly.Matthew-Neural", SPEECH_RATE="85%").test_client()
    [say] = call(client, "/voice").gather.says
    assert say.voice == "Polly.Matthew-Neural" and say.prosody_rate == "85%"


def test_gather_timeout_never_below_ten_seconds(make_app):
    assert call(make_app(GATHER_TIMEOUT=3).test_client(), "/voice").gather.timeout == 10


def test_keypad_walk_through_a_topic(client):
    reply = call(client, "/voice/turn?at=main", {"Digits": "3"})
    assert reply.text.startswith("Side effects. Part 1 of") and at(reply) == "main/risks"
    reply = call(client, reply.gather.action, {"Digits": "1"})
    assert "Part 2 of" in reply.text and "part=1" in reply.gather.action


def test_speech_result_chooses_a_topic(client):
    reply = call(client, "/voice/turn?at=main", {"SpeechResult": "Side effects.", "Confidence": "0.9"})
    assert at(reply) == "main/risks"


def test_silence_then_goodbye_with_a_way_back(client):
    reply = call(client, "/voice")
    for _ in range(2):
        reply = call(client, reply.redirect.url)
        assert reply.gather is not None and "Take your time" in reply.text
    reply = call(client, reply.redirect.url)
    assert reply.hangs_up and reply.gather is None and "call this number again" in reply.text


# Hostile or broken requests, and the phrase (from line.yaml) the answer starts with; "title" is the menu's own.
BAD_REQUESTS = [
    ("/voice/turn", {}, "lost_place"),
    ("/voice/turn?at=main/unknown", {"Digits": "1"}, "lost_place"),
    ("/voice/turn?at=main&part=abc&quiet=zz", {"Digits": "1"}, "lost_place"),
    ("/voice/turn?at=%ff%fe", {"Digits": "1"}, "lost_place"),
    ("/voice/turn?at=main", {"Digits": "99999999999999999999999"}, "not_a_choice"),
    ("/voice/turn?at=main", {"Digits": "\x00"}, "not_a_choice"),
    ("/voice/turn?at=main", {"SpeechResult": "\u202e" + "z" * 20000}, "not_understood"),
    ("/voice/turn?at=main", {"SpeechResult": "<Say>hi</Say>&amp;"}, "not_understood"),
    ("/voice/turn?at=main&at=main/risks", {"Digits": "9"}, "title"),  # the first `at` wins: 9 repeats main
    ("/voice/transfer-done?at=main", {"DialCallStatus": "no-answer"}, "transfer_failed"),
]


@pytest.mark.parametrize("url, data, phrase", BAD_REQUESTS)
def test_bad_input_gets_the_main_menu_again_with_the_right_words(client, line, url, data, phrase):
    reply = call(client, url, data)
    said = f"{line.menus['main'].title}." if phrase == "title" else line.pronounce(line.phrases[phrase])
    assert reply.text.startswith(said), reply.text[:200]
    # Back at the main menu, listening for keys and speech as always, with a way to hear the choices:
    # the choices themselves after a break in the call, a short word of help after a miss.
    assert at(reply) == "main" and reply.gather.input == ("dtmf", "speech")
    if phrase in ("not_a_choice", "not_understood"):  # a first miss: help grows from a short word
        assert "press 9 to hear the choices" in reply.text and "miss=1" in reply.gather.action
    else:
        assert "For side effects, press 3, or say side effects." in reply.text
    assert reply.redirect.url.startswith("/voice/turn?") and "event=silence" in reply.redirect.url


def test_an_oversized_request_is_refused_unread(client):
    assert client.post("/voice/turn?at=main", data={"SpeechResult": "x" * 400_000}).status_code == 413
    assert client.post("/sms", data={"Body": "x" * 400_000}).status_code == 413
    assert client.post("/sms", data={"Body": "x" * 33_000}).status_code == 413  # over 32 KB
    assert client.post("/sms", data={"Body": "x" * 30_000, "From": "+15550001111"}).status_code == 200


@pytest.mark.parametrize("form", [
    "&".join(f"f{i}=" for i in range(5000)),  # 5,000 fields in 34 KB: too big anyway
    "&".join(f"{i}" for i in range(3000)),  # 3,000 fields in 14 KB: too many fields
    "Body=" + "x" * 40_000,  # one field of 40 KB
])
def test_forged_forms_are_refused_before_any_signature_work(make_app, monkeypatch, form):
    checked = []
    monkeypatch.setattr(RequestValidator, "validate", lambda *a: checked.append(a) or True)
    client = make_app(TWILIO_AUTH_TOKEN=TOKEN).test_client()
    for path in ("/sms", "/voice/turn?at=main"):
        response = client.post(path, data=form, content_type="application/x-www-form-urlencoded",
                               headers={"X-Twilio-Signature": "anything"})
        assert response.status_code == 413
    assert checked == []
    # What Twilio really sends (a few dozen fields) still goes through to the signature check.
    fields = {f"Field{i}": "value" for i in range(60)}
    assert client.post("/sms", data=fields, headers={"X-Twilio-Signature": "x"}).status_code == 200
    assert len(checked) == 1


@pytest.mark.parametrize("body", [
    b"From=%2B15551234567&Body=caf%C3%A9+ol%C3%A9&Body=again&Empty=&Plus=a+b%2Bc",
    b"SpeechResult=%E2%80%9Chi%E2%80%9D&Digits=1&odd=%ZZ&bare",
    b"Body=\xff\xfe",  # not UTF-8: werkzeug gives an empty form
    b"",
])
@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded",
                                          "application/x-www-form-urlencoded; charset=UTF-8"])
def test_a_webhook_reads_its_form_as_werkzeug_does(body, content_type):
    """The webhooks' request class reads a urlencoded body in one read and one parse: the same form as werkzeug's."""
    from flask import Request
    from werkzeug.test import EnvironBuilder

    from app.web.common import WebhookRequest

    def environ():
        return EnvironBuilder("/sms", method="POST", data=body, content_type=content_type).get_environ()

    ours, theirs = WebhookRequest(environ()), Request(environ())
    assert list(ours.form.items(multi=True)) == list(theirs.form.items(multi=True))
    assert ours.get_data() == body


def test_an_error_inside_a_request_is_an_apology_not_a_500(app, monkeypatch):
    from app.services import services

    with app.app_context():
        flow = services().calls
    monkeypatch.setattr(flow, "respond", lambda *a: 1 / 0)
    reply = call(app.test_client(), "/voice/turn?at=main", {"Digits": "1"})
    assert reply.text.startswith("Sorry, something went wrong on our side.") and at(reply) == "main"


def test_when_even_the_apology_fails_the_caller_hears_goodbye(app, monkeypatch):
    from app.services import services

    with app.app_context():
        flow = services().calls
    monkeypatch.setattr(flow, "respond", lambda *a: 1 / 0)
    monkeypatch.setattr(flow, "error_turn", lambda *a: 1 / 0)
    reply = call(app.test_client(), "/voice/turn?at=main", {"Digits": "1"})
    assert reply.hangs_up and "Please call again later" in reply.text


def test_transfer_dials_the_configured_number(make_app):
    client = make_app(TRANSFER_NUMBER="+15550001111").test_client()
    reply = call(client, "/voice/turn?at=main", {"Digits": "0"})
    dial = reply.dial
    assert dial.number == "+15550001111" and dial.action.startswith("/voice/transfer-done")
    assert "Connecting you to a person" in reply.text
    done = call(client, dial.action, {"DialCallStatus": "completed"})
    assert done.hangs_up and "Goodbye" in done.text
    failed = call(client, dial.action, {"DialCallStatus": "busy"})
    assert "no one could take your call" in failed.text and at(failed) == "main"


def test_contact_number_is_read_as_a_telephone_number(make_app):
    client = make_app(CONTACT_NUMBER="+15550002222").test_client()
    reply = call(client, "/voice/turn?at=main", {"Digits": "0"})
    numbers = [u for u in reply.utterances if u.interpret_as]
    assert len(numbers) == 2 and numbers[0].interpret_as == "telephone"
    rates = {say.prosody_rate for say in reply.gather.says if any(u.interpret_as for u in say.utterances)}
    assert rates == {"slow"}  # numbers are read more slowly than the 90% of everything else
    assert "To hear the number again, press 0." in reply.text


def test_health_reports_content_and_database(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"content": "ok", "database": "ok", "language": "en", "topics": 3, "problems": []}


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
    assert at(voice(response)) == "main/risks"


@pytest.mark.parametrize("headers", [{}, {"X-Twilio-Signature": "forged"}])
def test_missing_or_forged_signature_is_refused(secure, headers):
    assert secure.post("/voice", data={"CallSid": "CA1"}, headers=headers).status_code == 403
    assert secure.post("/sms", data={"Body": "MENU"}, headers=headers).status_code == 403


def test_signature_for_other_parameters_is_refused(secure):
    url = "http://localhost/voice/turn?at=main"
    header = {"X-Twilio-Signature": signed(url, {"Digits": "1"})}
    assert secure.post("/voice/turn?at=main", data={"Digits": "3"}, headers=header).status_code == 403
    assert secure.post("/voice/turn?at=main/risks", data={"Digits": "1"}, headers=header).status_code == 403


def test_signature_behind_a_trusted_proxy_uses_forwarded_proto_and_host(make_app):
    client = make_app(TWILIO_AUTH_TOKEN=TOKEN, TRUSTED_PROXIES=1).test_client()
    url = "https://line.example.org/voice"
    headers = {"X-Twilio-Signature": signed(url, {"CallSid": "CA1"}),
               "X-Forwarded-Proto": "https", "X-Forwarded-Host": "line.example.org"}
    assert client.post("/voice", data={"CallSid": "CA1"}, headers=headers).status_code == 200


def test_forwarded_headers_are_ignored_unless_proxies_are_trusted(secure):
    """By default (TRUSTED_PROXIES=0) anyone could send X-Forwarded-*: they are not believed."""
    url = "https://line.example.org/voice"
    headers = {"X-Twilio-Signature": signed(url, {"CallSid": "CA1"}),
               "X-Forwarded-Proto": "https", "X-Forwarded-Host": "line.example.org"}
    assert secure.post("/voice", data={"CallSid": "CA1"}, headers=headers).status_code == 403


def test_only_as_many_forwarded_hops_as_there_are_trusted_proxies(make_app):
    client = make_app(TWILIO_AUTH_TOKEN=TOKEN, TRUSTED_PROXIES=1).test_client()
    # The client put in its own host before the one proxy appended the real one: only the last hop counts.
    url = "https://line.example.org/voice"
    forged = {"X-Twilio-Signature": signed("https://evil.example/voice", {"CallSid": "CA1"}),
              "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example, line.example.org"}
    assert client.post("/voice", data={"CallSid": "CA1"}, headers=forged).status_code == 403
    real = {**forged, "X-Twilio-Signature": signed(url, {"CallSid": "CA1"})}
    assert client.post("/voice", data={"CallSid": "CA1"}, headers=real).status_code == 200


def test_signature_with_public_base_url(make_app):
    client = make_app(TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL="https://calls.example.org/").test_client()
    url = "https://calls.example.org/voice/turn?at=main"
    ok = client.post("/voice/turn?at=main", data={"Digits": "2"},
                     headers={"X-Twilio-Signature": signed(url, {"Digits": "2"})})
    assert at(voice(ok)) == "main/trials-and-doctor"
    wrong_host = signed("http://localhost/voice/turn?at=main", {"Digits": "2"})
    assert client.post("/voice/turn?at=main", data={"Digits": "2"},
                       headers={"X-Twilio-Signature": wrong_host}).status_code == 403


def test_a_token_without_a_hash_secret_refuses_to_start(make_app):
    with pytest.raises(ValueError, match="PHONE_HASH_SECRET"):
        make_app(TWILIO_AUTH_TOKEN=TOKEN, PHONE_HASH_SECRET="")


def test_outside_development_the_line_refuses_to_start_without_a_token(make_app):
    with pytest.raises(ValueError, match="TWILIO_AUTH_TOKEN must be set"):
        make_app(LINE_ENV="production")
    with pytest.raises(ValueError, match="LINE_ENV"):
        make_app(LINE_ENV="staging")
    assert make_app(LINE_ENV="production", TWILIO_AUTH_TOKEN=TOKEN).config["LINE_ENV"] == "production"


def test_production_without_a_public_base_url_warns(make_app, caplog):
    make_app(LINE_ENV="production", TWILIO_AUTH_TOKEN=TOKEN)
    assert "PUBLIC_BASE_URL is not set" in caplog.text
    caplog.clear()
    make_app(LINE_ENV="production", TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL="https://line.example.org")
    assert "PUBLIC_BASE_URL" not in caplog.text


def test_without_a_token_the_start_up_warns(make_app, caplog):
    make_app()
    assert "signatures are NOT checked" in caplog.text
    assert "Neither TRANSFER_NUMBER nor CONTACT_NUMBER is set" in caplog.text
    caplog.clear()
    make_app(CONTACT_NUMBER="+15550002222")
    assert "CONTACT_NUMBER" not in caplog.text
