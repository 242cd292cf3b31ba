"""Text-message conversations as pure functions: which kind of message this is, and the reply."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

from .content import MAIN_MENU, Line
from .node import Node

OptOutGroup = Literal["stop", "start", "help"]
OPT_OUT_GROUPS: tuple[OptOutGroup, ...] = ("stop", "start", "help")
FUZZY_CUTOFF = 0.75
# Only a short message is read for words: a long one is a question for a person, not a keyword.
MAX_WORDS_READ = 8
# Keywords outweigh synonyms when a sentence holds words of two topics.
KEYWORD_WEIGHT, SYNONYM_WEIGHT = 2, 1


@dataclass(frozen=True)
class Position:
    """The topic a texter is reading and the next message of it to send on MORE."""

    topic: str
    next_part: int


@dataclass(frozen=True)
class Reply:
    """What to send back and where the texter now is."""

    body: str
    position: Position | None
    node: Node


def normalize_sms(message: str) -> str:
    """Upper-case words only, as carriers compare keywords."""
    return " ".join(re.sub(r"[^A-Z0-9 ]+", " ", message.upper()).split())


class TextFlow:
    """Answers texters from the content; keeps no state of its own."""

    def __init__(self, line: Line):
        self.line = line
        self.keywords = {topic.sms_keyword: topic.id for topic in line.topics.values()}
        self.synonyms = {word: topic.id for topic in line.topics.values() for word in topic.sms_synonyms}
        for index, topic_id in enumerate(self._topics_in_menu_order(), start=1):
            self.keywords.setdefault(str(index), topic_id)
        self.typo_targets = [w for w in (*self.keywords, *self.synonyms) if len(w) > 2]

    def _topics_in_menu_order(self, menu_id: str = MAIN_MENU) -> list[str]:
        """Topics in the order a caller meets them in the menus, so texters can reply 1, 2, 3..."""
        order: list[str] = []
        for option in self.line.menus[menu_id].options:
            if option.kind == "topic":
                order.append(option.target)
            else:
                order += self._topics_in_menu_order(option.target)
        return list(dict.fromkeys(order))

    def opt_out_group(self, message: str) -> OptOutGroup | None:
        """Whether a whole message is a STOP, START or HELP word (or phrase), and which."""
        text = normalize_sms(message)
        for group in OPT_OUT_GROUPS:
            if text in self.line.sms.keywords[group]:
                return group
        return None

    def is_forget(self, message: str) -> bool:
        """Whether a whole message asks the line to erase what it keeps about the number (FORGET)."""
        return normalize_sms(message) in self.line.sms.keywords.get("forget", ())

    def reply(self, message: str, position: Position | None) -> Reply:
        """The reply to one inbound message that is not STOP, START or HELP."""
        text = normalize_sms(message)
        words = text.split()[:MAX_WORDS_READ]
        more = self.line.sms.keywords["more"]
        if text in more:
            return self._more(position)
        if text in self.line.sms.keywords["menu"] or not text:
            return self._menu(position)
        topic_id = self._find_topic(text, words)
        if topic_id:
            return self._send(topic_id, 0)
        if any(word in more for word in words):  # "tell me more", "more please"
            return self._more(position)
        return self._menu(position)

    def _find_topic(self, text: str, words: list[str]) -> str | None:
        """The topic a message asks for: a whole keyword, the best-supported topic in a sentence, a typo."""
        if text in self.keywords or text in self.synonyms:
            return self.keywords.get(text) or self.synonyms[text]
        # Score each topic by its words in the sentence; on a tie the later word wins, since the
        # subject comes after the question word ("what are the RISKS", "how do I join a TRIAL").
        scores: dict[str, tuple[int, int]] = {}
        for index, word in enumerate(words):
            for table, weight in ((self.keywords, KEYWORD_WEIGHT), (self.synonyms, SYNONYM_WEIGHT)):
                if word in table and not word.isdigit():
                    total, _ = scores.get(table[word], (0, 0))
                    scores[table[word]] = (total + weight, index)
        if scores:
            return max(scores, key=scores.__getitem__)
        for word in words:
            close = difflib.get_close_matches(word, self.typo_targets, n=1, cutoff=FUZZY_CUTOFF)
            if close:
                return self.keywords.get(close[0]) or self.synonyms[close[0]]
        return None

    def _menu(self, position: Position | None) -> Reply:
        # The texter keeps their place: MORE after the list goes on where they were.
        return Reply(self.line.sms.texts["menu"], position, Node.menu())

    def _more(self, position: Position | None) -> Reply:
        if position is None or position.topic not in self.line.topics:
            return self._menu(None)
        topic = self.line.topics[position.topic]
        if position.next_part >= len(topic.sms):
            return Reply(self.line.sms.texts["no_more"], position, Node("topic-end", topic.id))
        return self._send(topic.id, position.next_part)

    def _send(self, topic_id: str, index: int) -> Reply:
        topic = self.line.topics[topic_id]
        return Reply(self.line.topic_sms(topic, index), Position(topic_id, index + 1),
                     Node.topic(topic_id, index + 1))
