"""Voice webhooks: turn the call flow's Turns into TwiML. State travels in the action URLs."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request, url_for
from twilio.twiml.voice_response import Gather, VoiceResponse
from werkzeug.exceptions import HTTPException

from .services import services
from ..engine import Input, State, Turn
from .common import count_usage, note, require_twilio_signature
from .insight import record_turn

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


def _say(parent: VoiceResponse | Gather, turn: Turn) -> None:
    """<Say> the turn with SSML pauses between segments and the pronunciation list applied.

    Phone numbers get a <Say> of their own at a slower rate, rather than a nested <prosody>,
    which not every Twilio voice accepts.
    """
    config = current_app.config
    prosody, kind = None, None
    for segment in turn.segments:
        if prosody is None or segment.kind != kind:
            kind = segment.kind
            say = parent.say(voice=config["TWILIO_VOICE"], language=config["VOICE_LANGUAGE"])
            prosody = say.prosody(rate=NUMBER_RATE if kind == "phone_number" else config["SPEECH_RATE"])
        if kind == "phone_number":
            prosody.say_as(segment.text, interpret_as="telephone")
        else:
            prosody.s(segment.spoken)
        if segment.pause_ms:
            prosody.break_(time=f"{segment.pause_ms}ms")


def render(turn: Turn) -> VoiceResponse:
    """The TwiML for a turn: speak and listen (keys and speech), transfer, or say goodbye and hang up."""
    config = current_app.config
    response = VoiceResponse()
    if turn.hangup or turn.state is None:
        _say(response, turn)
        response.hangup()
        return response
    params: dict[str, Any] = turn.state.to_params()
    if turn.transfer_to:
        _say(response, turn)
        response.dial(turn.transfer_to, action=url_for("voice.transfer_done", **params), timeout=30)
        return response
    gather = response.gather(
        input="dtmf speech",
        num_digits=1,
        # '#' is a key like any other here: as the default finishOnKey it would arrive as no input,
        # and the caller would hear "I did not hear anything".
        finish_on_key="",
        timeout=config["GATHER_TIMEOUT"],
        speech_timeout=config["SPEECH_TIMEOUT"],
        action=url_for("voice.turn", **params),
        method="POST",
        language=config["VOICE_LANGUAGE"],
        hints=", ".join(turn.hints[:MAX_HINTS]) or None,
        # Twilio's telephony model (README, "Notes on the design"); empty lets Twilio choose.
        speech_model=config["SPEECH_MODEL"] or None,
    )
    _say(gather, turn)
    # Reached only when the caller gave no input before the timeout.
    response.redirect(url_for("voice.turn", event="silence", **params), method="POST")
    return response


RENDERED = "voice_twiml"  # app.extensions key: TwiML already built for a turn
MAX_RENDERED = 4096


def answer(turn: Turn) -> Response:
    """The TwiML response for a turn, built once per worker: a turn (and so its TwiML) is the same value
    every time the same caller input meets the same place, and building the XML is most of a turn's work."""
    cache: dict[Turn, str] = current_app.extensions.setdefault(RENDERED, {})
    body = cache.get(turn)
    if body is None:
        body = str(render(turn))
        if len(cache) >= MAX_RENDERED:
            cache.clear()
        cache[turn] = body
    return Response(body, mimetype="text/xml")


def _log(turn: Turn) -> None:
    """Log and count where the turn left the caller (once the response is built: see common.note)."""
    note("voice", turn.node)


@bp.post("")
def incoming() -> Response:
    """A call comes in: greet the caller and offer the main menu."""
    turn = services().calls.start()
    _log(turn)
    count_usage("voice", "call")
    return answer(turn)


@bp.post("/turn")
def turn() -> Response:
    """The caller pressed a key, said something, or stayed silent."""
    state = State.from_params(request.args)
    heard = Input.from_gather(request.form.get("Digits", ""), request.form.get("SpeechResult", ""),
                              timed_out=request.args.get("event") == "silence",
                              confidence=request.form.get("Confidence", ""),
                              min_confidence=current_app.config["SPEECH_CONFIDENCE"])
    result = services().calls.respond(state, heard)
    _log(result)
    record_turn(heard, result)
    return answer(result)


@bp.post("/transfer-done")
def transfer_done() -> Response:
    """A transfer to a person ended: say goodbye if it was answered, else offer the menu again."""
    completed = request.form.get("DialCallStatus", "") in ("completed", "answered")
    result = services().calls.after_transfer(completed)
    _log(result)
    return answer(result)


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
