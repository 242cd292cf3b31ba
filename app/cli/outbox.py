"""`flask outbox` (what is waiting or was sent, numbers masked), `flask outbox send` (the sender) and `flask purge`."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

import click
from flask import current_app
from flask.cli import with_appcontext

from app.cli.errors import needs_database
from app.sender import Sender, make_client
from app.services import services
from app.store.callers import purge
from app.store.outbox import Outbox

BODY_WIDTH = 48


def build_sender() -> Sender:
    """A sender for this app's settings: Twilio's client when TWILIO_ACCOUNT_SID is set, else none."""
    config = current_app.config
    client = None
    if config["TWILIO_ACCOUNT_SID"]:
        client = make_client(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"], config["TWILIO_API_URL"])
    base = config["PUBLIC_BASE_URL"].rstrip("/")
    return Sender(Outbox(services().store), client, from_number=config["SMS_FROM_NUMBER"],
                  status_callback=f"{base}/sms/status" if base else "", max_attempts=config["OUTBOX_MAX_ATTEMPTS"],
                  retention_days=config["RETENTION_DAYS"])


@click.group("outbox", invoke_without_command=True)
@click.option("--limit", default=30, show_default=True, type=click.IntRange(min=1), help="How many messages to list.")
@click.pass_context
@with_appcontext
@needs_database
def outbox_command(context: click.Context, limit: int) -> None:
    """List the newest text messages the line queued or sent (numbers masked)."""
    if context.invoked_subcommand is not None:
        return
    outbox = Outbox(services().store)
    rows = outbox.rows(limit)
    if not rows:
        click.echo("The outbox is empty.")
        return
    for row in rows:
        body = " ".join(row.body.split())
        body = body if len(body) <= BODY_WIDTH else body[:BODY_WIDTH - 3] + "..."
        error = f" error {row.error_code}" if row.error_code else ""
        click.echo(f"{row.id:6} {row.created_at:%Y-%m-%d %H:%M} {row.status:11} {row.attempts:2}x {row.number:14} "
                   f"{row.kind:20} {body}{error}")
    totals = ", ".join(f"{count} {status}" for status, count in sorted(outbox.totals().items()))
    click.echo(f"In all: {totals}.")


@outbox_command.command("send")
@click.option("--once", is_flag=True, help="Send what is due now, then stop (for tests and cron).")
@click.option("--poll", default=1.0, show_default=True, type=click.FloatRange(min=0.05),
              help="Seconds to wait when nothing is due.")
@with_appcontext
@needs_database
def send_command(once: bool, poll: float) -> None:
    """Send queued messages through Twilio, until stopped (Ctrl+C or SIGTERM finish the current message)."""
    if not logging.getLogger().handlers:  # a worker's log: one line per message sent, ids and codes only
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sender = build_sender()
    if once:
        sender.purge_if_due()
        tally = sender.send_due()
        if sender.client is None:
            click.echo("TWILIO_ACCOUNT_SID is not set: nothing was sent; messages stay in the outbox.")
        click.echo(f"sent {tally.sent}, to retry {tally.retry}, failed {tally.failed}, unknown {tally.unknown}")
        return
    stop = threading.Event()

    def finish(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    click.echo("sender: running (Ctrl+C stops it)")
    sender.run(stop, poll)


@click.command("purge")
@with_appcontext
@needs_database
def purge_command() -> None:
    """Delete what is older than RETENTION_DAYS: callers' places and speeds, texters' places, messages."""
    days = current_app.config["RETENTION_DAYS"]
    store = services().store
    purged = store.guarded(lambda: purge(store, days))
    click.echo(f"Removed {purged.callers} callers' places and speeds, {purged.sms_positions} texters' places and "
               f"{purged.outbox} messages older than {days} days, and {purged.call_places} places of calls whose "
               "status never came. Opt-outs are always kept.")
