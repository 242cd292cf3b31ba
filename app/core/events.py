"""What happened on a call or text thread, as typed events the adapters count (never a string parsed later)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, NamedTuple, get_args

# call/message: a call or a text came in; reached: a node was said (node: str(Node)); input: how a
# caller answered (keys, speech, silence); miss: the line did not understand (node: where); hangup:
# where a call ended (node: the last node); duration: how long a call lasted (node: a bucket);
# confirm: "Is that right?" asked (node: what about, or "end"), confirm_yes/confirm_no: its answer;
# question/emergency: a personal question or an emergency answered (node: the question's id);
# text_requested: a caller asked for a text (node: topic or "list"); text_sent/text_failed: the
# sender's outcome; text_delivered: Twilio's delivery report; opt_out/restart: STOP and START;
# language: the language a call or text thread is in (node: its code), once there are two.
EventKind = Literal["call", "message", "reached", "input", "miss", "hangup", "duration", "confirm", "confirm_yes",
                    "confirm_no", "question", "emergency", "text_requested", "text_sent", "text_delivered",
                    "text_failed", "opt_out", "restart", "language"]
EVENT_KINDS: tuple[EventKind, ...] = get_args(EventKind)
Channel = Literal["voice", "sms"]
CHANNELS: tuple[Channel, ...] = get_args(Channel)

# Call lengths, counted in these buckets only: (upper bound in seconds, name).
DURATIONS: tuple[tuple[int, str], ...] = ((60, "under-1-min"), (180, "1-3-min"), (600, "3-10-min"))
LONGEST = "over-10-min"
DURATION_NAMES: tuple[str, ...] = (*(name for _, name in DURATIONS), LONGEST)


@dataclass(frozen=True)
class Event:
    """One thing to count: what happened (kind) and where or about what (node)."""

    kind: EventKind
    node: str = ""


class Tally(NamedTuple):
    """How many times an event happened on a day, on the phone or by text."""

    day: dt.date
    channel: Channel
    event: Event
    times: int


def duration_bucket(seconds: int) -> str:
    """The bucket a call of `seconds` falls in: "under-1-min", "1-3-min", "3-10-min" or "over-10-min"."""
    return next((name for bound, name in DURATIONS if seconds < bound), LONGEST)
