"""`flask content suggestions`: what several callers said that the line did not understand, for editors
to add as phrases. Runs without starting the line, like the other content commands."""

from __future__ import annotations

import click

from app.cli.errors import needs_database
from app.cli.settings import editor_settings
from app.store import make_engine
from app.store.learned import MIN_CALLERS, LearnedPhrases


@click.command("suggestions")
@needs_database
def suggestions_command() -> None:
    """List short phrases at least 3 different callers said that matched nothing (LEARN_PHRASES=true)."""
    settings = editor_settings()
    if not settings["LEARN_PHRASES"]:
        click.echo("LEARN_PHRASES is off, so the line keeps no new phrases (set LEARN_PHRASES=true to start).")
    engine = make_engine(settings["DATABASE_URL"])
    try:
        phrases = LearnedPhrases(engine, settings["PHONE_HASH_SECRET"]).phrases()
    finally:
        engine.dispose()
    if not phrases:
        click.echo(f"No suggestions yet: a phrase is listed once {MIN_CALLERS} different callers said it.")
        return
    click.echo("Callers said these and the line did not understand. Add the useful ones to the phrases of the")
    click.echo("topic they ask for (topics/*.md, phrases: [...]), then run flask content check.")
    for phrase, callers in phrases:
        click.echo(f"  {phrase:50} {callers} different callers")
