"""The content model: frozen values for everything the line can say, and the rules every id follows."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Mapping, TypeVar

from app.core.content.concepts import Concepts
from app.core.content.source import Source
from app.core.content.talk import Talk
from app.core.language import Language
from app.core.language import language as language_named

RESERVED_ACTIONS = ("next", "repeat", "back", "main", "person", "help", "goodbye",
                    "text", "slower", "faster", "normal", "forget", "language")
# Commands a line may go without: "language" switches to the line's other language, when it has one.
OPTIONAL_ACTIONS = ("language",)
# Actions that must have a key, and the same key everywhere.
KEYED_ACTIONS = ("next", "repeat", "back", "main", "person", "text", "slower")
REQUIRED_PHRASES = (
    "greeting", "disclaimer", "help", "silence", "silence_more_help", "silence_last_warning", "goodbye_after_silence",
    "not_a_choice", "not_understood", "lost_place", "at_main_menu", "end_of_topic", "transfer", "transfer_failed",
    "contact_number", "contact_number_again", "contact_number_repeat", "no_person", "error", "goodbye",
    # Remembering the caller: texts, speed, forgetting.
    "text_list", "text_already", "text_opted_out", "text_limit", "speed_slower", "speed_slowest", "speed_faster",
    "speed_fastest", "speed_normal", "forget_ask", "forgotten", "forget_failed", "forget_kept", "more_time",
)
# Phrases a line may go without: "language_offer" is how the other language's greeting offers this one,
# in this language ("Para español, oprima asterisco, o diga español.").
OPTIONAL_PHRASES = ("language_offer",)
# Sentence templates and the {placeholders} each must use, so that no sentence is built in code.
TEMPLATES = {
    "option": {"label", "key"},
    "command": {"label", "key"},
    "next_part": {"label", "key", "say"},
    "another_topic": {"key"},
    "confirm": {"label"},
    "part_heading": {"number", "count", "title"},
    "commands_help": {"words"},
    "text_topic": {"title"},
    "text_first": {"word"},
    "text_no_number": {"word"},
    "text_failed": {"word"},
    "resume": {"title", "number", "key"},
    "resume_one_part": {"title", "key"},
}
SMS_TEXTS = ("menu", "more_footer", "last_footer", "no_more", "help", "stop", "start", "error", "stop_failed",
             "start_failed", "limit", "forgotten", "maybe_stop", "person")
SMS_KEYWORD_GROUPS = ("menu", "more", "help", "stop", "start", "forget")
MAX_TOPIC_CHOICES = 4
MAX_DEPTH = 3
MAIN_MENU = "main"
# Menu and topic ids, which are also the steps of a call's place in the URL Twilio sends back.
ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_ID_LENGTH = 60
ID_RULE = (f"must be lower-case letters and digits, words joined by single hyphens, at most {MAX_ID_LENGTH} "
           "characters, like find-a-trial")
T = TypeVar("T")


def is_valid_id(text: str) -> bool:
    """Whether a text can be a menu or topic id: see ID_PATTERN and MAX_ID_LENGTH."""
    return len(text) <= MAX_ID_LENGTH and ID_PATTERN.fullmatch(text) is not None


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the content, located by file, line and field."""

    file: str
    line_number: int
    field: str
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        return f"{self.file}:{self.line_number}: {self.field}: {self.message}"


class ContentError(Exception):
    """The content cannot be used; carries every problem found.

    `partial` is the Line built despite problems that leave the model whole (a bad source date, a
    character a text message cannot carry...), so that `flask content check` can go on to its own
    checks in the same run; it is None when the content could not be built. `pieces` is, then, a
    Line of every file that could be read (a broken topic file left out, menus leading only where
    they can), so that one broken file never hides the problems of another. The app uses neither.
    """

    def __init__(self, problems: list[Problem], partial: Line | None = None, pieces: Line | None = None):
        self.problems = problems
        self.partial = partial
        self.pieces = pieces
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Where:
    """A place in a content file."""

    file: str
    line_number: int


@dataclass(frozen=True)
class Part:
    """One spoken part of a topic: short enough to hear before the caller gets a choice."""

    title: str
    text: str
    line_number: int


@dataclass(frozen=True)
class Topic:
    """One subject the line explains, by voice (parts) and by text (sms messages)."""

    id: str
    title: str
    label: str
    phrases: tuple[str, ...]
    sms_keyword: str
    sms_synonyms: tuple[str, ...]
    as_of: str
    reviewed: dt.date
    sources: tuple[Source, ...]
    parts: tuple[Part, ...]
    sms: tuple[str, ...]
    file: str


@dataclass(frozen=True)
class Option:
    """A numbered choice in a menu, leading to a topic or another menu."""

    key: str
    kind: str  # "topic" or "menu"
    target: str


@dataclass(frozen=True)
class Menu:
    """A list of up to four choices."""

    id: str
    title: str
    label: str
    phrases: tuple[str, ...]
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Reserved:
    """A command that means the same in every menu: repeat, go back, main menu, a person..."""

    action: str
    key: str | None
    label: str
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class SmsContent:
    """The fixed text-message replies and the keywords that call them."""

    texts: Mapping[str, str]
    keywords: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Pronouncer:
    """The pronunciation list, compiled once: longest terms first, whole words only.

    A term written in lower case ("ocrelizumab") matches in any case; a term with capitals
    ("MS", "CAR-T") matches only as written.
    """

    pattern: re.Pattern[str]
    exact: Mapping[str, str]
    any_case: Mapping[str, str]

    @classmethod
    def build(cls, pronunciations: tuple[tuple[str, str], ...]) -> Pronouncer | None:
        """A pronouncer for (term, how to say it) pairs; None when there are none."""
        if not pronunciations:
            return None
        terms = sorted((term for term, _ in pronunciations), key=len, reverse=True)  # "CAR-T" before "CAR"
        alternatives = (f"(?i:{re.escape(t)})" if t == t.lower() else re.escape(t) for t in terms)
        return cls(re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])"),
                   {t: said for t, said in pronunciations if t != t.lower()},
                   {t: said for t, said in pronunciations if t == t.lower()})

    def apply(self, text: str) -> str:
        """Text with each listed term replaced by how the voice should say it."""
        return self.pattern.sub(self._said, text)

    def _said(self, match: re.Match[str]) -> str:
        term = match.group(0)
        return self.exact.get(term) or self.any_case[term.lower()]


@dataclass(frozen=True)
class Line:
    """Everything the line can say, loaded and checked once at start-up."""

    name: str
    phrases: Mapping[str, str]
    templates: Mapping[str, str]
    reserved: Mapping[str, Reserved]
    menus: Mapping[str, Menu]
    topics: Mapping[str, Topic]
    pronunciations: tuple[tuple[str, str], ...]
    jargon: Mapping[str, str]
    sms: SmsContent
    language: str
    # Dotted field path -> where it is written, for messages that point editors at a line.
    locations: Mapping[str, Where] = field(default_factory=dict)
    # Node id -> menu path from the main menu (a topic's path ends with its own id).
    paths: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Everyday words, conversation sentences and personal questions (content/talk.py).
    talk: Talk = field(default_factory=Talk.empty)
    # Word classes and intents (content/concepts.py): how callers' own words are understood.
    concepts: Concepts = field(default_factory=Concepts)
    _pronouncer: Pronouncer | None = field(default=None, repr=False, compare=False)

    def where(self, path: str) -> Where:
        """The closest known location of a field path ("menus.main.options[1]")."""
        return closest(self.locations, path, Where("content", 0))

    @property
    def lang(self) -> Language:
        """What the line's language is: its voice, recogniser, letters and editorial rules."""
        return language_named(self.language)

    @property
    def command_keys(self) -> dict[str, str]:
        """Each key that works in every menu and topic (every reserved key but next's) -> its action."""
        return command_key_actions(self.reserved)

    def pronounce(self, text: str) -> str:
        """Text as the voice should say it, with the pronunciation list applied."""
        return self._pronouncer.apply(text) if self._pronouncer else text

    def topic_sms(self, topic: Topic, index: int) -> str:
        """Text message number `index` of a topic, with its footer."""
        return line_sms_text(self.sms.texts, topic, index)


def _enclosing_paths(path: str) -> list[str]:
    """A field path and each path that contains it: "a.b[2].c", "a.b[2]", "a.b", "a"."""
    paths = []
    while path:
        paths.append(path)
        shorter = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", path)
        if shorter == path:
            break
        path = shorter
    return paths


def closest(found: Mapping[str, T], path: str, default: T) -> T:
    """The value recorded for a field path or, failing that, for the nearest path that contains it."""
    for candidate in _enclosing_paths(path):
        if candidate in found:
            return found[candidate]
    return default


def command_key_actions(reserved: Mapping[str, Reserved]) -> dict[str, str]:
    """Each key of a command that works everywhere -> the (first) action using it."""
    return {key: actions[0] for key, actions in command_key_users(reserved).items()}


def command_key_users(reserved: Mapping[str, Reserved]) -> dict[str, list[str]]:
    """Each key of a command that works everywhere (all reserved keys but next's) -> the actions using it."""
    users: dict[str, list[str]] = {}
    for action in reserved.values():
        if action.key and action.action != "next":
            users.setdefault(action.key, []).append(action.action)
    return users


def line_sms_text(sms_texts: Mapping[str, str], topic: Topic, index: int) -> str:
    """A topic's text message with the footer the line adds to it."""
    last = index == len(topic.sms) - 1
    return f"{topic.sms[index]} {sms_texts.get('last_footer' if last else 'more_footer', '')}".strip()
