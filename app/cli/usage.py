"""`flask usage`: the anonymous daily counts of what callers and texters did; `flask usage report` writes
them as one HTML page of charts; `flask usage export` as CSV for spreadsheets."""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path
from typing import Sequence, TextIO

import click
from flask import current_app
from flask.cli import with_appcontext

from app.cli.errors import needs_database
from app.core.events import Tally
from app.services import learner, services

EXPORT_HEADER = ("day", "event", "node", "count")


def _since(days: int, today: dt.date | None = None) -> dt.date:
    return (today or dt.date.today()) - dt.timedelta(days=days - 1)


@click.group("usage", invoke_without_command=True)
@click.option("--days", default=7, show_default=True, type=click.IntRange(min=1), help="How many recent days to show.")
@click.pass_context
@with_appcontext
@needs_database
def usage_command(context: click.Context, days: int) -> None:
    """Show how often each event happened (a part reached, a miss, a hang-up...); no numbers are ever kept."""
    if context.invoked_subcommand:
        return
    tallies = services().store.tallies(_since(days))
    if not tallies:
        click.echo("No calls or messages yet.")
        return
    for day in sorted({tally.day for tally in tallies}, reverse=True):
        click.echo(day.isoformat())
        for tally in (t for t in tallies if t.day == day):
            click.echo(f"  {tally.channel:6} {tally.event.kind:15} {tally.event.node:40} {tally.times:6}")


@usage_command.command("report")
@click.option("--days", default=30, show_default=True, type=click.IntRange(min=1, max=366),
              help="How many days, up to today, the report covers.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("usage-report.html"),
              show_default=True, help="Where to write the page.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="End the report on this day (YYYY-MM-DD) instead of today.")
@with_appcontext
@needs_database
def report_command(days: int, out: Path, today: dt.datetime | None) -> None:
    """Write one HTML page with charts (the page operators see at /report): calls and texts a day, how far
    callers listen and where they hang up, what was not understood, confirmations, questions, texts."""
    from app import report as usage_report  # here, so that starting the line does not load the charting library

    store = services().store
    last = today.date() if today else dt.date.today()
    learned = store.guarded(learner().phrases) if current_app.config.get("LEARN_PHRASES") else None
    page = usage_report.build_report(store.tallies(_since(days, last)), services().line, last, days, learned)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    click.echo(f"Wrote {out} ({days} days). Open it in a browser.")


@usage_command.command("export")
@click.option("--days", default=30, show_default=True, type=click.IntRange(min=1), help="How many days, up to today.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the CSV (default: standard output).")
@with_appcontext
@needs_database
def export_command(days: int, out: Path | None) -> None:
    """Write the counts as CSV for spreadsheets: day,event,node,count, one row per day, event and node."""
    tallies = services().store.tallies(_since(days))
    if out is None:
        write_csv(sys.stdout, tallies)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as file:
        write_csv(file, tallies)
    click.echo(f"Wrote {out} ({len(tallies)} rows, {days} days).", err=True)


def write_csv(file: TextIO, tallies: Sequence[Tally]) -> None:
    """The CSV: the header, then one row per day, event and node (both channels added up), oldest first."""
    totals: dict[tuple[dt.date, str, str], int] = {}
    for tally in tallies:
        key = (tally.day, tally.event.kind, tally.event.node)
        totals[key] = totals.get(key, 0) + tally.times
    writer = csv.writer(file, lineterminator="\n")
    writer.writerow(EXPORT_HEADER)
    for (day, kind, node), count in sorted(totals.items()):
        writer.writerow((day.isoformat(), kind, node, count))
