"""What differs per language, in one value: Twilio's voice and recogniser, the words for digits, the
letters kept when words are matched, the SMS alphabet, the editors' reading and hard-word rules.

Code paths never test for a language: they read its `Language`. Content (what the line says, the words
callers use) lives in content/<code>/; this holds what is about the language itself.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Mapping


@dataclass(frozen=True)
class Readability:
    """The reading-level rule editors' text must meet: a textstat formula and its limits.

    `harder_when_higher` is True for grade formulas (Flesch-Kincaid: a higher grade is harder) and False
    for ease formulas (Fernández Huerta: a higher score is easier)."""

    formula: str  # the name of a textstat function, e.g. "flesch_kincaid_grade"
    textstat_language: str  # textstat.set_lang() code
    part_limit: float  # no spoken part or answer past this
    topic_limit: float  # a whole topic, on average
    harder_when_higher: bool = True

    def too_hard(self, score: float, limit: float) -> bool:
        """Whether a score is past a limit, in the formula's direction."""
        return score > limit if self.harder_when_higher else score < limit


@dataclass(frozen=True)
class SmsAlphabet:
    """How replies travel: characters folded before sending (to stay in GSM-7), and the most segments a reply takes."""

    max_segments: int
    folded: Mapping[str, str] = field(default_factory=dict)

    def fold(self, text: str) -> str:
        """The text as it is sent: each folded character replaced."""
        return "".join(self.folded.get(ch, ch) for ch in text) if self.folded else text


@dataclass(frozen=True)
class Language:
    """One language of the line."""

    code: str  # the content folder: content/<code>/
    name: str  # in its own words: "English", "español"
    speech_language: str  # Twilio's <Say language> and <Gather language>, e.g. "en-US"
    voice: str  # Twilio's default voice (a setting may override it)
    letters: str  # letters besides a-z kept when words are matched (accents are folded away first)
    digit_words: Mapping[str, str]  # "two" -> "2"
    sounds_like_digits: Mapping[str, str]  # count as a key only after a key word: "press to"
    key_words: frozenset[str]  # words that say the next word is a key: "press", "number"
    number_fillers: frozenset[str]  # words wrapped around a spoken key: "please", "um"
    list_word: str  # the text word that brings the list of topics
    stemmer: str  # snowballstemmer's name for the language
    wordfreq: str  # wordfreq's language code, for the hard-word check
    readability: Readability
    sms: SmsAlphabet

    def normalize(self, text: str) -> str:
        """Lower-case words only, accents folded, apostrophes dropped ("that's" and "thats" alike)."""
        text = re.sub(r"['\u2019]", "", text.lower().replace("-", " "))
        text = fold_accents(text)
        return " ".join(re.sub(rf"[^a-z0-9{self.letters} ]+", " ", text).split())


def fold_accents(text: str) -> str:
    """Text without accents: "cómo" -> "como", "ñ" kept only where a language lists it in `letters`."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


ENGLISH = Language(
    code="en",
    name="English",
    speech_language="en-US",
    voice="Polly.Joanna-Neural",
    letters="",
    digit_words={"zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
                 "seven": "7", "eight": "8", "nine": "9"},
    # Words a recogniser hears for a number, but which mean something else when said alone ("Oh.").
    sounds_like_digits={"oh": "0", "won": "1", "to": "2", "too": "2", "tree": "3", "for": "4"},
    key_words=frozenset({"press", "number", "option", "choice", "key", "pressing"}),
    number_fillers=frozenset({"please", "the", "i", "want", "um", "uh", "ok", "okay"}),
    list_word="MENU",
    stemmer="english",
    wordfreq="en",
    # Grade 8 at most for any part, 6 for a topic on average (DESIGN.md's accessibility rules).
    readability=Readability("flesch_kincaid_grade", "en_US", part_limit=8.0, topic_limit=6.0),
    sms=SmsAlphabet(max_segments=2),
)

LANGUAGES: dict[str, Language] = {ENGLISH.code: ENGLISH}


def language(code: str) -> Language:
    """The language with this code; a ValueError names the ones there are."""
    try:
        return LANGUAGES[code]
    except KeyError:
        raise ValueError(f"no language {code!r}; the line has {', '.join(sorted(LANGUAGES))}") from None
