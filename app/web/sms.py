"""SMS webhook: opt-outs first, then the text flow's reply as TwiML."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, Response, current_app, g, request
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.exceptions import HTTPException

from app.core.events import Event, EventKind
from app.core.limits import MAX_SMS_BODY
from app.core.node import Node
from app.core.reply_limit import Verdict, verdict
from app.core.textflow import OptOutGroup, Position, Reply, TextFlow, normalize_sms
from app.services import Services, services
from app.store import JournalError, StoreError, Unavailable
from app.store.callers import forget
from app.store.texters import Texter
from app.web.common import TWIML, count, current, note, require_twilio_signature

bp = Blueprint("sms", __name__)
bp.before_request(require_twilio_signature)
# A STOP recorded, and a START that restarted an opted-out number, are counted as such.
OPT_EVENTS: dict[str, EventKind] = {"stop": "opt_out", "start": "restart"}


_REPLIES: dict[tuple[str | None, str], bytes] = {}  # TwiML per reply and language: the content's own, a few hundred
MAX_REPLIES = 1024


def _reply(body: str | None, language: str = "") -> Response:
    """The reply as TwiML, in the language's SMS alphabet (Spanish: á, í, ó, ú sent without the accent), made
    once per worker."""
    twiml = _REPLIES.get((body, language))
    if twiml is None:
        response = MessagingResponse()
        if body:
            response.message(services().language(language).sms.fold(body))
        twiml = str(response).encode()
        if len(_REPLIES) >= MAX_REPLIES:  # bounded, whatever the content holds
            _REPLIES.clear()
        _REPLIES[(body, language)] = twiml
    return Response(twiml, content_type=TWIML)


READINGS = "sms_readings"  # app.extensions key: what the words of messages say, read once per worker
MAX_READINGS = 512  # bounded: a message can be anything, up to MAX_SMS_BODY characters


@dataclass(frozen=True)
class Reading:
    """What a message's words say, whoever sent them: the same words are read the same way every time (the content
    and settings are fixed at start-up), so they are read once per worker."""

    group: OptOutGroup | None  # STOP, START or HELP, in any language served
    said_in: str  # the language of that word (the default when there is none)
    emergency_in: str | None  # the first language served in which it tells of an emergency, if any
    forget: str | None  # the language of a FORGET, if it is one
    switch: str | None  # a language it names ("ESPAÑOL"): a switch to it
    first_language: str  # the language to answer a number's first message in, when it chose none
    twilio_answers: bool  # Twilio's own opt-out handling answers these words itself
    replies: dict[tuple[str, Position | None], Reply] = field(default_factory=dict, compare=False)
    asked: dict[str, str | None] = field(default_factory=dict, compare=False)  # by the texter's own language


def _read(body: str) -> Reading:
    """What a message's words say (kept per worker for the last MAX_READINGS different messages)."""
    readings: dict[str, Reading] = current_app.extensions.setdefault(READINGS, {})
    found = readings.get(body)
    if found is None:
        built = services()
        flows = built.text_flows.items()
        emergency_in = next((code for code, flow in flows if flow.tells_of_emergency(body)), None)
        group, said_in = _keyword(body, emergency_in is not None)
        found = Reading(group, said_in, emergency_in,
                        next((code for code, flow in flows if flow.is_forget(body)), None),
                        next((code for code, flow in flows if flow.names_language(body)), None),
                        _language_of(body, None, True), _twilio_answers(body))
        if len(readings) >= MAX_READINGS:  # bounded, whatever people send
            readings.clear()
        readings[body] = found
    return found


def _asked(reading: Reading, body: str, chosen: str | None) -> str | None:
    """A language asked for in a few words ("spanish pls"), read in the texter's own language only: another
    language's words might read "don't send it in Spanish" as a request (kept with the reading)."""
    built = services()
    own = built.language_for(chosen) if chosen else built.default
    if own not in reading.asked:
        code = built.text_flows[own].language_asked(body)
        reading.asked[own] = code if code in built.text_flows else None
    return reading.asked[own]


def _reply_to(reading: Reading, body: str, language: str, flow: TextFlow, position: Position | None) -> Reply:
    """The text flow's reply to these words at this position (the flow is pure: made once per worker)."""
    key = (language, position)
    found = reading.replies.get(key)
    if found is None:
        found = reading.replies[key] = flow.reply(body, position)
    return found


def _texts(language: str | None) -> TextFlow:
    return services().text_flows[services().language_for(language)]


def _twilio_answers(message: str) -> bool:
    """Whether Twilio's own opt-out handling answers this message itself (a single keyword of its own)."""
    word = normalize_sms(message)
    return current_app.config["SMS_OPT_OUT_BY_TWILIO"] and any(
        word in words for line in services().lines.values() for words in line.lang.twilio_answers.values())


def _confirmation(group: OptOutGroup, message: str, language: str) -> str | None:
    """Our confirmation of STOP, START or HELP, unless Twilio sends its own for this very word."""
    return None if _twilio_answers(message) else _texts(language).line.sms.texts[group]


def _keyword(body: str, emergency: bool) -> tuple[OptOutGroup | None, str]:
    """Whether a message is a STOP, START or HELP word in any language the line serves, and that language
    (the one most of its words are in; the default's on a tie): PARAR stops whatever language the number
    reads. A message that tells of an emergency in any language is no STOP in another ("Stop, I can't
    breathe" read in Spanish): it is answered first."""
    built = services()
    found = [(group, code) for code, flow in built.text_flows.items() if (group := flow.opt_out_group(body, emergency))]
    if not found:
        return None, built.default
    # Confirmed in the language most of its words are in ("ya no me manden nada"), the default's on a tie.
    return max(found, key=lambda f: (built.text_flows[f[1]].share_of_own_words(body), f[1] == built.default))


def _stop(number: str, body: str, language: str) -> tuple[Node, str | None]:
    """Record a STOP (in the database, or else the local journal) and say so; if neither took it, ask again."""
    if not number:
        return Node("stop"), _confirmation("stop", body, language)
    try:
        services().store.opt_out(number)
    except JournalError:
        current_app.logger.error("a STOP could be recorded neither in the database nor in the journal; "
                                 "asked the person to send it again (message=%s)", request.form.get("MessageSid", "-"))
        return Node("stop-failed"), _texts(language).line.sms.texts["stop_failed"]
    return Node("stop"), _confirmation("stop", body, language)


def _start(number: str, body: str, language: str) -> tuple[Node, str | None] | None:
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
        return Node("start-failed"), _texts(language).line.sms.texts["start_failed"]
    return Node("start"), _confirmation("start", body, language)


def _take(number: str, built: Services) -> tuple[Texter, Verdict]:
    """Count this text in the number's hour and read its opt-out, place and language, in one database round trip.

    When that write cannot be made (the database locked, or away), the opt-out and place are read
    instead and this worker's memory counts (per worker, not for the whole line); when even the
    read fails, the error reaches `apologise`, which answers nothing.
    """
    store = built.store
    try:
        text = store.take_text(number)
    except (StoreError, Unavailable) as error:
        current_app.logger.warning("the reply limit is counted in this worker's memory: %s (message=%s)", error,
                                   request.form.get("MessageSid", "-"))
        texter = store.texter(number)
        return texter, "silent" if texter.opted_out else built.replies.take(store.number_key(number))
    if text.opted_out:
        return Texter(True, None, None), "silent"
    return (Texter(False, text.place, text.language),
            verdict(text.texts, int(current_app.config["SMS_REPLIES_PER_HOUR"])))


def _language_of(body: str, chosen: str | None, first: bool) -> str:
    """The language to answer in: the number's choice; else, for a first message plainly in another
    language than the default (and not a word of the default's), that language; else the default."""
    built = services()
    if chosen:
        return built.language_for(chosen)
    if first and not built.texts.knows_word(body):
        return next((code for code, flow in built.text_flows.items()
                     if code != built.default and flow.plainly_in_language(body)), built.default)
    return built.default


def _answer(reading: Reading, number: str, body: str) -> tuple[Node, str | None, str]:
    """Anything but STOP and HELP: a restart, silence for an opted-out number, a language switch, or the text
    flow's reply; with the language it is in."""
    built = services()
    store = built.store
    said_in = reading.said_in
    if reading.group == "start" and number and (restarted := _start(number, body, said_in)) is not None:
        return (*restarted, said_in)
    texter, limit = _take(number, built) if number else (Texter(False, None, None), "reply")  # one round trip
    if texter.opted_out:
        return Node("opted-out"), None, said_in
    switch = reading.switch or _asked(reading, body, texter.language)
    if switch:
        language = switch
    elif texter.language:
        language = built.language_for(texter.language)
    else:
        language = reading.first_language if texter.position is None else built.default
    kept_language = language  # the texter's language, kept whatever this one message is answered in
    if reading.emergency_in and not built.text_flows[language].tells_of_emergency(body):
        language = reading.emergency_in  # "no puedo respirar" from anyone: the emergency words, in its language
    if reading.twilio_answers:  # INFO, or YES from someone who never stopped: Twilio has replied
        return Node("answered-by-twilio"), None, language
    if limit == "silent":
        return Node("limited"), None, language
    kept = g._get_current_object()
    kept.may_reply = True  # known not to be opted out: an apology may be sent if the rest fails
    kept.language = language
    flow = built.text_flows[language]
    if limit == "notice":
        return Node("limit-notice"), flow.line.sms.texts["limit"], language
    saved = texter.position
    if switch:
        node, reply, place = Node("language", switch), flow.line.sms.texts["menu"], saved
    else:
        answer = _reply_to(reading, body, language, flow, Position(*saved) if saved else None)
        node, reply = answer.node, answer.body
        place = (answer.position.topic, answer.position.next_part) if answer.position else None
    # A language is kept once chosen or found; an English texter's row stays as it always was.
    keep = kept_language if (texter.language or kept_language != built.default) else None
    if number and (place != saved or keep != texter.language):  # most messages need no write
        store.set_position(number, place, keep)
    return node, reply, language


def _forget(number: str, language: str) -> tuple[Node, str | None]:
    """FORGET: erase what the line keeps about the number (never its STOP), and say so unless it stopped."""
    store = services().store
    opted_out = bool(number) and store.is_opted_out(number)
    if number:
        forget(store, number)
    if opted_out:
        return Node("opted-out"), None
    g.may_reply = True
    return Node("forget"), _texts(language).line.sms.texts["forgotten"]


@bp.post("/sms")
def incoming() -> Response:
    """A text message comes in. STOP (in any language served) is recorded before anything else; opted-out
    numbers get nothing."""
    built, form = services(), current().form
    number = form.get("From", "")
    body = form.get("Body", "")[:MAX_SMS_BODY]
    reading = _read(body)
    group, language = reading.group, reading.said_in
    if group == "stop":
        node, reply = _stop(number, body, language)
    elif group == "help":  # carriers require HELP to be answered, opted out or not
        node, reply = Node("help"), _confirmation("help", body, language)
    elif reading.forget:
        language = reading.forget
        node, reply = _forget(number, language)
    else:
        node, reply, language = _answer(reading, number, body)
    note("sms", node)
    count("sms", Event("message"), *built.language_events(language), *_events(node))
    return _reply(reply, language)


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
        language = g.get("language", "")
        return _reply(_texts(language).line.sms.texts["error"], language)
    except Exception:
        return _reply(None)
