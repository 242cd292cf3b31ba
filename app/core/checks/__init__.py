"""Editorial checks on the content, beyond what the loader refuses: structure, plain language,
speech, text messages, trust and safety. Pure: imports neither Flask, click nor Twilio.

fields: where problems are and what the voice says; keys: what callers press, say and text leads
where it promises; language: reading grade and jargon; voice: speaking time and what a voice reads
badly; trust: how recent and how reviewed each topic is; safety: no advice, no claim the sources do not
make, no year or count without a source; words: hard words explained or listed in jargon.yaml.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Iterable, Sequence

from app.core.checks.conversation import conversation_problems
from app.core.checks.fields import plain_field, problem_at, speaking_seconds
from app.core.checks.in_step import step_problems
from app.core.checks.keys import phrase_collisions, promised_key_problems, sms_menu_number_problems
from app.core.checks.language import (
    EXPLANATION_WINDOW,
    explains,
    jargon_problems,
    plain_language_problems,
    term_pattern,
)
from app.core.checks.safety import safety_problems
from app.core.checks.trust import as_of_problems, months_before, review_date_problems
from app.core.checks.voice import (
    abbreviation_warnings,
    greeting_time_problems,
    speaking_time_problems,
    unspeakable_problems,
)
from app.core.checks.words import hard_word_problems
from app.core.content import ContentError, Line, Problem, load_line
from app.core.language import LANGUAGES

__all__ = [
    "EXPLANATION_WINDOW", "check_content", "languages_in_step", "other_lines",
    "check_files", "check_line", "explains", "file_summaries", "format_problem",
    "in_report_order", "load_line", "months_before", "problem_at", "speaking_seconds", "summary", "term_pattern",
]


def check_content(content_dir: str | Path, language: str, today: dt.date, words_per_minute: int) -> list[Problem]:
    """Every problem in one language's content: the loader's refusals, then the checks. When the content is
    too broken to build, each file that could be read is still checked on its own."""
    problems: list[Problem] = []
    try:
        line: Line | None = load_line(content_dir, language)
        whole = True
    except ContentError as error:
        problems = [replace(p, field=plain_field(p.field)) for p in error.problems]
        line, whole = error.partial or error.pieces, error.partial is not None
    others = other_lines(content_dir, language)
    if line is not None:
        problems += check_line(line, today, words_per_minute, others) if whole \
            else check_files(line, today, words_per_minute, others)
    return in_report_order(dict.fromkeys(problems))


def other_lines(content_dir: str | Path, language: str) -> list[Line]:
    """The other languages' lines in the content folder that load (their greetings' offers are heard in this
    one's); one that does not load is reported when it is checked itself."""
    found = []
    for code in sorted(LANGUAGES):
        if code != language and (Path(content_dir) / code / "line.yaml").is_file():
            try:
                found.append(load_line(content_dir, code))
            except ContentError:
                continue
    return found


def check_line(line: Line, today: dt.date, words_per_minute: int, others: Sequence[Line] = ()) -> list[Problem]:
    """The editorial problems of content the loader built (whole, or partial despite its own refusals)."""
    return [
        *phrase_collisions(line), *promised_key_problems(line), *sms_menu_number_problems(line),
        *check_files(line, today, words_per_minute, others),
        *conversation_problems(line, today, words_per_minute, others),
    ]


def check_files(line: Line, today: dt.date, words_per_minute: int, others: Sequence[Line] = ()) -> list[Problem]:
    """The checks that look at each file on its own, so they work even when the menus cannot be followed."""
    return [
        *plain_language_problems(line), *jargon_problems(line),
        *speaking_time_problems(line, words_per_minute), *greeting_time_problems(line, words_per_minute, others),
        *unspeakable_problems(line), *abbreviation_warnings(line),
        *review_date_problems(line, today), *as_of_problems(line), *safety_problems(line), *hard_word_problems(line),
    ]


def languages_in_step(content_dir: str | Path, codes: Sequence[str]) -> list[Problem]:
    """The languages' topics, menus, keys and questions kept in step (see checks/in_step.py); a language whose
    content the loader refuses counts by what it could build (its own check says what is wrong)."""
    lines = {}
    for code in codes:
        try:
            lines[code] = load_line(content_dir, code)
        except ContentError as error:
            built = error.partial or error.pieces
            if built is not None:
                lines[code] = built
    return list(step_problems(lines)) if len(lines) > 1 else []


def in_report_order(problems: Iterable[Problem]) -> list[Problem]:
    """Errors first, then warnings; each group by file and line."""
    return sorted(problems, key=lambda p: (p.severity != "error", p.file, p.line_number))


def format_problem(problem: Problem) -> str:
    """One report line: `file:line: field: message`, with `warning:` after the location for warnings."""
    if problem.severity == "warning":
        return f"{problem.file}:{problem.line_number}: warning: {problem.field}: {problem.message}"
    return str(problem)


def summary(problems: list[Problem]) -> str:
    """The closing line of a report, like "0 errors, 3 warnings"."""
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    return f"{_count(errors, 'error')}, {_count(warnings, 'warning')}"


def file_summaries(problems: list[Problem]) -> list[str]:
    """One line per file with problems, like "content/en/topics/risks.md: 2 errors, 1 warning", worst first."""
    by_file: dict[str, list[Problem]] = {}
    for problem in problems:
        by_file.setdefault(problem.file, []).append(problem)
    ordered = sorted(by_file.items(), key=lambda item: (-sum(p.severity == "error" for p in item[1]), item[0]))
    return [f"{file}: {summary(found)}" for file, found in ordered]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
