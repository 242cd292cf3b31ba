"""Editorial checks on the content, beyond what the loader refuses: structure, plain language,
speech, text messages and trust. Pure: imports neither Flask, click nor Twilio."""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from pathlib import Path
from typing import Iterable, Iterator

import textstat

from . import speech
from .content import ContentError, Line, Problem, load_line
from .conversation_checks import conversation_problems
from .engine import DIGIT_WORDS, CallFlow, Input, Turn, normalize, spoken_names
from .explore import basic_inputs, every_turn
from .texting import TextFlow

MAX_PART_GRADE = 8.0
MAX_TOPIC_GRADE = 6.0
MAX_SENTENCE_WORDS = 20
PART_SECONDS_ERROR = 45
PART_SECONDS_WARNING = 40
GREETING_SECONDS = 15
REVIEW_WARNING_MONTHS = 6
REVIEW_ERROR_MONTHS = 12
# How far after a jargon word's first use its explanation may come: that sentence and the next two.
EXPLANATION_WINDOW = 3
# Words that show a sentence explains something ("Myelin is the coating...", "a marker called CD19").
EXPLANATION_CUES = re.compile(
    r"\b(is an?|is the|is when|is where|are|means|that is|called|call this|sold as|short for|kind of|like an?)\b",
    re.IGNORECASE,
)
# A sentence that explains the one before it: "That is an immune reaction...", "It is a strong...".
POINTER_START = re.compile(r"^(that|this|these|it)\b", re.IGNORECASE)
# Every key a caller can press, and a number to reach a person by, for exploring the call flow.
ALL_KEYS = "0123456789*#"
EXAMPLE_NUMBER = "555 0100"
KEY_WORDS = {**DIGIT_WORDS, "star": "*", "pound": "#", "hash": "#"}
PROMISED_KEY = re.compile(r"\bpress(?:ing)?\s+(?:the\s+)?([0-9*#]|[a-z]+)\b", re.IGNORECASE)
SMS_NUMBER_RANGE = re.compile(r"\b(\d+)\s*(?:-|to|through)\s*(\d+)\b", re.IGNORECASE)
SMS_NUMBERED_WORD = re.compile(r"\b(\d+) ([A-Z][A-Z0-9]+)\b")
# What a voice reads badly: web and e-mail addresses, and symbols.
UNSPEAKABLE = re.compile(r"https?:|\bwww\b|\.(?:com|gov|org|net)\b|[%&/@#+=]", re.IGNORECASE)
WORD_TOKEN = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


# ----- entry points --------------------------------------------------------------------------------

def check_content(content_dir: str | Path, language: str, today: dt.date, words_per_minute: int) -> list[Problem]:
    """Every problem in one language's content: the loader's refusals, and the checks whenever it could build the line."""
    problems: list[Problem] = []
    try:
        line: Line | None = load_line(content_dir, language)
    except ContentError as error:
        problems, line = list(error.problems), error.partial
    if line is not None:
        problems += check_line(line, today, words_per_minute)
    return in_report_order(problems)


def check_line(line: Line, today: dt.date, words_per_minute: int) -> list[Problem]:
    """The editorial problems of content the loader built (whole, or partial despite its own refusals)."""
    return [
        *phrase_collisions(line), *promised_key_problems(line), *sms_menu_number_problems(line),
        *plain_language_problems(line), *jargon_problems(line),
        *speaking_time_problems(line, words_per_minute), *greeting_time_problems(line, words_per_minute),
        *unspeakable_problems(line), *abbreviation_warnings(line),
        *review_date_problems(line, today), *as_of_problems(line),
        *conversation_problems(line, today, words_per_minute),
    ]


def in_report_order(problems: Iterable[Problem]) -> list[Problem]:
    """Errors first, then warnings; each group by file and line."""
    return sorted(problems, key=lambda p: (p.severity != "error", p.file, p.line))


def format_problem(problem: Problem) -> str:
    """One report line: `file:line: field: message`, with `warning:` after the location for warnings."""
    if problem.severity == "warning":
        return f"{problem.file}:{problem.line}: warning: {problem.field}: {problem.message}"
    return str(problem)


def summary(problems: list[Problem]) -> str:
    """The closing line of a report, like "0 errors, 3 warnings"."""
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    return f"{_count(errors, 'error')}, {_count(warnings, 'warning')}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


# ----- locating problems -------------------------------------------------------------------------

def problem_at(line: Line, path: str, message: str, severity: str = "error") -> Problem:
    """A problem at a dotted field path, located through the loader's record of where fields are written."""
    where = line.where(path)
    return Problem(where.file, where.line, field_name(line, path), message, severity)


def field_name(line: Line, path: str) -> str:
    """How a field is named in a report: topic fields relative to their file, parts by number and title."""
    match = re.fullmatch(r"topics\.([^.]+)(?:\.(.*))?", path)
    if not match:
        return path
    topic_id, rest = match.groups()
    if not rest:
        return "body"
    part = re.fullmatch(r"parts\[(\d+)\](.*)", rest)
    if part and topic_id in line.topics:
        index = int(part.group(1))
        return f"part {index + 1} \"{line.topics[topic_id].parts[index].title}\"{part.group(2)}"
    return rest


def part_path(topic_id: str, index: int) -> str:
    """The field path of a topic's spoken part."""
    return f"topics.{topic_id}.parts[{index}]"


# ----- what the voice says -----------------------------------------------------------------------

def spoken_texts(line: Line) -> Iterator[tuple[str, str]]:
    """Every piece of content the voice says, as (field path, text as written)."""
    for name, text in line.phrases.items():
        yield f"phrases.{name}", text
    for action, reserved in line.reserved.items():
        yield f"reserved.{action}.label", reserved.label
    for menu in line.menus.values():
        yield f"menus.{menu.id}.title", menu.title
        if menu.label:
            yield f"menus.{menu.id}.label", menu.label
    for topic in line.topics.values():
        yield f"topics.{topic.id}.title", topic.title
        yield f"topics.{topic.id}.label", topic.label
        for index, part in enumerate(topic.parts):
            yield f"{part_path(topic.id, index)}.title", part.title
            yield part_path(topic.id, index), part.text


def sentences(text: str) -> list[str]:
    """A text split after each full stop, question or exclamation mark."""
    return [s for s in SENTENCE_END.split(text.strip()) if s]


def speaking_seconds(line: Line, text: str, words_per_minute: int) -> float:
    """Estimated seconds to say a text, after the pronunciation list is applied."""
    return speech.speaking_seconds(line.pronounce(text), words_per_minute)


# ----- structure -----------------------------------------------------------------------------------

def spoken_choices(line: Line) -> Iterator[tuple[str, str, str]]:
    """Each phrase a caller can say, normalized, as (phrase, where it leads, field path)."""
    for action, reserved in line.reserved.items():
        for index, phrase in enumerate(reserved.phrases):
            yield normalize(phrase), f"the '{action}' command", f"reserved.{action}.phrases[{index}]"
    for node, names in spoken_names(line).items():
        target = f"menu '{node}'" if node in line.menus else f"topic '{node}'"
        for name in names:
            yield name, target, name_field(line, node, name)


def name_field(line: Line, node: str, name: str) -> str:
    """Where a spoken name of a topic or menu is written: its label, its title or one of its phrases."""
    base, item = (f"menus.{node}", line.menus[node]) if node in line.menus else (f"topics.{node}", line.topics[node])
    written = {f"{base}.label": item.label, f"{base}.title": item.title,
               **{f"{base}.phrases[{index}]": phrase for index, phrase in enumerate(item.phrases)}}
    return next((path for path, text in written.items() if normalize(text) == name), base)


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
                                         f"({where.file}:{where.line}); use it for one of them only")
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
    promises = [(path, match) for path, text in spoken_texts(line) for match in PROMISED_KEY.finditer(text)]
    said_keys = phrase_keys(line) if any(path.startswith("phrases.") for path, _ in promises) else {}
    flow = CallFlow(line)
    for path, match in promises:
        key = KEY_WORDS.get(match.group(1).lower(), match.group(1))
        works = keys_that_work(flow, path, said_keys)
        if re.fullmatch(r"[0-9*#]", key) and key not in works:
            yield problem_at(line, path, f"says '{match.group(0)}' but key {key} does nothing where this is said "
                                         f"(keys that work there: {', '.join(sorted(works)) or 'none'})")


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


# ----- plain language ----------------------------------------------------------------------------

def reading_grade(text: str) -> float:
    """Flesch-Kincaid grade level of a text."""
    return round(textstat.flesch_kincaid_grade(text), 1)


def plain_language_problems(line: Line) -> Iterator[Problem]:
    """Reading grade per part and per topic, and long sentences in everything spoken."""
    for topic in line.topics.values():
        for index, part in enumerate(topic.parts):
            grade = reading_grade(part.text)
            if grade > MAX_PART_GRADE:
                yield problem_at(line, part_path(topic.id, index),
                                 f"reads at grade {grade}; the most for a part is {MAX_PART_GRADE:g}")
        grade = reading_grade(" ".join(part.text for part in topic.parts))
        if grade > MAX_TOPIC_GRADE:
            yield problem_at(line, f"topics.{topic.id}",
                             f"the topic reads at grade {grade}; the most for a whole topic is {MAX_TOPIC_GRADE:g}")
    for path, text in spoken_texts(line):
        for sentence in sentences(text):
            count = len(sentence.split())
            if count > MAX_SENTENCE_WORDS:
                yield problem_at(line, path, f"sentence \"{brief(sentence)}\" has {count} words; "
                                             f"the most is {MAX_SENTENCE_WORDS}")


def brief(sentence: str, words: int = 8) -> str:
    """The start of a sentence, enough to find it."""
    parts = sentence.split()
    return " ".join(parts[:words]) + (" ..." if len(parts) > words else "")


def term_pattern(term: str) -> re.Pattern[str]:
    """A jargon term as a whole word, any case, plural allowed ("clinical trials")."""
    body = r"\s+".join(re.escape(word) for word in term.split())
    return re.compile(rf"(?<![\w-]){body}s?(?![\w-])", re.IGNORECASE)


def explains(sentence: str, term: re.Pattern[str]) -> bool:
    """True when a sentence explains the term: it names the term or points back ("That is..."), with a cue."""
    if not (term.search(sentence) or POINTER_START.match(sentence)):
        return False
    if EXPLANATION_CUES.search(sentence):
        return True
    return any(re.match(r",\s+an?\b", sentence[m.end():]) for m in term.finditer(sentence))


def jargon_problems(line: Line) -> Iterator[Problem]:
    """Each jargon term must be explained where a topic first uses it (that sentence or the next two)."""
    for topic in line.topics.values():
        for term, explanation in line.jargon.items():
            pattern = term_pattern(term)
            for index, part in enumerate(topic.parts):
                said = sentences(part.text)
                first = next((i for i, s in enumerate(said) if pattern.search(s)), None)
                if first is None:
                    continue
                window = said[first:first + EXPLANATION_WINDOW]
                if not any(explains(s, pattern) for s in window):
                    written = pattern.search(said[first]).group(0)
                    yield problem_at(line, part_path(topic.id, index),
                                     f"'{written}' is not explained where this topic first uses it "
                                     f"(\"{brief(said[first])}\"); in that sentence or the next two, say what "
                                     f"it is, like \"{written} is ...\" (jargon.yaml: {explanation})")
                break


# ----- speech -------------------------------------------------------------------------------------

def speaking_time_problems(line: Line, words_per_minute: int) -> Iterator[Problem]:
    """A spoken part must fit in about 45 seconds before the caller gets a choice."""
    for topic in line.topics.values():
        for index, part in enumerate(topic.parts):
            seconds = speaking_seconds(line, part.text, words_per_minute)
            said = f"takes about {math.ceil(seconds)} seconds to say at {words_per_minute} words a minute"
            if seconds > PART_SECONDS_ERROR:
                yield problem_at(line, part_path(topic.id, index), f"{said}; the most is {PART_SECONDS_ERROR}")
            elif seconds > PART_SECONDS_WARNING:
                yield problem_at(line, part_path(topic.id, index),
                                 f"{said}; close to the most, {PART_SECONDS_ERROR}", "warning")


def greeting_time_problems(line: Line, words_per_minute: int) -> Iterator[Problem]:
    """The greeting must take at most 15 seconds, so a caller reaches the choices quickly."""
    seconds = speaking_seconds(line, line.phrases.get("greeting", ""), words_per_minute)
    if seconds > GREETING_SECONDS:
        yield problem_at(line, "phrases.greeting", f"takes about {seconds:.1f} seconds to say at {words_per_minute} "
                                                   f"words a minute; the most is {GREETING_SECONDS}")


def unspeakable_problems(line: Line) -> Iterator[Problem]:
    """Web addresses, e-mail addresses and symbols the voice would read badly, after pronunciations."""
    for path, text in spoken_texts(line):
        found = dict.fromkeys(m.group(0) for m in UNSPEAKABLE.finditer(line.pronounce(text)))
        if found:
            shown = ", ".join(f"'{s}'" for s in found)
            yield problem_at(line, path, f"the voice would read {shown} badly; write it in words, "
                                         f"like \"clinical trials dot gov\" or \"percent\"")


def looks_like_abbreviation(word: str) -> bool:
    """Two or more capitals (BCMA), or letters mixed with digits (CD19, KYV-101)."""
    capitals = sum(1 for ch in word if ch.isupper())
    has_letter = any(ch.isalpha() for ch in word)
    has_digit = any(ch.isdigit() for ch in word)
    return capitals >= 2 or (has_letter and has_digit)


def abbreviation_warnings(line: Line) -> Iterator[Problem]:
    """Abbreviations that pronunciations.yaml does not say how to speak, once each where first used."""
    seen: set[str] = set()
    for path, text in spoken_texts(line):
        for word in WORD_TOKEN.findall(text):
            if word in seen or not looks_like_abbreviation(word) or line.pronounce(word) != word:
                continue
            seen.add(word)
            yield problem_at(line, path, f"'{word}' looks like an abbreviation and is not in pronunciations.yaml; "
                                         f"add how the voice should say it", "warning")


# ----- trust --------------------------------------------------------------------------------------

def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier (or the month's last day)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def as_of_problems(line: Line) -> Iterator[Problem]:
    """A topic says plainly how recent its research is ("As of late 2025") where it begins, by voice and text."""
    for topic in line.topics.values():
        said = f"as of {topic.as_of}".lower()
        if said not in topic.parts[0].text.lower():
            yield problem_at(line, part_path(topic.id, 0), f"the first part must say '{said}' (the topic's as_of), "
                                                           f"so callers know how recent the research is")
        if topic.sms and said not in topic.sms[0].lower():
            yield problem_at(line, f"topics.{topic.id}.sms[0]", f"the first text message must say '{said}'")


def review_date_problems(line: Line, today: dt.date) -> Iterator[Problem]:
    """A topic's reviewed date: a warning after 6 months, an error after 12 or in the future."""
    for topic in line.topics.values():
        path = f"topics.{topic.id}.reviewed"
        if topic.reviewed > today:
            yield problem_at(line, path, f"{topic.reviewed} is after today ({today})")
        elif topic.reviewed < months_before(today, REVIEW_ERROR_MONTHS):
            yield problem_at(line, path, f"{topic.reviewed} is more than {REVIEW_ERROR_MONTHS} months ago; "
                                         f"check the topic against its sources and update the date")
        elif topic.reviewed < months_before(today, REVIEW_WARNING_MONTHS):
            yield problem_at(line, path, f"{topic.reviewed} is more than {REVIEW_WARNING_MONTHS} months ago; "
                                         f"check the topic against its sources soon", "warning")
