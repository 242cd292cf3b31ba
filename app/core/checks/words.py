"""Hard words: a word a general reader rarely meets must be explained where it is first used, or listed
in jargon.yaml. How rare a word is comes from wordfreq (offline word frequencies from many sources).
Pure: no Flask, no Twilio."""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import groupby
from typing import Iterator

from app.core.checks.fields import Passage, all_passages, problem_at, sentences
from app.core.checks.language import term_pattern
from app.core.content import Line, Problem
from app.core.language import ENGLISH, Language

# The Zipf scale is log10 of a word's frequency per billion words: 3 is once per million words.
# Its authors (van Heuven et al., 2014) call words below 3 low-frequency. Below 3 fall "myelin" (2.5),
# "cytokine" (2.7), "leukapheresis" and "lymphodepletion" (0); just above are "neurologist" (3.04),
# "infusion" (3.3) and "chemotherapy" (3.6), words most people with MS have met.
HARD_WORD_ZIPF = 3.0
# A longer word made of two common words is plain ("keypad": key + pad).
COMPOUND_PART_ZIPF = 4.0
# Endings that leave a word's meaning plain when its stem is common ("tiredness", "homing", "donor's").
ENDINGS = ("'s", "\u2019s", "ness", "ings", "ing", "ed", "es", "s", "ly", "er")
# Letters of any language ("información"), not digits or underscores.
WORD = re.compile(r"(?<![\w.@/-])[^\W\d_]+(?:['\u2019-][^\W\d_]+)*(?![\w@/]|-\d|\.[A-Za-z])")
DOTTED_ABBREVIATION = re.compile(r"(?<![\w.])(?:[A-Za-z]\.){2,}")
WEB_ADDRESS = re.compile(r"\S+\.(?:gov|com|org|net|uk|edu)\b\S*", re.IGNORECASE)
# The explanation may come in the sentence before the word, the word's own, or the next two.
EXPLAINED_BEFORE, EXPLAINED_AFTER = 1, 2


@lru_cache(maxsize=4096)
def zipf(word: str, language: str = "en") -> float:
    """How often a word is met in a language (wordfreq's code), on the Zipf scale (0 for never, 7 for "the")."""
    from wordfreq import zipf_frequency  # here, so that starting the line does not load it

    return float(zipf_frequency(word, language))


@lru_cache(maxsize=4096)
def is_hard(word: str, language: str = "en") -> bool:
    """Whether a general reader rarely meets this word (nor its stem, nor each of its parts)."""
    word = word.lower()
    if "-" in word:
        return any(is_hard(piece, language) for piece in word.split("-") if piece)
    if zipf(word, language) >= HARD_WORD_ZIPF:
        return False
    for ending in ENDINGS:
        stem = word[: -len(ending)]
        if word.endswith(ending) and len(stem) >= 3 and any(
                zipf(candidate, language) >= HARD_WORD_ZIPF for candidate in (stem, stem + "e", stem[:-1])):
            return False
    return not any(zipf(word[:cut], language) >= COMPOUND_PART_ZIPF
                   and zipf(word[cut:], language) >= COMPOUND_PART_ZIPF for cut in range(3, len(word) - 2))


def hard_words_in(sentence: str, jargon: tuple[re.Pattern[str], ...], language: str = "en") -> list[str]:
    """The hard words of a sentence, as written, leaving out jargon.yaml's terms (checked on their own),
    web addresses and words with digits (the abbreviation check looks at those)."""
    text = WEB_ADDRESS.sub(" ", sentence)
    for pattern in jargon:
        text = pattern.sub(" ", text)
    found = [m.group(0) for m in DOTTED_ABBREVIATION.finditer(text)]
    text = DOTTED_ABBREVIATION.sub(" ", text)
    return found + [m.group(0) for m in WORD.finditer(text) if is_hard(m.group(0), language)]


def explains_word(sentence: str, term: re.Pattern[str], language: Language = ENGLISH) -> bool:
    """Whether a sentence says what a word means: the word, then a cue ("Apheresis is a way to..."), or a
    name given ("a way called apheresis"), or an explanation right after it ("apheresis, a way to...",
    "apheresis (a way to...)"), or a sentence pointing back ("That is a way to...").

    Stricter than jargon.yaml's rule: in "Cells are taken by apheresis", "are" explains nothing.
    """
    rules = language.editorial
    if rules.pointer_start.match(sentence) and rules.explanation_cues.search(sentence):
        return True
    for match in term.finditer(sentence):
        after = sentence[match.end():]
        if rules.explanation_cues.search(after) or rules.named_before.search(sentence[:match.start()]):
            return True
        if rules.explanation_after.match(after):
            return True
    return False


def hard_word_problems(line: Line) -> Iterator[Problem]:
    """A warning for each hard word where a topic (or line.yaml) first uses it unexplained, once by voice
    and once by text: a texter never hears the spoken parts."""
    jargon = tuple(term_pattern(term) for term in line.jargon)
    for _, group in groupby(all_passages(line), key=lambda p: (p.topic, p.channel)):
        seen: set[str] = set()
        for passage in group:
            yield from _unexplained(line, passage, jargon, seen)


def _unexplained(line: Line, passage: Passage, jargon: tuple[re.Pattern[str], ...],
                 seen: set[str]) -> Iterator[Problem]:
    said = sentences(passage.text, line.lang)
    for index, sentence in enumerate(said):
        for word in hard_words_in(sentence, jargon, line.lang.wordfreq):
            if word.lower() in seen:
                continue
            seen.add(word.lower())
            around = said[max(0, index - EXPLAINED_BEFORE):index + EXPLAINED_AFTER + 1]
            if DOTTED_ABBREVIATION.fullmatch(word):
                yield problem_at(line, passage.path, f"'{word}' is a short form some readers do not know, and the "
                                                     f"voice may spell it out; write the words in full",
                                 "warning", sentence=sentence)
            elif not any(explains_word(s, term_pattern(word), line.lang) for s in around):
                yield problem_at(line, passage.path, f"'{word}' is a word few readers know. Use a plainer word, or "
                                                     f"say what it means where it is first used (like \"{word} is "
                                                     f"...\"), or add it to jargon.yaml with a plain explanation",
                                 "warning", sentence=sentence)
