"""Voice webhooks: turn the call flow's Turns into TwiML. State travels in the action URLs."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable

from flask import Blueprint, Request, Response, current_app, request, url_for
from twilio.twiml.voice_response import Gather, VoiceResponse
from werkzeug.exceptions import HTTPException

from app.core import listening, pace
from app.core.caller_requests import Outcome, texts_for
from app.core.callflow import CallFlow, Input, State, Turn
from app.core.events import Event, duration_bucket
from app.services import Services, services
from app.store.calls import CallPlaces
from app.store.outbox import Message
from app.web import caller_requests as remember
from app.web.common import TWIML, count, current, note, require_twilio_signature
from app.web.insight import record_turn, remember_place

bp = Blueprint("voice", __name__, url_prefix="/voice")
bp.before_request(require_twilio_signature)

# The last resort when even the content cannot be used: plain words, then an honest goodbye.
LAST_RESORT = "Sorry, this line has a problem right now. Please call again later. Goodbye."
MAX_HINTS = 90
CALL = Event("call")  # counted once a call


def twiml(response: VoiceResponse) -> Response:
    """A TwiML HTTP response."""
    return Response(str(response), content_type=TWIML)


# Phone numbers are read more slowly than the rest, so a caller can write them down.
NUMBER_PROSODY_RATE = "slow"


def _speech_language(code: str) -> str:
    """Twilio's <Say>/<Gather> language for a served language: VOICE_LANGUAGE for the default, else its own."""
    built = services()
    code = built.language_for(code)
    configured = current_app.config.get("VOICE_LANGUAGE") if code == built.default else ""
    return str(configured or built.language(code).speech_language)


def _say(parent: VoiceResponse | Gather, turn: Turn, speed_step: int, language: str) -> None:
    """<Say> the turn with SSML pauses between segments and the pronunciation list applied, at the
    caller's speed (`speed_step`, steps from SPEECH_RATE).

    Phone numbers get a <Say> of their own at a slower prosody rate, rather than a nested <prosody>,
    which not every Twilio voice accepts; so does a sentence in another language (the other
    language's offer in the greeting), in that language's voice.
    """
    config = current_app.config
    prosody_rate = pace.prosody_rate(config["SPEECH_RATE"], speed_step)
    prosody, kind, spoken_in = None, None, None
    for segment in turn.segments:
        said_in = segment.language or language
        if prosody is None or segment.kind != kind or said_in != spoken_in:
            kind, spoken_in = segment.kind, said_in
            say = parent.say(voice=services().voice(said_in), language=_speech_language(said_in))
            prosody = say.prosody(rate=NUMBER_PROSODY_RATE if kind == "phone_number" else prosody_rate)
        if kind == "phone_number":
            prosody.say_as(segment.text, interpret_as="telephone")
        else:
            prosody.s(segment.spoken)
        if segment.pause_ms:
            prosody.break_(time=f"{segment.pause_ms}ms")


def call_params(state: State, language: str) -> dict[str, Any]:
    """A call's place as URL parameters, with its language ("lang") unless it is the line's default."""
    params: dict[str, Any] = state.to_params()
    if services().language_for(language) != services().default:
        params["lang"] = language
    return params


def render(turn: Turn, speed_step: int = 0, language: str = "") -> VoiceResponse:
    """The TwiML for a turn: speak and listen (keys and speech), transfer, or say goodbye and hang up.
    A goodbye, which has no state, is said at `speed_step`, the speed the call had. `language` is the call's
    ("" for the default): its voice, its recogniser, and the URLs carry it."""
    config = current_app.config
    language = services().language_for(language)
    response = VoiceResponse()
    if turn.hangup or turn.state is None:
        _say(response, turn, speed_step, language)
        response.hangup()
        return response
    params = call_params(turn.state, language)
    if turn.transfer_to:
        _say(response, turn, turn.state.speed_step, language)
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
        language=_speech_language(language),
        hints=", ".join(turn.hints[:MAX_HINTS]) or None,
        # Twilio's telephony model (README, "Notes on the design"); empty lets Twilio choose.
        speech_model=config["SPEECH_MODEL"] or None,
    )
    _say(gather, turn, turn.state.speed_step, language)
    # Reached only when the caller gave no input before the timeout.
    response.redirect(url_for("voice.turn", event="silence", **params), method="POST")
    return response


TURNS = "voice_turns"  # app.extensions key: the turns (and their TwiML) already made in this worker
MAX_TURNS = 2048  # bounded: speech can be anything; an entry is a key and a reference to a turn kept once


class TurnCache:
    """The call flow is pure and the content and settings are fixed at start-up, so the turn for the same
    key (what came in: the call's start with its resume offer and speed, or a state and what the caller
    did) is the same value every time, and so is its TwiML. Least recently used entries go first.

    Many keys lead to the same turn (every sentence the line does not understand, at the same place, gets
    the same help), so each different turn and its TwiML is kept once, and the keys point to it."""

    def __init__(self, size: int = MAX_TURNS):
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[Turn, bytes]] = OrderedDict()
        self._made: OrderedDict[Hashable, tuple[Turn, bytes]] = OrderedDict()  # by (turn, speed, language)
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> tuple[Turn, bytes] | None:
        """The turn and TwiML made for this key, if still kept."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: Hashable, made: tuple[Turn, bytes]) -> None:
        """Keep a turn and its TwiML, forgetting the least recently used beyond `size`."""
        with self._lock:
            self._entries[key] = made
            if len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def once(self, turn: Turn, speed_step: int, language: str, render: Callable[[], bytes]) -> tuple[Turn, bytes]:
        """The one kept copy of this turn with its TwiML (rendered now if it is new)."""
        key = (turn, speed_step, language)
        with self._lock:
            found = self._made.get(key)
            if found is not None:
                self._made.move_to_end(key)
                return found
        made = (turn, render())
        with self._lock:
            self._made[key] = made
            if len(self._made) > self.size:
                self._made.popitem(last=False)
        return made

    def __len__(self) -> int:
        return len(self._entries)


def turns() -> TurnCache:
    """This app's turn cache (one per worker process)."""
    cache: TurnCache = current_app.extensions.setdefault(TURNS, TurnCache())
    return cache


def made(key: Hashable, make: Callable[[], Turn], speed_step: int = 0,
         language: str = "") -> tuple[Turn, bytes | None]:
    """The call flow's turn for a key, and its TwiML, made once per worker. `key` must hold everything the
    turn depends on besides the content and settings: the language, the whole State (whatever fields it
    gains), the Input, the speed. A turn that asks the adapters for something (texts, forgetting, another
    language) is made every time, and its TwiML is None: it depends on what came of the request."""
    cache = turns()
    found = cache.get(key)
    if found is not None:
        return found
    turn = make()
    if turn.request is not None:
        return turn, None
    step = speed_step if turn.state is None else 0
    kept = cache.once(turn, step, language, lambda: str(render(turn, step, language)).encode())
    cache.put(key, kept)
    return kept


def answer(turn: Turn, speed_step: int = 0, body: bytes | None = None, language: str = "") -> Response:
    """The TwiML response for a turn (`body` when already made). `speed_step` is the speed a goodbye (a turn
    with no state) is said at; `language` the call's."""
    return Response(body if body is not None else str(render(turn, speed_step, language)), content_type=TWIML)


def _log(turn: Turn) -> None:
    """Log and count where the turn left the caller (once the response is built: see common.note)."""
    note("voice", turn.node)


@bp.post("")
def incoming() -> Response:
    """A call comes in: greet the caller and offer the main menu."""
    form = current().form
    known = remember.recall(remember.caller_number(form.get("From", "")))
    built = services()
    # The caller's own choice first, then the language of the number they called, then the default.
    language = built.language_for((known.language if known else None)
                                  or built.number_languages.get(form.get("To", "").strip()))
    resume, speed_step = remember.resumable(known), known.speed_step if known else 0
    listen = known.listening if known else 0
    turn, body = made(("start", language, resume, speed_step, listen),
                      lambda: built.call_flows[language].start(resume, speed_step, listen), language=language)
    _log(turn)
    count("voice", CALL, *built.language_events(language))
    return remember_place(answer(turn, body=body, language=language), turn.node)


def _language(req: Request | None = None, built: Services | None = None) -> str:
    """The call's language, from its URL (the default when it names none the line serves)."""
    return (built or services()).language_for((req or current()).args.get("lang"))


STATES = "voice_states"  # app.extensions key: the States read from action URLs' query strings in this worker
MAX_STATES = 2048  # bounded: a query string can be anything


def _state(req: Request) -> State | None:
    """The call's State from its action URL, read once per worker for the same query string."""
    states: dict[bytes, State | None] = current_app.extensions.setdefault(STATES, {})
    query = req.query_string
    if query in states:
        return states[query]
    state = State.from_params(req.args)
    if len(states) >= MAX_STATES:
        states.clear()
    states[query] = state
    return state


def _place(state: State | None, calls: CallFlow) -> tuple[str, int] | None:
    """The topic part a call is in, to offer on the next call; none at a menu or at the offer itself."""
    resuming = state is not None and state.pending is not None and state.pending.kind == "resume"
    if state is None or resuming or state.path[-1] not in calls.line.topics:
        return None
    return state.path[-1], state.part


def _carry_out(result: Turn, number: str | None) -> Turn:
    """Do what the turn asks (queue texts, or forget the caller), then let the call flow say how it went."""
    calls = services().call_flows[_language()]
    assert result.request is not None
    outcome: Outcome
    if result.request.kind == "text":
        fold = calls.line.lang.sms.fold  # sent as the text line sends: accents GSM-7 lacks folded
        messages = [Message(kind, fold(body)) for kind, body in texts_for(calls.line, result.request.topic)]
        asked = f"{request.form.get('CallSid', '')}:{result.request.topic or 'list'}"
        outcome = remember.request_texts(number, request.form.get("To", ""), messages, asked)
    else:
        outcome = "forgotten" if remember.forget_caller(number) else "failed"
    return calls.after(result, outcome)


@bp.post("/turn")
def turn() -> Response:
    """The caller pressed a key, said something, or stayed silent."""
    req, built = current(), services()
    state = _state(req)
    form = req.form
    heard = Input.from_gather(form.get("Digits", ""), form.get("SpeechResult", ""),
                              timed_out=req.args.get("event") == "silence",
                              confidence=form.get("Confidence", ""),
                              min_confidence=current_app.config["SPEECH_CONFIDENCE"])
    language = _language(req, built)
    calls = built.call_flows[language]
    before = state.speed_step if state else 0
    first, body = made(("turn", language, state, heard), lambda: calls.respond(state, heard), before, language)
    number = remember.caller_number(form.get("From", ""))
    if first.request is not None and first.request.kind == "language":
        return _switch(first, number, before)
    forgetting = first.request is not None and first.request.kind == "forget"
    result = _carry_out(first, number) if first.request is not None else first
    _log(result)
    # What the call flow says happened: on the turn, and on the one after a request was carried out.
    events = first.events + (result.events if result is not first else ())
    response = record_turn(answer(result, before, body if result is first else None, language), heard, events)
    response = remember_place(response, result.node)
    if forgetting or result.state is None:
        return response  # nothing to remember: forgotten just now, or the call is ending where it was
    place = _place(result.state, calls)
    new_speed_step = result.state.speed_step if result.state.speed_step != before else None
    listen = result.state.listen if result.state.listen != (state.listen if state else 0) else None
    # Kept in memory and written a moment later: the caller never waits for it.
    return remember.remember(response, number, place if place != _place(state, calls) else False, new_speed_step,
                             listening=listen)


def _switch(result: Turn, number: str | None, speed_step: int) -> Response:
    """The caller chose another language ("*", "español", "English"): its greeting and main menu, at the
    same speed; the choice is remembered for the next call."""
    assert result.request is not None
    language = services().language_for(result.request.topic)
    listen = result.state.listen if result.state else 0
    turn = services().call_flows[language].start(speed_step=speed_step, listen=listen)
    _log(result)
    count("voice", *services().language_events(language))
    response = remember_place(answer(turn, language=language), turn.node)
    return remember.remember(response, number, False, None, language)


@bp.post("/transfer-done")
def transfer_done() -> Response:
    """A transfer to a person ended: say goodbye if it was answered, else offer the menu again."""
    completed = request.form.get("DialCallStatus", "") in ("completed", "answered")
    state = State.from_params(current().args)
    speed_step = state.speed_step if state else 0
    result = services().call_flows[_language()].after_transfer(completed, speed_step)
    _log(result)
    return remember_place(answer(result, speed_step, language=_language()), result.node)


# Twilio's CallStatus values for a call that is over; only "completed" calls were answered by the line.
ENDED = ("completed", "busy", "failed", "no-answer", "canceled")


@bp.post("/status")
def status() -> Response:
    """Twilio's call status callback: for a completed call, count where it ended and how long it lasted.

    Always 204, so Twilio never retries; the call's place is taken (read and deleted), so nothing about
    the call is kept after it, and a repeated callback counts nothing more.
    """
    sid = request.form.get("CallSid", "")[:64]
    call_status = request.form.get("CallStatus", "")
    if not sid or call_status not in ENDED:
        return Response(status=204)
    try:
        last = CallPlaces(services().store).take(sid)
    except Exception:
        current_app.logger.exception("could not read where a call ended (call=%s)", sid)
        return Response(status=204)
    if last is not None and call_status == "completed":
        raw = request.form.get("CallDuration", "")
        seconds = int(raw) if raw.isdigit() else 0
        count("voice", Event("hangup", last), Event("duration", duration_bucket(seconds)))
    current_app.logger.info("voice-status call=%s status=%s last=%s", sid, call_status, last or "-")
    return Response(status=204)


@bp.errorhandler(Exception)
def apologise(error: Exception) -> Response | HTTPException:
    """Never answer Twilio with a 500: apologise and offer the main menu, or say goodbye."""
    if isinstance(error, HTTPException):
        return error
    current_app.logger.exception("voice error on %s (call=%s)", request.path, request.form.get("CallSid", "-"))
    note("voice", "error")
    try:
        return twiml(render(services().call_flows[_language()].error_turn(), language=_language()))
    except Exception:
        current_app.logger.exception("could not even build the apology")
        response = VoiceResponse()
        response.say(LAST_RESORT, voice=current_app.config.get("TWILIO_VOICE") or None,
                     language=current_app.config.get("VOICE_LANGUAGE") or "en-US")
        response.hangup()
        return twiml(response)
