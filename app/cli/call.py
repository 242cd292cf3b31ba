"""`flask call` and `flask text`: call or text the line in a terminal, through the same simulated Twilio."""

from __future__ import annotations

import logging
import shutil
import textwrap

import click
from flask import current_app
from flask.cli import with_appcontext

from app.phone import DEFAULT_CALLER, Call, Event, Phone
from app.services import services
from app.store import upgrade

QUIT = "/quit"
WHO = {"line": "Line", "caller": "You", "network": "Phone"}
MAX_WIDTH = 80
KEYS = set("0123456789*#")


def _width() -> int:
    return min(shutil.get_terminal_size((MAX_WIDTH, 24)).columns, MAX_WIDTH)


def explain(text: str) -> None:
    """Print a wrapped paragraph of instructions."""
    click.echo(textwrap.fill(text, _width()) + "\n")


def show(who: str, paragraphs: list[str]) -> None:
    """Print one speaker's words, each paragraph wrapped and indented under the speaker's name."""
    click.secho(f"{who}:", bold=True)
    for paragraph in paragraphs:
        click.echo(textwrap.fill(paragraph, _width(), initial_indent="  ", subsequent_indent="  "))
    click.echo()


def show_events(events: list[Event]) -> None:
    """Print what the line said and what happened on the call (the caller's own input is already on screen)."""
    for event in events:
        if event.who != "caller":
            show(WHO[event.who], [u.text for u in event.utterances] or [event.text])


def take_turn(call: Call, answer: str) -> None:
    """One digit is a key, an empty line is silence, anything else is speech."""
    answer = answer.strip()
    if not answer:
        call.wait()
    elif answer in KEYS:
        call.press(answer)
    else:
        call.say(answer)


def _phone() -> Phone:
    # The request log lines would interleave with the conversation; warnings and errors still show.
    current_app.logger.setLevel(logging.WARNING)
    if current_app.config["LINE_ENV"] == "development":
        # Trying the line locally: its own database gets its tables, as `flask db init` would.
        for done in upgrade(current_app.config["DATABASE_URL"]):
            click.echo(f"(database: {done})")
    return Phone.for_app(current_app._get_current_object())  # type: ignore[attr-defined]


@click.command("call")
@click.option("--caller", default=DEFAULT_CALLER, show_default=True, help="The (pretend) number you call from.")
@click.option("--language", default=None,
              help="Call in this language (e.g. es): the number NUMBER_LANGUAGES maps to it, or else the "
                   "greeting's other-language key (*), as a caller would.")
@with_appcontext
def call_command(caller: str, language: str | None) -> None:
    """Call the line in this terminal: type a key, some words, or nothing (silence) at each turn."""
    explain(f"Calling the line. Each turn: a key (0-9, * or #), words to say, an empty line to stay silent, "
            f"or {QUIT} to hang up.")
    built = services()
    if language is not None and language not in built.lines:
        raise click.BadParameter(f"the line serves {', '.join(built.lines)}", param_hint="--language")
    call = built.call_in(_phone(), caller, language)
    show_events(call.events)
    while not call.ended:
        try:
            answer = click.prompt("Your turn", default="", show_default=False, prompt_suffix="> ")
        except click.Abort:  # end of input or Ctrl+C
            answer = QUIT
        if answer.strip() == QUIT:
            call.hang_up()
            show_events(call.events[-1:])
            break
        seen = len(call.events)
        take_turn(call, answer)
        show_events(call.events[seen:])


@click.command("text")
@click.option("--sender", default=DEFAULT_CALLER, show_default=True, help="The (pretend) number you text from.")
@with_appcontext
def text_command(sender: str) -> None:
    """Text the line in this terminal: each line you type is one message; the replies are printed."""
    explain(f"Texting the line. Type a message and press Enter; {QUIT} or an empty line ends.")
    phone = _phone()
    while True:
        try:
            message = click.prompt("Message", default="", show_default=False, prompt_suffix="> ").strip()
        except click.Abort:
            break
        if not message or message == QUIT:
            break
        replies = phone.send_sms(message, sender)
        show("Line", replies or ["(no reply)"])
