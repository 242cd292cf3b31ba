"""Plain language: reading grade per part and topic, sentence length, and jargon explained where a
topic first uses it."""

from __future__ import annotations

import dataclasses
import re
from typing import Iterator

import textstat

from app.core.checks.fields import all_passages, brief, part_path, problem_at, sentences
from app.core.content import Line, Problem
from app.core.language import ENGLISH, Language

# How far after a jargon word's first use its explanation may come: that sentence and the next two.
EXPLANATION_WINDOW = 3
# The English cues, for callers that check a sentence without a line (Editorial holds each language's).
EXPLANATION_CUES = ENGLISH.editorial.explanation_cues
POINTER_START = ENGLISH.editorial.pointer_start
EXPLANATION_AFTER = ENGLISH.editorial.explanation_after


def reading_score(text: str, language: Language = ENGLISH) -> float:
    """A text's reading level by its language's formula (Flesch-Kincaid grade; Fernández Huerta ease).

    textstat counts syllables by its current language, a global: set it each time."""
    readability = language.readability
    textstat.set_lang(readability.textstat_language)
    return round(float(getattr(textstat, readability.formula)(text)), 1)


def reading_grade(text: str) -> float:
    """Flesch-Kincaid grade level of an English text."""
    return reading_score(text, ENGLISH)


def plain_language_problems(line: Line) -> Iterator[Problem]:
    """Reading grade per part and per topic, the same for text messages, and long sentences in everything
    the line says or sends."""
    for topic in line.topics.values():
        yield from _grade_problems(line, topic.id, [part.text for part in topic.parts], "parts", "part")
        yield from _grade_problems(line, topic.id, list(topic.sms), "sms", "text message")
    most = line.lang.editorial.max_sentence_words
    for passage in all_passages(line):
        for sentence in sentences(passage.text, line.lang):
            count = sentence_words(sentence)
            if count > most:
                yield problem_at(line, passage.path, f"the sentence \"{brief(sentence)}\" has {count} words; "
                                                     f"the most is {most}: split it in two",
                                 sentence=sentence)


def sentence_words(sentence: str) -> int:
    """How many words a reader takes in at once: a list after a colon ("Reply with a word: 1 WHAT, 2 STATUS,
    3 RISKS") counts by its longest item."""
    lead, colon, rest = sentence.rpartition(": ")
    if colon and rest.count(",") >= 2:
        return max(len(lead.split()), *(len(item.split()) for item in rest.split(",")))
    return len(sentence.split())


def _grade_problems(line: Line, topic_id: str, texts: list[str], field: str, noun: str) -> Iterator[Problem]:
    """Each text (a part, a message) within the language's limit for a part (English: grade 8), and all of
    them together within its limit for a topic (grade 6)."""
    rule = line.lang.readability
    scale = "school grade" if rule.harder_when_higher else "reading ease"
    bound = "most" if rule.harder_when_higher else "least"
    for index, text in enumerate(texts):
        grade = reading_score(text, line.lang)
        if rule.too_hard(grade, rule.part_limit):
            yield problem_at(line, f"topics.{topic_id}.{field}[{index}]",
                             f"reads at {scale} {grade}; the {bound} for a {noun} is {rule.part_limit:g}. "
                             f"Use shorter sentences and shorter words", sentence=text)
    if not texts:
        return
    grade = reading_score(" ".join(texts), line.lang)
    if rule.too_hard(grade, rule.topic_limit):
        found = problem_at(line, f"topics.{topic_id}.{field}[0]", f"the {noun}s of this topic together read at "
                           f"{scale} {grade}; the {bound} is {rule.topic_limit:g}. Use shorter sentences and shorter "
                           f"words", sentence=texts[0])
        yield dataclasses.replace(found, field="whole topic" if field == "parts" else "all text messages")


def term_pattern(term: str) -> re.Pattern[str]:
    """A jargon term as a whole word, any case, plural allowed ("clinical trials")."""
    body = r"\s+".join(re.escape(word) for word in term.split())
    return re.compile(rf"(?<![\w-]){body}s?(?![\w-])", re.IGNORECASE)


def explains(sentence: str, term: re.Pattern[str], language: Language = ENGLISH) -> bool:
    """True when a sentence explains the term: it names the term or points back ("That is..."), with a cue,
    or puts an explanation right after it ("BCMA, a marker on plasma cells"; "trials (research studies)")."""
    editorial = language.editorial
    if not (term.search(sentence) or editorial.pointer_start.match(sentence)):
        return False
    if editorial.explanation_cues.search(sentence):
        return True
    return any(re.match(editorial.explanation_after, sentence[m.end():]) for m in term.finditer(sentence))


def jargon_problems(line: Line) -> Iterator[Problem]:
    """Each jargon term must be explained where a topic first uses it (that sentence or the next two)."""
    for topic in line.topics.values():
        for term, explanation in line.jargon.items():
            pattern = term_pattern(term)
            for index, part in enumerate(topic.parts):
                said = sentences(part.text, line.lang)
                found = next(((i, m) for i, s in enumerate(said) if (m := pattern.search(s))), None)
                if found is None:
                    continue
                first, match = found
                window = said[first:first + EXPLANATION_WINDOW]
                if not any(explains(s, pattern, line.lang) for s in window):
                    written = match.group(0)
                    yield problem_at(line, part_path(topic.id, index),
                                     f"'{written}' is not explained where this topic first uses it "
                                     f"(\"{brief(said[first])}\"); in that sentence or the next two, say what "
                                     f"it is, like \"{written} is ...\" (jargon.yaml: {explanation})",
                                     sentence=said[first])
                break
