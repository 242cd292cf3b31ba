"""What every webhook shares: Twilio signature checks and anonymous usage counts."""

from __future__ import annotations

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator

from .services import services


def signed_url() -> str:
    """The URL Twilio signed: PUBLIC_BASE_URL plus path and query, or the URL as the proxy saw it."""
    base: str = current_app.config["PUBLIC_BASE_URL"]
    if not base:
        return request.url
    query = request.query_string.decode()
    return base.rstrip("/") + request.path + (f"?{query}" if query else "")


def require_twilio_signature() -> None:
    """Refuse (403) a webhook request without a valid X-Twilio-Signature, when a token is set."""
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    if not token:
        return
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not RequestValidator(token).validate(signed_url(), request.form, signature):
        current_app.logger.warning("refused a request with a missing or invalid Twilio signature: %s", request.path)
        abort(403)


def count_usage(channel: str, node: str) -> None:
    """Count a visit to a node; a database hiccup must not cost the caller their answer."""
    try:
        services().store.count(channel, node)
    except Exception:
        current_app.logger.exception("could not record a usage count for %s", node)
