"""The values a call's turn is made of: where the call is (State), what the caller did (Input), and
what the line does next (Turn of Segments). Pure, small and frozen; State travels in Twilio's URLs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Mapping, get_args

from app.core import pace
from app.core.caller_requests import Request
from app.core.content import MAIN_MENU, is_valid_id
from app.core.events import Event
from app.core.limits import MAX_DIGITS, MAX_SPEECH_CHARS
from app.core.node import Node

InputKind = Literal["digits", "speech", "silence"]
SegmentKind = Literal["text", "phone_number"]
# What the line is waiting to hear besides the choices of the place: "Is that right?" (confirm),
# "Do you want to end the call?" (end), the offer after a personal question's answer (answer),
# "Do you want the line to forget ...?" (forget), or, after the greeting, "To go on from there,
# press 1" (resume: the call waits at the topic part the last call ended in).
PendingKind = Literal["confirm", "end", "answer", "forget", "resume"]
TargetKind = Literal["topic", "menu", "question"]
PENDING_KINDS: tuple[PendingKind, ...] = get_args(PendingKind)
TARGET_KINDS: tuple[TargetKind, ...] = get_args(TargetKind)

MAX_SILENCES = 3
# Misses in a row count 1, 2, 3, then 2, 3, 2...: help grows, and never repeats the reply just heard.
MAX_MISSES = 3
# Steps of extra time to speak a caller may have (see app/core/listening.py).
MAX_LISTEN = 3
# Pauses, in milliseconds, that give a tired listener time between ideas.
PAUSE_SHORT = 400
PAUSE_LONG = 800


@dataclass(frozen=True)
class Pending:
    """A question the line asked and waits for an answer to, and what it is about (a topic, menu or
    personal question); "end" and "forget" have no target."""

    kind: PendingKind
    target_kind: TargetKind | None = None
    target: str = ""


@dataclass(frozen=True)
class State:
    """Where a call is: the menu path to the current node, the part heard, silences and misses in a
    row, a question the line is waiting to have answered, the speed the caller chose (steps
    from the usual speed, see app/core/pace.py) and the steps of extra time they have to speak."""

    path: tuple[str, ...] = (MAIN_MENU,)
    part: int = 0
    silences: int = 0
    misses: int = 0
    pending: Pending | None = None
    speed_step: int = 0
    listen: int = 0

    def to_params(self) -> dict[str, str]:
        """The state as URL query parameters."""
        params = {"at": "/".join(self.path)}
        if self.part:
            params["part"] = str(self.part)
        if self.silences:
            params["quiet"] = str(self.silences)
        if self.misses:
            params["miss"] = str(self.misses)
        if self.speed_step:
            params["pace"] = str(self.speed_step)
        if self.listen:
            params["wait"] = str(self.listen)
        if self.pending:
            params["ask"] = self.pending.kind
            if self.pending.target_kind:
                params["to"] = f"{self.pending.target_kind}.{self.pending.target}"
        return params

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> State | None:
        """Read a state back from URL parameters; None when they make no sense."""
        at = params.get("at", "")
        if not at or len(at) > 200:
            return None
        path = tuple(at.split("/"))
        if not all(is_valid_id(step) for step in path):
            return None
        try:
            part = int(params.get("part", "0") or 0)
            silences = int(params.get("quiet", "0") or 0)
            misses = int(params.get("miss", "0") or 0)
            speed_step = int(params.get("pace", "0") or 0)
            listen = int(params.get("wait", "0") or 0)
        except ValueError:
            return None
        if not (0 <= part < 100 and 0 <= silences <= MAX_SILENCES and 0 <= misses <= MAX_MISSES
                and pace.SLOWEST <= speed_step <= pace.FASTEST and 0 <= listen <= MAX_LISTEN):
            return None
        pending = _pending_from(params.get("ask", ""), params.get("to", ""))
        if pending is False:
            return None
        return cls(path, part, silences, misses, pending or None, speed_step, listen)


def _pending_from(ask: str, to: str) -> Pending | None | Literal[False]:
    """The pending question in the URL: None when there is none, False when it makes no sense."""
    if not ask and not to:
        return None
    kind = next((k for k in PENDING_KINDS if k == ask), None)
    if kind is None:
        return False
    if kind == "end" or kind == "forget":
        return Pending(kind) if not to else False
    target_kind_text, _, target = to.partition(".")
    target_kind = next((k for k in TARGET_KINDS if k == target_kind_text), None)
    if target_kind is None or not is_valid_id(target):
        return False
    return Pending(kind, target_kind, target)


@dataclass(frozen=True)
class Input:
    """What the caller did: pressed keys, said something, or stayed silent. `unsure` speech is what
    the recogniser doubted; a choice it leads to is confirmed first."""

    kind: InputKind
    value: str = ""
    unsure: bool = False

    @classmethod
    def from_gather(cls, digits: str, speech: str, timed_out: bool, confidence: str = "",
                    min_confidence: float = 0.0) -> Input:
        """What a listening turn heard: keys win over speech; nothing at all (or a timeout) is silence.

        Speech is unsure when its confidence is below `min_confidence` (0 turns this off). A missing,
        unreadable or zero confidence counts as sure: some speech providers send none.
        """
        if not timed_out and digits.strip():
            return cls("digits", digits.strip()[:MAX_DIGITS])
        if not timed_out and speech.strip():
            try:
                score = float(confidence)
            except ValueError:
                score = 0.0
            unsure = 0.0 < score < min_confidence  # NaN or infinity: not below, so sure
            return cls("speech", speech[:MAX_SPEECH_CHARS], unsure)
        return cls("silence")


@dataclass(frozen=True)
class Segment:
    """A piece of speech and the pause after it; `spoken` is how the voice says `text`.

    Built only by the call flow, which applies the pronunciation list once; phone numbers are
    read slowly, digit by digit.
    """

    text: str
    pause_ms: int = PAUSE_SHORT
    kind: SegmentKind = "text"
    spoken: str = ""
    language: str = ""  # a language code when not the line's own: the other language's offer in the greeting


@dataclass(frozen=True)
class Turn:
    """What the line does next: say these segments, then wait at `state`, hang up or transfer."""

    segments: tuple[Segment, ...]
    state: State | None
    node: Node
    hints: tuple[str, ...] = ()
    hangup: bool = False
    transfer_to: str | None = None
    request: Request | None = None  # texts to queue, or a caller to forget: the web layer does it
    events: tuple[Event, ...] = ()  # what to count besides the node reached: a miss, a confirmation, ...
    # What the line took the caller to mean ("command:repeat", "question:cost", "nothing"): for counts
    # and the understanding benchmark; "" when the caller did not speak or press a key.
    understood: str = ""

    @property
    def text(self) -> str:
        """Everything said in this turn, as plain text."""
        return " ".join(s.text for s in self.segments)
