"""Text-message conversations as a pure function: (message, where the texter was) -> reply."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from .content import MAIN_MENU, Line

FUZZY_CUTOFF = 0.75
MAX_WORDS_READ = 6


@dataclass(frozen=True)
class Position:
    """The topic a texter is reading and the next message of it to send on MORE."""

    topic: str
    next_part: int


@dataclass(frozen=True)
class Reply:
    """What to send back (None sends nothing) and what to remember."""

    kind: str  # stop, start, help, menu, topic, more, no_more
    body: str | None
    position: Position | None = None
    node: str = ""


def classify(line: Line, message: str) -> str | None:
    """The opt-out group a whole message belongs to (stop, start or help), if any."""
    word = normalize_sms(message)
    for group in ("stop", "start", "help"):
        if word in line.sms.keywords[group]:
            return group
    return None


def normalize_sms(message: str) -> str:
    """Upper-case words only, as carriers compare keywords."""
    return " ".join(re.sub(r"[^A-Z0-9 ]+", " ", message.upper()).split())


class TextFlow:
    """Answers texters from the content; keeps no state of its own."""

    def __init__(self, line: Line):
        self.line = line
        self.topic_order = self._topics_in_menu_order()
        self.keywords = {topic.sms_keyword: topic.id for topic in line.topics.values()}
        self.synonyms = {word: topic.id for topic in line.topics.values() for word in topic.sms_synonyms}
        for index, topic_id in enumerate(self.topic_order, start=1):
            self.keywords.setdefault(str(index), topic_id)

    def _topics_in_menu_order(self, menu_id: str = MAIN_MENU) -> list[str]:
        """Topics in the order a caller meets them in the menus, so texters can reply 1, 2, 3..."""
        order: list[str] = []
        for option in self.line.menus[menu_id].options:
            if option.kind == "topic":
                order.append(option.target)
            else:
                order += self._topics_in_menu_order(option.target)
        return list(dict.fromkeys(order))

    def reply(self, message: str, position: Position | None) -> Reply:
        """The reply to one inbound message (opt-out words are handled before this)."""
        text = normalize_sms(message)
        keywords = self.line.sms.keywords
        texts = self.line.sms.texts
        if text in keywords["help"]:
            return Reply("help", texts["help"], position, "help")
        if text in keywords["more"]:
            return self._more(position)
        if text in keywords["menu"] or not text:
            return self._menu()
        topic_id = self._find_topic(text)
        if topic_id:
            return self._send(topic_id, 0, "topic")
        return self._menu()

    def _find_topic(self, text: str) -> str | None:
        """The topic a message asks for: a whole keyword, a keyword in a short sentence, then a typo."""
        for words in (self.keywords, self.synonyms):
            if text in words:
                return words[text]
        tokens = text.split()[:MAX_WORDS_READ]
        # Keywords before synonyms, so "tell me ABOUT TRIALS" finds trials, not the basics.
        for words in (self.keywords, self.synonyms):
            for token in tokens:
                if token in words and not token.isdigit():
                    return words[token]
        known = [w for w in (*self.keywords, *self.synonyms) if len(w) > 2]
        for token in tokens:
            close = difflib.get_close_matches(token, known, n=1, cutoff=FUZZY_CUTOFF)
            if close:
                return self.keywords.get(close[0]) or self.synonyms[close[0]]
        return None

    def _menu(self) -> Reply:
        return Reply("menu", self.line.sms.texts["menu"], None, "menu")

    def _more(self, position: Position | None) -> Reply:
        if position is None or position.topic not in self.line.topics:
            return self._menu()
        topic = self.line.topics[position.topic]
        if position.next_part >= len(topic.sms):
            return Reply("no_more", self.line.sms.texts["no_more"], position, f"topic:{topic.id}:end")
        return self._send(topic.id, position.next_part, "more")

    def _send(self, topic_id: str, index: int, kind: str) -> Reply:
        topic = self.line.topics[topic_id]
        return Reply(kind, self.line.topic_sms(topic, index), Position(topic_id, index + 1),
                     f"topic:{topic_id}:{index + 1}")
