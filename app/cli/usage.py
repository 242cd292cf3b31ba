"""`flask usage`: the anonymous daily counts of what callers and texters reached."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..web.services import services


@click.command("usage")
@click.option("--days", default=7, show_default=True, type=click.IntRange(min=1), help="How many recent days to show.")
@with_appcontext
def usage_command(days: int) -> None:
    """Show how often each menu, topic part and text reply was reached (no numbers are ever kept)."""
    rows = services().store.counts()
    recent = sorted({day for day, _, _, _ in rows}, reverse=True)[:days]
    if not recent:
        click.echo("No calls or messages yet.")
        return
    for day in recent:
        click.echo(f"{day.isoformat()}")
        for _, channel, node, count in (row for row in rows if row[0] == day):
            click.echo(f"  {channel:6} {node:45} {count:6}")
