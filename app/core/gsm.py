"""GSM-7 text rules for SMS: which characters are allowed and how many segments a text takes.

How many segments a reply may take, and which characters are folded before sending, differ per
language: see SmsAlphabet in app/core/language.py."""

from __future__ import annotations

# The GSM 03.38 basic character set, and the extension table whose characters cost two.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

SINGLE_SEGMENT = 160
MULTI_SEGMENT = 153

# Characters editors often paste from word processors, with what to write instead.
SUGGESTED_REPLACEMENTS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2212": "-",
    "\u2026": "...", "\u00a0": " ", "\u2022": "-", "\u00b7": "-",
    "\u00ae": "", "\u2122": "", "\u00b0": " degrees",
}


def septet_length(text: str) -> int:
    """Length of text in GSM-7 septets (extension characters count twice)."""
    return sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)


def non_gsm7_characters(text: str) -> list[tuple[int, str, str]]:
    """Each character outside GSM-7 as (position from 1, character, suggested replacement)."""
    found = []
    for position, ch in enumerate(text, start=1):
        if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION:
            found.append((position, ch, SUGGESTED_REPLACEMENTS.get(ch, "")))
    return found


def segment_count(text: str) -> int:
    """How many SMS segments a GSM-7 text takes."""
    length = septet_length(text)
    if length <= SINGLE_SEGMENT:
        return 1
    return -(-length // MULTI_SEGMENT)


def max_chars(segments: int) -> int:
    """The most GSM-7 characters that fit in this many segments (2: 306, 3: 459)."""
    return SINGLE_SEGMENT if segments == 1 else segments * MULTI_SEGMENT
