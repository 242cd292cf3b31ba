"""How many replies one number gets in an hour: a flood from one number costs a handful of messages.

The count that holds for the whole line lives in the texter's database row (see Store.take_text):
every worker and machine adds to the same number in the same statement that reads the opt-out and
the place. `verdict` says what the nth text of an hour gets. `ReplyLimit`, kept in one worker's
memory, is the fallback for when that statement cannot run (the database away or locked): then
each worker counts for itself, so with W workers a number can get up to W times the limit.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Callable, Literal

Verdict = Literal["reply", "notice", "silent"]
WINDOW = 3600.0
MAX_NUMBERS = 50_000  # numbers remembered at once; the least recently heard is forgotten first


def verdict(texts: int, per_hour: int) -> Verdict:
    """What a number's `texts`-th text of its hour gets: a reply up to the limit, one notice, then silence."""
    if per_hour <= 0 or texts <= per_hour:
        return "reply"
    return "notice" if texts == per_hour + 1 else "silent"


@dataclass
class _Texter:
    replies: deque[float] = field(default_factory=deque)
    noticed_at: float | None = None


class ReplyLimit:
    """At most `per_hour` replies to one number (key) in any hour; one notice when it is reached, then silence."""

    def __init__(self, per_hour: int, clock: Callable[[], float] = time.monotonic):
        self.per_hour = per_hour
        self._clock = clock
        self._texters: OrderedDict[str, _Texter] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> Verdict:
        """Whether this number may have a reply now (and count it), should hear the limit once, or gets nothing."""
        if self.per_hour <= 0:
            return "reply"
        now = self._clock()
        with self._lock:
            texter = self._texters.pop(key, None) or _Texter()
            self._texters[key] = texter  # most recently heard last
            if len(self._texters) > MAX_NUMBERS:
                self._texters.popitem(last=False)
            while texter.replies and texter.replies[0] <= now - WINDOW:
                texter.replies.popleft()
            if len(texter.replies) < self.per_hour:
                texter.replies.append(now)
                return "reply"
            if texter.noticed_at is None or texter.noticed_at < texter.replies[0]:
                texter.noticed_at = now  # once for each time the limit is reached
                return "notice"
            return "silent"
