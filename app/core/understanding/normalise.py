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


class Normaliser:
    """Turns text into words and roots, one language's way; keeps a cache of roots."""

    def __init__(self, language: Language, rewrite: Mapping[str, str]):
        self.language = language
        self.rewrite = {tuple(language.normalize(k).split() or k.split()): tuple(v.split())
                        for k, v in rewrite.items()}
        self._stemmer = snowballstemmer.stemmer(language.stemmer)
        self._roots: dict[str, str] = {}

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
        """A word's root ("stopping" -> "stop"); CLAUSE and "*" stay as they are."""
        found = self._roots.get(word)
        if found is None:
            found = word if word in (CLAUSE, "*") else self._stemmer.stemWord(word)
            self._roots[word] = found
        return found

    def roots(self, words: Iterable[str]) -> tuple[str, ...]:
        """The roots of words, in order."""
        return tuple(self.root(w) for w in words)

    def phrase_roots(self, phrase: str) -> tuple[str, ...]:
        """A listed phrase's roots, as the matcher compares them ("*" stands for one or two words)."""
        words = [w for w in self.words(phrase.replace("*", " xstarx ")) if w != CLAUSE]
        return tuple("*" if w == "xstarx" else self.root(w) for w in words)
