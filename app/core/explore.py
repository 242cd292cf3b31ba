"""Every turn a call can take: the call flow explored breadth-first from the greeting.

Shared by the content checks (which keys work where a sentence is said) and the audio previews
(every prompt a caller can hear). Pure: no web, no Twilio, no audio.
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from typing import Iterable, Iterator

from app.core import pace
from app.core.caller_requests import FORGET_OUTCOMES, TEXT_OUTCOMES, Outcome
from app.core.callflow import CallFlow, Input, State, Turn

UNMATCHED_SPEECH = "purple elephant umbrella"  # reaches "not understood"


def basic_inputs(keys: Iterable[str] = "0123456789") -> list[Input]:
    """Pressing each key, silence, and speech that matches nothing."""
    return [Input("digits", key) for key in keys] + [Input("silence"), Input("speech", UNMATCHED_SPEECH)]


def every_turn(flow: CallFlow, inputs: Iterable[Input]) -> Iterator[Turn]:
    """The greeting, the turns no caller asks for (lost place, transfer ended, error, the slowest and
    fastest speeds), then every turn `inputs` lead to from every place a call can reach, breadth-first
    (with what each text or forget request can come to), then the offers to go on from each part."""
    inputs = list(inputs)
    first = flow.start()
    assert first.state is not None, "a call starts by waiting at the main menu"
    yield first
    yield from (flow.respond(None, Input("silence")), flow.after_transfer(True),
                flow.after_transfer(False), flow.error_turn())
    reserved = flow.line.reserved
    for speed_step, action in ((pace.SLOWEST, "slower"), (pace.FASTEST, "faster")):  # "as slowly as I can speak"
        if action in reserved and reserved[action].phrases:
            yield flow.respond(State(speed_step=speed_step), Input("speech", reserved[action].phrases[0]))
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
            yield from settled(flow, turn)
            if plain == state and turn.state is not None and (turn.state.silences or turn.state.misses):
                counting.setdefault(state, []).append(heard)
            # A faster or slower voice says the same words, and a longer wait for speech too: the call is
            # not explored again at each speed, and goes on as if it had the usual wait.
            after = replace(turn.state, listen=0) if turn.state is not None else None
            if after is not None and after not in seen and after.speed_step == 0:
                seen.add(after)
                waiting.append(after)
    # Met only on a later call: the offer to go on from where the last one ended.
    for topic_id, topic in flow.line.topics.items():
        for part in range(len(topic.parts)):
            yield flow.start(resume=(topic_id, part))


def settled(flow: CallFlow, turn: Turn) -> Iterator[Turn]:
    """For a turn that asks the web layer to do something (text, forget), the turns of every outcome."""
    if turn.request is None or turn.request.kind == "language":  # another line's turns: explored with it
        return
    outcomes: tuple[Outcome, ...] = FORGET_OUTCOMES if turn.request.kind == "forget" else TEXT_OUTCOMES
    for outcome in outcomes:
        yield flow.after(turn, outcome)
