"""What a caller's words mean: a command, a topic or menu, a personal question, yes or no. Pure.

Three rules keep a caller from being misunderstood in the way that hurts most:
- goodbye words end the call only as the whole answer ("bye, thanks"); a word that may mean two
  things ("stop") is a question for the caller, and a sentence with other words in it ("I want to
  stop Ocrevus") is never a goodbye;
- the longest phrase found wins, and personal questions win a tie, so "should I stop Ocrevus" is
  a question about one's own care, not the topic that names Ocrevus;
- words that mean something else inside a sentence ("what?", "okay") count only alone.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Literal, TypeGuard, get_args

from app.core.content import MAIN_MENU, Line, Menu, Topic
from app.core.language import ENGLISH, Language

Action = Literal["next", "previous", "repeat", "back", "main", "person", "help", "goodbye", "text", "slower", "faster",
                 "normal", "forget", "language"]
ACTIONS: frozenset[str] = frozenset(get_args(Action))
MeaningKind = Literal["command", "node", "question", "maybe_end", "nothing"]

# English's, for callers that explore keys; each line's own come from its Language.
DIGIT_WORDS = dict(ENGLISH.digit_words)
FUZZY_CUTOFF = 0.8
# A personal question's phrase may have this many other words between two of its words.
QUESTION_GAP = 2
# Recent answers kept: the same few words come again and again (and the checks explore them all).
UNDERSTOOD_CACHE = 2048
# How phrases of each kind rank when two of the same length are found: questions first, then a
# choice offered where the caller is, then commands, then topics elsewhere.
PRIORITY = {"question": 3, "here": 2, "command": 1, "node": 0}


def is_action(name: str | None) -> TypeGuard[Action]:
    """Whether a command's name is one the call flow acts on."""
    return name in ACTIONS


def normalize(text: str, language: Language = ENGLISH) -> str:
    """Lower-case words only, for matching what a caller said (see Language.normalize)."""
    return language.normalize(text)


def spoken_names(line: Line) -> dict[str, tuple[str, ...]]:
    """What a caller can say to choose each topic and submenu: its label, its title and its phrases."""
    names: dict[str, tuple[str, ...]] = {}
    nodes: list[Topic | Menu] = [*line.topics.values(), *(m for m in line.menus.values() if m.id != MAIN_MENU)]
    for node in nodes:
        said = (line.lang.normalize(p) for p in (node.label, node.title, *node.phrases))
        names[node.id] = tuple(dict.fromkeys(p for p in said if p))
    return names


def spoken_digit(words: str, language: Language = ENGLISH) -> str | None:
    """A number said on its own or with filler words ("press two", "number 3", "oprima dos")."""
    said = words.split()
    tokens = [t for t in said if t not in language.number_fillers and t not in language.key_words]
    if len(tokens) != 1:
        return None
    token = tokens[0]
    if re.fullmatch(r"[0-9]", token):
        return token
    if token in language.sounds_like_digits and language.key_words & set(said):
        return language.sounds_like_digits[token]
    return language.digit_words.get(token)


def in_order(phrase: tuple[str, ...], words: tuple[str, ...], gap: int) -> bool:
    """Whether the phrase's words come in order in `words`, at most `gap` other words between two."""
    if not phrase or len(phrase) > len(words):
        return False
    for start, word in enumerate(words):
        if word != phrase[0]:
            continue
        at, found = start, 1
        while found < len(phrase):
            window = words[at + 1:at + 2 + gap]
            if phrase[found] not in window:
                break
            at += 1 + window.index(phrase[found])
            found += 1
        if found == len(phrase):
            return True
    return False


@dataclass(frozen=True)
class Meaning:
    """What words mean: a command, a node (topic or menu), a personal question, a possible goodbye
    ("stop" alone), or nothing the line knows. `name` is the command, node or question."""

    kind: MeaningKind
    name: str = ""


@dataclass(frozen=True)
class _Candidate:
    meaning: Meaning
    words: tuple[str, ...]
    gaps: bool  # personal questions' words may have other words between them


NOTHING = Meaning("nothing")


class Hearing:
    """Understands what callers say and texters write, from the content's words; keeps no state."""

    def __init__(self, line: Line):
        talk = line.talk
        self.line = line
        self.language = line.lang
        normalize = self.normalize = self.language.normalize
        self.fillers = sorted({normalize(f) for f in talk.fillers} - {""}, key=lambda f: -len(f.split()))
        self.yes = {normalize(w) for w in talk.yes}
        self.no = {normalize(w) for w in talk.no}
        self.alone: dict[str, Meaning] = {}
        for phrase in line.reserved["goodbye"].phrases if "goodbye" in line.reserved else ():
            self.alone.setdefault(normalize(phrase), Meaning("command", "goodbye"))
        for group, phrases in talk.alone.items():
            meaning = Meaning("maybe_end") if group == "maybe_end" else Meaning("command", group)
            for phrase in phrases:
                self.alone.setdefault(normalize(phrase), meaning)
        commands: list[_Candidate] = []
        for action, reserved in line.reserved.items():
            if is_action(action) and action != "goodbye":
                commands += self._candidates(Meaning("command", action), reserved.phrases, gaps=False)
        for group, phrases in talk.anywhere.items():
            commands += self._candidates(Meaning("command", group), phrases, gaps=False)
        self.names = spoken_names(line)
        nodes = [c for node, names in self.names.items()
                 for c in self._candidates(Meaning("node", node), names, gaps=False)]
        questions = [c for question in talk.questions.values()
                     for c in self._candidates(Meaning("question", question.id), question.phrases, gaps=True)]
        # "next" means something only in a topic: at a menu, "tell me more about trials" is about trials.
        self.anywhere = {in_topic: tuple(c for c in (*commands, *nodes, *questions)
                                         if in_topic or c.meaning != Meaning("command", "next"))
                         for in_topic in (False, True)}
        self.understand = lru_cache(maxsize=UNDERSTOOD_CACHE)(self._understand)  # type: ignore[method-assign]

    def _candidates(self, meaning: Meaning, phrases: Iterable[str], gaps: bool) -> list[_Candidate]:
        said = dict.fromkeys(self.normalize(p) for p in phrases)
        return [_Candidate(meaning, tuple(p.split()), gaps) for p in said if p]

    def without_fillers(self, words: str) -> str:
        """The words with filler phrases ("um", "please", "thanks") taken out; unchanged if nothing is left."""
        padded = f" {words} "
        for filler in self.fillers:
            padded = padded.replace(f" {filler} ", " ")
        return " ".join(padded.split()) or words

    def yes_or_no(self, words: str) -> Literal["yes", "no"] | None:
        """Whether words answer yes or no: the whole answer, or its first word ("yes it is", "no, not that")."""
        for said in (words, self.without_fillers(words)):
            if said in self.yes:
                return "yes"
            if said in self.no:
                return "no"
        first = words.split()[0] if words else ""
        return "yes" if first in self.yes else "no" if first in self.no else None

    def alone_meaning(self, words: str) -> Meaning | None:
        """The meaning of words that count only as the whole answer, filler words aside."""
        return self.alone.get(words) or self.alone.get(self.without_fillers(words))

    def understand(self, words: str, in_topic: bool, here: frozenset[str] = frozenset()) -> Meaning:
        """What normalized words mean at a topic or at a menu offering the nodes `here` (cached)."""
        return self._understand(words, in_topic, here)

    def _understand(self, words: str, in_topic: bool, here: frozenset[str] = frozenset()) -> Meaning:
        if not words:
            return NOTHING
        alone = self.alone_meaning(words)
        if alone:
            return alone
        found = self.best_phrase(words, in_topic, here)
        if found is not NOTHING:
            return found
        # A near miss of a whole phrase ("side affects"); never of a goodbye, which must be clear.
        candidates = [c for c in self.anywhere[in_topic] if not c.gaps]
        close = difflib.get_close_matches(words, [" ".join(c.words) for c in candidates], n=1, cutoff=FUZZY_CUTOFF)
        if close:
            return next(c.meaning for c in candidates if " ".join(c.words) == close[0])
        return NOTHING

    def best_phrase(self, words: str, in_topic: bool, here: frozenset[str] = frozenset()) -> Meaning:
        """The meaning of the longest phrase found in the words (see PRIORITY for ties)."""
        tokens = tuple(words.split())
        padded = f" {words} "
        best: tuple[int, int] | None = None
        chosen = NOTHING
        for candidate in self.anywhere[in_topic]:
            if candidate.gaps:
                if not in_order(candidate.words, tokens, QUESTION_GAP):
                    continue
            elif f" {' '.join(candidate.words)} " not in padded:
                continue
            kind = candidate.meaning.kind
            priority = PRIORITY["here" if candidate.meaning.name in here and kind == "node" else kind]
            rank = (len(candidate.words), priority)
            if best is None or rank > best:
                best, chosen = rank, candidate.meaning
        return chosen

    def question_in(self, words: str) -> str | None:
        """The personal question a message asks, when it asks one (texts use this)."""
        tokens = tuple(words.split())
        best: tuple[int, str] | None = None
        for candidate in self.anywhere[False]:
            found = candidate.gaps and in_order(candidate.words, tokens, QUESTION_GAP)
            if found and (best is None or len(candidate.words) > best[0]):
                best = (len(candidate.words), candidate.meaning.name)
        return best[1] if best else None
