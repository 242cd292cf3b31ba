"""Words as the matcher sees them: lower case, accents folded, clause marks kept as "|", contractions
and shorthand rewritten (from the content), and each word's root from the language's Snowball stemmer."""

from __future__ import annotations

import re
from typing import Iterable, Mapping

import snowballstemmer  # type: ignore[import-untyped]

from app.core.language import Language

CLAUSE = "|"  # a comma, full stop or question mark: "not" reaches no further
CLAUSE_MARKS = re.compile(r"[,.;:!?¿¡()\n]+")
MAX_REWRITE_WORDS = 3
ROOT_START = 3  # Snowball stemmers keep at least a word's first three letters
MAX_REMEMBERED = 8192  # words' roots kept: a worker's memory levels off


class Normaliser:
    """Turns text into words and roots, one language's way; keeps a cache of roots."""

    def __init__(self, language: Language, rewrite: Mapping[str, str]):
        self.language = language
        self.rewrite = {tuple(language.normalize(k).split() or k.split()): tuple(v.split())
                        for k, v in rewrite.items()}
        self._stemmer = snowballstemmer.stemmer(language.stemmer)
        self._roots: dict[str, str] = {}
        self._starts: set[str] | None = None

    def words(self, text: str) -> tuple[str, ...]:
        """The words of a text, clause marks as CLAUSE, contractions and shorthand rewritten."""
        said: list[str] = []
        for clause in CLAUSE_MARKS.split(text):
            words = self.language.normalize(clause).split()
            if words:
                if said:
                    said.append(CLAUSE)
                said += self.rewritten(words)
        return tuple(said)

    def rewritten(self, words: list[str]) -> list[str]:
        """Words with each rewrite applied, longest first ("dont" -> "do not")."""
        out: list[str] = []
        at = 0
        while at < len(words):
            for size in range(min(MAX_REWRITE_WORDS, len(words) - at), 0, -1):
                replacement = self.rewrite.get(tuple(words[at:at + size]))
                if replacement is not None:
                    out += replacement
                    at += size
                    break
            else:
                out.append(words[at])
                at += 1
        return out

    def root(self, word: str) -> str:
        """A word's root ("stopping" -> "stop"); CLAUSE and "*" stay as they are. Once `only_roots_like` is
        set, a word whose root could be none of those roots is left as it is (stemming takes time)."""
        found = self._roots.get(word)
        if found is None:
            could = self._starts is None or word[:ROOT_START] in self._starts
            found = self._stemmer.stemWord(word) if could and word not in (CLAUSE, "*") else word
            if len(self._roots) >= MAX_REMEMBERED:
                self._roots.clear()
            self._roots[word] = found
        return found

    def only_roots_like(self, roots: Iterable[str]) -> None:
        """Stem from now on only words that begin as one of these roots does (the roots the matcher knows).
        A stemmer keeps a word's first letters, so no other word can have one of these roots."""
        self._starts = {r[:ROOT_START] for r in roots}
        self._roots = {w: r for w, r in self._roots.items() if r[:ROOT_START] in self._starts}

    @property
    def known_starts(self) -> frozenset[str]:
        """The first letters of the roots `only_roots_like` was given (empty before)."""
        return frozenset(self._starts or ())

    def roots(self, words: Iterable[str]) -> tuple[str, ...]:
        """The roots of words, in order."""
        return tuple(self.root(w) for w in words)

    def phrase_roots(self, phrase: str) -> tuple[str, ...]:
        """A listed phrase's roots, as the matcher compares them ("*" stands for one or two words)."""
        words = [w for w in self.words(phrase.replace("*", " xstarx ")) if w != CLAUSE]
        return tuple("*" if w == "xstarx" else self.root(w) for w in words)
