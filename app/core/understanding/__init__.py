"""Understanding callers' and texters' own words: normalise, find the line's words by sound and spelling,
match word classes, then decide on a meaning with a margin, safety first. Pure.

normalise: words as the matcher sees them; soundalike: misheard and misspelt forms of the line's words;
classes: word classes found in a message, and what "not" reaches; decide: the ranked meaning; nearest: the
meaning of the nearest labelled examples, when no class is found.
"""

from app.core.understanding.decide import GOODBYE, MAYBE_END, Meaning, MeaningKind, Understanding, harmless

__all__ = ["GOODBYE", "MAYBE_END", "Meaning", "MeaningKind", "Understanding", "harmless"]
