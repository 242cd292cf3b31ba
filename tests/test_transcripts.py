"""Golden transcripts: whole calls and text conversations, keys or phrases in, what is said out.

Every request goes through the webhooks signed as Twilio signs them. When the content changes on
purpose, run `scripts/test tests/test_transcripts.py --update-golden` and read the diff of
tests/golden/ before committing: it is exactly what callers will hear differently.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from app.phone import Phone

GOLDEN = Path(__file__).parent / "golden"
TOKEN = "golden-token"

CALLS = {
    "call-keypad-through-risks": ["press 3", "press 1", "press 9", "press 1", "press 1", "press 1", "press 1",
                                  "press 8"],
    "call-speech-only": ["say what is car tee", "say next", "say go back", "say trials",
                         "say questions to ask", "say main menu", "say goodbye"],
    "call-silence": ["wait", "wait", "wait"],
    "call-wrong-input-and-help": ["press 5", "press #", "say purple elephant", "say help", "press 4", "press 6",
                                  "press 8", "press 0", "press 7"],
}
TEXTS = {
    "text-topics-and-more": ["MENU", "risks", "MORE", "MORE", "more", "MORE", "2", "trails", "HELP", "hello"],
    "text-stop-and-start": ["STOP", "MENU", "RISKS", "START", "MENU"],
}


@pytest.fixture
def phone(make_app):
    app = make_app(TWILIO_AUTH_TOKEN=TOKEN, SMS_OPT_OUT_BY_TWILIO=False, CONTACT_NUMBER="+12025550199")
    return Phone.for_app(app)


def wrap(who: str, text: str) -> str:
    return textwrap.fill(text, width=100, initial_indent=f"{who}: ", subsequent_indent="      ")


def run_call(phone: Phone, steps: list[str]) -> str:
    call = phone.call()
    lines = [wrap("line", call.events[-1].text)]
    for step in steps:
        verb, _, rest = step.partition(" ")
        reply = call.press(rest) if verb == "press" else call.say(rest) if verb == "say" else call.wait()
        lines += [f"caller: {step}", wrap("line", reply.text)]
        if call.ended:
            lines.append("(the line hangs up)")
            break
    return "\n".join(lines) + "\n"


def run_texts(phone: Phone, messages: list[str]) -> str:
    lines = []
    for message in messages:
        lines.append(f"texter: {message}")
        replies = phone.send_sms(message)
        lines += [wrap("line", reply) for reply in replies] or ["(no reply)"]
    return "\n".join(lines) + "\n"


def check_golden(request, name: str, transcript: str) -> None:
    path = GOLDEN / f"{name}.txt"
    if request.config.getoption("--update-golden"):
        path.write_text(transcript)
    assert path.exists(), f"{path} is missing; create it with --update-golden and review it"
    assert transcript == path.read_text(), f"{path} differs; rerun with --update-golden if the change is intended"


@pytest.mark.parametrize("name", CALLS)
def test_call_transcript(request, phone, name):
    check_golden(request, name, run_call(phone, CALLS[name]))


@pytest.mark.parametrize("name", TEXTS)
def test_text_transcript(request, phone, name):
    check_golden(request, name, run_texts(phone, TEXTS[name]))


BY_KEYPAD = {"what-is-car-t": "1", "car-t-for-ms-today": "2", "risks": "3", "find-a-trial": "41",
             "questions-for-your-doctor": "42"}
BY_SPEECH = {"what-is-car-t": ["how does it work"], "car-t-for-ms-today": ["is it approved"],
             "risks": ["is it safe"], "find-a-trial": ["trials and your doctor", "finding a trial"],
             "questions-for-your-doctor": ["questions for my doctor"]}
ROUTES = [(topic, "press", list(keys)) for topic, keys in BY_KEYPAD.items()]
ROUTES += [(topic, "say", phrases) for topic, phrases in BY_SPEECH.items()]


@pytest.mark.parametrize("topic, how, steps", ROUTES)
def test_every_subject_by_keypad_alone_and_by_speech_alone_through_signed_webhooks(phone, line, topic, how,
                                                                                   steps):
    call = phone.call()
    for step in steps:
        reply = getattr(call, how)(step)
    assert line.pronounce(line.topics[topic].parts[0].text) in reply.text
