"""Voice webhooks: turn the call flow's Turns into TwiML. State travels in the action URLs."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for
from flask.typing import ResponseReturnValue
from twilio.twiml.voice_response import Gather, VoiceResponse
from werkzeug.exceptions import HTTPException

from .services import services
from ..engine import Input, State, Turn
from .common import count_usage, require_twilio_signature

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
    params: dict[str, Any] = dict(turn.state.to_params())
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


def _log(turn: Turn, started: float) -> None:
    # Ids, nodes and timings only: never numbers, speech results or digits pressed.
    current_app.logger.info("voice call=%s node=%s ms=%.1f", request.form.get("CallSid", "-"), turn.node,
                            (time.perf_counter() - started) * 1000)
    count_usage("voice", str(turn.node))


@bp.post("")
def incoming() -> Response:
    """A call comes in: greet the caller and offer the main menu."""
    started = time.perf_counter()
    turn = services().calls.start()
    _log(turn, started)
    return twiml(render(turn))


@bp.post("/turn")
def turn() -> Response:
    """The caller pressed a key, said something, or stayed silent."""
    started = time.perf_counter()
    state = State.from_params(request.args)
    heard = Input.from_gather(request.form.get("Digits", ""), request.form.get("SpeechResult", ""),
                              timed_out=request.args.get("event") == "silence",
                              confidence=request.form.get("Confidence", ""),
                              min_confidence=current_app.config["SPEECH_CONFIDENCE"])
    result = services().calls.respond(state, heard)
    _log(result, started)
    return twiml(render(result))


@bp.post("/transfer-done")
def transfer_done() -> Response:
    """A transfer to a person ended: say goodbye if it was answered, else offer the menu again."""
    started = time.perf_counter()
    completed = request.form.get("DialCallStatus", "") in ("completed", "answered")
    result = services().calls.after_transfer(completed)
    _log(result, started)
    return twiml(render(result))


@bp.errorhandler(Exception)
def apologise(error: Exception) -> ResponseReturnValue:
    """Never answer Twilio with a 500: apologise and offer the main menu, or say goodbye."""
    if isinstance(error, HTTPException):
        return error
    current_app.logger.exception("voice error on %s (call=%s)", request.path, request.form.get("CallSid", "-"))
    try:
        return twiml(render(services().calls.error_turn()))
    except Exception:
        current_app.logger.exception("could not even build the apology")
        response = VoiceResponse()
        response.say(LAST_RESORT, voice=current_app.config.get("TWILIO_VOICE"),
                     language=current_app.config.get("VOICE_LANGUAGE"))
        response.hangup()
        return twiml(response)
