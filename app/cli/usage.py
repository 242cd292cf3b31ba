"""`flask usage`: the anonymous daily counts of what callers and texters reached; `flask usage report`
writes them as one HTML page of charts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.services import learner, services


@click.group("usage", invoke_without_command=True)
@click.option("--days", default=7, show_default=True, type=click.IntRange(min=1), help="How many recent days to show.")
@click.pass_context
@with_appcontext
def usage_command(context: click.Context, days: int) -> None:
    """Show how often each menu, topic part and text reply was reached (no numbers are ever kept)."""
    if context.invoked_subcommand:
        return
    rows = services().store.counts()
    recent = sorted({day for day, _, _, _ in rows}, reverse=True)[:days]
    if not recent:
        click.echo("No calls or messages yet.")
        return
    for day in recent:
        click.echo(f"{day.isoformat()}")
        for _, channel, node, count in (row for row in rows if row[0] == day):
            click.echo(f"  {channel:6} {node:45} {count:6}")


@usage_command.command("report")
@click.option("--days", default=30, show_default=True, type=click.IntRange(min=1, max=366),
              help="How many days, up to today, the report covers.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("usage-report.html"),
              show_default=True, help="Where to write the page.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="End the report on this day (YYYY-MM-DD) instead of today.")
@with_appcontext
def report_command(days: int, out: Path, today: dt.datetime | None) -> None:
    """Write one HTML page with charts: calls and texts a day, how far callers listen, keys or speech,
    speech not understood, personal questions and texts on request. Opens offline in any browser."""
    from app import report as usage_report  # here, so that starting the line does not load the charting library

    learned = learner().phrases() if current_app.config.get("LEARN_PHRASES") else None
    page = usage_report.build_report(services().store.counts(), services().line,
                                     today.date() if today else dt.date.today(), days, learned)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    click.echo(f"Wrote {out} ({days} days). Open it in a browser.")
