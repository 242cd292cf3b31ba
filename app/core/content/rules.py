"""The rules content must follow beyond each field's own shape: menus that lead somewhere, keys
that mean one thing, text messages a phone can carry, each word leading to one place."""

from __future__ import annotations

import string
from typing import Mapping

from app.core import gsm
from app.core.content.model import (
    MAIN_MENU,
    MAX_DEPTH,
    MAX_TOPIC_CHOICES,
    Menu,
    Problem,
    Reserved,
    SmsContent,
    Topic,
    command_key_actions,
)
from app.core.content.reader import Collector, Problems, sentence_line
from app.core.language import SmsAlphabet


def sms_text_problems(check: Collector, path: str, text: str, alphabet: SmsAlphabet) -> None:
    """Refuse a text message that is not plain GSM-7 once the language's letters are folded (Spanish sends
    "información" as "informacion"), or longer than the language's most segments."""
    text = alphabet.fold(text)
    for position, ch, suggestion in gsm.non_gsm7_characters(text):
        before = text[:position - 1].split()[-4:]
        around = " ".join(before) or " ".join(text[position:].split()[:4])
        shown = "a plain space" if suggestion == " " else suggestion.strip()
        instead = f"use {shown} instead" if shown else "leave it out"
        check.error(path, f"this character cannot be sent in a plain text message: {ch} (after \"{around}\"); "
                          f"{instead}", line_number=sentence_line(check.file, check.line_number_of(path), around),
                    blocking=False)
    segments = gsm.segment_count(text)
    if segments > alphabet.max_segments:
        check.error(path, f"with the line added at its end, this message is {gsm.septet_length(text)} characters: "
                          f"too long for one message (the most is {gsm.max_chars(alphabet.max_segments)}). Shorten "
                          f"it, or split it into two messages", blocking=False)


def template_problems(check: Collector, path: str, template: str, needed: set[str]) -> None:
    """A template must use exactly its placeholders, each written as {name}."""
    try:
        used = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        check.error(path, f"has a stray brace: {exc}; write placeholders as {{name}}")
        return
    for name in sorted(used - needed):
        check.error(path, f"{{{name}}} is not something the line can fill in here; use {', '.join(sorted(needed))}")
    for name in sorted(needed - used):
        check.error(path, f"must say {{{name}}} somewhere")


def check_structure(menus: Mapping[str, Menu], topics: Mapping[str, Topic], reserved: Mapping[str, Reserved],
                    check: Collector, topic_files: Mapping[str, str], problems: Problems) -> dict[str, tuple[str, ...]]:
    """Check references, keys and depth; return each node's path from the main menu."""
    offered_by: dict[str, tuple[str, int]] = {}
    reserved_keys = command_key_actions(reserved)
    for menu in menus.values():
        if menu.id in topics:
            check.error(f"menus.{menu.id}", f"is also the id of the topic in {topics[menu.id].file}; "
                                            f"give each menu and topic its own id")
        check_options(menu, menus, topics, reserved_keys, check, topic_files, offered_by)
    paths = paths_from_main(menus, topics, check)
    for menu_id in menus:
        if menu_id not in paths:
            check.error(f"menus.{menu_id}", "no menu leads here, so callers can never reach it", blocking=False)
    for topic in topics.values():
        if topic.id not in paths:
            problems.add(Problem(topic.file, 1, "id",
                                 f"no menu offers topic '{topic.id}', so callers can never reach it"), blocking=False)
    return paths


def check_options(menu: Menu, menus: Mapping[str, Menu], topics: Mapping[str, Topic], reserved_keys: Mapping[str, str],
                  check: Collector, topic_files: Mapping[str, str], offered_by: dict[str, tuple[str, int]]) -> None:
    """A menu's choices: at most four, distinct keys, no reserved key, known targets, each offered by one menu."""
    path = f"menus.{menu.id}"
    if len(menu.options) > MAX_TOPIC_CHOICES:
        check.error(f"{path}.options", f"has {len(menu.options)} choices; the most is {MAX_TOPIC_CHOICES}",
                    blocking=False)
    seen: dict[str, int] = {}
    for index, option in enumerate(menu.options):
        where = f"{path}.options[{index}]"
        if option.key in seen:
            check.error(f"{where}.key", f"key {option.key} is already used by choice {seen[option.key] + 1}",
                        blocking=False)
        seen[option.key] = index
        if option.key in reserved_keys:
            check.error(f"{where}.key", f"key {option.key} is reserved for '{reserved_keys[option.key]}' in every menu",
                        blocking=False)
        known: Mapping[str, Topic | Menu] = topics if option.kind == "topic" else menus
        if option.target not in known:
            if option.kind == "topic" and option.target in topic_files:
                continue  # that topic file has its own errors, reported already
            names = ", ".join(sorted(known)) or "none"
            check.error(f"{where}.{option.kind}",
                        f"there is no {option.kind} called '{option.target}' (known: {names})")
        elif option.target == MAIN_MENU:
            check.error(f"{where}.menu", "the main menu is not a choice: callers reach it from anywhere with the "
                                         "main menu command", blocking=False)
        elif option.target in offered_by:
            # The call flow keeps one place per topic or menu: reached another way, a caller would lose it.
            first_menu, first_index = offered_by[option.target]
            check.error(f"{where}.{option.kind}", f"menu '{menu.id}' offers {option.kind} '{option.target}', which "
                                                  f"menu '{first_menu}' already offers (choice {first_index + 1}); "
                                                  f"offer each {option.kind} from one menu only", blocking=False)
        else:
            offered_by[option.target] = (menu.id, index)


def paths_from_main(menus: Mapping[str, Menu], topics: Mapping[str, Topic],
                    check: Collector) -> dict[str, tuple[str, ...]]:
    """Each reachable node's path from the main menu, breadth-first; too deep a node is an error."""
    paths: dict[str, tuple[str, ...]] = {}
    queue: list[tuple[str, tuple[str, ...]]] = [(MAIN_MENU, (MAIN_MENU,))] if MAIN_MENU in menus else []
    while queue:
        node, path = queue.pop(0)
        if node in paths:
            continue
        paths[node] = path
        if len(path) > MAX_DEPTH:
            check.error(f"menus.{path[-2]}", f"'{node}' is {len(path)} levels deep; the most is {MAX_DEPTH}",
                        blocking=False)
        for option in menus[node].options if node in menus else ():
            if option.target in menus or option.target in topics:
                queue.append((option.target, (*path, option.target)))
    return paths


def sms_keyword_problems(sms: SmsContent, topics: Mapping[str, Topic], check: Collector, problems: Problems) -> None:
    """Every SMS word must lead to exactly one place."""
    owner: dict[str, str] = {}

    def claim(word: str, who: str) -> str | None:
        """Record the word's first owner; the problem when it already leads somewhere else."""
        first = owner.setdefault(word, who)
        return f"the word {word} is already used by {first}" if first != who else None

    for group, words in sms.keywords.items():
        for word in words:
            if taken := claim(word, f"sms.keywords.{group}"):
                check.error(f"sms.keywords.{group}", taken, blocking=False)
    for topic in topics.values():
        for word in (topic.sms_keyword, *topic.sms_synonyms):
            if taken := claim(word, f"topic {topic.id}"):
                problems.add(Problem(topic.file, 1, "sms_keyword", taken), blocking=False)
