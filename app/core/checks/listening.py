"""How long a caller listens before they can choose, in every turn a call can take: explored from
every place with keys, silence, nonsense, everyday words, personal questions and unsure speech.
Pure. Run `python -m app.checks.listening` to print the longest turns a caller can hear.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable, Iterator, Sequence

from app.core import speech
from app.core.callflow import CallFlow, Input, Turn, spoken_names
from app.core.checks.fields import line_problem, question_path, talk_problem
from app.core.content import Line, Problem
from app.core.explore import UNMATCHED_SPEECH as UNMATCHED
from app.core.explore import basic_inputs, every_turn
from app.core.turns import State

TURN_SECONDS_ERROR = 50
TURN_SECONDS_WARNING = 45
# A long number, so the longest "call this number" turn is measured.
EXAMPLE_NUMBER = "+1 202 555 0100"
ALL_KEYS = "0123456789*#"


@dataclass(frozen=True)
class TurnLength:
    """How long a caller listens before they can choose, in one turn of the call."""

    seconds: float
    words: int
    node: str
    text: str


# ----- turns -----------------------------------------------------------------------------------------

def explored_inputs(line: Line) -> list[Input]:
    """Inputs that reach every kind of turn: each key, silence, nonsense, each command's first phrase, a
    possible goodbye, unsure speech, each personal question, and yes and no."""
    inputs = basic_inputs(ALL_KEYS)
    inputs += [Input("speech", r.phrases[0]) for r in line.reserved.values() if r.phrases]
    inputs += [Input("speech", p[0]) for p in line.talk.anywhere.values() if p]
    inputs += [Input("speech", phrases[0]) for group, phrases in line.talk.alone.items()
               if phrases and group != "goodbye"]
    inputs += [Input("speech", q.phrases[0]) for q in line.talk.questions.values() if q.phrases]
    inputs += [Input("speech", names[0], unsure=True) for names in spoken_names(line).values() if names]
    inputs += [Input("speech", q.phrases[0], unsure=True) for q in line.talk.questions.values() if q.phrases]
    inputs += [Input("speech", words[0]) for words in (line.talk.yes, line.talk.no) if words]
    return inputs


def flows(line: Line, others: Sequence[Line] = ()) -> list[CallFlow]:
    """The call flow with each way of reaching a person: none, a number read out, a transfer; the greeting
    offers each of the `others` languages, as it does when they are served."""
    return [CallFlow(line, others=others), CallFlow(line, contact_number=EXAMPLE_NUMBER, others=others),
            CallFlow(line, EXAMPLE_NUMBER, others=others)]


def conversation_turns(flow: CallFlow, inputs: list[Input]) -> Iterator[Turn]:
    """Every turn a call can take, explored breadth-first like explore.every_turn, but without the
    inputs that are known to give a turn already seen: after a silence or a miss, only another one
    changes anything (any other input resets both counts), and with a question pending only its
    answers do (anything else clears it, as from the same place without it)."""
    changes_counts = [i for i in inputs if i.kind == "silence" or (i.kind == "speech" and i.value == UNMATCHED)
                      or (i.kind == "digits" and i.value in "*#")]
    answers = [Input("digits", key) for key in sorted({*flow.keys.values()})] + \
        [i for i in inputs if i.kind != "digits" and i not in changes_counts and (
            flow.hearing.yes_or_no(flow.hearing.normalize(i.value)) is not None)] + changes_counts
    answers += [Input("speech", p) for p in line_repeat_words(flow)]
    turns = every_turn(flow, [])  # the greeting and the turns no caller asks for
    seen: set[State] = set()
    waiting: list[State] = []
    for turn in turns:
        yield turn
        if turn.state is not None and turn.state not in seen:
            seen.add(turn.state)
            waiting.append(turn.state)
    while waiting:
        state = waiting.pop()
        tried = changes_counts if (state.silences or state.misses) else answers if state.pending else inputs
        for heard in tried:
            turn = flow.respond(state, heard)
            yield turn
            # A faster or slower voice says the same words, and a longer wait for speech too: the call is
            # not explored again at each speed, and goes on as if it had the usual wait.
            after = replace(turn.state, listen=0) if turn.state is not None else None
            if after is not None and after not in seen and after.speed_step == 0:
                seen.add(after)
                waiting.append(after)


def line_repeat_words(flow: CallFlow) -> list[str]:
    """The first way of saying "repeat", which a pending question answers by asking again."""
    phrases = flow.line.reserved["repeat"].phrases if "repeat" in flow.line.reserved else ()
    return list(phrases[:1])


def waiting_turns(line: Line, others: Sequence[Line] = ()) -> list[tuple[CallFlow, Turn]]:
    """Every different turn after which the line waits for the caller, with each way of reaching a person
    (a turn counts once for each set of keys that work after it)."""
    inputs = explored_inputs(line)
    found: dict[tuple[str, str, frozenset[str]], tuple[CallFlow, Turn]] = {}
    for flow in flows(line, others):
        for turn in conversation_turns(flow, inputs):
            if turn.state is not None and not turn.hangup and not turn.transfer_to:
                found.setdefault((str(turn.node), turn.text, frozenset(flow.keys_for(turn.state))), (flow, turn))
    return list(found.values())


def turn_length(turn: Turn, words_per_minute: int) -> TurnLength:
    """What a turn makes a caller listen to before they can choose: its words as spoken, and the
    seconds they take with the pauses between them."""
    words = sum(speech.spoken_word_count(s.spoken) for s in turn.segments)
    seconds = words * 60 / words_per_minute + sum(s.pause_ms for s in turn.segments[:-1]) / 1000
    return TurnLength(round(seconds, 1), words, str(turn.node), turn.text)


def longest_turns(line: Line, words_per_minute: int,
                  turns: list[tuple[CallFlow, Turn]] | None = None) -> list[TurnLength]:
    """The longest turn at each node of the call, longest first."""
    longest: dict[str, TurnLength] = {}
    for _, turn in waiting_turns(line) if turns is None else turns:
        length = turn_length(turn, words_per_minute)
        if length.node not in longest or length.seconds > longest[length.node].seconds:
            longest[length.node] = length
    return sorted(longest.values(), key=lambda t: -t.seconds)


def node_path(line: Line, node: str) -> tuple[str, bool]:
    """Where the words of a node are written: (field path, in the conversation files)."""
    kind, _, rest = node.partition(":")
    if kind == "topic":
        topic_id, _, part = rest.partition(":")
        return f"topics.{topic_id}.parts[{int(part) - 1}]", False
    if kind == "menu":
        return f"menus.{rest}.title", False
    if kind == "question" and rest in line.talk.questions:
        return question_path(line, rest, "answer"), True
    if kind == "confirm":
        return ("say.end_ask" if rest == "end" else "say.confirm_topic"), True
    return "phrases", False


def turn_length_problems(line: Line, words_per_minute: int,
                         turns: list[tuple[CallFlow, Turn]] | None = None) -> Iterator[Problem]:
    """No turn may make a caller listen more than 50 seconds (about 120 words) before they can choose:
    confirmation, heading, part, end-of-topic words and choices together."""
    for length in longest_turns(line, words_per_minute, turns):
        if length.seconds <= TURN_SECONDS_WARNING:
            continue
        path, ours = node_path(line, length.node)
        severity = "error" if length.seconds > TURN_SECONDS_ERROR else "warning"
        limit = TURN_SECONDS_ERROR if severity == "error" else f"{TURN_SECONDS_WARNING}, close to the most"
        message = (f"the turn at {length.node} makes a caller listen {length.seconds:g} s ({length.words} "
                   f"words, choices included) before they can choose; the most is {limit}: shorten it")
        yield (talk_problem if ours else line_problem)(line, path, message, severity)


def report(lengths: Iterable[TurnLength], words_per_minute: int) -> str:
    """The turns as lines a person reads: seconds, words, where."""
    rows = [f"{t.seconds:5.1f} s  {t.words:3d} words  {t.node}" for t in lengths]
    return f"Longest turns before a choice, at {words_per_minute} words a minute (pauses included):\n" + "\n".join(rows)

