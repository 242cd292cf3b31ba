"""What every webhook shares: Twilio signature checks, and where each request left someone, for the access log
and the usage counts."""

from __future__ import annotations

from flask import Flask, abort, current_app, g, request
from twilio.request_validator import RequestValidator

from app.core.events import Channel, Event
from app.core.node import Node
from app.services import services

# The WSGI environ key under which a request says where it left the caller or texter ("voice call=CA.. node=menu:main"):
# gunicorn's access log prints it (the Procfile's %({line.note}e)s), so no log line of our own is formatted.
NOTE = "line.note"


def signed_url() -> str:
    """The URL Twilio signed: PUBLIC_BASE_URL plus path and query, or the URL as the proxy saw it."""
    base = str(current_app.config["PUBLIC_BASE_URL"])
    if not base:
        return str(request.url)
    query = request.query_string.decode()
    return base.rstrip("/") + request.path + (f"?{query}" if query else "")


def refuse_forged_forms() -> None:
    """Refuse (413) a body over MAX_CONTENT_LENGTH or with more than MAX_FORM_PARTS fields, unparsed.

    werkzeug limits the fields of multipart forms only; Twilio posts urlencoded ones, whose fields
    are counted here by their separators. The body is kept, so the form is read from it once.
    """
    body = request.get_data(cache=True)  # refused (413) past MAX_CONTENT_LENGTH without reading on
    if body.count(b"&") >= current_app.config["MAX_FORM_PARTS"]:
        current_app.logger.warning("refused a request with too many form fields: %s", request.path)
        abort(413)


def require_twilio_signature() -> None:
    """Refuse (403) a webhook request without a valid X-Twilio-Signature, when a token is set.

    Reading the form first applies the size limits (MAX_CONTENT_LENGTH, MAX_FORM_PARTS): an
    oversized or many-fielded request is refused (413) before any signature work.
    """
    refuse_forged_forms()
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    if not token:
        return
    form = request.form
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not RequestValidator(token).validate(signed_url(), form, signature):
        current_app.logger.warning("refused a request with a missing or invalid Twilio signature: %s", request.path)
        abort(403)


def note(channel: Channel, node: Node | str) -> None:
    """Say where this request left the caller or texter: in the access log and counted, once the response is built."""
    g.line_node = (channel, str(node))


def _note_and_count(_error: BaseException | None) -> None:
    """After the response is built: where it left someone, for the access log, and the request's counts, added
    in memory at once."""
    waiting: list[tuple[Channel, tuple[Event, ...]]] = g.pop("line_counts", [])
    noted = g.pop("line_node", None)
    if noted is not None:
        channel, node = noted
        # Ids and nodes only: never numbers, speech results, digits pressed or message bodies.
        sid = request.form.get("CallSid" if channel == "voice" else "MessageSid", "-")
        request.environ[NOTE] = f"{channel} {'call' if channel == 'voice' else 'message'}={sid} node={node}"
        waiting.append((channel, (Event("reached", node),)))
    by_channel: dict[Channel, list[Event]] = {}
    for channel, events in waiting:
        by_channel.setdefault(channel, []).extend(events)
    for channel, counted in by_channel.items():
        try:
            services().store.count(channel, *counted)
        except Exception:  # counting must never cost anyone an answer
            current_app.logger.exception("could not count %s", ", ".join(event.kind for event in counted))


def count(channel: Channel, *events: Event) -> None:
    """Count events besides where a request left the caller: added in memory with the request's other counts
    once its response is built (never failing)."""
    waiting = g.get("line_counts")
    if waiting is None:
        g.line_counts = waiting = []
    waiting.append((channel, events))


def init_app(app: Flask) -> None:
    """Note and count where every webhook request left someone."""
    app.teardown_request(_note_and_count)
