"""SMS webhook: opt-outs first, then the text flow's reply as TwiML."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, request
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.exceptions import HTTPException

from app.core.events import Event, EventKind
from app.core.limits import MAX_SMS_BODY
from app.core.node import Node
from app.core.reply_limit import Verdict, verdict
from app.core.textflow import OptOutGroup, Position, normalize_sms
from app.services import services
from app.store import JournalError, StoreError, Unavailable
from app.store.callers import forget
from app.web.common import count, note, require_twilio_signature

bp = Blueprint("sms", __name__)
bp.before_request(require_twilio_signature)
# The words Twilio's own opt-out handling answers by itself (when it is on, as it is by default).
# Any other STOP phrase from the content ("opt out", "stop please") the line confirms itself.
TWILIO_ANSWERS = {
    "stop": {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"},
    "start": {"START", "YES", "UNSTOP"},
    "help": {"HELP", "INFO"},
}
# A STOP recorded, and a START that restarted an opted-out number, are counted as such.
OPT_EVENTS: dict[str, EventKind] = {"stop": "opt_out", "start": "restart"}


_REPLIES: dict[str | None, bytes] = {}  # TwiML per reply: the replies are the content's own, a few hundred
MAX_REPLIES = 1024


def _reply(body: str | None) -> Response:
    twiml = _REPLIES.get(body)
    if twiml is None:
        response = MessagingResponse()
        if body:
            response.message(body)
        twiml = str(response).encode()
        if len(_REPLIES) >= MAX_REPLIES:  # bounded, whatever the content holds
            _REPLIES.clear()
        _REPLIES[body] = twiml
    return Response(twiml, mimetype="text/xml")


def _twilio_answers(message: str) -> bool:
    """Whether Twilio's own opt-out handling answers this message itself (a single keyword of its own)."""
    word = normalize_sms(message)
    return current_app.config["SMS_OPT_OUT_BY_TWILIO"] and any(word in words for words in TWILIO_ANSWERS.values())


def _confirmation(group: OptOutGroup, message: str) -> str | None:
    """Our confirmation of STOP, START or HELP, unless Twilio sends its own for this very word."""
    return None if _twilio_answers(message) else services().line.sms.texts[group]


def _stop(number: str, body: str) -> tuple[Node, str | None]:
    """Record a STOP (in the database, or else the local journal) and say so; if neither took it, ask again."""
    if not number:
        return Node("stop"), _confirmation("stop", body)
    try:
        services().store.opt_out(number)
    except JournalError:
        current_app.logger.error("a STOP could be recorded neither in the database nor in the journal; "
                                 "asked the person to send it again (message=%s)", request.form.get("MessageSid", "-"))
        return Node("stop-failed"), services().line.sms.texts["stop_failed"]
    return Node("stop"), _confirmation("stop", body)


def _start(number: str, body: str) -> tuple[Node, str | None] | None:
    """START from an opted-out number: restart it (or say it must be sent again); None when it is not opted out."""
    store = services().store
    try:
        opted_out = store.is_opted_out(number)
        if not opted_out:
            return None
        store.opt_in(number)
    except Unavailable as error:
        # The person asked for messages, so an answer is welcome; it must not pretend the restart worked.
        current_app.logger.warning("a START could not be recorded: %s (message=%s)", error,
                                   request.form.get("MessageSid", "-"))
        return Node("start-failed"), services().line.sms.texts["start_failed"]
    return Node("start"), _confirmation("start", body)


def _take(number: str) -> tuple[bool, tuple[str, int] | None, Verdict]:
    """Count this text in the number's hour and read its opt-out and place, in one database round trip.

    When that write cannot be made (the database locked, or away), the opt-out and place are read
    instead and this worker's memory counts (per worker, not for the whole line); when even the
    read fails, the error reaches `apologise`, which answers nothing.
    """
    store = services().store
    try:
        text = store.take_text(number)
    except (StoreError, Unavailable) as error:
        current_app.logger.warning("the reply limit is counted in this worker's memory: %s (message=%s)", error,
                                   request.form.get("MessageSid", "-"))
        opted_out, saved = store.texter(number)
        return opted_out, saved, "silent" if opted_out else services().replies.take(store.number_key(number))
    if text.opted_out:
        return True, None, "silent"
    return False, text.place, verdict(text.texts, int(current_app.config["SMS_REPLIES_PER_HOUR"]))


def _answer(group: OptOutGroup | None, number: str, body: str) -> tuple[Node, str | None]:
    """Anything but STOP and HELP: a restart, silence for an opted-out number, or the text flow's reply."""
    if group == "start" and number and (restarted := _start(number, body)) is not None:
        return restarted
    opted_out, saved, limit = _take(number) if number else (False, None, "reply")
    if opted_out:
        return Node("opted-out"), None
    if _twilio_answers(body):  # INFO, or YES from someone who never stopped: Twilio has replied
        return Node("answered-by-twilio"), None
    if limit == "silent":
        return Node("limited"), None
    g.may_reply = True  # known not to be opted out: an apology may be sent if the rest fails
    if limit == "notice":
        return Node("limit-notice"), services().line.sms.texts["limit"]
    answer = services().texts.reply(body, Position(*saved) if saved else None)
    place = (answer.position.topic, answer.position.next_part) if answer.position else None
    if number and place != saved:  # most messages that leave a texter where they were need no second write
        services().store.set_position(number, place)
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
    texts = services().texts
    number = request.form.get("From", "")
    body = request.form.get("Body", "")[:MAX_SMS_BODY]
    group = texts.opt_out_group(body)
    if group == "stop":
        node, reply = _stop(number, body)
    elif group == "help":  # carriers require HELP to be answered, opted out or not
        node, reply = Node("help"), _confirmation("help", body)
    elif texts.is_forget(body):
        node, reply = _forget(number)
    else:
        node, reply = _answer(group, number, body)
    note("sms", node)
    count("sms", Event("message"), *_events(node))
    return _reply(reply)


def _events(node: Node) -> tuple[Event, ...]:
    """What a text's reply means for operators besides the node: an opt-out, a restart, a question answered."""
    if node.kind in OPT_EVENTS:
        return (Event(OPT_EVENTS[node.kind]),)
    question = services().line.talk.questions.get(node.id) if node.kind == "question" else None
    return (Event("emergency" if question.emergency else "question", node.id),) if question else ()


@bp.errorhandler(Exception)
def apologise(error: Exception) -> Response | HTTPException:
    """Never answer Twilio with a 500; apologise only to a number known not to have opted out."""
    if isinstance(error, HTTPException):
        return error
    if isinstance(error, Unavailable):  # the database is away: logged once per message, without a traceback
        current_app.logger.warning("sms without the database: %s (message=%s)", error,
                                   request.form.get("MessageSid", "-"))
    else:
        current_app.logger.exception("sms error (message=%s)", request.form.get("MessageSid", "-"))
    note("sms", "error")
    if not g.get("may_reply"):
        return _reply(None)  # an opt-out we could not check: silence is the safe answer
    try:
        return _reply(services().line.sms.texts["error"])
    except Exception:
        return _reply(None)
