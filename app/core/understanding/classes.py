"""Word classes found in a message, longest phrase first, and what a "not" reaches.

A phrase is a class member's roots ("*" stands for one or two words). Where phrases overlap, the
longer wins ("too sick" is about taking part, not feeling unwell). A negator ("not", "no", "never")
reaches the classes after it up to a clause mark, a break word ("but", "just") or REACH words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from app.core.understanding.normalise import CLAUSE

REACH = 8  # "no need to send me a text": "text" is still not wanted
WILDCARD_MAX = 2


@dataclass(frozen=True)
class Found:
    """A phrase found: the classes it belongs to, where it is, whether a "not" reaches it (and is the
    first class the "not" reaches), and how many of its words were guesses."""

    classes: frozenset[str]
    start: int
    end: int
    negated: bool = False
    first_negated: bool = False
    guesses: int = 0
    last_negated: bool = False
    negator: int = -1  # where the "not" that reaches it is

    @property
    def size(self) -> int:
        """How many words it covers."""
        return self.end - self.start


class ClassIndex:
    """Every class member's roots, indexed by their first root."""

    def __init__(self, members: Mapping[str, Iterable[tuple[str, ...]]], negators: Iterable[tuple[str, ...]],
                 breaks: Iterable[tuple[str, ...]]):
        self.by_first: dict[str, dict[tuple[str, ...], set[str]]] = {}
        for name, phrases in members.items():
            for roots in phrases:
                if roots and roots[0] != "*":
                    self.by_first.setdefault(roots[0], {}).setdefault(roots, set()).add(name)
        self.negators = {n for n in negators if n}
        self.breaks = {b for b in breaks if b}

    def find(self, roots: tuple[str, ...], guessed: tuple[bool, ...]) -> list[Found]:
        """The classes in a message, in order, each marked with whether a "not" reaches it."""
        candidates: list[tuple[int, int, frozenset[str]]] = []
        for start, root in enumerate(roots):
            for phrase, names in self.by_first.get(root, {}).items():
                for end in _ends(phrase, roots, start):
                    candidates.append((start, end, frozenset(names)))
        candidates.sort(key=lambda c: (c[0] - c[1], c[0]))
        # A "not" of several words ("no hace falta", "no need") is never taken apart by a class ("hace"),
        # though a class may hold it whole ("ya no quiero oír más").
        spans = self._long_negators(roots)
        candidates = [c for c in candidates if not any(c[0] < end and start < c[1] and not c[0] <= start < end <= c[1]
                                                       for start, end in spans)]
        taken = [False] * len(roots)
        merged: dict[tuple[int, int], set[str]] = {}
        for start, end, owners in candidates:
            if (start, end) in merged:
                merged[(start, end)].update(owners)
            elif not any(taken[start:end]):
                merged[(start, end)] = set(owners)
                for at in range(start, end):
                    taken[at] = True
        found = sorted(merged.items())
        reached = self._reached(roots, taken)
        out = []
        seen_first: set[int] = set()
        # The last class each "not" reaches: "don't send me the menu" does not want the menu, not all texts.
        last = {reached[start]: start for (start, _), _names in found if reached[start] >= 0}
        for (start, end), names in found:
            negator = reached[start]
            first = negator >= 0 and negator not in seen_first
            if first:
                seen_first.add(negator)
            out.append(Found(frozenset(names), start, end, negator >= 0, first, sum(guessed[start:end]),
                             negator >= 0 and last[negator] == start, negator))
        return out

    def _long_negators(self, roots: tuple[str, ...]) -> list[tuple[int, int]]:
        """Where each "not" of several words is."""
        sizes = ((at, self._match(self.negators, roots, at)) for at in range(len(roots)))
        return [(at, at + size) for at, size in sizes if size > 1]

    def _reached(self, roots: tuple[str, ...], taken: list[bool]) -> list[int]:
        """For each word, the position of the "not" that reaches it, or -1."""
        reached = [-1] * len(roots)
        at = 0
        while at < len(roots):
            size = self._match(self.negators, roots, at)
            if not size or any(taken[at:at + size]) or self._match(self.breaks, roots, at) >= size:
                at += 1  # "sino" (but) is a break, though its root is that of "sin" (without)
                continue
            negator, at = at, at + size
            limit = at + REACH
            while at < len(roots) and at < limit and roots[at] != CLAUSE:
                if self._match(self.breaks, roots, at) or self._match(self.negators, roots, at):
                    break
                reached[at] = negator
                at += 1
        return reached

    @staticmethod
    def _match(phrases: set[tuple[str, ...]], roots: tuple[str, ...], at: int) -> int:
        # The longest phrase found here, whatever order the set holds them in ("no quiero" before "no").
        return max((len(phrase) for phrase in phrases if roots[at:at + len(phrase)] == phrase), default=0)


def _ends(phrase: tuple[str, ...], roots: tuple[str, ...], start: int) -> list[int]:
    """Where `phrase` ends if it is found at `start` ("*" takes one or two words; no clause mark)."""
    ends = [start]
    for part in phrase:
        following = []
        for at in ends:
            if part == "*":
                following += [at + n for n in range(1, WILDCARD_MAX + 1)
                              if at + n <= len(roots) and CLAUSE not in roots[at:at + n]]
            elif at < len(roots) and roots[at] == part:
                following.append(at + 1)
        ends = following
        if not ends:
            return []
    return ends


def by_first_word(phrases: Iterable[tuple[str, ...]]) -> dict[str, list[tuple[str, ...]]]:
    """Phrases under their first word, to look for them in a message quickly."""
    found: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        if phrase:
            found.setdefault(phrase[0], []).append(phrase)
    return found


def contains(words: Sequence[str], phrases: Mapping[str, list[tuple[str, ...]]]) -> bool:
    """Whether any of these phrases (by_first_word) is somewhere in the words."""
    return any(tuple(words[at:at + len(phrase)]) == phrase for at, word in enumerate(words)
               for phrase in phrases.get(word, ()))
