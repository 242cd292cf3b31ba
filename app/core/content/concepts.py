"""Word classes and intents (content/<lang>/concepts.yaml): their model, built from parsed YAML. Pure.

Editors extend what callers are understood to mean without code: a class is a list of words and
phrases that mean one thing ("stopping verbs", "treatments"); an intent says which classes, found
together, mean a command, topic, personal question or text-message request ("stop + treatment" is a
question about one's own treatment). Problems go back through `report` with the file, line and field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Literal, Mapping

CONCEPTS_FILE = "concepts.yaml"
Channel = Literal["voice", "sms", "any"]
CHANNELS: tuple[Channel, ...] = ("voice", "sms", "any")
# What an intent may mean, by the part before the colon; "maybe_end" stands alone.
MEANING_KINDS = ("command", "topic", "menu", "question", "sms", "language")
SMS_MEANINGS = ("opt_out", "maybe_opt_out", "start", "help", "more", "menu", "thanks")
CLASS_NAME = re.compile(r"[a-z][a-z0-9_]*")
WEIGHT = re.compile(r"^(.*?)\s+x([0-9]*\.?[0-9]+)$")

Report = Callable[[str, int, str, str, bool], None]


@dataclass(frozen=True)
class Element:
    """One class a pattern needs; `negated` when it must be said as not wanted ("no more texts")."""

    name: str
    negated: bool = False


@dataclass(frozen=True)
class Pattern:
    """Classes that, found together in one message, mean an intent; weight scales the score."""

    elements: tuple[Element, ...]
    weight: float = 1.0


@dataclass(frozen=True)
class Example:
    """Words someone said, what they meant ("nothing" too), and whether by voice, by text or either."""

    intent: str
    channel: Channel
    text: str


@dataclass(frozen=True)
class Intent:
    """A meaning ("question:change-treatment", "command:text", "sms:opt_out") and the patterns that show it."""

    meaning: str
    patterns: tuple[Pattern, ...]
    channel: Channel = "any"


@dataclass(frozen=True)
class Concepts:
    """One language's words for understanding: rewrites, sound-alikes, negation, classes and intents."""

    rewrite: Mapping[str, str] = field(default_factory=dict)  # "dont" -> "do not", "u" -> "you"
    sounds: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # "car t" <- ("carty", "car tea")
    negators: tuple[str, ...] = ()
    breaks: tuple[str, ...] = ()  # words that end what a "not" reaches: "but", "just"
    exact_only: tuple[str, ...] = ()  # classes never reached by a guess (goodbye)
    classes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    intents: tuple[Intent, ...] = ()
    corrections: tuple[str, ...] = ()  # "I mean", "no wait": what comes after is what was meant
    joins: tuple[str, ...] = ()  # "or", "nor": a "not" reaches on across them ("no fever or chills")
    links: tuple[str, ...] = ()  # "about", "of": alone between two things, they tie them ("texts about risks")
    # Words that make a symptom the subject of talk, before it ("the part about") or after it ("thing"):
    # "the part about the fever, say it again" asks for the part, not for help.
    mentions_before: tuple[str, ...] = ()
    mentions_after: tuple[str, ...] = ()
    # What MS makes hard, said as the reason for asking the line to wait, text or slow down ("my hands are
    # shaking, can you text it to me"): beside such a request, not an emergency.
    reasons: tuple[str, ...] = ()
    happening: tuple[str, ...] = ()  # "I have", "suddenly", "tengo": a symptom named so is happening, whatever else
    examples: tuple[Example, ...] = ()  # what people said, and meant (examples.txt)


def parse_pattern(text: str) -> Pattern | str:
    """A pattern from "stop + treatment x0.5" ("-messages": said as not wanted); or what is wrong with it."""
    weight = 1.0
    found = WEIGHT.match(text.strip())
    if found:
        text, weight = found.group(1), float(found.group(2))
    elements = []
    for part in text.split("+"):
        name = part.strip()
        negated = name.startswith("-")
        name = name.lstrip("-").strip()
        if not CLASS_NAME.fullmatch(name):
            return f"'{part.strip()}' is not a class name (lower-case letters, digits and _)"
        elements.append(Element(name, negated))
    return Pattern(tuple(elements), weight)


def meaning_problem(meaning: str, known: Mapping[str, Collection[str]]) -> str | None:
    """Why an intent's meaning names nothing the line has, or None. `known` maps a kind to its names."""
    if meaning == "maybe_end":
        return None
    kind, _, name = meaning.partition(":")
    if kind not in MEANING_KINDS or not name:
        return f"must be maybe_end or kind:name, with kind one of {', '.join(MEANING_KINDS)}"
    names = known.get(kind)
    if names is not None and name not in names:
        return f"there is no {kind} called '{name}' (known: {', '.join(sorted(names))})"
    return None


def build_concepts(file: str, data: Any, lines: Mapping[str, int], known: Mapping[str, Collection[str]],
                   report: Report) -> Concepts:
    """The Concepts of one parsed concepts.yaml; every problem is reported at its line."""

    def error(path: str, message: str) -> None:
        at = path
        while at and at not in lines:
            shorter = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", at)
            at = "" if shorter == at else shorter
        report(file, lines.get(at, 1), path or "(file)", message, True)

    if not isinstance(data, Mapping):
        error("", "must be 'name: value' lines")
        return Concepts()

    def words(value: Any, path: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not value or not all(isinstance(v, (str, int)) and not isinstance(v, bool)
                                                               for v in value):
            error(path, "must be a list of words, like [one, two] (write yes and no in quotes)")
            return ()
        return tuple(" ".join(str(v).lower().split()) for v in value if str(v).strip())

    def mapping(name: str) -> Mapping[str, Any]:
        value = data.get(name, {})
        if not isinstance(value, Mapping):
            error(name, "must be 'name: value' lines")
            return {}
        return value

    rewrite: dict[str, str] = {}
    for said, meant in mapping("rewrite").items():
        if not isinstance(meant, (str, int)) or isinstance(meant, bool) or not str(meant).strip():
            error(f"rewrite.{said}", "must be the words it stands for, like: dont: do not")
            continue
        rewrite[" ".join(str(said).lower().split())] = " ".join(str(meant).lower().split())
    sounds = {" ".join(str(word).lower().split()): words(heard, f"sounds.{word}")
              for word, heard in mapping("sounds").items()}
    classes = {str(name): words(members, f"classes.{name}") for name, members in mapping("classes").items()}
    for name in classes:
        if not CLASS_NAME.fullmatch(name):
            error(f"classes.{name}", "a class name is lower-case letters, digits and _, like stop_verb")
    negation = mapping("negation")
    negators = words(negation.get("before"), "negation.before") if negation else ()
    breaks = words(negation.get("breaks"), "negation.breaks") if negation else ()
    corrections = words(negation.get("corrections"), "negation.corrections") if negation and \
        "corrections" in negation else ()
    joins = words(negation.get("joins"), "negation.joins") if negation and "joins" in negation else ()
    links = words(negation.get("links"), "negation.links") if negation and "links" in negation else ()
    mentions = mapping("mentions")
    mentions_before = words(mentions["before"], "mentions.before") if "before" in mentions else ()
    mentions_after = words(mentions["after"], "mentions.after") if "after" in mentions else ()
    reasons = words(mentions["reasons"], "mentions.reasons") if "reasons" in mentions else ()
    happening = words(mentions["happening"], "mentions.happening") if "happening" in mentions else ()
    exact_only = words(data["exact_only"], "exact_only") if "exact_only" in data else ()
    for name in exact_only:
        if name not in classes:
            error("exact_only", f"there is no class called '{name}'")
    intents = _intents(data.get("intents"), classes, known, error)
    return Concepts(rewrite, sounds, negators, breaks, exact_only, classes, intents, corrections, joins, links,
                    mentions_before, mentions_after, reasons=reasons, happening=happening)


def _intents(raw: Any, classes: Mapping[str, tuple[str, ...]], known: Mapping[str, Collection[str]],
             error: Callable[[str, str], None]) -> tuple[Intent, ...]:
    if not isinstance(raw, list):
        error("intents", "must list intents, each with meaning and when")
        return ()
    intents = []
    for index, item in enumerate(raw):
        path = f"intents[{index}]"
        if not isinstance(item, Mapping):
            error(path, "must have meaning and when")
            continue
        meaning = " ".join(str(item.get("meaning", "")).split())
        problem = meaning_problem(meaning, known)
        if problem:
            error(f"{path}.meaning", problem)
        channel = item.get("channel", "any")
        if channel not in CHANNELS:
            error(f"{path}.channel", f"must be one of {', '.join(CHANNELS)}")
            channel = "any"
        when = item.get("when")
        if not isinstance(when, list) or not when:
            error(f"{path}.when", "must list patterns, like [stop + treatment, should + treatment]")
            continue
        patterns = []
        for number, text in enumerate(when):
            parsed = parse_pattern(str(text))
            if isinstance(parsed, str):
                error(f"{path}.when[{number}]", parsed)
                continue
            missing = [e.name for e in parsed.elements if e.name not in classes]
            if missing:
                error(f"{path}.when[{number}]", f"there is no class called '{missing[0]}'")
                continue
            patterns.append(parsed)
        intents.append(Intent(meaning, tuple(patterns), channel))
    return tuple(intents)
