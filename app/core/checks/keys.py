"""What a caller presses, says or texts leads where the content promises: one place per phrase,
"press 5" only where 5 works, and the text menu's numbers matching the topics."""

from __future__ import annotations

import re
from typing import Iterator

from app.core.callflow import CallFlow, Input, Turn, spoken_names
from app.core.checks.fields import problem_at, sentence_with, spoken_texts
from app.core.content import Line, Problem
from app.core.explore import basic_inputs, every_turn
from app.core.textflow import TextFlow

# Every key a caller can press, and a number to reach a person by, for exploring the call flow.
ALL_KEYS = "0123456789*#"
EXAMPLE_NUMBER = "555 0100"
SMS_NUMBER_RANGE = re.compile(r"\b(\d+)\s*(?:-|to|through)\s*(\d+)\b", re.IGNORECASE)
SMS_NUMBERED_WORD = re.compile(r"\b(\d+) ([A-Z][A-Z0-9]+)\b")


def spoken_choices(line: Line) -> Iterator[tuple[str, str, str]]:
    """Each phrase a caller can say, normalized, as (phrase, where it leads, field path)."""
    for action, reserved in line.reserved.items():
        for index, phrase in enumerate(reserved.phrases):
            yield line.lang.normalize(phrase), f"the '{action}' command", f"reserved.{action}.phrases[{index}]"
    for node, names in spoken_names(line).items():
        target = f"menu '{node}'" if node in line.menus else f"topic '{node}'"
        for name in names:
            yield name, target, name_field(line, node, name)


def name_field(line: Line, node: str, name: str) -> str:
    """Where a spoken name of a topic or menu is written: its label, its title or one of its phrases."""
    base, item = (f"menus.{node}", line.menus[node]) if node in line.menus else (f"topics.{node}", line.topics[node])
    written = {f"{base}.label": item.label, f"{base}.title": item.title,
               **{f"{base}.phrases[{index}]": phrase for index, phrase in enumerate(item.phrases)}}
    return next((path for path, text in written.items() if line.lang.normalize(text) == name), base)


def phrase_collisions(line: Line) -> Iterator[Problem]:
    """A phrase a caller may say must lead to one place only."""
    first: dict[str, tuple[str, str]] = {}
    for phrase, target, path in spoken_choices(line):
        if not phrase:
            continue
        if phrase in first and first[phrase][0] != target:
            other_target, other_path = first[phrase]
            where = line.where(other_path)
            yield problem_at(line, path, f"saying '{phrase}' leads here and also to {other_target} "
                                         f"({where.file}:{where.line_number}); use it for one of them only")
        first.setdefault(phrase, (target, path))


def keys_after(flow: CallFlow, turn: Turn) -> set[str]:
    """The keys that do something once a turn has been said: none when the call ends or goes to a person."""
    if turn.state is None or turn.hangup or turn.transfer_to:
        return set()
    return flow.keys_for(turn.state)


def phrase_keys(line: Line) -> dict[str, set[str]]:
    """For each shared phrase the call flow says, the keys that work everywhere it is said (with every
    way of reaching a person: a transfer, a number read out, or neither)."""
    names_by_text: dict[str, list[str]] = {}
    for name, text in line.phrases.items():
        names_by_text.setdefault(text, []).append(name)
    inputs = basic_inputs(ALL_KEYS) + [Input("speech", r.phrases[0]) for r in line.reserved.values() if r.phrases]
    keys: dict[str, set[str]] = {}
    for flow in (CallFlow(line), CallFlow(line, EXAMPLE_NUMBER), CallFlow(line, contact_number=EXAMPLE_NUMBER)):
        for turn in every_turn(flow, inputs):
            works = keys_after(flow, turn)
            for segment in turn.segments:
                for name in names_by_text.get(segment.text, ()):
                    keys[name] = keys[name] & works if name in keys else set(works)
    return keys


def keys_that_work(flow: CallFlow, path: str, said_keys: dict[str, set[str]]) -> set[str]:
    """The keys a caller can press where the text at `path` is said; `said_keys` comes from phrase_keys."""
    line = flow.line
    everywhere = set(line.command_keys)
    menu = re.fullmatch(r"menus\.([^.]+)\.title", path)
    if menu:
        return flow.keys_at(menu.group(1))
    topic = re.fullmatch(r"topics\.([^.]+)\..*", path)
    if topic and topic.group(1) in line.topics:
        return flow.keys_at(topic.group(1))
    if path.startswith("phrases.") and path.removeprefix("phrases.") in said_keys:
        return said_keys[path.removeprefix("phrases.")]
    return everywhere


def promised_key_problems(line: Line) -> Iterator[Problem]:
    """A spoken "press 5" must name a key that works where it is said."""
    editorial = line.lang.editorial
    promises = [(path, text, match) for path, text in spoken_texts(line)
                for match in editorial.promised_key.finditer(text)]
    said_keys = phrase_keys(line) if any(path.startswith("phrases.") for path, _, _ in promises) else {}
    flow = CallFlow(line)
    for path, text, match in promises:
        key = editorial.key_names.get(match.group(1).lower(), match.group(1))
        works = keys_that_work(flow, path, said_keys)
        if re.fullmatch(r"[0-9*#]", key) and key not in works:
            yield problem_at(line, path, f"says '{match.group(0)}' but key {key} does nothing where this is said "
                                         f"(keys that work there: {', '.join(sorted(works)) or 'none'})",
                             sentence=sentence_with(text, match.group(0)))


def sms_menu_number_problems(line: Line) -> Iterator[Problem]:
    """The text menu's numbers ("reply 1-5", "3 RISKS") must match what texting each number finds."""
    numbered = {word: topic for word, topic in TextFlow(line).keywords.items() if word.isdigit()}
    menu = line.sms.texts.get("menu", "")
    for match in SMS_NUMBER_RANGE.finditer(menu):
        low, high = int(match.group(1)), int(match.group(2))
        if (low, high) != (1, len(numbered)):
            yield problem_at(line, "sms.menu", f"offers '{match.group(0)}' but there are {len(numbered)} topics, "
                                               f"numbered 1-{len(numbered)}")
    for match in SMS_NUMBERED_WORD.finditer(menu):
        number, word = match.groups()
        topic = line.topics.get(numbered.get(number, ""))
        if topic is None:
            yield problem_at(line, "sms.menu", f"offers '{number} {word}' but texting {number} finds no topic")
        elif word != topic.sms_keyword:
            yield problem_at(line, "sms.menu", f"says '{number} {word}' but texting {number} sends topic "
                                               f"'{topic.id}', whose word is {topic.sms_keyword}")
