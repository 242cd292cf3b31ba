"""What every webhook shares: Twilio signature checks, and one log line and usage count per request."""

from __future__ import annotations

import time
from typing import Any, Callable, Iterable

from flask import Flask, abort, current_app, g, request
from twilio.request_validator import RequestValidator

from app.core.events import Channel, Event
from app.core.node import Node
from app.services import services

STARTED = "line.started"  # the WSGI environ key the outermost layer puts the request's start time under


class Timed:
    """The outermost WSGI layer: notes when a request arrived, so the logged ms covers all of it."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]):
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ[STARTED] = time.perf_counter()
        return self.wsgi_app(environ, start_response)


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
    """Say where this request left the caller or texter: logged and counted once the response is built."""
    g.line_node = (channel, str(node))


def _log_and_count(_error: BaseException | None) -> None:
    """After the response is built: one log line with the whole request's time, and the count (in memory)."""
    noted = g.pop("line_node", None)
    if noted is None:
        return
    channel, node = noted
    started = request.environ.get(STARTED, time.perf_counter())
    sid = request.form.get("CallSid" if channel == "voice" else "MessageSid", "-")
    # Ids, nodes and timings only: never numbers, speech results, digits pressed or message bodies.
    current_app.logger.info("%s %s=%s node=%s ms=%.1f", channel, "call" if channel == "voice" else "message", sid,
                            node, (time.perf_counter() - started) * 1000)
    count(channel, Event("reached", node))


def count(channel: Channel, *events: Event) -> None:
    """Count events besides where a request left the caller (in memory, never failing)."""
    for event in events:
        try:
            services().store.count(channel, event)
        except Exception:  # counting must never cost anyone an answer
            current_app.logger.exception("could not count %s", event.kind)


def init_app(app: Flask) -> None:
    """Time, log and count every webhook request."""
    app.wsgi_app = Timed(app.wsgi_app)  # type: ignore[method-assign]
    app.teardown_request(_log_and_count)
