"""Load the content folder into a frozen model, refusing broken files with the file and field named."""

from __future__ import annotations

import datetime as dt
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, TypeVar

import yaml

from . import gsm
from .talk import TALK_FILES, Parsed, Talk, build_talk

RESERVED_ACTIONS = ("next", "repeat", "back", "main", "person", "help", "goodbye")
# Actions that must have a key, and the same key everywhere.
KEYED_ACTIONS = ("next", "repeat", "back", "main", "person")
REQUIRED_PHRASES = (
    "greeting", "disclaimer", "help", "silence", "silence_more_help", "silence_last_warning", "goodbye_after_silence",
    "not_a_choice", "not_understood", "lost_place", "at_main_menu", "end_of_topic", "transfer",
    "transfer_failed", "contact_number", "contact_number_again", "contact_number_repeat", "no_person", "error", "goodbye",
)
# Sentence templates and the {placeholders} each must use, so that no sentence is built in code.
TEMPLATES = {
    "option": {"label", "key"},
    "command": {"label", "key"},
    "next_part": {"label", "key", "say"},
    "another_topic": {"key"},
    "confirm": {"label"},
    "part_heading": {"number", "count", "title"},
    "commands_help": {"words"},
}
SMS_TEXTS = ("menu", "more_footer", "last_footer", "no_more", "help", "stop", "start", "error")
SMS_KEYWORD_GROUPS = ("menu", "more", "help", "stop", "start")
MAX_TOPIC_CHOICES = 4
MAX_DEPTH = 3
MAIN_MENU = "main"
# Menu and topic ids, which are also the steps of a call's place in the URL Twilio sends back.
ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_ID_LENGTH = 60
ID_RULE = (f"must be lower-case letters and digits, words joined by single hyphens, at most {MAX_ID_LENGTH} "
           "characters, like find-a-trial")
T = TypeVar("T")


def is_valid_id(text: str) -> bool:
    """Whether a text can be a menu or topic id: see ID_PATTERN and MAX_ID_LENGTH."""
    return len(text) <= MAX_ID_LENGTH and ID_PATTERN.fullmatch(text) is not None


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the content, located by file, line and field."""

    file: str
    line: int
    field: str
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class ContentError(Exception):
    """The content cannot be used; carries every problem found.

    `partial` is the Line built despite problems that leave the model whole (a bad source date, a
    character a text message cannot carry...), so that `flask content check` can go on to its own
    checks in the same run; it is None when the content could not be built. The app never uses it.
    """

    def __init__(self, problems: _Problems, partial: Line | None = None):
        self.problems = problems
        self.partial = partial
        super().__init__("\n".join(str(p) for p in problems))


class _Problems:
    """Every problem found while loading, in order, and how many stop the Line from being built."""

    def __init__(self) -> None:
        self.found: list[Problem] = []
        self.blocking = 0

    def add(self, problem: Problem, blocking: bool = True) -> None:
        """Record a problem; a blocking one leaves the content too broken to build a Line."""
        self.found.append(problem)
        self.blocking += blocking


@dataclass(frozen=True)
class Where:
    """A place in a content file."""

    file: str
    line: int


@dataclass(frozen=True)
class Source:
    """A document a topic's claims come from."""

    name: str
    date: str
    file: str


@dataclass(frozen=True)
class Part:
    """One spoken part of a topic: short enough to hear before the caller gets a choice."""

    title: str
    text: str
    line: int


@dataclass(frozen=True)
class Topic:
    """One subject the line explains, by voice (parts) and by text (sms messages)."""

    id: str
    title: str
    label: str
    phrases: tuple[str, ...]
    sms_keyword: str
    sms_synonyms: tuple[str, ...]
    as_of: str
    reviewed: dt.date
    sources: tuple[Source, ...]
    parts: tuple[Part, ...]
    sms: tuple[str, ...]
    file: str


@dataclass(frozen=True)
class Option:
    """A numbered choice in a menu, leading to a topic or another menu."""

    key: str
    kind: str  # "topic" or "menu"
    target: str


@dataclass(frozen=True)
class Menu:
    """A list of up to four choices."""

    id: str
    title: str
    label: str
    phrases: tuple[str, ...]
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Reserved:
    """A command that means the same in every menu: repeat, go back, main menu, a person..."""

    action: str
    key: str | None
    label: str
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class SmsContent:
    """The fixed text-message replies and the keywords that call them."""

    texts: Mapping[str, str]
    keywords: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Pronouncer:
    """The pronunciation list, compiled once: longest terms first, whole words only.

    A term written in lower case ("ocrelizumab") matches in any case; a term with capitals
    ("MS", "CAR-T") matches only as written.
    """

    pattern: re.Pattern[str]
    exact: Mapping[str, str]
    any_case: Mapping[str, str]

    @classmethod
    def build(cls, pronunciations: tuple[tuple[str, str], ...]) -> Pronouncer | None:
        """A pronouncer for (term, how to say it) pairs; None when there are none."""
        if not pronunciations:
            return None
        terms = sorted((term for term, _ in pronunciations), key=len, reverse=True)  # "CAR-T" before "CAR"
        alternatives = (f"(?i:{re.escape(t)})" if t == t.lower() else re.escape(t) for t in terms)
        return cls(re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])"),
                   {t: said for t, said in pronunciations if t != t.lower()},
                   {t: said for t, said in pronunciations if t == t.lower()})

    def apply(self, text: str) -> str:
        """Text with each listed term replaced by how the voice should say it."""
        return self.pattern.sub(self._said, text)

    def _said(self, match: re.Match[str]) -> str:
        term = match.group(0)
        return self.exact.get(term) or self.any_case[term.lower()]


@dataclass(frozen=True)
class Line:
    """Everything the line can say, loaded and checked once at start-up."""

    name: str
    phrases: Mapping[str, str]
    templates: Mapping[str, str]
    reserved: Mapping[str, Reserved]
    menus: Mapping[str, Menu]
    topics: Mapping[str, Topic]
    pronunciations: tuple[tuple[str, str], ...]
    jargon: Mapping[str, str]
    sms: SmsContent
    language: str
    # Dotted field path -> where it is written, for messages that point editors at a line.
    locations: Mapping[str, Where] = field(default_factory=dict)
    # Node id -> menu path from the main menu (a topic's path ends with its own id).
    paths: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Everyday words, conversation sentences and personal questions (app/talk.py).
    talk: Talk = field(default_factory=Talk.empty)
    _pronouncer: Pronouncer | None = field(default=None, repr=False, compare=False)

    def where(self, path: str) -> Where:
        """The closest known location of a field path ("menus.main.options[1]")."""
        return _closest(self.locations, path, Where("content", 0))

    @property
    def command_keys(self) -> dict[str, str]:
        """Each key that works in every menu and topic (every reserved key but next's) -> its action."""
        return _command_keys(self.reserved)

    def pronounce(self, text: str) -> str:
        """Text as the voice should say it, with the pronunciation list applied."""
        return self._pronouncer.apply(text) if self._pronouncer else text

    def topic_sms(self, topic: Topic, index: int) -> str:
        """Text message number `index` of a topic, with its footer."""
        return line_sms_text(self.sms.texts, topic, index)


def _enclosing_paths(path: str) -> list[str]:
    """A field path and each path that contains it: "a.b[2].c", "a.b[2]", "a.b", "a"."""
    paths = []
    while path:
        paths.append(path)
        shorter = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", path)
        if shorter == path:
            break
        path = shorter
    return paths


def _closest(found: Mapping[str, T], path: str, default: T) -> T:
    """The value recorded for a field path or, failing that, for the nearest path that contains it."""
    for candidate in _enclosing_paths(path):
        if candidate in found:
            return found[candidate]
    return default


def _command_keys(reserved: Mapping[str, Reserved]) -> dict[str, str]:
    """Each key of a command that works everywhere -> the (first) action using it."""
    return {key: actions[0] for key, actions in _command_key_users(reserved).items()}


def _command_key_users(reserved: Mapping[str, Reserved]) -> dict[str, list[str]]:
    """Each key of a command that works everywhere (all reserved keys but next's) -> the actions using it."""
    users: dict[str, list[str]] = {}
    for action in reserved.values():
        if action.key and action.action != "next":
            users.setdefault(action.key, []).append(action.action)
    return users


class _Collector:
    """Gathers problems for one file so that all of them are reported at once."""

    def __init__(self, file: str, lines: dict[str, int], problems: _Problems):
        self.file, self.lines, self.problems = file, lines, problems

    def line_of(self, path: str) -> int:
        """The line where a field path, or the nearest path containing it, is written."""
        return _closest(self.lines, path, 1)

    def error(self, path: str, message: str, line: int | None = None, blocking: bool = True) -> None:
        """Record an error at a field; `blocking=False` when the Line can still be built around it."""
        self.problems.add(Problem(self.file, line or self.line_of(path), path or "(file)", message), blocking)

    def text(self, data: Mapping, key: str, path: str) -> str:
        value = data.get(key) if isinstance(data, Mapping) else None
        full = f"{path}.{key}" if path else key
        if value is None or (isinstance(value, str) and not value.strip()):
            self.error(full, "is missing or empty")
            return ""
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            self.error(full, f"must be text, not {type(value).__name__}")
            return ""
        return " ".join(str(value).split())

    def words(self, data: Mapping, key: str, path: str, required: bool = True) -> tuple[str, ...]:
        value = data.get(key) if isinstance(data, Mapping) else None
        full = f"{path}.{key}" if path else key
        if value is None:
            if required:
                self.error(full, "is missing: give a list of words, like [one, two]")
            return ()
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
            self.error(full, "must be a list of words, like [one, two]")
            return ()
        if any(isinstance(v, bool) for v in value):
            # YAML reads bare yes/no/on/off as true/false, which no caller ever says.
            self.error(full, "has yes, no, on or off without quotes; write them in quotes, like \"yes\"")
            return ()
        words = tuple(" ".join(str(v).split()) for v in value if str(v).strip())
        if required and not words:
            self.error(full, "is empty: give at least one word, like [one, two]")
        return words


def _yaml_with_lines(text: str) -> tuple[Any, dict[str, int]]:
    """Parse YAML and record the line where each field path starts."""
    lines: dict[str, int] = {}

    def walk(node: yaml.Node, path: str) -> None:
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                key = str(key_node.value)
                child = f"{path}.{key}" if path else key
                if key in seen:
                    # PyYAML would silently keep the last one; an editor's earlier words would vanish.
                    raise yaml.constructor.ConstructorError(
                        None, None, f"'{child}' is written twice (first on line {seen[key]})", key_node.start_mark)
                seen[key] = key_node.start_mark.line + 1
                lines[child] = key_node.start_mark.line + 1
                walk(value_node, child)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, f"{path}[{index}]")

    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if node is not None:
        walk(node, "")
    return yaml.safe_load(text), lines


def _read_yaml(path: Path, shown: str, problems: _Problems) -> tuple[Any, dict[str, int]] | None:
    try:
        return _yaml_with_lines(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.add(Problem(shown, 0, "(file)", "file is missing"))
    except UnicodeDecodeError as exc:
        problems.add(Problem(shown, 1, "(file)", f"is not UTF-8 text ({exc.reason})"))
    except yaml.YAMLError as exc:
        problems.add(_yaml_problem(exc, shown, "(file)", first_line=1))
    return None


def _yaml_problem(exc: yaml.YAMLError, shown: str, field: str, first_line: int) -> Problem:
    """A YAML error as a problem at its line; `first_line` is the file line where the YAML text starts."""
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + first_line if mark else 1
    return Problem(shown, line, field, f"is not valid YAML: {getattr(exc, 'problem', exc)}")


def _sms_problems(check: _Collector, path: str, text: str) -> None:
    """Refuse a text message that is not plain GSM-7 or too long for two segments."""
    for position, ch, suggestion in gsm.non_gsm7_characters(text):
        hint = f"; write {suggestion!r} instead" if suggestion else ""
        check.error(path, f"character {ch!r} (U+{ord(ch):04X}) at position {position} is not plain GSM-7 text{hint}",
                    blocking=False)
    segments = gsm.segment_count(text)
    if segments > gsm.MAX_SEGMENTS:
        check.error(path, f"with its footer this message is {gsm.septet_length(text)} characters, "
                          f"{segments} segments; the most is {gsm.MAX_CHARS} characters (2 segments)", blocking=False)


def _template_problems(check: _Collector, path: str, template: str, needed: set[str]) -> None:
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


def _parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


SOURCE_DATE = re.compile(r"^(19|20)\d\d(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")


def _split_front_matter(text: str) -> tuple[str, str, int] | None:
    """Split a topic file into its YAML front matter, body and the body's first line number."""
    if not text.startswith("---"):
        return None
    lines = text.splitlines(keepends=True)
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            return "".join(lines[1:index]), "".join(lines[index + 1:]), index + 2
    return None


def _parse_parts(body: str, first_line: int, check: _Collector) -> tuple[Part, ...]:
    """Split a Markdown body into parts, one per `## ` heading."""
    parts: list[Part] = []
    title, start, buffer = None, 0, []

    def close() -> None:
        if title is None:
            return
        words = " ".join(" ".join(buffer).split())
        if not words:
            check.error(f"part {len(parts) + 1} \"{title}\"", "has a heading but no words", start)
        parts.append(Part(title, words, start))

    for offset, raw in enumerate(body.splitlines()):
        line_no = first_line + offset
        stripped = raw.strip()
        if stripped.startswith("## "):
            close()
            title, start, buffer = stripped[3:].strip(), line_no, []
        elif stripped.startswith("#"):
            check.error("body", "only '## ' headings are used: each one starts a spoken part", line_no)
        elif stripped:
            if title is None:
                check.error("body", "text before the first '## ' heading belongs to no part", line_no)
            else:
                buffer.append(stripped)
    close()
    if not parts:
        check.error("body", "has no parts: start each spoken part with a '## Title' line", first_line)
    return tuple(parts)


def _load_topic(path: Path, shown: str, problems: _Problems, locations: dict[str, Where]) -> Topic | None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.add(Problem(shown, 1, "(file)", f"is not UTF-8 text ({exc.reason})"))
        return None
    split = _split_front_matter(text)
    if split is None:
        problems.add(Problem(shown, 1, "(file)", "must start with a '---' line, the settings, and another '---' line"))
        return None
    front_text, body, body_line = split
    try:
        data, lines = _yaml_with_lines(front_text)
    except yaml.YAMLError as exc:
        problems.add(_yaml_problem(exc, shown, "(settings)", first_line=2))  # after the first '---' line
        return None
    lines = {key: value + 1 for key, value in lines.items()}  # the first '---' line
    check = _Collector(shown, lines, problems)
    if not isinstance(data, dict):
        check.error("(settings)", "the settings between the '---' lines must be 'name: value' lines")
        return None
    before = problems.blocking
    topic_id = check.text(data, "id", "")
    if topic_id and not is_valid_id(topic_id):
        check.error("id", ID_RULE, blocking=False)
    if topic_id and topic_id != path.stem:
        check.error("id", f"is {topic_id!r} but the file is named {path.name}; they must match")
    sms_keyword = check.text(data, "sms_keyword", "").upper()
    if sms_keyword and not re.fullmatch(r"[A-Z0-9]+", sms_keyword):
        check.error("sms_keyword", "must be one word of letters or digits, like RISKS", blocking=False)
    reviewed = _parse_date(data.get("reviewed"))
    if reviewed is None:
        check.error("reviewed", "must be the date a person last checked this topic, like 2026-11-20")
    sources = []
    raw_sources = data.get("sources")
    if not isinstance(raw_sources, list) or not raw_sources:
        check.error("sources", "must list at least one source, each with name, date and file", blocking=False)
        raw_sources = []
    for index, raw in enumerate(raw_sources):
        where = f"sources[{index}]"
        if not isinstance(raw, dict):
            check.error(where, "must have name, date and file", blocking=False)
            continue
        date = str(raw.get("date", "")).strip()
        if not SOURCE_DATE.match(date):
            check.error(f"{where}.date", "must be a year, year-month or date, like 2025 or 2025-10", blocking=False)
        sources.append(Source(check.text(raw, "name", where), date, check.text(raw, "file", where)))
    raw_sms = data.get("sms")
    sms: tuple[str, ...] = ()
    if not isinstance(raw_sms, list) or not raw_sms or not all(isinstance(m, str) for m in raw_sms):
        check.error("sms", "must list the text-message version, one message per entry", blocking=False)
    else:
        sms = tuple(" ".join(m.split()) for m in raw_sms)
    parts = _parse_parts(body, body_line, check)
    if problems.blocking > before:
        return None
    for key, line in lines.items():
        locations[f"topics.{topic_id}.{key}" if key else f"topics.{topic_id}"] = Where(shown, line)
    for index, part in enumerate(parts):
        locations[f"topics.{topic_id}.parts[{index}]"] = Where(shown, part.line)
    return Topic(
        id=topic_id, title=check.text(data, "title", ""), label=check.text(data, "label", ""),
        phrases=check.words(data, "phrases", ""), sms_keyword=sms_keyword,
        sms_synonyms=tuple(s.upper() for s in check.words(data, "sms_synonyms", "", required=False)),
        as_of=check.text(data, "as_of", ""), reviewed=reviewed, sources=tuple(sources), parts=parts,
        sms=sms, file=shown,
    )


def _load_menus(data: Any, check: _Collector) -> dict[str, Menu]:
    menus: dict[str, Menu] = {}
    if not isinstance(data, dict) or MAIN_MENU not in data:
        check.error("menus", f"must define a menu called '{MAIN_MENU}'")
        return menus
    for menu_id, raw in data.items():
        path = f"menus.{menu_id}"
        if not is_valid_id(str(menu_id)):
            check.error(path, ID_RULE, blocking=False)
        if not isinstance(raw, dict):
            check.error(path, "must have a title and options")
            continue
        options: list[Option] = []
        raw_options = raw.get("options")
        if not isinstance(raw_options, list) or not raw_options:
            check.error(f"{path}.options", "must list at least one choice")
            raw_options = []
        for index, opt in enumerate(raw_options):
            where = f"{path}.options[{index}]"
            if not isinstance(opt, dict):
                check.error(where, "must have a key and a topic or menu")
                continue
            key = str(opt.get("key", "")).strip()
            if not re.fullmatch(r"[0-9]", key):
                check.error(f"{where}.key", "must be one keypad digit, like \"1\"")
            kinds = [kind for kind in ("topic", "menu") if opt.get(kind)]
            if len(kinds) != 1:
                check.error(where, "must name exactly one of 'topic' or 'menu'")
                continue
            options.append(Option(key, kinds[0], str(opt[kinds[0]]).strip()))
        label = " ".join(str(raw.get("label", "")).split())
        if menu_id != MAIN_MENU and not label:
            check.error(f"{path}.label", "is missing: the words used for this menu in its parent menu")
        menus[menu_id] = Menu(menu_id, check.text(raw, "title", path), label,
                              check.words(raw, "phrases", path, required=menu_id != MAIN_MENU), tuple(options))
    return menus


def _check_structure(line: dict[str, Any], check: _Collector, topic_files: dict[str, str],
                     problems: _Problems) -> dict[str, tuple[str, ...]]:
    """Check references, keys and depth; return each node's path from the main menu."""
    menus: dict[str, Menu] = line["menus"]
    topics: dict[str, Topic] = line["topics"]
    offered_by: dict[str, tuple[str, int]] = {}
    for menu in menus.values():
        if menu.id in topics:
            check.error(f"menus.{menu.id}", f"is also the id of the topic in {topics[menu.id].file}; "
                                            f"give each menu and topic its own id")
        _check_options(menu, line, check, topic_files, offered_by)
    paths = _paths_from_main(menus, topics, check)
    for menu_id in menus:
        if menu_id not in paths:
            check.error(f"menus.{menu_id}", "no menu leads here, so callers can never reach it", blocking=False)
    for topic in topics.values():
        if topic.id not in paths:
            problems.add(Problem(topic.file, 1, "id", f"no menu offers topic '{topic.id}', so callers can never reach it"),
                         blocking=False)
    return paths


def _check_options(menu: Menu, line: dict[str, Any], check: _Collector, topic_files: dict[str, str],
                   offered_by: dict[str, tuple[str, int]]) -> None:
    """A menu's choices: at most four, distinct keys, no reserved key, known targets, each offered by one menu."""
    path = f"menus.{menu.id}"
    reserved_keys = _command_keys(line["reserved"])
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
        known = line["topics"] if option.kind == "topic" else line["menus"]
        if option.target not in known:
            if option.kind == "topic" and option.target in topic_files:
                continue  # that topic file has its own errors, reported already
            names = ", ".join(sorted(known)) or "none"
            check.error(f"{where}.{option.kind}", f"there is no {option.kind} called '{option.target}' (known: {names})")
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


def _paths_from_main(menus: Mapping[str, Menu], topics: Mapping[str, Topic],
                     check: _Collector) -> dict[str, tuple[str, ...]]:
    """Each reachable node's path from the main menu, breadth-first; too deep a node is an error."""
    paths: dict[str, tuple[str, ...]] = {}
    queue = [(MAIN_MENU, (MAIN_MENU,))] if MAIN_MENU in menus else []
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
                queue.append((option.target, path + (option.target,)))
    return paths


def _sms_keyword_problems(line: dict[str, Any], check: _Collector, problems: _Problems) -> None:
    """Every SMS word must lead to exactly one place."""
    owner: dict[str, str] = {}

    def claim(word: str, who: str, report) -> None:
        if word in owner and owner[word] != who:
            report(f"the word {word} is already used by {owner[word]}")
        owner.setdefault(word, who)

    for group, words in line["sms"].keywords.items():
        for word in words:
            claim(word, f"sms.keywords.{group}", lambda m, g=group: check.error(f"sms.keywords.{g}", m, blocking=False))
    for topic in line["topics"].values():
        for word in (topic.sms_keyword, *topic.sms_synonyms):
            claim(word, f"topic {topic.id}",
                  lambda m, t=topic: problems.add(Problem(t.file, 1, "sms_keyword", m), blocking=False))


def _shown(path: Path) -> str:
    """A file's name as editors can open it: relative to the current folder when inside it, else absolute."""
    full = path.resolve()
    try:
        return str(full.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(full)


def load_line(content_dir: str | Path, language: str = "en") -> Line:
    """Load and validate one language's content; raise ContentError listing every problem."""
    folder = Path(content_dir) / language
    problems = _Problems()
    if not folder.is_dir():
        raise ContentError([Problem(_shown(folder), 0, "(folder)", f"no content folder for language '{language}'")])
    line_file = folder / "line.yaml"
    parsed = _read_yaml(line_file, _shown(line_file), problems)
    data, lines = parsed if parsed else ({}, {})
    check = _Collector(_shown(line_file), lines, problems)
    if parsed and not isinstance(data, dict):
        check.error("(file)", "must be 'name: value' lines")
        data = {}
    locations: dict[str, Where] = {key: Where(_shown(line_file), value) for key, value in lines.items()}

    name = check.text(data, "name", "") if parsed else ""

    phrases_raw = data.get("phrases") if isinstance(data.get("phrases"), dict) else {}
    if parsed and not phrases_raw:
        check.error("phrases", "is missing")
    phrases = {name: check.text(phrases_raw, name, "phrases") for name in REQUIRED_PHRASES} if phrases_raw else {}

    templates_raw = data.get("templates") if isinstance(data.get("templates"), dict) else {}
    if parsed and not templates_raw:
        check.error("templates", "is missing")
    templates = {name: check.text(templates_raw, name, "templates") for name in TEMPLATES} if templates_raw else {}
    for name, template in templates.items():
        _template_problems(check, f"templates.{name}", template, TEMPLATES[name])

    reserved: dict[str, Reserved] = {}
    reserved_raw = data.get("reserved") if isinstance(data.get("reserved"), dict) else {}
    for action in RESERVED_ACTIONS:
        raw = reserved_raw.get(action)
        path = f"reserved.{action}"
        if not isinstance(raw, dict):
            if parsed:
                check.error(path, "is missing: every menu needs this command")
            continue
        key = str(raw.get("key", "")).strip() or None
        if action in KEYED_ACTIONS and (key is None or not re.fullmatch(r"[0-9*#]", key)):
            check.error(f"{path}.key", "must be one keypad key, like \"9\"")
        reserved[action] = Reserved(action, key, check.text(raw, "label", path),
                                    tuple(p.lower() for p in check.words(raw, "phrases", path)))
    for key, users in _command_key_users(reserved).items():
        if len(users) > 1:
            check.error(f"reserved.{users[1]}.key", f"key {key} is also used by '{users[0]}'", blocking=False)

    sms_raw = data.get("sms") if isinstance(data.get("sms"), dict) else {}
    if parsed and not sms_raw:
        check.error("sms", "is missing")
    sms_texts = {name: check.text(sms_raw, name, "sms") for name in SMS_TEXTS} if sms_raw else {}
    keywords_raw = sms_raw.get("keywords") if isinstance(sms_raw.get("keywords"), dict) else {}
    sms_keywords = {group: tuple(w.upper() for w in check.words(keywords_raw, group, "sms.keywords"))
                    for group in SMS_KEYWORD_GROUPS} if sms_raw else {group: () for group in SMS_KEYWORD_GROUPS}
    for name, text in sms_texts.items():
        if name not in ("more_footer", "last_footer"):
            _sms_problems(check, f"sms.{name}", text)

    menus = _load_menus(data.get("menus"), check) if parsed else {}

    topics: dict[str, Topic] = {}
    topic_files = {p.stem: _shown(p) for p in sorted((folder / "topics").glob("*.md"))}
    if not topic_files:
        problems.add(Problem(_shown(folder / "topics"), 0, "(folder)", "has no topic files (*.md)"))
    for stem, file_shown in topic_files.items():
        topic = _load_topic(folder / "topics" / f"{stem}.md", file_shown, problems, locations)
        if topic:
            topics[topic.id] = topic
            topic_check = _Collector(topic.file, {k.split(".", 2)[2]: w.line for k, w in locations.items()
                                                  if k.startswith(f"topics.{topic.id}.")}, problems)
            for index in range(len(topic.sms)):
                _sms_problems(topic_check, f"sms[{index}]", line_sms_text(sms_texts, topic, index))

    pronunciations: list[tuple[str, str]] = []
    pron_file = folder / "pronunciations.yaml"
    if pron_file.exists():
        parsed_pron = _read_yaml(pron_file, _shown(pron_file), problems)
        if parsed_pron:
            pron_data, pron_lines = parsed_pron
            pron_check = _Collector(_shown(pron_file), pron_lines, problems)
            if not isinstance(pron_data, dict):
                pron_check.error("(file)", "must be 'term: how to say it' lines")
            else:
                for term, spoken in pron_data.items():
                    if not isinstance(spoken, (str, int)) or not str(spoken).strip():
                        pron_check.error(str(term), "must say how to pronounce it", blocking=False)
                    else:
                        pronunciations.append((str(term), str(spoken)))
                        locations[f"pronunciations.{term}"] = Where(_shown(pron_file), pron_lines.get(str(term), 1))

    jargon: dict[str, str] = {}
    jargon_file = folder / "jargon.yaml"
    if jargon_file.exists():
        parsed_jargon = _read_yaml(jargon_file, _shown(jargon_file), problems)
        if parsed_jargon:
            jargon_data, jargon_lines = parsed_jargon
            if isinstance(jargon_data, dict):
                jargon = {str(k).lower(): str(v) for k, v in jargon_data.items()}
                for term in jargon_data:
                    locations[f"jargon.{str(term).lower()}"] = Where(_shown(jargon_file), jargon_lines.get(str(term), 1))
            elif jargon_data is not None:
                _Collector(_shown(jargon_file), jargon_lines, problems).error("(file)", "must be 'term: explanation' lines")

    parts = {"menus": menus, "topics": topics, "reserved": reserved, "sms": SmsContent(sms_texts, sms_keywords)}
    paths = _check_structure(parts, check, topic_files, problems) if menus else {}
    _sms_keyword_problems(parts, check, problems)
    talk = _load_talk(folder, topics, problems)
    if problems.blocking:
        raise ContentError(problems.found)
    line = Line(
        name=name, phrases=phrases,
        templates=templates, reserved=reserved, menus=menus, topics=topics, pronunciations=tuple(pronunciations), jargon=jargon,
        sms=SmsContent(sms_texts, sms_keywords), language=language, locations=locations, paths=paths,
        talk=talk, _pronouncer=Pronouncer.build(tuple(pronunciations)),
    )
    if problems.found:
        raise ContentError(problems.found, partial=line)
    return line


def _load_talk(folder: Path, topics: Mapping[str, Topic], problems: _Problems) -> Talk:
    """The everyday words, conversation sentences and personal questions: read here, built by app/talk.py."""
    parsed: dict[str, Parsed | None] = {}
    for name in TALK_FILES:
        path = folder / name
        read = _read_yaml(path, _shown(path), problems)
        parsed[name] = (_shown(path), read[0], read[1]) if read else None

    def report(file: str, line: int, field: str, message: str, blocking: bool) -> None:
        problems.add(Problem(file, line, field, message), blocking)

    # A topic file that failed to load has its own errors already: an offer of it is not one more.
    return build_talk(parsed, set(topics) | {p.stem for p in (folder / "topics").glob("*.md")}, report)


def line_sms_text(sms_texts: Mapping[str, str], topic: Topic, index: int) -> str:
    """A topic's text message with the footer the line adds to it."""
    last = index == len(topic.sms) - 1
    return f"{topic.sms[index]} {sms_texts.get('last_footer' if last else 'more_footer', '')}".strip()
