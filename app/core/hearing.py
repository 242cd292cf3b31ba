"""What a caller's words mean: whole answers, yes or no, spoken keys, then their meaning. Pure.

Words that mean something else inside a sentence ("what?", "okay", "stop") count only as the whole
answer; everything else is understood by meaning (app/core/understanding/), where the rules that keep
a caller from being misunderstood in the way that hurts most live: an emergency first, a question
about one's own care before a subject, nothing done that was said not to be, no goodbye on a guess.
"""

from __future__ import annotations

import re
import weakref
from typing import Literal, TypeGuard, get_args

from app.core.content import MAIN_MENU, Line, Menu, Topic
from app.core.language import ENGLISH, Language
from app.core.understanding import Meaning, MeaningKind, Understanding

Action = Literal["next", "previous", "repeat", "back", "main", "person", "help", "goodbye", "text", "slower", "faster",
                 "normal", "forget", "more-time", "language"]
ACTIONS: frozenset[str] = frozenset(get_args(Action))
# Commands a texter may ask for too ("have someone call me", "repeat that", "delete my info").
BOTH_CHANNELS = {"person": "any", "repeat": "any", "forget": "any"}
__all__ = ["Meaning", "MeaningKind", "NOTHING", "understood"]

MAX_MADE = 4  # lines whose Hearing is kept (one per language in production; tests load more)

# English digit words, for the English checks and learned phrases (the call flow reads its Language's).
DIGIT_WORDS: dict[str, str] = dict(ENGLISH.digit_words)


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


def spoken_digit(words: str, lang: Language = ENGLISH) -> str | None:
    """A number said on its own or with filler words ("press two", "number 3"), in a language's words."""
    said = words.split()
    tokens = [t for t in said if t not in lang.number_fillers and t not in lang.key_words]
    if len(tokens) != 1:
        return None
    token = tokens[0]
    if re.fullmatch(r"[0-9]", token):
        return token
    if token in lang.sounds_like_digits and lang.key_words & set(said):
        return lang.sounds_like_digits[token]
    return lang.digit_words.get(token)


NOTHING = Meaning("nothing")


class Hearing:
    """Understands what callers say and texters write, from the content's words; keeps no state.

    Whole answers ("okay", "stop", "what?") and yes or no are read here; everything else goes to the
    understanding (app/core/understanding/), which the listed phrases feed as examples."""

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
        self.names = spoken_names(line)
        self.understanding = Understanding(line, self.language, examples(line, self.names))

    @classmethod
    def of(cls, line: Line) -> Hearing:
        """The Hearing of a line, built once (building takes a few tenths of a second; the call and text
        flows, the checks and previews all ask for it)."""
        made = _MADE.get(id(line))
        if made is not None and made[0]() is line:
            return made[1]
        hearing = cls(line)
        for key in [k for k, (ref, _) in _MADE.items() if ref() is None][:]:
            del _MADE[key]
        if len(_MADE) >= MAX_MADE:
            _MADE.pop(next(iter(_MADE)))
        _MADE[id(line)] = (weakref.ref(line), hearing)
        return hearing

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

    def said_instead(self, answer: str) -> Meaning | None:
        """What else an answer to "Is that right?" asks for ("no, I asked what it costs"), if anything: the
        words after its first word (commas kept: "no, I don't want more, hang up"), unless the whole answer is a
        yes or a no. A request said not to be wanted comes back declined ("yes, but don't hang up")."""
        said = self.without_fillers(self.normalize(answer))
        rest = self.after_answer(answer)
        if said in self.yes or said in self.no or len(said.split()) < 2 or not rest:
            return None
        meaning = self.hear(rest, False, near=False)  # "nope, that's not it" is a no, not a request like it
        return None if meaning.kind == "nothing" else meaning

    def after_answer(self, answer: str) -> str:
        """The words after an answer's first word, said once or more ("no no the doctor one")."""
        first, *rest = answer.split(maxsplit=1) or [""]
        # "no no the doctor one" says no twice; in "no, no quiero los efectos" the second "no" is a "not".
        while rest and rest[0].split(maxsplit=1)[0].lower() == first.lower():
            rest = rest[0].split(maxsplit=1)[1:]
        return rest[0] if rest else ""

    def alone_meaning(self, words: str) -> Meaning | None:
        """The meaning of words that count only as the whole answer, filler words aside."""
        return self.alone.get(words) or self.alone.get(self.without_fillers(words))

    def hear(self, said: str, in_topic: bool, near: bool = True) -> Meaning:
        """What a caller's words mean, at a topic or at a menu: a whole answer first, then their meaning."""
        words = self.normalize(said)
        if not words:
            return NOTHING
        return self.alone_meaning(words) or self.understanding.meaning(said, "voice", in_topic, near)

    def read(self, message: str) -> Meaning:
        """What a text message means."""
        return self.understanding.meaning(message, "sms", False)


_MADE: dict[int, tuple[weakref.ref[Line], Hearing]] = {}


def understood(meaning: Meaning) -> str:
    """The intent a meaning stands for, as counted and benchmarked: "command:repeat", "topic:risks", "nothing"."""
    if meaning.kind in ("nothing", "maybe_end", "declined"):
        return "nothing" if meaning.kind == "declined" else meaning.kind
    kind = "topic" if meaning.kind == "node" else meaning.kind
    return f"{kind}:{meaning.name}"


def examples(line: Line, names: dict[str, tuple[str, ...]]) -> list[tuple[str, str, str]]:
    """The listed phrases as examples for the understanding: (intent, phrase, channel)."""
    found: list[tuple[str, str, str]] = []
    for action, reserved in line.reserved.items():
        if is_action(action):
            found += [(f"command:{action}", p, BOTH_CHANNELS.get(action, "voice")) for p in reserved.phrases]
    for group, phrases in line.talk.anywhere.items():
        found += [(f"command:{group}", p, BOTH_CHANNELS.get(group, "voice")) for p in phrases]
    for question in line.talk.questions.values():
        found += [(f"question:{question.id}", p, "any") for p in question.phrases]
    for node, said in names.items():
        kind = "topic" if node in line.topics else "menu"
        found += [(f"{kind}:{node}", p, "any") for p in said]
    for group in ("menu", "more"):  # HELP and INFO count as the whole message only
        found += [(f"sms:{group}", w.lower(), "sms") for w in line.sms.keywords.get(group, ()) if len(w) > 1]
    return found
