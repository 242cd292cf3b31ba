"""What every webhook shares: Twilio signature checks, and where each request left someone, for the access log
and the usage counts."""

from __future__ import annotations

import functools
import hmac
from urllib.parse import parse_qsl

from flask import Config, Flask, Request, abort, current_app, g, request
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.utils import cached_property

from app.core.events import Channel, Event
from app.core.node import Node
from app.services import services

# The WSGI environ key under which a request says where it left the caller or texter ("voice call=CA.. node=menu:main"):
# gunicorn's access log prints it (the Procfile's %({line.note}e)s), so no log line of our own is formatted.
NOTE = "line.note"
FORM = "application/x-www-form-urlencoded"
TWIML = "text/xml; charset=utf-8"  # what Response(mimetype="text/xml") says, without building it each time
MAX_QUERIES = 2048


class WebhookRequest(Request):
    """Flask's request, reading what Twilio posts (a urlencoded form of known length) in one read and one parse.

    The limits come first, unparsed: a body over MAX_CONTENT_LENGTH is refused (413) unread, and one with more
    than MAX_FORM_PARTS fields (werkzeug counts the fields of multipart forms only) is refused before it is
    parsed. Any other body goes through werkzeug's own parser, after the same limits.
    """

    def _load_form_data(self) -> None:
        if "form" in self.__dict__:
            return
        environ = self.environ
        length = environ.get("CONTENT_LENGTH", "")
        kind = environ.get("CONTENT_TYPE", "")
        urlencoded = kind == FORM or kind.partition(";")[0].strip().lower() == FORM
        if not urlencoded or not length.isdigit() or "_cached_data" in self.__dict__ or "stream" in self.__dict__:
            self._refuse_many_fields(self.get_data(cache=True))  # 413 past MAX_CONTENT_LENGTH, read no further
            super()._load_form_data()
            return
        size = int(length)
        if self.max_content_length is not None and size > self.max_content_length:
            raise RequestEntityTooLarge()
        body = environ["wsgi.input"].read(size) if size else b""
        if len(body) != size:
            raise ClientDisconnected()
        self._cached_data = body  # get_data() still answers
        self._refuse_many_fields(body)
        try:  # as werkzeug parses a urlencoded form, a body that is not UTF-8 giving an empty one
            items = parse_qsl(body.decode(), keep_blank_values=True, errors="werkzeug.url_quote")
        except ValueError:
            items = []
        d = self.__dict__
        d["form"], d["files"] = self.parameter_storage_class(items), self.parameter_storage_class()

    @cached_property
    def args(self) -> MultiDict[str, str]:
        """The URL's parameters, parsed once per worker for the same query string (see _query_parameters)."""
        return _query_parameters(self.query_string)

    def _refuse_many_fields(self, body: bytes) -> None:
        if self.max_form_parts is not None and body.count(b"&") >= self.max_form_parts:
            current_app.logger.warning("refused a request with too many form fields: %s", self.path)
            abort(413)


@functools.lru_cache(maxsize=MAX_QUERIES)  # bounded: a query string can be anything
def _query_parameters(query: bytes) -> ImmutableMultiDict[str, str]:
    """A query string's parameters: a call's state travels in its action URLs, so a few hundred strings come again
    and again; immutable, so one copy serves every request."""
    return ImmutableMultiDict(parse_qsl(query.decode(), keep_blank_values=True, errors="werkzeug.url_quote"))


def signed_url(req: Request, config: Config) -> str:
    """The URL Twilio signed: PUBLIC_BASE_URL plus path and query, or the URL as the proxy saw it."""
    base = str(config["PUBLIC_BASE_URL"])
    if not base:
        return str(req.url)
    query = req.query_string.decode()
    return base.rstrip("/") + req.path + (f"?{query}" if query else "")


def refuse_forged_forms(req: Request) -> None:
    """Refuse (413) a body over MAX_CONTENT_LENGTH or with more than MAX_FORM_PARTS fields, unparsed (see
    WebhookRequest: the body is read once, and the form parsed from it only past these limits)."""
    req._load_form_data()


@functools.lru_cache(maxsize=8)  # per auth token: one, unless the settings are changed in tests
def _validator(token: str) -> RequestValidator:
    return RequestValidator(token)


def current() -> Request:
    """This request itself: Flask's `request` looks it up again on every use (about a microsecond each)."""
    req: Request = request._get_current_object()  # type: ignore[attr-defined]
    return req


def require_twilio_signature() -> None:
    """Refuse (403) a webhook request without a valid X-Twilio-Signature, when a token is set.

    Reading the form first applies the size limits (MAX_CONTENT_LENGTH, MAX_FORM_PARTS): an
    oversized or many-fielded request is refused (413) before any signature work. The URL as it was
    signed is tried first (one HMAC); only a signature that does not match it is given to Twilio's
    validator, which also tries the URL with and without its port.
    """
    req, config = current(), current_app.config
    refuse_forged_forms(req)
    token = config["TWILIO_AUTH_TOKEN"]
    if not token:
        return
    form = req.form
    signature = req.environ.get("HTTP_X_TWILIO_SIGNATURE", "")
    if signature:
        validator, url = _validator(token), signed_url(req, config)
        if hmac.compare_digest(validator.compute_signature(url, form).encode(), signature.encode()) \
                or validator.validate(url, form, signature):
            return
    current_app.logger.warning("refused a request with a missing or invalid Twilio signature: %s", req.path)
    abort(403)


def note(channel: Channel, node: Node | str) -> None:
    """Say where this request left the caller or texter: in the access log and counted, once the response is built."""
    g.line_node = (channel, str(node))


@functools.lru_cache(maxsize=4096)  # "reached" events by node, made once (every request counts one); bounded
def _reached(node: str) -> Event:
    return Event("reached", node)


def _note_and_count(_error: BaseException | None) -> None:
    """After the response is built: where it left someone, for the access log, and the request's counts, added
    in memory at once."""
    kept = g._get_current_object()
    waiting: list[tuple[Channel, tuple[Event, ...]]] | None = kept.pop("line_counts", None)
    noted = kept.pop("line_node", None)
    if noted is not None:
        channel, node = noted
        voice = channel == "voice"
        req = current()
        # Ids and nodes only: never numbers, speech results, digits pressed or message bodies.
        sid = req.form.get("CallSid" if voice else "MessageSid", "-")
        req.environ[NOTE] = f"{channel} {'call' if voice else 'message'}={sid} node={node}"
        if waiting is None:
            waiting = []
        waiting.append((channel, (_reached(node),)))
    if not waiting:
        return
    by_channel: dict[Channel, list[Event]] = {}
    for channel, events in waiting:
        by_channel.setdefault(channel, []).extend(events)
    store = services().store
    for channel, counted in by_channel.items():
        try:
            store.count(channel, *counted)
        except Exception:  # counting must never cost anyone an answer
            current_app.logger.exception("could not count %s", ", ".join(event.kind for event in counted))


def count(channel: Channel, *events: Event) -> None:
    """Count events besides where a request left the caller: added in memory with the request's other counts
    once its response is built (never failing)."""
    kept = g._get_current_object()
    waiting = kept.get("line_counts")
    if waiting is None:
        kept.line_counts = waiting = []
    waiting.append((channel, events))


def init_app(app: Flask) -> None:
    """Note and count where every webhook request left someone."""
    app.teardown_request(_note_and_count)
