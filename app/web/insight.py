"""The anonymous counts behind `flask usage report`, and (only with LEARN_PHRASES=true) the phrases
callers said that the line did not understand. Never the number, never the words in a log."""

from __future__ import annotations

from flask import current_app, request

from app.core.callflow import Input, Turn
from app.services import learner, services
from app.web.common import count_usage

INPUT_NAMES = {"digits": "keys", "speech": "speech", "silence": "silence"}


def not_understood(turn: Turn) -> bool:
    """Whether the call flow answered that it did not understand (in any language the line serves)."""
    said = {line.phrases.get("not_understood") for line in services().lines.values()}
    return any(segment.text in said for segment in turn.segments)


def place(turn: Turn) -> str:
    """Where a turn is, by menu or topic (not by part): "menu:main", "topic:risks"."""
    node = turn.node
    return f"topic:{node.id}" if node.kind == "topic" else str(node)


def record_turn(heard: Input, turn: Turn) -> None:
    """Count how the caller answered and, for speech that matched nothing, where; learn it if allowed."""
    count_usage("voice", f"input:{INPUT_NAMES[heard.kind]}")
    if heard.kind == "speech" and not_understood(turn):
        count_usage("voice", f"not-understood:{place(turn)}")
        if current_app.config.get("LEARN_PHRASES"):
            learn(heard.value)


def learn(said: str) -> None:
    """Note a phrase the line did not understand; a database hiccup must not cost the caller their answer."""
    try:
        learner().note(said, request.form.get("From", ""))
    except Exception:
        current_app.logger.exception("could not note a phrase that was not understood")
