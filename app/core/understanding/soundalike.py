"""The line's own words, found when a recogniser mishears them or a texter misspells them: listed
sound-alikes first ("car tea" -> car t), then by sound (Metaphone) and spelling (edit distance), only
against the line's vocabulary, and never for a word the line already knows."""

from __future__ import annotations

from typing import Iterable, Mapping

import jellyfish
from rapidfuzz import process
from rapidfuzz.distance import OSA

from app.core.understanding.normalise import CLAUSE, Normaliser

# A guess needs this much of the spelling in common, or the same sound and SOUND_SIMILARITY of it.
SPELLING_SIMILARITY = 0.8
SOUND_SIMILARITY = 0.61  # "favor" is not "fever"
MIN_GUESS_LETTERS = 4  # "by" is never guessed to be "bye"
MIN_JOINED_LETTERS = 5  # "some one" is not joined into "someone"; "pue do" is joined into "puedo"
MAX_JOINED_WORDS = 3  # "represent a tive" -> representative
MAX_HEARD_WORDS = 6  # "meh new pre in see pal" -> menu principal
MAX_REMEMBERED = 4096  # guesses kept: the same few misheard words come again and again


class SoundAlikes:
    """Replaces misheard and misspelt forms by the line's words; says which words were guesses."""

    def __init__(self, normaliser: Normaliser, vocabulary: Iterable[str], sounds: Mapping[str, tuple[str, ...]],
                 never_guessed: Iterable[str] = (), real_words: Iterable[str] = (), kept: Iterable[str] = ()):
        """`real_words` are spelt right (the line's own texts use them): they are never guessed to be others;
        `kept` words ("not", "no") are never part of a guess at several words."""
        self.kept = {words[0] for words in map(normaliser.words, kept) if len(words) == 1}
        self.heard: dict[tuple[str, ...], tuple[str, ...]] = {}
        for word, forms in sounds.items():
            meant = tuple(normaliser.words(word))
            for form in forms:
                self.heard[tuple(normaliser.words(form))] = meant
        self.known: set[str] = set()
        self.targets: dict[str, tuple[str, ...]] = {}
        self.joins: dict[str, tuple[str, ...]] = {}
        blocked = {tuple(normaliser.words(p)) for p in never_guessed}
        for phrase in vocabulary:
            words = tuple(w for w in normaliser.words(phrase) if w != CLAUSE and w != "*")
            self.known.update(words)
            joined = "".join(words)
            if 0 < len(words) <= 2 and len(joined) >= MIN_GUESS_LETTERS and words not in blocked:
                self.targets.setdefault(joined, words)
            if words not in blocked:  # "pue do" -> puedo, "res pirar" -> respirar: any long word of a phrase
                self.joins.update((w, (w,)) for w in words if len(w) >= MIN_JOINED_LETTERS)
        self.known.update(w for text in real_words for w in normaliser.words(text))
        self.by_sound: dict[str, list[str]] = {}
        self.by_length: dict[int, list[str]] = {}
        for joined in self.targets:
            self.by_sound.setdefault(jellyfish.metaphone(joined), []).append(joined)
            self.by_length.setdefault(len(joined), []).append(joined)
        self._guesses: dict[str, str | None] = {}

    def find(self, words: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[bool, ...]]:
        """The words with misheard forms replaced, and for each word whether it is a guess."""
        out: list[str] = []
        guessed: list[bool] = []
        at = 0
        while at < len(words):
            step = self._heard_at(words, at, out, guessed) or self._guess_at(words, at, out, guessed)
            if not step:
                out.append(words[at])
                guessed.append(False)
                step = 1
            at += step
        return tuple(out), tuple(guessed)

    def _heard_at(self, words: tuple[str, ...], at: int, out: list[str], guessed: list[bool]) -> int:
        for size in range(min(MAX_HEARD_WORDS, len(words) - at), 0, -1):
            meant = self.heard.get(words[at:at + size])
            if meant is not None:
                out += meant
                guessed += [False] * len(meant)
                return size
        return 0

    def _guess_at(self, words: tuple[str, ...], at: int, out: list[str], guessed: list[bool]) -> int:
        spans = [words[at:at + size] for size in range(min(MAX_JOINED_WORDS, len(words) - at), 0, -1)]
        # A number is never part of a guess: "39 de fiebre" is no misheard "da fiebre".
        spans = [span for span in spans if CLAUSE not in span and not any(c.isdigit() for w in span for c in w)]
        # First a word split by the recogniser, joined back exactly ("in fusion", "for get", "pue do"), before
        # any guess: a guess at three words together could swallow one of them ("no pue do" is no "no pedi").
        for span in (span for span in spans if len(span) > 1):
            joined = "".join(span)
            all_known = all(w in self.known for w in span)
            meant = self.targets.get(joined) or (None if all_known else self.joins.get(joined))
            if meant is not None and meant != span:
                out += meant
                guessed += [False] * len(meant)
                return len(span)
        for span in spans:
            if all(w in self.known for w in span) or (len(span) > 1 and any(w in self.kept for w in span)):
                continue  # a "not" is never swallowed by a guess at the words around it
            target = self._guess("".join(span))
            if target is not None:
                meant = self.targets[target]
                out += meant
                # Only the words that changed are guesses: in "side affects", "side" was heard right.
                same = len(meant) == len(span)
                guessed += [not (same and w == span[i]) for i, w in enumerate(meant)]
                return len(span)
        return 0

    def _guess(self, joined: str) -> str | None:
        """The vocabulary word that sounds or is spelt like `joined`, if one clearly does (cached)."""
        if joined in self._guesses:
            return self._guesses[joined]
        found: str | None = None
        if len(joined) >= MIN_GUESS_LETTERS and not joined.isdigit():
            by_sound = self.by_sound.get(jellyfish.metaphone(joined), [])
            scored = [(OSA.normalized_similarity(joined, t), t) for t in by_sound]
            best = max(scored, default=None)
            if best and best[0] >= SOUND_SIMILARITY:
                found = best[1]
            else:
                # Only words of about the same length can be this alike: compare with those alone.
                spread = int(len(joined) * (1 - SPELLING_SIMILARITY)) + 1
                choices = [t for n in range(len(joined) - spread, len(joined) + spread + 1)
                           for t in self.by_length.get(n, ())]
                match = process.extractOne(joined, choices, scorer=OSA.normalized_similarity,
                                           score_cutoff=SPELLING_SIMILARITY)
                found = match[0] if match else None
        if len(self._guesses) >= MAX_REMEMBERED:
            self._guesses.clear()
        self._guesses[joined] = found
        return found
