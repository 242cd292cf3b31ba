"""/simulator: a local page that calls and texts the REAL webhooks through app.phone, signed like Twilio.

The page keeps each call's position (the next Gather action) and sends it back with every turn,
so the server keeps no call in memory, just as with Twilio.
"""

from __future__ import annotations

import hmac
import json
import secrets
from pathlib import Path
from typing import Any, cast

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    send_from_directory,
    url_for,
)

from app.core.limits import MAX_SMS_BODY, MAX_SPEECH_CHARS
from app.core.speech import phone_number_words
from app.phone import Call, CallEnded, CallPosition, Event, Phone, Utterance, WebhookError
from app.preview import AUDIO_DIR, MANIFEST
from app.services import services
from app.store.outbox import Outbox

# Static files belong to the blueprint, so they are not served when the simulator is off.
bp = Blueprint("simulator", __name__, url_prefix="/simulator", static_folder="../static", static_url_path="/static")


@bp.before_request
def require_password() -> Response | None:
    """With SIMULATOR_PASSWORD set (required outside development), every simulator request needs it
    (HTTP basic auth, any user name): the simulator can text STOP and START for any number."""
    password = current_app.config["SIMULATOR_PASSWORD"]
    if not password:
        return None
    given = request.authorization.password if request.authorization else None
    if given is not None and hmac.compare_digest(given.encode(), password.encode()):
        return None
    return Response("The simulator needs its password.\n", 401, {"WWW-Authenticate": 'Basic realm="simulator"'},
                    mimetype="text/plain")


class BadRequest(ValueError):
    """The page sent something the simulator cannot act on."""


def phone() -> Phone:
    """A phone that reaches this app's webhooks at the address the page was opened on."""
    return Phone.for_app(current_app._get_current_object(), request.host_url)  # type: ignore[attr-defined]


def fictional_number() -> str:
    """A random number from the 555-0100..0199 range, which is reserved for fiction."""
    return f"+1202555{secrets.randbelow(100) + 100:04d}"


def preview_prompts() -> dict[str, dict[str, Any]]:
    """The preview manifest's prompts (spoken text -> file and seconds); empty when there are none yet.

    Read again only when `flask content preview` has rewritten the file since the last request.
    """
    manifest = Path(current_app.config["PREVIEW_DIR"]) / MANIFEST
    try:
        stamp = manifest.stat().st_mtime_ns
    except OSError:
        return {}
    cached = current_app.extensions.get("simulator_manifest")
    if cached and cached[0] == (manifest, stamp):
        return cast("dict[str, dict[str, Any]]", cached[1])
    try:
        document = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        document = None
    found = document.get("prompts") if isinstance(document, dict) else None
    prompts: dict[str, dict[str, Any]] = (
        {text: entry for text, entry in found.items() if isinstance(entry, dict)} if isinstance(found, dict) else {})
    current_app.extensions["simulator_manifest"] = ((manifest, stamp), prompts)
    return prompts


def audio_name(file: Any) -> str | None:
    """The name of a recording in the preview's audio folder ("audio/<key>.wav"), or None for anything else."""
    if not isinstance(file, str):
        return None
    folder, _, name = file.partition("/")
    return name if folder == AUDIO_DIR and name.endswith(".wav") and "/" not in name else None


def preview_key(utterance: Utterance) -> str:
    """The text the preview recorded an utterance under: phone numbers are read digit by digit."""
    if utterance.interpret_as == "telephone":
        return phone_number_words(utterance.text)
    return utterance.text


def event_json(event: Event, prompts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """An event for the page: each utterance with the preview recording of it, when there is one."""
    utterances = []
    for utterance in event.utterances:
        recording = prompts.get(preview_key(utterance), {})
        name = audio_name(recording.get("file"))
        utterances.append({"text": utterance.text, "pause_ms": utterance.pause_ms,
                           "interpret_as": utterance.interpret_as,
                           "audio": url_for(".audio", name=name) if name else None,
                           "seconds": recording.get("seconds") if name else None})
    return {"who": event.who, "text": event.text, "utterances": utterances}


def texts_received(number: str, after: Any) -> list[dict[str, Any]]:
    """The texts the line queued for (or sent to) this pretend phone since the page last looked."""
    after_id = after if isinstance(after, int) and after >= 0 else 0
    return [{"id": id_, "status": status, "body": body}
            for id_, status, body in Outbox(services().store).received_by(number, after_id)]


def call_json(call: Call, texts_after: Any = 0) -> dict[str, Any]:
    """What the page needs after a step: its events, where the call now waits, and texts that arrived."""
    prompts = preview_prompts()
    return {"events": [event_json(e, prompts) for e in call.events],
            "position": call.position.to_dict() if call.position else None,
            "ended": call.ended,
            "texts": texts_received(call.caller, texts_after)}


def json_body() -> dict[str, Any]:
    """The request's JSON object; only JSON is accepted, so other sites cannot post forms here."""
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        raise BadRequest("send a JSON object")
    return body


def text_field(body: dict[str, Any], name: str, limit: int) -> str:
    """A string field of the request, at most `limit` characters."""
    value = body.get(name, "")
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be text")
    return value[:limit]


@bp.get("")
def page() -> str:
    """The simulator page."""
    languages = [(code, line.lang.name) for code, line in services().lines.items()]
    return render_template("simulator.html", caller=fictional_number(), languages=languages)


@bp.post("/api/call")
def start_call() -> Response:
    """Place a call to the line."""
    body = json_body()
    caller = text_field(body, "caller", 20) or fictional_number()
    language = text_field(body, "language", 8) or None
    if language is not None and language not in services().lines:
        raise BadRequest(f"the line does not serve language {language!r}")
    return jsonify(call_json(services().call_in(phone(), caller, language), body.get("texts_after")))


@bp.post("/api/call/turn")
def take_turn() -> Response:
    """The caller presses a key, says something or stays silent at the position the page sent back."""
    body = json_body()
    position = body.get("position")
    if not isinstance(position, dict):
        raise BadRequest("position is missing: start a call first")
    call = phone().resume(CallPosition.from_dict(position))
    action = body.get("action")
    if action == "press":
        call.press(text_field(body, "key", 1))
    elif action == "say":
        words = text_field(body, "words", MAX_SPEECH_CHARS).strip()
        if not words:
            raise BadRequest("type what the caller says")
        call.say(words)
    elif action == "wait":
        call.wait()
    else:
        raise BadRequest("action must be press, say or wait")
    return jsonify(call_json(call, body.get("texts_after")))


@bp.post("/api/text")
def send_text() -> Response:
    """Send a text message to the line; the replies come back (none after STOP)."""
    body = json_body()
    sender = text_field(body, "from", 20) or fictional_number()
    replies = phone().send_sms(text_field(body, "body", MAX_SMS_BODY), sender)
    return jsonify({"replies": replies})


@bp.get("/audio/<name>")
def audio(name: str) -> Response:
    """A preview recording from PREVIEW_DIR's audio folder."""
    if not name.endswith(".wav"):
        abort(404)
    return send_from_directory(Path(current_app.config["PREVIEW_DIR"]) / AUDIO_DIR, name, mimetype="audio/wav")


@bp.errorhandler(ValueError)
def bad_request(error: ValueError) -> tuple[Response, int]:
    """Tell the page what was wrong with its request."""
    return jsonify({"error": str(error)}), 400


@bp.errorhandler(CallEnded)
def call_ended(error: CallEnded) -> tuple[Response, int]:
    """The call is over; the page should offer a new one."""
    return jsonify({"error": str(error)}), 409


@bp.errorhandler(WebhookError)
def webhook_failed(error: WebhookError) -> tuple[Response, int]:
    """The line's webhook refused or failed: say so, with its status (403 is a signature refused)."""
    current_app.logger.warning("simulator: %s", error)
    return jsonify({"error": f"The line answered {error.status}.", "status": error.status}), 502
