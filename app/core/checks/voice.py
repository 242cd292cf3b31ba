"""What the voice says: parts short enough to hear before a choice, a quick greeting, and nothing a
voice reads badly (addresses, symbols, unlisted abbreviations)."""

from __future__ import annotations

import math
import re
from typing import Iterator, Sequence

from app.core.checks.fields import part_path, problem_at, sentence_with, speaking_seconds, spoken_texts
from app.core.content import Line, Problem

PART_SECONDS_ERROR = 45
PART_SECONDS_WARNING = 40
GREETING_SECONDS = 15

WORD_TOKEN = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")


def speaking_time_problems(line: Line, words_per_minute: int) -> Iterator[Problem]:
    """A spoken part must fit in about 45 seconds before the caller gets a choice."""
    for topic in line.topics.values():
        for index, part in enumerate(topic.parts):
            seconds = speaking_seconds(line, part.text, words_per_minute)
            said = f"takes about {math.ceil(seconds)} seconds to say at {words_per_minute} words a minute"
            if seconds > PART_SECONDS_ERROR:
                yield problem_at(line, part_path(topic.id, index), f"{said}; the most is {PART_SECONDS_ERROR}")
            elif seconds > PART_SECONDS_WARNING:
                yield problem_at(line, part_path(topic.id, index),
                                 f"{said}; close to the most, {PART_SECONDS_ERROR}", "warning")


def greeting_time_problems(line: Line, words_per_minute: int, others: Sequence[Line] = ()) -> Iterator[Problem]:
    """The greeting, with the other languages' offers after it, must take at most 15 seconds, so a caller
    reaches the choices quickly."""
    offers = " ".join(other.phrases.get("language_offer", "") for other in others)
    seconds = speaking_seconds(line, f"{line.phrases.get('greeting', '')} {offers}", words_per_minute)
    if seconds > GREETING_SECONDS:
        yield problem_at(line, "phrases.greeting", f"takes about {seconds:.1f} seconds to say at {words_per_minute} "
                                                   f"words a minute; the most is {GREETING_SECONDS}")


def unspeakable_problems(line: Line) -> Iterator[Problem]:
    """Web addresses, e-mail addresses and symbols the voice would read badly, after pronunciations."""
    for path, text in spoken_texts(line):
        found = dict.fromkeys(m.group(0) for m in line.lang.editorial.unspeakable.finditer(line.pronounce(text)))
        if found:
            shown = ", ".join(f"'{s}'" for s in found)
            first = next(iter(found))
            yield problem_at(line, path, f"the voice would read {shown} badly; write it in words, "
                                         f"like \"clinical trials dot gov\" or \"percent\"",
                             sentence=sentence_with(text, first) or sentence_with(line.pronounce(text), first))


def looks_like_abbreviation(word: str) -> bool:
    """Two or more capitals (BCMA), or letters mixed with digits (CD19, KYV-101)."""
    capitals = sum(1 for ch in word if ch.isupper())
    has_letter = any(ch.isalpha() for ch in word)
    has_digit = any(ch.isdigit() for ch in word)
    return capitals >= 2 or (has_letter and has_digit)


def abbreviation_warnings(line: Line) -> Iterator[Problem]:
    """Abbreviations that pronunciations.yaml does not say how to speak, once each where first used."""
    seen: set[str] = set()
    for path, text in spoken_texts(line):
        for word in WORD_TOKEN.findall(text):
            if word in seen or not looks_like_abbreviation(word) or line.pronounce(word) != word:
                continue
            seen.add(word)
            yield problem_at(line, path, f"'{word}' looks like an abbreviation and is not in pronunciations.yaml; "
                                         f"add how the voice should say it", "warning",
                             sentence=sentence_with(text, word))
