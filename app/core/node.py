"""Where a call or text thread is after a turn: a small typed value, counted and logged by its name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# menu/topic: a menu or a topic part; topic-end: a texter asked for MORE past the last message;
# question: the answer to a personal question (by voice or text); confirm: "Is that right?" or
# "Do you want to end the call?" (id "end"); thanks: a texter's thanks or emoji answered briefly;
# text: a topic (or "list") texted during a call; speed: the caller's new speed, by its step's name;
# language: the caller or texter chose another language (its code is the id);
# resume: the offer to go on from where the last call ended; forget-ask, forget: "forget me";
# language: a caller asked for another language (by its code); more-time: more time to speak;
# maybe-stop: a text that may mean "stop texting me" was told how to stop; person: asked by text for a person;
# the rest are single moments with no id (stop-failed/start-failed: neither the database nor the journal
# could take it; limit-notice/limited: a texter past SMS_REPLIES_PER_HOUR, told once, then not answered).
NodeKind = Literal["menu", "topic", "topic-end", "question", "confirm", "thanks", "transfer", "goodbye",
                   "silence-goodbye", "stop", "start", "help", "opted-out", "answered-by-twilio",
                   "stop-failed", "start-failed", "limit-notice", "limited", "error",
                   "text", "speed", "resume", "forget-ask", "forget", "language", "more-time", "maybe-stop",
                   "person"]


@dataclass(frozen=True)
class Node:
    """A menu, a topic part (counted from 1), or a moment such as goodbye."""

    kind: NodeKind
    id: str = ""
    part: int = 0

    def __str__(self) -> str:
        """The name logs and usage counts use: "menu:main", "topic:risks:2", "topic:risks:end", "goodbye"."""
        if self.kind == "topic":
            return f"topic:{self.id}:{self.part}"
        if self.kind == "topic-end":
            return f"topic:{self.id}:end"
        return f"{self.kind}:{self.id}" if self.id else self.kind

    @classmethod
    def menu(cls, menu_id: str = "") -> Node:
        """A menu; the text line's single menu has no id."""
        return cls("menu", menu_id)

    @classmethod
    def topic(cls, topic_id: str, part: int) -> Node:
        """Part `part` (from 1) of a topic."""
        return cls("topic", topic_id, part)
