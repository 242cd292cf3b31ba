"""The content as the checks see it: every text the line says or sends, split into sentences, and problems
located at the field, and the line of the very sentence, an editor must change. Pure: no Flask, no Twilio."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Literal

from app.core import speech
from app.core.content import Line, Problem
from app.core.content.reader import sentence_line
from app.core.language import ENGLISH, Language

Channel = Literal["speech", "text"]


@dataclass(frozen=True)
class Passage:
    """One piece of content the line says (speech) or sends (text), with its dotted field path."""

    path: str
    text: str
    channel: Channel
    topic: str | None = None  # the topic it belongs to, if any


def part_path(topic_id: str, index: int) -> str:
    """The field path of a topic's spoken part."""
    return f"topics.{topic_id}.parts[{index}]"


def spoken_passages(line: Line) -> Iterator[Passage]:
    """Every piece of content the voice says, as written."""
    for name, text in line.phrases.items():
        yield Passage(f"phrases.{name}", text, "speech")
    for action, reserved in line.reserved.items():
        yield Passage(f"reserved.{action}.label", reserved.label, "speech")
    for menu in line.menus.values():
        yield Passage(f"menus.{menu.id}.title", menu.title, "speech")
        if menu.label:
            yield Passage(f"menus.{menu.id}.label", menu.label, "speech")
    for topic in line.topics.values():
        yield Passage(f"topics.{topic.id}.title", topic.title, "speech", topic.id)
        yield Passage(f"topics.{topic.id}.label", topic.label, "speech", topic.id)
        for index, part in enumerate(topic.parts):
            yield Passage(f"{part_path(topic.id, index)}.title", part.title, "speech", topic.id)
            yield Passage(part_path(topic.id, index), part.text, "speech", topic.id)


def text_passages(line: Line) -> Iterator[Passage]:
    """Every text message the line sends, as written (a topic's messages without their footer)."""
    for name, text in line.sms.texts.items():
        yield Passage(f"sms.{name}", text, "text")
    for topic in line.topics.values():
        for index, message in enumerate(topic.sms):
            yield Passage(f"topics.{topic.id}.sms[{index}]", message, "text", topic.id)


def spoken_texts(line: Line) -> Iterator[tuple[str, str]]:
    """Every piece of content the voice says, as (field path, text as written)."""
    return ((passage.path, passage.text) for passage in spoken_passages(line))


def all_passages(line: Line) -> Iterator[Passage]:
    """What the line says, then what it sends."""
    yield from spoken_passages(line)
    yield from text_passages(line)


def sentences(text: str, language: Language = ENGLISH) -> list[str]:
    """A text split after each full stop, question or exclamation mark (the language's own rule)."""
    return language.editorial.sentences(text)


def sentence_with(text: str, fragment: str) -> str | None:
    """The first sentence of a text that holds `fragment` (to point a report at its line)."""
    return next((s for s in sentences(text) if fragment in s), None)


def speaking_seconds(line: Line, text: str, words_per_minute: int) -> float:
    """Estimated seconds to say a text, after the pronunciation list is applied."""
    return speech.speaking_seconds(line.pronounce(text), words_per_minute)


def brief(sentence: str, words: int = 8) -> str:
    """The start of a sentence, enough to find it."""
    parts = sentence.split()
    return " ".join(parts[:words]) + (" ..." if len(parts) > words else "")


# ----- where a problem is written, in words an editor knows ----------------------------------------

def place_name(line: Line, path: str) -> str:
    """How a field is named in a report: "part 2 "Fever"", "text message 1", "the greeting"..."""
    match = re.fullmatch(r"topics\.([^.]+)(?:\.(.*))?", path)
    if not match:
        return _line_field_name(path)
    topic_id, rest = match.groups()
    if not rest:
        return "whole topic"
    part = re.fullmatch(r"parts\[(\d+)\](.*)", rest)
    if part and topic_id in line.topics:
        index = int(part.group(1))
        tail = " heading" if part.group(2) == ".title" else part.group(2)
        return f"part {index + 1} \"{line.topics[topic_id].parts[index].title}\"{tail}"
    message = re.fullmatch(r"sms\[(\d+)\]", rest)
    if message:
        return f"text message {int(message.group(1)) + 1}"
    return rest


def _line_field_name(path: str) -> str:
    """line.yaml's fields by what they are: "phrase 'greeting'", "menu 'main', choice 3"..."""
    return plain_field(path)


# A field path as the loader writes it -> how an editor would say it.
PLAIN_FIELDS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(pattern), words) for pattern, words in (
    (r"sms\[(\d+)\]", "text message {n1}"),
    (r"sms\.keywords\.(\w+)", "words a texter sends for '{1}'"),
    (r"sms\.(\w+)", "text reply '{1}'"),
    (r"phrases\.(\w+)", "phrase '{1}'"),
    (r"templates\.(\w+)", "sentence pattern '{1}'"),
    (r"reserved\.(\w+)\.(\w+)", "command '{1}', {2}"),
    (r"reserved\.(\w+)", "command '{1}'"),
    (r"menus\.([\w-]+)\.options\[(\d+)\]\.(\w+)", "menu '{1}', choice {n2}, {3}"),
    (r"menus\.([\w-]+)\.options\[(\d+)\]", "menu '{1}', choice {n2}"),
    (r"menus\.([\w-]+)\.(\w+)", "menu '{1}', {2}"),
    (r"menus\.([\w-]+)", "menu '{1}'"),
    (r"sources\[(\d+)\]\.(\w+)", "source {n1}, {2}"),
    (r"sources\[(\d+)\]", "source {n1}"),
    (r"\(settings\)", "settings at the top"),
    (r"\(file\)", "whole file"),
    (r"\(folder\)", "folder"),
))


def plain_field(field: str) -> str:
    """A loader's field path in plain words ("sms[0]" -> "text message 1"); other fields as they are."""
    for pattern, words in PLAIN_FIELDS:
        match = pattern.fullmatch(field)
        if match:
            groups = match.groups()
            values = {f"n{i}": int(g) + 1 for i, g in enumerate(groups, 1) if g.isdigit()}
            return words.format("", *groups, **values)
    return field


def problem_at(line: Line, path: str, message: str, severity: str = "error", sentence: str | None = None) -> Problem:
    """A problem at a field, located through the loader's record of where fields are written, and at the
    line of `sentence` within it when one is given."""
    where = line.where(path)
    row = sentence_line(where.file, where.line_number, sentence) if sentence else where.line_number
    return Problem(where.file, row, place_name(line, path), message, severity)


def talk_problem(line: Line, path: str, message: str, severity: str = "error") -> Problem:
    """A problem at a field of conversation.yaml or questions.yaml."""
    file, number = line.talk.where(path)
    return Problem(file, number, path, message, severity)


def line_problem(line: Line, path: str, message: str, severity: str = "error") -> Problem:
    """A problem at a field of line.yaml or a topic file."""
    where = line.where(path)
    return Problem(where.file, where.line_number, path.split(".", 2)[-1] if path.startswith("topics.") else path,
                   message, severity)


def question_path(line: Line, question_id: str, field: str) -> str:
    """The field path of a personal question's field in questions.yaml."""
    return f"questions[{list(line.talk.questions).index(question_id)}].{field}"
