"""The anonymous counts behind `flask usage report`, and (only with LEARN_PHRASES=true) the phrases
callers said that the line did not understand. Never the number, never the words in a log."""

from __future__ import annotations

from flask import current_app, request

from ..engine import Input, Turn
from ..learned import LearnedPhrases
from .common import count_usage
from .services import services

INPUT_NAMES = {"digits": "keys", "speech": "speech", "silence": "silence"}
EXTENSION = "learned_phrases"


def not_understood(turn: Turn) -> bool:
    """Whether the call flow answered that it did not understand."""
    said = services().line.phrases.get("not_understood")
    return any(segment.text == said for segment in turn.segments)


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


def learner() -> LearnedPhrases:
    """The learned-phrases store, built once per app on the line's database."""
    found = current_app.extensions.get(EXTENSION)
    if found is None:
        found = LearnedPhrases(services().store.engine, current_app.config["PHONE_HASH_SECRET"])
        current_app.extensions[EXTENSION] = found
    return found


def learn(said: str) -> None:
    """Note a phrase the line did not understand; a database hiccup must not cost the caller their answer."""
    try:
        learner().note(said, request.form.get("From", ""))
    except Exception:
        current_app.logger.exception("could not note a phrase that was not understood")
