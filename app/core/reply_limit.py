"""How many replies one number gets in an hour: a flood from one number costs a handful of messages.

Kept in memory by each web worker: cheap, and it never waits for the database. With W workers a
number can get up to W times the limit in the worst case, and a worker that restarts forgets.
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
