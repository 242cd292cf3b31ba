"""The meaning of the nearest examples, for a message in which no word class is found.

Each example is a bag of roots, weighted by how rare each root is among the examples (TF-IDF), and a
message is compared with every example sharing a root with it (cosine). The NEIGHBOURS nearest of its
channel vote, each by its similarity; a tie says nothing. The understanding acts on the winner only
above a similarity, and by voice asks about a subject or question first (app/core/understanding/decide.py).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Iterable

from app.core.content.concepts import Example

NEIGHBOURS = 5


class NearestExamples:
    """An index of examples' roots, by channel."""

    def __init__(self, examples: Iterable[tuple[Example, tuple[str, ...], bool]]):
        """`examples` are each with its roots and whether it says "not" (it is compared only with messages that
        do too: "I don't know" is no example for "I know")."""
        rooted = [(example, roots, negated) for example, roots, negated in examples if roots]
        counts = Counter(root for _, roots, _ in rooted for root in set(roots))
        self.size = len(rooted)
        self.rarity = {root: math.log((1 + self.size) / (1 + n)) + 1 for root, n in counts.items()}
        self.examples: list[tuple[str, tuple[str, bool], dict[str, float]]] = []
        self.by_root: dict[str, list[int]] = {}
        for at, (example, roots, negated) in enumerate(rooted):
            self.examples.append((example.intent, (example.channel, negated), self._weights(roots)))
            for root in set(roots):
                self.by_root.setdefault(root, []).append(at)

    def nearest(self, roots: tuple[str, ...], channel: str, negated: bool) -> tuple[str, float] | None:
        """The meaning the nearest examples of a channel vote for, and the similarity of the nearest of them that
        mean it, or None; only examples that say "not" if `negated`, else only those that do not."""
        kinds = {(channel, negated), ("any", negated)}
        weights = self._weights(roots)
        shared: dict[int, float] = {}
        for root, weight in weights.items():
            for at in self.by_root.get(root, ()):
                shared[at] = shared.get(at, 0.0) + weight * self.examples[at][2][root]
        ranked = sorted(((score, at) for at, score in shared.items()), reverse=True)
        near = [(score, at) for score, at in ranked if self.examples[at][1] in kinds][:NEIGHBOURS]
        if not near:
            return None
        votes: dict[str, float] = {}
        for score, at in near:
            votes[self.examples[at][0]] = votes.get(self.examples[at][0], 0.0) + score
        (best, best_votes), (_, runner_up) = (sorted(votes.items(), key=lambda v: -v[1]) + [("", 0.0)])[:2]
        if runner_up >= best_votes:
            return None  # a tie says nothing
        return best, max(score for score, at in near if self.examples[at][0] == best)

    def _weights(self, roots: tuple[str, ...]) -> dict[str, float]:
        counts = Counter(roots)
        unseen = math.log(1 + self.size) + 1
        weights = {root: (1 + math.log(n)) * self.rarity.get(root, unseen) for root, n in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {root: w / norm for root, w in weights.items()}
