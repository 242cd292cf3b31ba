"""Voice webhooks: turn the call flow's Turns into TwiML. State travels in the action URLs."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request, url_for
from twilio.twiml.voice_response import Gather, VoiceResponse
from werkzeug.exceptions import HTTPException

from app.core import listening, pace
from app.core.caller_requests import Outcome
from app.core.callflow import Input, State, Turn
from app.services import services
from app.store.outbox import Message
from app.web import caller_requests as remember
from app.web.common import count_usage, note, require_twilio_signature
from app.web.insight import record_turn

bp = Blueprint("voice", __name__, url_prefix="/voice")
bp.before_request(require_twilio_signature)

# The last resort when even the content cannot be used: plain words, then an honest goodbye.
LAST_RESORT = "Sorry, this line has a problem right now. Please call again later. Goodbye."
MAX_HINTS = 90


def twiml(response: VoiceResponse) -> Response:
    """A TwiML HTTP response."""
    return Response(str(response), mimetype="text/xml")


# Phone numbers are read more slowly than the rest, so a caller can write them down.
NUMBER_RATE = "slow"


def _say(parent: VoiceResponse | Gather, turn: Turn, rate: int) -> None:
    """<Say> the turn with SSML pauses between segments and the pronunciation list applied, at the
    caller's speed (`rate`, steps from SPEECH_RATE).

    Phone numbers get a <Say> of their own at a slower rate, rather than a nested <prosody>,
    which not every Twilio voice accepts.
    """
    config = current_app.config
    speech_rate = pace.prosody_rate(config["SPEECH_RATE"], rate)
    prosody, kind = None, None
    for segment in turn.segments:
        if prosody is None or segment.kind != kind:
            kind = segment.kind
            say = parent.say(voice=config["TWILIO_VOICE"], language=config["VOICE_LANGUAGE"])
            prosody = say.prosody(rate=NUMBER_RATE if kind == "phone_number" else speech_rate)
        if kind == "phone_number":
            prosody.say_as(segment.text, interpret_as="telephone")
        else:
            prosody.s(segment.spoken)
        if segment.pause_ms:
            prosody.break_(time=f"{segment.pause_ms}ms")


def render(turn: Turn, rate: int = 0) -> VoiceResponse:
    """The TwiML for a turn: speak and listen (keys and speech), transfer, or say goodbye and hang up.
    A goodbye, which has no state, is said at `rate`, the speed the call had."""
    config = current_app.config
    response = VoiceResponse()
    if turn.hangup or turn.state is None:
        _say(response, turn, rate)
        response.hangup()
        return response
    params: dict[str, Any] = turn.state.to_params()
    if turn.transfer_to:
        _say(response, turn, turn.state.rate)
        response.dial(turn.transfer_to, action=url_for("voice.transfer_done", **params), timeout=30)
        return response
    gather = response.gather(
        input="dtmf speech",
        num_digits=1,
        # '#' is a key like any other here: as the default finishOnKey it would arrive as no input,
        # and the caller would hear "I did not hear anything".
        finish_on_key="",
        timeout=config["GATHER_TIMEOUT"],
        speech_timeout=listening.speech_timeout(turn.state.listen, config["SPEECH_TIMEOUT"]),
        action=url_for("voice.turn", **params),
        method="POST",
        language=config["VOICE_LANGUAGE"],
        hints=", ".join(turn.hints[:MAX_HINTS]) or None,
        # Twilio's telephony model (README, "Notes on the design"); empty lets Twilio choose.
        speech_model=config["SPEECH_MODEL"] or None,
    )
    _say(gather, turn, turn.state.rate)
    # Reached only when the caller gave no input before the timeout.
    response.redirect(url_for("voice.turn", event="silence", **params), method="POST")
    return response


RENDERED = "voice_twiml"  # app.extensions key: TwiML already built for a turn
MAX_RENDERED = 4096


def answer(turn: Turn, rate: int = 0) -> Response:
    """The TwiML response for a turn, built once per worker: a turn (and so its TwiML) is the same value
    every time the same caller input meets the same place, and building the XML is most of a turn's work.
    `rate` is the speed a goodbye (a turn with no state) is said at."""
    cache: dict[tuple[Turn, int], str] = current_app.extensions.setdefault(RENDERED, {})
    key = (turn, rate if turn.state is None else 0)
    body = cache.get(key)
    if body is None:
        body = str(render(turn, key[1]))
        if len(cache) >= MAX_RENDERED:
            cache.clear()
        cache[key] = body
    return Response(body, mimetype="text/xml")


def _log(turn: Turn) -> None:
    """Log and count where the turn left the caller (once the response is built: see common.note)."""
    note("voice", turn.node)


@bp.post("")
def incoming() -> Response:
    """A call comes in: greet the caller and offer the main menu."""
    known = remember.recall(remember.caller_number(request.form.get("From", "")))
    turn = services().calls.start(remember.resumable(known), known.rate if known else 0,
                                  known.listening if known else 0)
    _log(turn)
    count_usage("voice", "call")
    return answer(turn)


def _place(state: State | None) -> tuple[str, int] | None:
    """The topic part a call is in, to offer on the next call; none at a menu or at the offer itself."""
    resuming = state is not None and state.pending is not None and state.pending.kind == "resume"
    if state is None or resuming or state.path[-1] not in services().line.topics:
        return None
    return state.path[-1], state.part


def _carry_out(result: Turn, number: str | None) -> Turn:
    """Do what the turn asks (queue texts, or forget the caller), then let the call flow say how it went."""
    calls = services().calls
    assert result.request is not None
    outcome: Outcome
    if result.request.kind == "text":
        messages = [Message(kind, body) for kind, body in calls.texts_for(result.request)]
        asked = f"{request.form.get('CallSid', '')}:{result.request.topic or 'list'}"
        outcome = remember.request_texts(number, request.form.get("To", ""), messages, asked)
    else:
        outcome = "forgotten" if remember.forget_caller(number) else "failed"
    return calls.after(result, outcome)


@bp.post("/turn")
def turn() -> Response:
    """The caller pressed a key, said something, or stayed silent."""
    state = State.from_params(request.args)
    heard = Input.from_gather(request.form.get("Digits", ""), request.form.get("SpeechResult", ""),
                              timed_out=request.args.get("event") == "silence",
                              confidence=request.form.get("Confidence", ""),
                              min_confidence=current_app.config["SPEECH_CONFIDENCE"])
    result = services().calls.respond(state, heard)
    number = remember.caller_number(request.form.get("From", ""))
    forgetting = result.request is not None and result.request.kind == "forget"
    if result.request is not None:
        result = _carry_out(result, number)
    _log(result)
    record_turn(heard, result)
    before = state.rate if state else 0
    response = answer(result, before)
    if forgetting or result.state is None:
        return response  # nothing to remember: forgotten just now, or the call is ending where it was
    place = _place(result.state)
    rate = result.state.rate if result.state.rate != before else None
    listen = result.state.listen if result.state.listen != (state.listen if state else 0) else None
    # Written once the response has gone: the caller never waits for it.
    return remember.remember(response, number, place if place != _place(state) else False, rate, listen)


@bp.post("/transfer-done")
def transfer_done() -> Response:
    """A transfer to a person ended: say goodbye if it was answered, else offer the menu again."""
    completed = request.form.get("DialCallStatus", "") in ("completed", "answered")
    state = State.from_params(request.args)
    rate = state.rate if state else 0
    result = services().calls.after_transfer(completed, rate)
    _log(result)
    return answer(result, rate)


@bp.errorhandler(Exception)
def apologise(error: Exception) -> Response | HTTPException:
    """Never answer Twilio with a 500: apologise and offer the main menu, or say goodbye."""
    if isinstance(error, HTTPException):
        return error
    current_app.logger.exception("voice error on %s (call=%s)", request.path, request.form.get("CallSid", "-"))
    note("voice", "error")
    try:
        return twiml(render(services().calls.error_turn()))
    except Exception:
        current_app.logger.exception("could not even build the apology")
        response = VoiceResponse()
        response.say(LAST_RESORT, voice=current_app.config.get("TWILIO_VOICE"),
                     language=current_app.config.get("VOICE_LANGUAGE"))
        response.hangup()
        return twiml(response)
