"""Safety checks: the line informs and never advises, claims only what its sources say, and takes every
year and count from a topic's source notes. Pure: no Flask, no Twilio."""

from __future__ import annotations

import re
from typing import Iterator

from app.core.checks.fields import Passage, all_passages, problem_at, sentences
from app.core.content import Line, Problem, Topic
from app.core.language import ENGLISH, Language

# Years and counts: 2023; "12 people"; "five people". "One" is too common to be a count ("no one").
NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
                "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
                "forty": 40, "fifty": 50, "hundred": 100, "thousand": 1000, "dozen": 12}
NUMBER = re.compile(r"(?<![\w.-])(\d+(?:[.,]\d+)?|" + "|".join(NUMBER_WORDS) + r")(?![\w-]|\.\d)", re.IGNORECASE)
# Numbers that are names, not counts: "phase 1", "press 1".
COUNT_REACH = 4  # how many words after a count in a source note may name what it counts
NAMING_WORDS = re.compile(r"\b(?:phase|press|key|option|part|step|number|reply|type)\s*$", re.IGNORECASE)


def safety_problems(line: Line) -> Iterator[Problem]:
    """Every safety problem: advice, unsupported claims, and years or counts without a source, by the line's
    language's patterns."""
    for passage in all_passages(line):
        for sentence in sentences(passage.text, line.lang):
            yield from _advice(line, passage, sentence)
            yield from _claims(line, passage, sentence)
    for topic in line.topics.values():
        yield from _unsourced_numbers(line, topic)


def gives_advice(sentence: str, language: Language = ENGLISH) -> str | None:
    """The words of a sentence that tell the listener what to do about their own treatment, if any.

    Questions ("Should I stop taking Ocrevus?") are what a caller asks their doctor, not advice.
    """
    return language.editorial.gives_advice(sentence)


def _advice(line: Line, passage: Passage, sentence: str) -> Iterator[Problem]:
    said = gives_advice(sentence, line.lang)
    if said:
        yield problem_at(line, passage.path, f"\"{said}\" tells the listener what to do about their own treatment. "
                                             f"The line gives facts; only their doctor advises. Say what is known "
                                             f"instead, or \"Your neurologist can tell you what fits you.\"",
                         sentence=sentence)


def unsupported_claim(sentence: str, language: Language = ENGLISH) -> tuple[str, str] | None:
    """(the words, what to say instead) when a sentence claims what no source allows, unless it denies it."""
    return language.editorial.unsupported_claim(sentence)


def _claims(line: Line, passage: Passage, sentence: str) -> Iterator[Problem]:
    found = unsupported_claim(sentence, line.lang)
    if found:
        words, advice = found
        yield problem_at(line, passage.path, f"\"{words}\" is a claim the sources do not make: {advice}",
                         sentence=sentence)


def numbers_in(text: str) -> list[tuple[str, int, str]]:
    """Each year or count in a text, as (written, value, the word after it): "2023", "12 people", "five"."""
    found = []
    for match in NUMBER.finditer(text):
        written = match.group(1)
        if NAMING_WORDS.search(text[:match.start()]):
            continue
        lowered = written.lower()
        if lowered in NUMBER_WORDS:
            value = NUMBER_WORDS[lowered]
        elif re.fullmatch(r"\d+", written):
            value = int(written)
        else:
            continue
        after = re.match(r"\s+([A-Za-z]+)", text[match.end():])
        found.append((written, value, after.group(1) if after else ""))
    return found


def _stem(word: str) -> str:
    """A word without a plural ending, so that "month" finds "months"."""
    word = word.lower()
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def is_year(written: str, value: int) -> bool:
    """A four-digit number a year could be: 2023."""
    return written.isdigit() and len(written) == 4 and 1900 <= value <= 2100


def _source_numbers(topic: Topic) -> tuple[set[int], dict[int, set[str]]]:
    """The years a topic's source notes name, and for each count the words that follow it there."""
    notes = " ".join(f"{source.name} {source.date}" for source in topic.sources)
    years = {int(year) for year in re.findall(r"(?<!\d)(?:19|20)\d\d(?!\d)", notes)}
    counts: dict[int, set[str]] = {}
    for match in NUMBER.finditer(notes):
        found = numbers_in(notes[match.start():match.end()])
        if not found:
            continue
        following = re.findall(r"[A-Za-z]+", notes[match.end():])[:COUNT_REACH]
        counts.setdefault(found[0][1], set()).update(_stem(word) for word in following)
    return years, counts


def _unsourced_numbers(line: Line, topic: Topic) -> Iterator[Problem]:
    """A year in a topic must be in one of its source notes, and a count with what it counts
    ("two months" is not sourced by a note that says "two people")."""
    years, counts = _source_numbers(topic)
    for passage in (p for p in all_passages(line) if p.topic == topic.id):
        for sentence in sentences(passage.text):
            for written, value, noun in numbers_in(sentence):
                if is_year(written, value):
                    if value in years:
                        continue
                    what = f"the year {written}"
                elif value in counts and (not noun or _stem(noun) in counts[value]):
                    continue
                else:
                    what = f"'{written} {noun}'" if noun else f"the number {written}"
                yield problem_at(line, passage.path, f"{what} is in no source note of this topic. Check it against "
                                                     f"the source, then add it to that source's name in the settings "
                                                     f"at the top of the file, or take it out", sentence=sentence)
