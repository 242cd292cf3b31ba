"""`flask content check`: report every content problem, errors first, and fail when any error remains."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import click

from app.cli.settings import editor_settings
from app.core import checks
from app.core.checks import listening
from app.core.content import load_line
from app.services import served_languages


@click.command("check")
@click.option("--language", default=None, help="Check only this language's folder (e.g. es); default: every "
                                               "language folder in CONTENT_DIR, and that they are in step.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Check review dates as if today were this day (YYYY-MM-DD).")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people; json for tools (one object per problem, and the counts).")
def check(language: str | None, today: dt.datetime | None, output: str) -> None:
    """Check the content: safety, plain language, hard words, structure, speech, text messages and review dates,
    each language by its own rules, and the languages in step."""
    settings = editor_settings()
    codes = [language] if language else served_languages(settings)
    day, wpm = today.date() if today else dt.date.today(), int(settings["WORDS_PER_MINUTE"])
    problems = checks.in_report_order(dict.fromkeys(
        [p for code in codes for p in checks.check_content(settings["CONTENT_DIR"], code, day, wpm)]
        + (checks.languages_in_step(settings["CONTENT_DIR"], codes) if len(codes) > 1 else [])))
    errors = sum(1 for problem in problems if problem.severity == "error")
    if output == "json":
        click.echo(json.dumps({"problems": [dataclasses.asdict(p) for p in problems], "errors": errors,
                               "warnings": len(problems) - errors}, indent=2, ensure_ascii=False))
    else:
        for problem in problems:
            click.echo(checks.format_problem(problem))
        if problems:
            click.echo("")
            click.echo("By file:")
            for line in checks.file_summaries(problems):
                click.echo(f"  {line}")
        click.echo(checks.summary(problems))
    if errors:
        raise SystemExit(1)


@click.command("turns")
@click.option("--top", default=8, show_default=True, type=click.IntRange(min=1), help="How many turns to list.")
@click.option("--language", default=None, help="The language's content to explore (default: CONTENT_LANGUAGE).")
def turns_command(top: int, language: str | None) -> None:
    """List the longest turns a caller hears before they can choose (the checker refuses over 50 s)."""
    settings = editor_settings()
    wpm = int(settings["WORDS_PER_MINUTE"])
    code = language or settings["CONTENT_LANGUAGE"]
    line = load_line(settings["CONTENT_DIR"], code)
    turns = listening.waiting_turns(line, checks.other_lines(settings["CONTENT_DIR"], code))
    click.echo(listening.report(listening.longest_turns(line, wpm, turns)[:top], wpm))
