"""The content as the checks see it: every text the voice says, and problems located at the field
(and file line) an editor must change."""

from __future__ import annotations

import re
from typing import Iterator

from .. import speech
from ..content import Line, Problem

SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def problem_at(line: Line, path: str, message: str, severity: str = "error") -> Problem:
    """A problem at a dotted field path, located through the loader's record of where fields are written."""
    where = line.where(path)
    return Problem(where.file, where.line, field_name(line, path), message, severity)


def field_name(line: Line, path: str) -> str:
    """How a field is named in a report: topic fields relative to their file, parts by number and title."""
    match = re.fullmatch(r"topics\.([^.]+)(?:\.(.*))?", path)
    if not match:
        return path
    topic_id, rest = match.groups()
    if not rest:
        return "body"
    part = re.fullmatch(r"parts\[(\d+)\](.*)", rest)
    if part and topic_id in line.topics:
        index = int(part.group(1))
        return f"part {index + 1} \"{line.topics[topic_id].parts[index].title}\"{part.group(2)}"
    return rest


def part_path(topic_id: str, index: int) -> str:
    """The field path of a topic's spoken part."""
    return f"topics.{topic_id}.parts[{index}]"


def spoken_texts(line: Line) -> Iterator[tuple[str, str]]:
    """Every piece of content the voice says, as (field path, text as written)."""
    for name, text in line.phrases.items():
        yield f"phrases.{name}", text
    for action, reserved in line.reserved.items():
        yield f"reserved.{action}.label", reserved.label
    for menu in line.menus.values():
        yield f"menus.{menu.id}.title", menu.title
        if menu.label:
            yield f"menus.{menu.id}.label", menu.label
    for topic in line.topics.values():
        yield f"topics.{topic.id}.title", topic.title
        yield f"topics.{topic.id}.label", topic.label
        for index, part in enumerate(topic.parts):
            yield f"{part_path(topic.id, index)}.title", part.title
            yield part_path(topic.id, index), part.text


def sentences(text: str) -> list[str]:
    """A text split after each full stop, question or exclamation mark."""
    return [s for s in SENTENCE_END.split(text.strip()) if s]


def speaking_seconds(line: Line, text: str, words_per_minute: int) -> float:
    """Estimated seconds to say a text, after the pronunciation list is applied."""
    return speech.speaking_seconds(line.pronounce(text), words_per_minute)


def brief(sentence: str, words: int = 8) -> str:
    """The start of a sentence, enough to find it."""
    parts = sentence.split()
    return " ".join(parts[:words]) + (" ..." if len(parts) > words else "")
