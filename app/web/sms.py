"""SMS webhook: opt-outs first, then the text flow's reply as TwiML."""

from __future__ import annotations

import time

from flask import Blueprint, Response, current_app, g, request
from flask.typing import ResponseReturnValue
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.exceptions import HTTPException

from .services import services
from ..limits import MAX_SMS_BODY
from ..memory import forget
from ..node import Node
from ..texting import OptOutGroup, Position, normalize_sms
from .common import count_usage, require_twilio_signature

bp = Blueprint("sms", __name__)
bp.before_request(require_twilio_signature)
# The words Twilio's own opt-out handling answers by itself (when it is on, as it is by default).
# Any other STOP phrase from the content ("opt out", "stop please") the line confirms itself.
TWILIO_ANSWERS = {
    "stop": {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"},
    "start": {"START", "YES", "UNSTOP"},
    "help": {"HELP", "INFO"},
}


def _reply(body: str | None) -> Response:
    response = MessagingResponse()
    if body:
        response.message(body)
    return Response(str(response), mimetype="text/xml")


def _twilio_answers(message: str) -> bool:
    """Whether Twilio's own opt-out handling answers this message itself (a single keyword of its own)."""
    word = normalize_sms(message)
    return current_app.config["SMS_OPT_OUT_BY_TWILIO"] and any(word in words for words in TWILIO_ANSWERS.values())


def _confirmation(group: OptOutGroup, message: str) -> str | None:
    """Our confirmation of STOP, START or HELP, unless Twilio sends its own for this very word."""
    return None if _twilio_answers(message) else services().line.sms.texts[group]


def _record_opt_out(number: str) -> None:
    """Record a STOP, trying once more if the database stumbles: losing one is the worst failure here."""
    try:
        services().store.opt_out(number)
    except Exception:
        current_app.logger.warning("a STOP could not be recorded; trying again (message=%s)",
                                   request.form.get("MessageSid", "-"))
        services().store.opt_out(number)


def _answer(group: OptOutGroup | None, number: str, body: str) -> tuple[Node, str | None]:
    """Anything but STOP and HELP: a restart, silence for an opted-out number, or the text flow's reply."""
    store = services().store
    opted_out = bool(number) and store.is_opted_out(number)  # read once
    if group == "start" and opted_out:
        store.opt_in(number)
        return Node("start"), _confirmation("start", body)
    if opted_out:
        return Node("opted-out"), None
    if _twilio_answers(body):  # INFO, or YES from someone who never stopped: Twilio has replied
        return Node("answered-by-twilio"), None
    g.may_reply = True  # known not to be opted out: an apology may be sent if the rest fails
    saved = store.position(number) if number else None
    answer = services().texts.reply(body, Position(*saved) if saved else None)
    if number:
        place = answer.position
        store.set_position(number, (place.topic, place.next_part) if place else None)
    return answer.node, answer.body


def _forget(number: str) -> tuple[Node, str | None]:
    """FORGET: erase what the line keeps about the number (never its STOP), and say so unless it stopped."""
    store = services().store
    opted_out = bool(number) and store.is_opted_out(number)
    if number:
        forget(store, number)
    if opted_out:
        return Node("opted-out"), None
    g.may_reply = True
    return Node("forget"), services().line.sms.texts["forgotten"]


@bp.post("/sms")
def incoming() -> Response:
    """A text message comes in. STOP is recorded before anything else; opted-out numbers get nothing."""
    started = time.perf_counter()
    texts = services().texts
    number = request.form.get("From", "")
    body = request.form.get("Body", "")[:MAX_SMS_BODY]
    group = texts.opt_out_group(body)
    if group == "stop":
        if number:
            _record_opt_out(number)
        node, reply = Node("stop"), _confirmation("stop", body)
    elif group == "help":  # carriers require HELP to be answered, opted out or not
        node, reply = Node("help"), _confirmation("help", body)
    elif texts.is_forget(body):
        node, reply = _forget(number)
    else:
        node, reply = _answer(group, number, body)
    # Ids, nodes and timings only: never the number or the message.
    current_app.logger.info("sms message=%s node=%s ms=%.1f", request.form.get("MessageSid", "-"), node,
                            (time.perf_counter() - started) * 1000)
    count_usage("sms", str(node))
    return _reply(reply)


@bp.errorhandler(Exception)
def apologise(error: Exception) -> ResponseReturnValue:
    """Never answer Twilio with a 500; apologise only to a number known not to have opted out."""
    if isinstance(error, HTTPException):
        return error
    current_app.logger.exception("sms error (message=%s)", request.form.get("MessageSid", "-"))
    if not g.get("may_reply"):
        return _reply(None)  # a failed STOP, or an opt-out we could not check: silence is the safe answer
    try:
        return _reply(services().line.sms.texts["error"])
    except Exception:
        return _reply(None)
