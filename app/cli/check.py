"""`flask content check`: report every content problem, errors first, and fail when any error remains."""

from __future__ import annotations

import datetime as dt

import click

from .. import checks
from .settings import editor_settings


@click.command("check")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Check review dates as if today were this day (YYYY-MM-DD).")
def check(today: dt.datetime | None) -> None:
    """Check the content: structure, plain language, speech, text messages and review dates."""
    settings = editor_settings()
    problems = checks.check_content(settings["CONTENT_DIR"], settings["CONTENT_LANGUAGE"],
                                    today.date() if today else dt.date.today(), int(settings["WORDS_PER_MINUTE"]))
    for problem in problems:
        click.echo(checks.format_problem(problem))
    click.echo(checks.summary(problems))
    if any(problem.severity == "error" for problem in problems):
        raise SystemExit(1)
