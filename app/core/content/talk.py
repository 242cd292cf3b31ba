"""Everyday words, conversation sentences and personal questions: their model, built from parsed YAML.

Pure: the content loader reads `conversation.yaml` and `questions.yaml` (with its own YAML reader, so
that every file is read one way) and hands the parsed data here; problems go back through `report`.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Mapping

from app.core.content.dates import parse_date
from app.core.content.source import Source

CONVERSATION_FILE = "conversation.yaml"
QUESTIONS_FILE = "questions.yaml"
TALK_FILES = (CONVERSATION_FILE, QUESTIONS_FILE)
# Words that count only when they are the whole answer ("what" alone asks to repeat; "what are the
# risks" asks for a topic), and words found anywhere in a sentence.
ALONE_GROUPS = ("next", "repeat", "goodbye", "maybe_end")
ANYWHERE_GROUPS = ("next", "repeat", "back", "previous", "main", "person", "help", "more-time")
KEY_NAMES = ("previous", "yes", "no")
# The keys a sentence may name, by the command they belong to.
KEY_PLACEHOLDERS = {"next", "previous", "repeat", "back", "main", "person", "yes", "no"}
# Each sentence the line says in a conversation, and the {placeholders} it may use.
SENTENCES: dict[str, set[str]] = {
    "miss_menu": {"repeat"},
    "miss_topic": {"label"},
    "miss_choices": set(),
    "miss_person": {"person"},
    "miss_text": set(),
    "option_short": {"label", "key"},
    "confirm_topic": {"heard"},
    "confirm_question": {"heard"},
    "yes_no": {"yes", "no"},
    "confirm_no": set(),
    "end_ask": set(),
    "end_no": set(),
    "first_part": set(),
    "part_keys_first": {"repeat", "back"},
    "part_keys": {"previous", "repeat", "back"},
    "part_keys_last": {"previous", "repeat"},
    "offer": {"label", "next", "repeat", "main"},
}
# Sentences that must name every one of their placeholders (the rest may leave some out).
ALL_PLACEHOLDERS_NEEDED = {"option_short", "confirm_topic", "confirm_question", "yes_no", "offer", "miss_topic"}
SMS_TEXTS: dict[str, set[str]] = {"part_mark": {"number", "count"}, "thanks": set(), "unknown": set(),
                                  "offer": {"word", "label"}}
SMS_WORD_GROUPS = ("thanks_words", "question_words")
ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

Report = Callable[[str, int, str, str, bool], None]
# A parsed file: the name editors know it by, its data, and the line each field path starts on.
Parsed = tuple[str, Any, Mapping[str, int]]


@dataclass(frozen=True)
class Question:
    """A question about one's own care that the line cannot answer for the caller: a plain answer and
    the topic to offer next. `emergency` answers must begin with the emergency words."""

    id: str
    name: str
    phrases: tuple[str, ...]
    answer: str
    text: str
    offer: str
    emergency: bool = False


@dataclass(frozen=True)
class Talk:
    """Everything a conversation needs besides menus and topics, as written in the content."""

    alone: Mapping[str, tuple[str, ...]]
    anywhere: Mapping[str, tuple[str, ...]]
    fillers: tuple[str, ...]
    yes: tuple[str, ...]
    no: tuple[str, ...]
    keys: Mapping[str, str]
    say: Mapping[str, str]
    sms: Mapping[str, str]
    sms_words: Mapping[str, tuple[str, ...]]
    key_facts: Mapping[str, str]
    questions: Mapping[str, Question]
    as_of: str = ""
    reviewed: dt.date | None = None
    sources: tuple[Source, ...] = ()
    # Dotted field path ("say.confirm_topic", "questions[2].answer") -> (file, line); the two files'
    # top-level fields differ, so one map holds both.
    locations: Mapping[str, tuple[str, int]] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> Talk:
        """No everyday words, sentences or questions (only for a Line built by hand)."""
        return cls({}, {}, (), (), (), {}, {}, {}, {}, {}, {})

    def where(self, path: str) -> tuple[str, int]:
        """The file and line of a field path, or of the nearest path containing it."""
        while path:
            if path in self.locations:
                return self.locations[path]
            shorter = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", path)
            if shorter == path:
                break
            path = shorter
        return (CONVERSATION_FILE, 0)


class _Builder:
    """Reads one parsed file's fields, reporting each problem at its line."""

    def __init__(self, parsed: Parsed, report: Report, locations: dict[str, tuple[str, int]]):
        self.file, self.data, self.lines = parsed
        self.report = report
        for path, line_number in self.lines.items():
            locations[path] = (self.file, line_number)

    def line_number_of(self, path: str) -> int:
        while path and path not in self.lines:
            shorter = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", path)
            path = "" if shorter == path else shorter
        return self.lines.get(path, 1)

    def error(self, path: str, message: str, blocking: bool = True) -> None:
        self.report(self.file, self.line_number_of(path), path or "(file)", message, blocking)

    def mapping(self, data: Any, path: str) -> Mapping[str, Any]:
        value = data.get(path.rsplit(".", 1)[-1]) if isinstance(data, Mapping) else None
        if not isinstance(value, Mapping):
            self.error(path, "is missing: see content/README.md for what it holds")
            return {}
        return value

    def text(self, data: Mapping[str, Any], key: str, path: str) -> str:
        value = data.get(key)
        full = f"{path}.{key}" if path else key
        if isinstance(value, bool) or not isinstance(value, (str, int, float)) or not str(value).strip():
            self.error(full, "is missing or empty, or not text")
            return ""
        return " ".join(str(value).split())

    def words(self, data: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
        value = data.get(key)
        full = f"{path}.{key}" if path else key
        if not isinstance(value, list) or not value:
            self.error(full, "must be a list of words, like [one, two]")
            return ()
        if any(isinstance(v, bool) for v in value):
            self.error(full, "has yes, no, on or off without quotes; write them in quotes, like \"yes\"")
            return ()
        if not all(isinstance(v, (str, int)) for v in value):
            self.error(full, "must be a list of words, like [one, two]")
            return ()
        return tuple(" ".join(str(v).split()) for v in value if str(v).strip())

    def sentence(self, data: Mapping[str, Any], key: str, path: str, allowed: set[str], needed: set[str]) -> str:
        text = self.text(data, key, path)
        try:
            used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as exc:
            self.error(f"{path}.{key}", f"has a stray brace: {exc}; write placeholders as {{name}}")
            return ""
        for name in sorted(used - allowed):
            self.error(f"{path}.{key}", f"{{{name}}} is not something the line can fill in here; "
                                        f"use {', '.join(sorted(allowed)) or 'none'}")
        for name in sorted(needed - used):
            self.error(f"{path}.{key}", f"must say {{{name}}} somewhere")
        return text



def build_talk(parsed: Mapping[str, Parsed | None], topic_ids: Collection[str], report: Report) -> Talk:
    """The Talk from the parsed conversation and questions files (a None file was reported missing)."""
    locations: dict[str, tuple[str, int]] = {}
    talk = Talk.empty()
    conversation = parsed.get(CONVERSATION_FILE)
    if conversation is not None:
        talk = _conversation(_Builder(conversation, report, locations), topic_ids)
    questions = parsed.get(QUESTIONS_FILE)
    if questions is not None:
        build = _Builder(questions, report, locations)
        data = build.data if isinstance(build.data, Mapping) else {}
        if not isinstance(build.data, Mapping):
            build.error("", "must be 'name: value' lines")
        found = _questions(build, data, topic_ids)
        reviewed = parse_date(data.get("reviewed"))
        if reviewed is None:
            build.error("reviewed", "must be the date a person last checked these answers, like 2026-11-20")
        sources = tuple(Source(" ".join(str(s.get("name", "")).split()), str(s.get("date", "")).strip(),
                                       str(s.get("file", "")).strip())
                        for s in data.get("sources") or () if isinstance(s, Mapping))
        if not sources:
            build.error("sources", "must list at least one source, each with name, date and file", blocking=False)
        talk = Talk(talk.alone, talk.anywhere, talk.fillers, talk.yes, talk.no, talk.keys, talk.say, talk.sms,
                    talk.sms_words, talk.key_facts, found, build.text(data, "as_of", ""), reviewed, sources)
    return Talk(talk.alone, talk.anywhere, talk.fillers, talk.yes, talk.no, talk.keys, talk.say, talk.sms,
                talk.sms_words, talk.key_facts, talk.questions, talk.as_of, talk.reviewed, talk.sources, locations)


def _conversation(build: _Builder, topic_ids: Collection[str]) -> Talk:
    data = build.data if isinstance(build.data, Mapping) else {}
    if not isinstance(build.data, Mapping):
        build.error("", "must be 'name: value' lines")
    words = build.mapping(data, "words")
    alone_raw = build.mapping(words, "words.alone") if words else {}
    anywhere_raw = build.mapping(words, "words.anywhere") if words else {}
    alone = {group: build.words(alone_raw, group, "words.alone") for group in ALONE_GROUPS} if alone_raw else {}
    anywhere = {group: build.words(anywhere_raw, group, "words.anywhere")
                for group in ANYWHERE_GROUPS if group in anywhere_raw}
    for group in sorted(set(alone_raw) - set(ALONE_GROUPS)):
        build.error(f"words.alone.{group}", f"is not a group the line knows; use {', '.join(ALONE_GROUPS)}")
    for group in sorted(set(anywhere_raw) - set(ANYWHERE_GROUPS)):
        build.error(f"words.anywhere.{group}", f"is not a group the line knows; use {', '.join(ANYWHERE_GROUPS)}")
    fillers = build.words(words, "fillers", "words") if words else ()
    yes = build.words(words, "yes", "words") if words else ()
    no = build.words(words, "no", "words") if words else ()

    keys_raw = build.mapping(data, "keys")
    keys: dict[str, str] = {}
    for name in KEY_NAMES:
        key = str(keys_raw.get(name, "")).strip()
        if not re.fullmatch(r"[0-9]", key):
            build.error(f"keys.{name}", "must be one keypad digit, like \"2\"")
        keys[name] = key
    if keys.get("yes") and keys.get("yes") == keys.get("no"):
        build.error("keys.no", f"key {keys['no']} is also the key for yes")

    say_raw = build.mapping(data, "say")
    say = {name: build.sentence(say_raw, name, "say", allowed | KEY_PLACEHOLDERS,
                                allowed if name in ALL_PLACEHOLDERS_NEEDED else set())
           for name, allowed in SENTENCES.items()} if say_raw else {}

    sms_raw = build.mapping(data, "sms")
    sms = {name: build.sentence(sms_raw, name, "sms", allowed, allowed)
           for name, allowed in SMS_TEXTS.items()} if sms_raw else {}
    sms_words = {group: tuple(w.upper() for w in build.words(sms_raw, group, "sms"))
                 for group in SMS_WORD_GROUPS} if sms_raw else {}

    facts_raw = data.get("key_facts")
    key_facts: dict[str, str] = {}
    if not isinstance(facts_raw, Mapping):
        build.error("key_facts", "is missing: for each topic, the words its first part and first text must say",
                    blocking=False)
    else:
        for topic_id, fact in facts_raw.items():
            if str(topic_id) not in topic_ids:
                build.error(f"key_facts.{topic_id}", f"there is no topic called '{topic_id}'", blocking=False)
            key_facts[str(topic_id)] = " ".join(str(fact or "").split())
    return Talk(alone, anywhere, fillers, yes, no, keys, say, sms, sms_words, key_facts, {})


def _questions(build: _Builder, data: Mapping[str, Any], topic_ids: Collection[str]) -> dict[str, Question]:
    raw = data.get("questions")
    if not isinstance(raw, list) or not raw:
        build.error("questions", "must list the personal questions, each with id, name, phrases, answer and offer")
        return {}
    found: dict[str, Question] = {}
    for index, item in enumerate(raw):
        path = f"questions[{index}]"
        if not isinstance(item, Mapping):
            build.error(path, "must have id, name, phrases, answer and offer")
            continue
        question_id = build.text(item, "id", path)
        if question_id and (not ID_PATTERN.fullmatch(question_id) or len(question_id) > 60):
            build.error(f"{path}.id", "must be lower-case letters and digits joined by hyphens, like cost")
        if question_id in found:
            build.error(f"{path}.id", f"'{question_id}' is already the id of another question")
        offer = build.text(item, "offer", path)
        if offer and offer not in topic_ids:
            build.error(f"{path}.offer", f"there is no topic called '{offer}' (known: {', '.join(sorted(topic_ids))})")
        answer = build.text(item, "answer", path)
        text = " ".join(str(item.get("text") or answer).split())
        emergency = item.get("emergency", False)
        if not isinstance(emergency, bool):
            build.error(f"{path}.emergency", "must be true or false")
        found[question_id] = Question(question_id, build.text(item, "name", path), build.words(item, "phrases", path),
                                      answer, text, offer, emergency is True)
    return found
