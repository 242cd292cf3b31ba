"""`flask db init`: create or update the line's tables (the release step; workers never do it).

A plugin command, like `flask content`: it needs only DATABASE_URL, not the content or a token.
"""

from __future__ import annotations

import click
from dotenv import load_dotenv

from app.config import PROJECT_ROOT, settings_from_env
from app.store import upgrade
from app.store.guard import describe
from app.store.schema import SCHEMA_REVISION


@click.group("db")
def db() -> None:
    """The line's database."""


@db.command("init")
def init_command() -> None:
    """Create the tables, or bring them up to date (safe to run on every release)."""
    load_dotenv(PROJECT_ROOT / ".env")
    url = settings_from_env()["DATABASE_URL"]
    try:
        done = upgrade(url)
    except Exception as error:  # the URL may hold a password: say what failed, never the URL
        raise click.ClickException(f"could not set up the database: {describe(error)}") from error
    for step in done:
        click.echo(step)
    click.echo(f"The database is ready (schema {SCHEMA_REVISION}).")
