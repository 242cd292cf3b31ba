"""Command-line adapters: `flask content ...` for editors, `flask call` and `flask text` to try the line in a terminal.

The `content` group is a Flask plugin command (see pyproject.toml), so it runs even when the
content is broken and the app itself would refuse to start.
"""

from __future__ import annotations

import click

from ..factory import load_settings


@click.group("content")
def content() -> None:
    """Check, hear and inspect the line's content files."""


def editor_settings() -> dict:
    """The same settings the app would use (.env, environment, defaults), without starting it."""
    settings, _warnings = load_settings()
    return settings


def register(app) -> None:
    """Add the commands that need a running app (`flask call`, `flask text`, `flask usage`)."""
    from .call import call_command, text_command
    from .usage import usage_command

    app.cli.add_command(call_command)
    app.cli.add_command(text_command)
    app.cli.add_command(usage_command)


from .preview import preview_command, say_command, voices_command  # noqa: E402  (they use editor_settings)

content.add_command(preview_command)
content.add_command(say_command)
content.add_command(voices_command)

from .check import check  # noqa: E402  (it uses editor_settings)

content.add_command(check)
