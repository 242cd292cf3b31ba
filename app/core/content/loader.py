"""Load one language's content folder into a Line: one reader per section of line.yaml, the topic
files and the word lists, then the structure rules; every problem found is reported at once."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import yaml

from app.core.content.concepts import CONCEPTS_FILE, SMS_MEANINGS, Concepts, build_concepts
from app.core.content.dates import parse_date
from app.core.content.examples import EXAMPLES_FILE, build_examples
from app.core.content.glossary import load_jargon, load_pronunciations
from app.core.content.model import (
    ID_RULE,
    KEYED_ACTIONS,
    MAIN_MENU,
    OPTIONAL_ACTIONS,
    OPTIONAL_PHRASES,
    REQUIRED_PHRASES,
    RESERVED_ACTIONS,
    SMS_KEYWORD_GROUPS,
    SMS_TEXTS,
    TEMPLATES,
    ContentError,
    Line,
    Menu,
    Option,
    Part,
    Problem,
    Pronouncer,
    Reserved,
    SmsContent,
    Source,
    Topic,
    Where,
    command_key_users,
    is_valid_id,
    line_sms_text,
)
from app.core.content.reader import (
    Collector,
    Problems,
    read_yaml,
    shown_name,
    split_front_matter,
    yaml_problem,
    yaml_with_lines,
)
from app.core.content.rules import check_structure, sms_keyword_problems, sms_text_problems, template_problems
from app.core.content.talk import TALK_FILES, Parsed, Talk, build_talk
from app.core.language import LANGUAGES, SmsAlphabet

SOURCE_DATE = re.compile(r"^(19|20)\d\d(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")


def load_line(content_dir: str | Path, language: str = "en") -> Line:
    """Load and validate one language's content; raise ContentError listing every problem."""
    folder = Path(content_dir) / language
    problems = Problems()
    if not folder.is_dir():
        raise ContentError([Problem(shown_name(folder), 0, "(folder)", f"no content folder for language '{language}'")])
    if language not in LANGUAGES:
        raise ContentError([Problem(shown_name(folder), 0, "(folder)", f"the line has no rules for language "
                                                                   f"'{language}' (app/core/language.py)")])
    alphabet = LANGUAGES[language].sms
    line_file = folder / "line.yaml"
    parsed = read_yaml(line_file, shown_name(line_file), problems)
    data, lines = parsed if parsed else ({}, {})
    check = Collector(shown_name(line_file), lines, problems)
    if parsed and not isinstance(data, dict):
        check.error("(file)", "must be 'name: value' lines")
        data = {}
    read = parsed is not None  # an unreadable line.yaml is one problem, not one per missing section
    locations: dict[str, Where] = {key: Where(shown_name(line_file), value) for key, value in lines.items()}

    name = check.text(data, "name", "") if read else ""
    phrases = _load_phrases(data, check, read)
    templates = _load_templates(data, check, read)
    reserved = _load_reserved(data, check, read)
    sms = _load_sms(data, check, read, alphabet)
    menus = _load_menus(data.get("menus"), check) if read else {}
    topics, topic_files = _load_topics(folder, sms, problems, locations, alphabet)
    pronunciations = load_pronunciations(folder / "pronunciations.yaml", problems, locations)
    jargon = load_jargon(folder / "jargon.yaml", problems, locations)

    paths = check_structure(menus, topics, reserved, check, topic_files, problems) if menus else {}
    sms_keyword_problems(sms, topics, check, problems)
    talk = _load_talk(folder, topics, problems)
    # A topic file that failed to load has its own errors already: an intent about it is not one more.
    written = set(topics) | {p.stem for p in (folder / "topics").glob("*.md")}
    known = {"command": (*RESERVED_ACTIONS, "previous", "more-time"), "topic": written, "menu": menus,
             "question": talk.questions, "sms": SMS_MEANINGS}
    concepts_file = folder / CONCEPTS_FILE  # without one, a language is understood by its listed phrases alone
    words = read_yaml(concepts_file, shown_name(concepts_file), problems) if concepts_file.is_file() else None
    concepts = build_concepts(shown_name(concepts_file), *words, known, _reporter(problems)) if words else Concepts()
    examples_file = folder / EXAMPLES_FILE
    if examples_file.is_file():
        examples = build_examples(shown_name(examples_file), examples_file.read_text(encoding="utf-8"), known,
                                  _reporter(problems))
        concepts = replace(concepts, examples=examples)
    if problems.blocking:
        # For the checks of single files only: menus keep just the choices that lead somewhere.
        kept = {menu.id: replace(menu, options=tuple(o for o in menu.options
                                                     if o.target in (topics if o.kind == "topic" else menus)))
                for menu in menus.values()}
        pieces = Line(
            name=name, phrases=phrases, templates=templates, reserved=reserved, menus=kept, topics=topics,
            pronunciations=pronunciations, jargon=jargon, sms=sms, language=language, locations=locations,
            paths=paths, talk=talk, concepts=concepts, _pronouncer=Pronouncer.build(pronunciations),
        )
        raise ContentError(problems.found, pieces=pieces)
    line = Line(
        name=name, phrases=phrases, templates=templates, reserved=reserved, menus=menus, topics=topics,
        pronunciations=pronunciations, jargon=jargon, sms=sms, language=language, locations=locations, paths=paths,
        talk=talk, concepts=concepts, _pronouncer=Pronouncer.build(pronunciations),
    )
    if problems.found:
        raise ContentError(problems.found, partial=line)
    return line


def _load_talk(folder: Path, topics: dict[str, Topic], problems: Problems) -> Talk:
    """The everyday words, conversation sentences and personal questions: read here, built by content/talk.py."""
    parsed: dict[str, Parsed | None] = {}
    for name in TALK_FILES:
        path = folder / name
        read = read_yaml(path, shown_name(path), problems)
        parsed[name] = (shown_name(path), read[0], read[1]) if read else None

    # A topic file that failed to load has its own errors already: an offer of it is not one more.
    return build_talk(parsed, set(topics) | {p.stem for p in (folder / "topics").glob("*.md")}, _reporter(problems))


def _reporter(problems: Problems) -> Callable[[str, int, str, str, bool], None]:
    """A function that adds a problem, for the builders that know nothing of Problems."""
    def report(file: str, line_number: int, field: str, message: str, blocking: bool) -> None:
        problems.add(Problem(file, line_number, field, message), blocking)

    return report


def _section(data: dict[str, Any], name: str) -> dict[Any, Any]:
    """A section of line.yaml that should be 'name: value' lines; {} when it is missing or is not."""
    value = data.get(name)
    return value if isinstance(value, dict) else {}


def _load_phrases(data: dict[str, Any], check: Collector, read: bool) -> dict[str, str]:
    """Every sentence the call flow needs, by name."""
    raw = _section(data, "phrases")
    if read and not raw:
        check.error("phrases", "is missing")
    phrases = {name: check.text(raw, name, "phrases") for name in REQUIRED_PHRASES} if raw else {}
    phrases.update({name: check.text(raw, name, "phrases") for name in OPTIONAL_PHRASES if name in raw})
    return phrases


def _load_templates(data: dict[str, Any], check: Collector, read: bool) -> dict[str, str]:
    """The sentence templates, each with exactly its placeholders."""
    raw = _section(data, "templates")
    if read and not raw:
        check.error("templates", "is missing")
    templates = {name: check.text(raw, name, "templates") for name in TEMPLATES} if raw else {}
    for name, template in templates.items():
        template_problems(check, f"templates.{name}", template, TEMPLATES[name])
    return templates


def _load_reserved(data: dict[str, Any], check: Collector, read: bool) -> dict[str, Reserved]:
    """The commands that work in every menu, each with its own key."""
    reserved: dict[str, Reserved] = {}
    raw_reserved = _section(data, "reserved")
    for action in RESERVED_ACTIONS:
        raw = raw_reserved.get(action)
        path = f"reserved.{action}"
        if not isinstance(raw, dict):
            if read and action not in OPTIONAL_ACTIONS:
                check.error(path, "is missing: every menu needs this command")
            continue
        key = str(raw.get("key", "")).strip() or None
        if action in KEYED_ACTIONS and (key is None or not re.fullmatch(r"[0-9*#]", key)):
            check.error(f"{path}.key", "must be one keypad key, like \"9\"")
        reserved[action] = Reserved(action, key, check.text(raw, "label", path),
                                    tuple(p.lower() for p in check.words(raw, "phrases", path)))
    for key, users in command_key_users(reserved).items():
        if len(users) > 1:
            check.error(f"reserved.{users[1]}.key", f"key {key} is also used by '{users[0]}'", blocking=False)
    return reserved


def _load_sms(data: dict[str, Any], check: Collector, read: bool, alphabet: SmsAlphabet) -> SmsContent:
    """The fixed text-message replies, each one a phone can carry, and the keywords that call them."""
    raw = _section(data, "sms")
    if read and not raw:
        check.error("sms", "is missing")
    texts = {name: check.text(raw, name, "sms") for name in SMS_TEXTS} if raw else {}
    keywords_raw = raw.get("keywords") if isinstance(raw.get("keywords"), dict) else {}
    keywords = {group: tuple(w.upper() for w in check.words(keywords_raw, group, "sms.keywords"))
                for group in SMS_KEYWORD_GROUPS} if raw else {group: () for group in SMS_KEYWORD_GROUPS}
    for name, text in texts.items():
        if name not in ("more_footer", "last_footer"):
            sms_text_problems(check, f"sms.{name}", text, alphabet)
    return SmsContent(texts, keywords)


def _load_menus(data: Any, check: Collector) -> dict[str, Menu]:
    """The menus, starting with the main menu, each with its numbered choices."""
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


def _load_topics(folder: Path, sms: SmsContent, problems: Problems, locations: dict[str, Where],
                 alphabet: SmsAlphabet) -> tuple[dict[str, Topic], dict[str, str]]:
    """Each topic file that loads, by id, and every topic file's name as shown to editors, by stem."""
    topics: dict[str, Topic] = {}
    topic_files = {p.stem: shown_name(p) for p in sorted((folder / "topics").glob("*.md"))}
    if not topic_files:
        problems.add(Problem(shown_name(folder / "topics"), 0, "(folder)", "has no topic files (*.md)"))
    for stem, file_shown in topic_files.items():
        topic = _load_topic(folder / "topics" / f"{stem}.md", file_shown, problems, locations)
        if topic:
            topics[topic.id] = topic
            topic_check = Collector(topic.file, {k.split(".", 2)[2]: w.line_number for k, w in locations.items()
                                                 if k.startswith(f"topics.{topic.id}.")}, problems)
            for index in range(len(topic.sms)):
                sms_text_problems(topic_check, f"sms[{index}]", line_sms_text(sms.texts, topic, index),
                                  alphabet)
    return topics, topic_files


def _load_topic(path: Path, shown: str, problems: Problems, locations: dict[str, Where]) -> Topic | None:
    """One topic file: its settings, its spoken parts and its text messages; None when it cannot be used."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.add(Problem(shown, 1, "(file)", f"is not UTF-8 text ({exc.reason})"))
        return None
    split = split_front_matter(text)
    if split is None:
        problems.add(Problem(shown, 1, "(file)", "must start with a '---' line, the settings, and another '---' line"))
        return None
    front_text, body, body_line = split
    try:
        data, lines = yaml_with_lines(front_text)
    except yaml.YAMLError as exc:
        # The settings start after the first '---' line.
        problems.add(yaml_problem(exc, shown, "(settings)", first_line=2, text=front_text))
        return None
    lines = {key: value + 1 for key, value in lines.items()}  # the first '---' line
    check = Collector(shown, lines, problems)
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
    reviewed = parse_date(data.get("reviewed"))
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
    if problems.blocking > before or reviewed is None:  # no date is a blocking problem
        return None
    for key, line_number in lines.items():
        locations[f"topics.{topic_id}.{key}" if key else f"topics.{topic_id}"] = Where(shown, line_number)
    for index, part in enumerate(parts):
        locations[f"topics.{topic_id}.parts[{index}]"] = Where(shown, part.line_number)
    return Topic(
        id=topic_id, title=check.text(data, "title", ""), label=check.text(data, "label", ""),
        phrases=check.words(data, "phrases", ""), sms_keyword=sms_keyword,
        sms_synonyms=tuple(s.upper() for s in check.words(data, "sms_synonyms", "", required=False)),
        as_of=check.text(data, "as_of", ""), reviewed=reviewed, sources=tuple(sources), parts=parts,
        sms=sms, file=shown,
    )




def _parse_parts(body: str, first_line: int, check: Collector) -> tuple[Part, ...]:
    """Split a Markdown body into parts, one per `## ` heading."""
    parts: list[Part] = []
    title: str | None = None
    start = 0
    buffer: list[str] = []

    def close() -> None:
        if title is None:
            return
        words = " ".join(" ".join(buffer).split())
        if not words:
            check.error(f"part {len(parts) + 1} \"{title}\"", "has a heading but no words", start)
        parts.append(Part(title, words, start))

    for offset, raw in enumerate(body.splitlines()):
        line_number = first_line + offset
        stripped = raw.strip()
        if stripped.startswith("## "):
            close()
            title, start, buffer = stripped[3:].strip(), line_number, []
        elif stripped.startswith("#"):
            check.error("body", "only '## ' headings are used: each one starts a spoken part", line_number)
        elif stripped:
            if title is None:
                check.error("body", "text before the first '## ' heading belongs to no part", line_number)
            else:
                buffer.append(stripped)
    close()
    if not parts:
        check.error("body", "has no parts: start each spoken part with a '## Title' line", first_line)
    return tuple(parts)
