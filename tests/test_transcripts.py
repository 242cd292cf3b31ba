"""Golden conversations: each file in tests/golden/ holds a whole call or text thread, inputs and answers together.

A file names its settings, then its steps. Each step is what the caller did (`call`, `press 3`,
`say "side effects"`, `say "side effects" (confidence 0.3)`, `silence`, `text "RISKS"`) and what
the line answered through the real webhooks, signed as Twilio signs them (app/phone/): what was
said, the node reached, and how the line then waits or ends. When the line changes on purpose, run
`scripts/test tests/test_transcripts.py --update-golden`: it keeps each file's settings and
steps and rewrites the answers. Read the diff before committing: it is exactly what callers will
hear differently. A new conversation is a new file with only `about`, `settings` and the
`caller` lines (and its name in CONVERSATIONS); --update-golden fills in the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import pytest
import yaml
from helpers import REAL_CONTENT_DIR

from app.config import DEFAULTS
from app.phone import DEFAULT_CALLER, Call, Phone, VoiceResponse, parse_voice
from app.services import services
from app.store.outbox import Outbox
from app.web.common import NOTE

GOLDEN = Path(__file__).parent / "golden"
TOKEN = "golden-token"
# Every conversation kept; a file that goes missing fails instead of silently dropping its test.
CONVERSATIONS = [
    "call-keypad-through-risks", "call-speech-only", "call-silence", "call-wrong-input-and-help",
    "call-person-by-transfer", "call-person-by-contact-number", "call-person-no-one",
    "text-topics-and-more", "text-stop-and-start",
    # How the line converses with real callers: everyday words, personal questions, unsure speech.
    "call-a-person", "call-everyday-words", "call-help-grows", "call-help-grows-no-person",
    "call-personal-questions", "call-step-back-by-keypad", "call-stop-inside-a-sentence", "call-unsure-speech",
    "text-natural-words",
    # Remembering the caller: texts during a call, going on from the last call, speed, forgetting.
    "call-text-me-this", "call-resume-where-i-left-off", "call-slower-and-kept", "call-forget-me", "text-forget",
    # Spanish: by key and by voice, remembered, and back to English; a text thread, and PARAR.
    "call-spanish-keys-and-speech", "call-spanish-remembered-and-back", "text-spanish-thread",
    # Understanding by meaning, safety first.
    "call-emergency-mid-topic", "call-negated-text-request", "text-plain-words-opt-out",
]
HEADER = ("# A golden conversation (tests/test_transcripts.py). Inputs: settings and each step's caller.\n"
          "# Everything else is what the line answered; rewrite it with --update-golden and read the diff.\n")
STEP = re.compile(r'(?P<verb>call|silence)|(?P<key_verb>press) (?P<key>\S)|(?P<say_verb>say|text) "(?P<words>.*?)"'
                  r'(?: \(confidence (?P<confidence>[0-9.]+)\))?')
_NODE = re.compile(r"\bnode=(\S+)")
INPUTS = {"dtmf": "keys", "speech": "speech"}
NORMAL_SPEED = DEFAULTS["SPEECH_RATE"]


@dataclass
class Exchange:
    """One webhook request the simulated Twilio made, and the line's answer."""

    form: dict[str, str]
    body: str
    nodes: list[str] = field(default_factory=list)


class Recorder:
    """Posts to the app as Twilio would, keeping each answer with the node the line noted for it (the note
    gunicorn's access log prints)."""

    def __init__(self, app: Any):
        self.client, self.exchanges = app.test_client(), []  # type: ignore[var-annotated]
        self._environ: dict[str, Any] = {}
        served = app.wsgi_app

        def keep(environ: dict[str, Any], start_response: Any) -> Any:  # the test client copies the environ it sends
            self._environ = environ
            return served(environ, start_response)

        app.wsgi_app = keep

    def __call__(self, url: str, form: Mapping[str, str], headers: Mapping[str, str]) -> tuple[int, str]:
        response = self.client.post(url, data=form, headers=headers)
        body = response.get_data(as_text=True)
        response.close()  # as a server does once the response is sent
        match = _NODE.search(self._environ.get(NOTE, ""))  # "voice call=CA.. node=menu:main"
        self.exchanges.append(Exchange(dict(form), body, [match.group(1)] if match else []))
        return response.status_code, body

    def take(self) -> list[Exchange]:
        """The exchanges since the last take."""
        taken, self.exchanges = self.exchanges, []
        return taken


# ----- what the line did, as readable values -------------------------------------------------

def spoken(response: VoiceResponse) -> list[str]:
    """Each sentence said, in order; a number read as a telephone number is marked so."""
    return [f"{u.text} (as a {u.interpret_as} number)" if u.interpret_as else u.text for u in response.utterances]


def how_it_goes_on(response: VoiceResponse) -> dict[str, str]:
    """Whether the line listens (for what, how long), dials a number, or ends the call."""
    gather, dial = response.gather, response.dial
    if gather is not None:
        listens = " and ".join(INPUTS.get(kind, kind) for kind in gather.input)
        waits = f"{listens}, {gather.timeout} seconds"
        return {"waits": waits if response.redirect else waits + ", then the call ends"}
    if dial is not None:
        return {"dials": dial.number}
    return {"ends": "hangs up" if response.hangs_up else "the TwiML runs out"}


def voice_answer(exchange: Exchange) -> dict[str, Any]:
    response = parse_voice(exchange.body)
    answer: dict[str, Any] = {}
    if "DialCallStatus" in exchange.form:
        answer["dial status"] = exchange.form["DialCallStatus"]  # Twilio reports how the <Dial> ended
    answer["says"] = spoken(response)
    # The languages spoken, when any is not English (a Spanish call, or the offer of Spanish).
    said_in = sorted({say.language for say in response.says if say.language})
    if said_in and said_in != ["en-US"]:
        answer["languages"] = ", ".join(said_in)
    # The voice's speed, when the caller changed it from the usual (phone numbers are always read slowly).
    speeds = sorted({say.prosody_rate for say in response.says
                     if say.prosody_rate and say.prosody_rate != "slow"} - {NORMAL_SPEED})
    if speeds:
        answer["speed"] = ", ".join(speeds)
    answer["node"] = ", ".join(exchange.nodes) or "(none logged)"
    answer.update(how_it_goes_on(response))
    return answer


def voice_step(exchanges: list[Exchange]) -> dict[str, Any]:
    """A step's answers: the first in the step itself, any the simulator followed on (after a <Dial>) in `then`."""
    first, *rest = [voice_answer(exchange) for exchange in exchanges]
    return {**first, "then": rest} if rest else first


def sms_step(replies: list[str], exchanges: list[Exchange]) -> dict[str, Any]:
    [exchange] = exchanges
    return {"replies": replies, "node": ", ".join(exchange.nodes) or "(none logged)"}


# ----- running a conversation --------------------------------------------------------------------

def act(phone: Phone, call: Call | None, caller: str) -> tuple[Call | None, list[str] | None]:
    """Do one step; the call (if any) and, for a text, the replies."""
    step = STEP.fullmatch(caller)
    if step is None:
        raise ValueError(f"not a step: {caller!r} (call, press 3, say \"words\", silence, text \"WORDS\")")
    if step["verb"] == "call":
        return phone.call(), None
    if step["say_verb"] == "text":
        return call, phone.send_sms(step["words"])
    if call is None or call.ended:
        raise ValueError(f"{caller!r}: there is no call going on (start with `call`)")
    if step["key_verb"]:
        call.press(step["key"])
    elif step["say_verb"]:
        # Speech the recogniser doubted carries its confidence: `say "side effects" (confidence 0.3)`.
        call.say(step["words"], *([float(step["confidence"])] if step["confidence"] else []))
    else:
        call.wait()
    return call, None


def run(make_app: Any, conversation: Mapping[str, Any]) -> dict[str, Any]:
    """Play the conversation's inputs against a fresh app; the same conversation with the answers it got."""
    settings = {"CONTENT_DIR": str(REAL_CONTENT_DIR), **conversation.get("settings", {})}
    if settings["CONTENT_DIR"] != str(REAL_CONTENT_DIR):  # a content folder of the tests' own, named from tests/
        settings["CONTENT_DIR"] = str(Path(__file__).parent / settings["CONTENT_DIR"])
    app = make_app(TWILIO_AUTH_TOKEN=TOKEN, **settings)
    recorder = Recorder(app)
    phone = Phone(recorder, "http://localhost/", TOKEN)
    call: Call | None = None
    steps = []
    seen = 0
    for given in conversation["steps"]:
        caller = given["caller"]
        call, replies = act(phone, call, caller)
        exchanges = recorder.take()
        answer = sms_step(replies, exchanges) if replies is not None else voice_step(exchanges)
        texts, seen = texts_received(app, seen)
        steps.append({"caller": caller, **answer, **({"texts": texts} if texts else {})})
    return {"about": conversation.get("about", ""), "settings": dict(conversation.get("settings", {})),
            "steps": steps}


def texts_received(app: Any, seen: int) -> tuple[list[str], int]:
    """Texts the line queued for the caller's phone in the outbox since message `seen` ("text me this")."""
    with app.app_context():
        received = Outbox(services().store).received_by(DEFAULT_CALLER, seen)
    return [body for _, _, body in received], max([seen, *(id_ for id_, _, _ in received)])


def dump(conversation: Mapping[str, Any]) -> str:
    text = yaml.safe_dump(dict(conversation), sort_keys=False, allow_unicode=True, width=100)
    assert yaml.safe_load(text) == conversation, "the golden file would not read back as written"
    return HEADER + text


@pytest.mark.parametrize("name", CONVERSATIONS)
def test_conversation(request, make_app, name):
    path = GOLDEN / f"{name}.yaml"
    assert path.exists(), f"{path} is missing: it holds the conversation's inputs, so restore it (git checkout)"
    expected = yaml.safe_load(path.read_text())
    actual = run(make_app, expected)
    if request.config.getoption("--update-golden"):
        path.write_text(dump(actual))
    assert dump(actual) == path.read_text(), f"{path} differs; rerun with --update-golden if the change is intended"


def test_every_golden_file_is_a_conversation_that_runs():
    kept = sorted(path.name for path in GOLDEN.iterdir())
    assert kept == sorted(f"{name}.yaml" for name in CONVERSATIONS), "add new files to CONVERSATIONS"


BY_KEYPAD = {"what-is-car-t": "1", "car-t-for-ms-today": "2", "risks": "3", "find-a-trial": "41",
             "questions-for-your-doctor": "42"}
BY_SPEECH = {"what-is-car-t": ["how does it work"], "car-t-for-ms-today": ["is it approved"],
             "risks": ["is it safe"], "find-a-trial": ["trials and your doctor", "finding a trial"],
             "questions-for-your-doctor": ["questions for my doctor"]}
ROUTES = [(topic, "press", list(keys)) for topic, keys in BY_KEYPAD.items()]
ROUTES += [(topic, "say", phrases) for topic, phrases in BY_SPEECH.items()]


@pytest.fixture
def phone(make_app):
    return Phone.for_app(make_app(TWILIO_AUTH_TOKEN=TOKEN, CONTACT_NUMBER="+12025550199",
                                  CONTENT_DIR=str(REAL_CONTENT_DIR)))


@pytest.mark.parametrize("topic, how, steps", ROUTES)
def test_every_subject_by_keypad_alone_and_by_speech_alone_through_signed_webhooks(phone, real_line, topic, how,
                                                                                   steps):
    call = phone.call()
    for step in steps:
        reply = getattr(call, how)(step)
    assert real_line.pronounce(real_line.topics[topic].parts[0].text) in reply.text
