"""What the voice webhook remembers for a caller: recalled when a call starts, kept after a turn and written
a moment later (store/later.py), and texts queued in the outbox (never sent inside the request)."""

from __future__ import annotations

import datetime as dt
from typing import Callable, Literal, Sequence

from flask import Response, current_app

from app.core.caller_requests import TextOutcome
from app.services import services
from app.store.callers import CallerMemory, Remembered, forget
from app.store.outbox import Message, Outbox, now

# The numbers Twilio puts in From when a caller hides their number (anonymous, restricted, unknown, blocked).
HIDDEN_NUMBERS = {"+266696687", "+7378742833", "+86282452253", "+2562533"}


def caller_number(raw: str) -> str | None:
    """The caller's number, when the call came with one the line can text."""
    number = raw.strip()
    digits = sum(map(str.isdigit, number))
    if not number.startswith("+") or digits < 8 or number in HIDDEN_NUMBERS:
        return None
    return number


def memory() -> CallerMemory:
    """The callers' memory for this app's retention setting."""
    return CallerMemory(services().store, current_app.config["RETENTION_DAYS"])


def recall(number: str | None) -> Remembered | None:
    """What the line remembers about a caller; nothing when the database does not answer (the call goes on)."""
    if not number:
        return None
    try:
        return memory().recall(number)
    except Exception:
        current_app.logger.exception("could not read what the line remembers for a caller")
        return None


def resumable(remembered: Remembered | None) -> tuple[str, int] | None:
    """The place to offer to go on from: one remembered within RESUME_DAYS."""
    if remembered is None or remembered.place is None or remembered.place_at is None:
        return None
    if remembered.place_at < now() - dt.timedelta(days=current_app.config["RESUME_DAYS"]):
        return None
    return remembered.place


def after_response(response: Response, write: Callable[[], None]) -> Response:
    """Run a small write once the response has gone to Twilio (a phrase to learn): the caller never waits for it."""
    def run() -> None:
        try:
            write()
        except Exception:
            current_app.logger.exception("could not write after a response (a phrase)")

    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def in_context() -> None:
        with app.app_context():
            run()

    response.call_on_close(in_context)
    return response


def remember(response: Response, number: str | None, place: tuple[str, int] | None | Literal[False],
             speed_step: int | None, language: str | None = None, listening: int | None = None) -> Response:
    """The call's place (None: it left the topic; False: unchanged), a new speed step, a language the caller
    just chose, and new steps of extra time to speak (None: unchanged): kept in memory and written a moment
    later with the other waiting writes, so the caller never waits for them."""
    if not number or (place is False and speed_step is None and language is None and listening is None):
        return response
    try:
        caller = memory()
        if place is not False:
            caller.remember_place(number, place)
        if speed_step is not None:
            caller.remember_speed_step(number, speed_step)
        if language is not None:
            caller.remember_language(number, language)
        if listening is not None:
            caller.remember_listening(number, listening)
    except Exception:  # remembering must never cost the caller the turn
        current_app.logger.exception("could not keep a caller's place, speed or language")
    return response


def request_texts(number: str | None, line_phone_number: str, messages: Sequence[Message],
                  request_id: str) -> TextOutcome:
    """Queue texts for a caller, unless the number cannot get them, opted out or asked too often today.

    `request_id` (the call and what it asked for) makes a repeated request, or a retried write, queue
    nothing more: nothing is sent twice.
    """
    if not number:
        return "no-number"
    store = services().store
    try:
        if store.is_opted_out(number):  # the STOP journal counts too
            return "opted-out"
        box = Outbox(store)
        recent, ever, again = box.history(number, now() - dt.timedelta(days=1), request_id)
        if again:
            return "already"
        if recent >= current_app.config["TEXTS_PER_DAY"]:
            return "limit"
        first = not ever
        box.enqueue(number, messages, line_phone_number, request_id=request_id)
    except Exception:
        current_app.logger.exception("could not queue texts for a caller")
        return "failed"
    return "queued-first" if first else "queued"


def forget_caller(number: str | None) -> bool:
    """Erase what the line keeps for a caller (never the opt-out); False when it could not."""
    if not number:
        return False
    try:
        forget(services().store, number)
    except Exception:
        current_app.logger.exception("could not forget a caller")
        return False
    return True
