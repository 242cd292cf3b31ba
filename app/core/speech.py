"""Text as spoken: how long it takes (the estimate checks and previews share) and how numbers are read."""

from __future__ import annotations

import re

SPOKEN_TOKEN = re.compile(r"[A-Za-z]+(?:['\u2019-][A-Za-z]+)*|\d+(?:[.,]\d+)*")


def number_word_count(number: str) -> int:
    """Words it takes to say a number: one under 100, two for a year, else about one a digit."""
    digits = re.sub(r"\D", "", number)
    if len(digits) <= 2:
        return 1
    if len(digits) == 4 and 1100 <= int(digits) <= 2099:
        return 2
    return len(digits)


def spoken_word_count(spoken: str) -> int:
    """Words a voice says, with numbers counted as said: 12 is one word, 2025 two, 101 three."""
    return sum(number_word_count(token) if token[0].isdigit() else 1 for token in SPOKEN_TOKEN.findall(spoken))


def speaking_seconds(spoken: str, words_per_minute: int) -> float:
    """Estimated seconds to say a text that is already as the voice says it (pronunciations applied)."""
    return spoken_word_count(spoken) * 60 / words_per_minute


def phone_number_words(number: str) -> str:
    """A phone number as the voice reads it: digit by digit, a pause between groups ("5, 5, 5. 0, 1.")."""
    groups = ["".join(ch for ch in group if ch.isdigit()) for group in number.replace("-", " ").split()]
    return " ".join(", ".join(group) + "." for group in groups if group)
