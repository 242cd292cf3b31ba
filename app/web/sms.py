"""SMS webhook: opt-outs first, then the text flow's reply as TwiML."""

from __future__ import annotations

import time

from flask import Blueprint, Response, current_app, request
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.exceptions import HTTPException

from ..factory import services
from ..texting import classify
from .common import count_usage, require_twilio_signature

bp = Blueprint("sms", __name__)
bp.before_request(require_twilio_signature)
MAX_BODY = 1600  # the longest message Twilio delivers


def _reply(body: str | None) -> Response:
    response = MessagingResponse()
    if body:
        response.message(body)
    return Response(str(response), mimetype="text/xml")


@bp.post("/sms")
def incoming():
    """A text message comes in. STOP is recorded before anything else; opted-out numbers get nothing."""
    started = time.perf_counter()
    line, store = services().line, services().store
    number = request.form.get("From", "")
    body = request.form.get("Body", "")[:MAX_BODY]
    # When Twilio's own opt-out handling is on, Twilio already answers STOP, START and HELP.
    ours = not current_app.config["SMS_OPT_OUT_BY_TWILIO"]
    group = classify(line, body)
    if group == "stop":
        if number:
            store.opt_out(number)
        node, reply = "stop", line.sms.texts["stop"] if ours else None
    elif group == "start":
        if number:
            store.opt_in(number)
        node, reply = "start", line.sms.texts["start"] if ours else None
    elif number and store.is_opted_out(number):
        node, reply = "opted-out", None
    elif group == "help":
        node, reply = "help", line.sms.texts["help"] if ours else None
    else:
        answer = services().texts.reply(body, store.position(number) if number else None)
        if number:
            store.set_position(number, answer.position)
        node, reply = answer.node, answer.body
    # Ids, nodes and timings only: never the number or the message.
    current_app.logger.info("sms message=%s node=%s ms=%.1f", request.form.get("MessageSid", "-"), node,
                            (time.perf_counter() - started) * 1000)
    count_usage("sms", node)
    return _reply(reply)


@bp.errorhandler(Exception)
def apologise(error: Exception):
    """Never answer Twilio with a 500: apologise and point to MENU."""
    if isinstance(error, HTTPException):
        return error
    current_app.logger.exception("sms error (message=%s)", request.form.get("MessageSid", "-"))
    try:
        if classify(services().line, request.form.get("Body", "")) == "stop":
            return _reply(None)  # never answer STOP with anything but its confirmation
        return _reply(services().line.sms.texts["error"])
    except Exception:
        return _reply(None)
