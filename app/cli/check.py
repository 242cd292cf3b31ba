"""`flask content check`: report every content problem, errors first, and fail when any error remains."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import click

from .. import checks
from .settings import editor_settings


@click.command("check")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Check review dates as if today were this day (YYYY-MM-DD).")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people; json for tools (one object per problem, and the counts).")
def check(today: dt.datetime | None, output: str) -> None:
    """Check the content: safety, plain language, hard words, structure, speech, text messages and review dates."""
    settings = editor_settings()
    problems = checks.check_content(settings["CONTENT_DIR"], settings["CONTENT_LANGUAGE"],
                                    today.date() if today else dt.date.today(), int(settings["WORDS_PER_MINUTE"]))
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
