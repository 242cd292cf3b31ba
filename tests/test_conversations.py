"""Golden conversations: natural, sloppy and personal phrasings, by phone and by text.

Each file in tests/golden_conversations/ holds one conversation: its settings, then each step's
input (press, say with a confidence, wait, or text) with the line's answer: its words, where the
call then waits (`at`, from the Gather's action URL) and how the turn ends (`then`: listens,
hangs up or transfers). Every request goes through the real webhooks, signed as Twilio signs them.
When the line is meant to answer differently, run
`scripts/test tests/test_conversations.py --update-golden` and read the diff: only the answers are
rewritten, never the inputs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml

from app.phone import Call, Phone

GOLDEN = Path(__file__).parent / "golden_conversations"
TOKEN = "golden-token"
ANSWER_FIELDS = ("line", "at", "then", "replies")


def where(call: Call) -> str:
    """Where the call waits: the state in the Gather's action URL, as "main/risks part=1 ask=confirm"."""
    if call.ended or call.gather is None or not call.gather.action:
        return ""
    params = dict(parse_qsl(urlsplit(call.gather.action).query))
    rest = " ".join(f"{k}={v}" for k, v in params.items() if k != "at")
    return f"{params.get('at', '')} {rest}".strip()


def how_it_ends(call: Call, events_before: int) -> str:
    """How the turn ended: a transfer (nobody answers in the simulator), a hang-up, or listening."""
    if any(e.who == "network" and e.text.startswith("Transferring") for e in call.events[events_before:]):
        return "transfers, then listens" if not call.ended else "transfers"
    return "hangs up" if call.ended else "listens"


def play(phone: Phone, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each step with the line's answer filled in from what it said now."""
    played: list[dict[str, Any]] = []
    call: Call | None = None
    for step in steps:
        inputs = {k: v for k, v in step.items() if k not in ANSWER_FIELDS}
        if "text" in inputs:
            played.append({**inputs, "replies": phone.send_sms(str(inputs["text"]))})
            continue
        before = 0
        if "call" in inputs:
            call = phone.call()
            reply = call.last
        else:
            assert call is not None and not call.ended, f"no call is waiting for {inputs}"
            before = len(call.events)
            if "press" in inputs:
                reply = call.press(str(inputs["press"]))
            elif "say" in inputs:
                reply = call.say(str(inputs["say"]), float(inputs.get("confidence", 0.92)))
            else:
                reply = call.wait()
        assert reply is not None
        played.append({**inputs, "line": reply.text, "at": where(call), "then": how_it_ends(call, before)})
    return played


def conversations() -> list[Path]:
    return sorted(GOLDEN.glob("*.yaml"))


@pytest.mark.parametrize("path", conversations(), ids=lambda p: p.stem)
def test_golden_conversation(request, make_app, path):
    golden = yaml.safe_load(path.read_text(encoding="utf-8"))
    settings = {"TWILIO_AUTH_TOKEN": TOKEN, "SMS_OPT_OUT_BY_TWILIO": False, **(golden.get("settings") or {})}
    played = play(Phone.for_app(make_app(**settings)), golden["steps"])
    if request.config.getoption("--update-golden"):
        golden["steps"] = played
        header = "".join(line + "\n" for line in path.read_text(encoding="utf-8").splitlines()
                         if line.startswith("#"))
        path.write_text(header + yaml.safe_dump(golden, sort_keys=False, allow_unicode=True, width=100),
                        encoding="utf-8")
    assert played == golden["steps"], f"{path.name} differs; rerun with --update-golden if the change is intended"


def test_there_are_golden_conversations():
    assert len(conversations()) >= 6
