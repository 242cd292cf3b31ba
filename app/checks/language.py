"""Plain language: reading grade per part and topic, sentence length, and jargon explained where a
topic first uses it."""

from __future__ import annotations

import re
from typing import Iterator

import textstat

from ..content import Line, Problem
from .fields import brief, part_path, problem_at, sentences, spoken_texts

MAX_PART_GRADE = 8.0
MAX_TOPIC_GRADE = 6.0
MAX_SENTENCE_WORDS = 20

# How far after a jargon word's first use its explanation may come: that sentence and the next two.
EXPLANATION_WINDOW = 3
# Words that show a sentence explains something ("Myelin is the coating...", "a marker called CD19").
EXPLANATION_CUES = re.compile(
    r"\b(is an?|is the|is when|is where|are|means|that is|called|call this|sold as|short for|kind of|like an?)\b",
    re.IGNORECASE,
)
# A sentence that explains the one before it: "That is an immune reaction...", "It is a strong...".
POINTER_START = re.compile(r"^(that|this|these|it)\b", re.IGNORECASE)


def reading_grade(text: str) -> float:
    """Flesch-Kincaid grade level of a text."""
    return round(float(textstat.flesch_kincaid_grade(text)), 1)


def plain_language_problems(line: Line) -> Iterator[Problem]:
    """Reading grade per part and per topic, and long sentences in everything spoken."""
    for topic in line.topics.values():
        for index, part in enumerate(topic.parts):
            grade = reading_grade(part.text)
            if grade > MAX_PART_GRADE:
                yield problem_at(line, part_path(topic.id, index),
                                 f"reads at grade {grade}; the most for a part is {MAX_PART_GRADE:g}")
        grade = reading_grade(" ".join(part.text for part in topic.parts))
        if grade > MAX_TOPIC_GRADE:
            yield problem_at(line, f"topics.{topic.id}",
                             f"the topic reads at grade {grade}; the most for a whole topic is {MAX_TOPIC_GRADE:g}")
    for path, text in spoken_texts(line):
        for sentence in sentences(text):
            count = len(sentence.split())
            if count > MAX_SENTENCE_WORDS:
                yield problem_at(line, path, f"sentence \"{brief(sentence)}\" has {count} words; "
                                             f"the most is {MAX_SENTENCE_WORDS}")


def term_pattern(term: str) -> re.Pattern[str]:
    """A jargon term as a whole word, any case, plural allowed ("clinical trials")."""
    body = r"\s+".join(re.escape(word) for word in term.split())
    return re.compile(rf"(?<![\w-]){body}s?(?![\w-])", re.IGNORECASE)


def explains(sentence: str, term: re.Pattern[str]) -> bool:
    """True when a sentence explains the term: it names the term or points back ("That is..."), with a cue."""
    if not (term.search(sentence) or POINTER_START.match(sentence)):
        return False
    if EXPLANATION_CUES.search(sentence):
        return True
    return any(re.match(r",\s+an?\b", sentence[m.end():]) for m in term.finditer(sentence))


def jargon_problems(line: Line) -> Iterator[Problem]:
    """Each jargon term must be explained where a topic first uses it (that sentence or the next two)."""
    for topic in line.topics.values():
        for term, explanation in line.jargon.items():
            pattern = term_pattern(term)
            for index, part in enumerate(topic.parts):
                said = sentences(part.text)
                found = next(((i, m) for i, s in enumerate(said) if (m := pattern.search(s))), None)
                if found is None:
                    continue
                first, match = found
                window = said[first:first + EXPLANATION_WINDOW]
                if not any(explains(s, pattern) for s in window):
                    written = match.group(0)
                    yield problem_at(line, part_path(topic.id, index),
                                     f"'{written}' is not explained where this topic first uses it "
                                     f"(\"{brief(said[first])}\"); in that sentence or the next two, say what "
                                     f"it is, like \"{written} is ...\" (jargon.yaml: {explanation})")
                break
