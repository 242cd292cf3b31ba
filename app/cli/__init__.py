"""Command-line adapters: `flask content ...` for editors, `flask db init` for the release step,
`flask call` and `flask text` to try the line in a terminal.

The `content` and `db` groups are Flask plugin commands (see pyproject.toml), so they run even when
the content is broken and the app itself would refuse to start.
"""

from __future__ import annotations

import click
from flask import Flask

from app.cli.call import call_command, text_command
from app.cli.check import check, turns_command
from app.cli.db import db
from app.cli.operator import operator_command
from app.cli.outbox import outbox_command, purge_command
from app.cli.preview import preview_command, say_command, voices_command
from app.cli.suggestions import suggestions_command
from app.cli.usage import usage_command


@click.group("content")
def content() -> None:
    """Check, hear and inspect the line's content files."""


content.add_command(check)
content.add_command(preview_command)
content.add_command(say_command)
content.add_command(voices_command)
content.add_command(suggestions_command)
content.add_command(turns_command)

__all__ = ["content", "db", "register"]


def register(app: Flask) -> None:
    """Add the commands that need a running app (call, text, usage, outbox, purge)."""
    app.cli.add_command(call_command)
    app.cli.add_command(text_command)
    app.cli.add_command(usage_command)
    app.cli.add_command(outbox_command)
    app.cli.add_command(purge_command)
    app.cli.add_command(operator_command)
