"""What a voice turn tells operators: how the caller answered and what the call flow says happened (a miss,
a confirmation, a question answered), counted; where the call is, kept for the call status callback; and
(only with LEARN_PHRASES=true) the phrases callers said that the line did not understand. Never the number,
never the words in a log; the writes wait in memory and are written together a moment later."""

from __future__ import annotations

from flask import Response, current_app, request

from app.core.callflow import Input
from app.core.events import Event
from app.core.node import Node
from app.services import learner, services
from app.store.calls import CallPlaces
from app.web.caller_requests import after_response
from app.web.common import count, current

INPUT_NAMES = {"digits": "keys", "speech": "speech", "silence": "silence"}


def record_turn(response: Response, heard: Input, events: tuple[Event, ...]) -> Response:
    """Count how the caller answered and what happened; learn speech that was a miss, if allowed."""
    count("voice", Event("input", INPUT_NAMES[heard.kind]), *events)
    missed = any(event.kind == "miss" for event in events)
    if heard.kind == "speech" and missed and current_app.config.get("LEARN_PHRASES"):
        said, caller, store = heard.value, request.form.get("From", ""), services().store

        def learn() -> None:
            store.guarded(lambda: learner().note(said, caller))

        after_response(response, learn)
    return response


def remember_place(response: Response, node: Node) -> Response:
    """Keep where the call is now, for the status callback to count where it ended (written a moment later, with
    the other waiting writes: the turn does not wait for it)."""
    sid = current().form.get("CallSid", "")
    if sid:
        CallPlaces(services().store).note(sid, str(node))
    return response
