"""Every turn a call can take: the call flow explored breadth-first from the greeting.

Shared by the content checks (which keys work where a sentence is said) and the audio previews
(every prompt a caller can hear). Pure: no web, no Twilio, no audio.
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from typing import Iterable, Iterator

from .engine import CallFlow, Input, State, Turn

UNMATCHED_SPEECH = "purple elephant umbrella"  # reaches "not understood"


def basic_inputs(keys: Iterable[str] = "0123456789") -> list[Input]:
    """Pressing each key, silence, and speech that matches nothing."""
    return [Input("digits", key) for key in keys] + [Input("silence"), Input("speech", UNMATCHED_SPEECH)]


def every_turn(flow: CallFlow, inputs: Iterable[Input]) -> Iterator[Turn]:
    """The greeting, the turns no caller asks for (lost place, transfer ended, error), then every
    turn `inputs` lead to from every place a call can reach, breadth-first."""
    inputs = list(inputs)
    first = flow.start()
    assert first.state is not None, "a call starts by waiting at the main menu"
    yield first
    yield from (flow.respond(None, Input("silence")), flow.after_transfer(True),
                flow.after_transfer(False), flow.error_turn())
    seen: set[State] = set()
    waiting: deque[State] = deque()
    if first.state is not None:  # the greeting always waits at the main menu
        seen.add(first.state)
        waiting.append(first.state)
    # Any input but a silence or a miss resets both counts, and so gives the same turn as from the
    # place without them: at a place with counts, only the inputs that counted from it are tried.
    counting: dict[State, list[Input]] = {}
    while waiting:
        state = waiting.popleft()
        plain = replace(state, silences=0, misses=0)
        tried = counting.get(plain, inputs) if plain != state else inputs
        for heard in tried:
            turn = flow.respond(state, heard)
            yield turn
            if plain == state and turn.state is not None and (turn.state.silences or turn.state.misses):
                counting.setdefault(state, []).append(heard)
            if turn.state is not None and turn.state not in seen:
                seen.add(turn.state)
                waiting.append(turn.state)
