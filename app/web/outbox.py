"""POST /sms/status: Twilio's status callback for the messages the sender sent (signed like every webhook)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from app.core.events import Event, EventKind
from app.services import services
from app.store.outbox import Outbox
from app.web.common import count, require_twilio_signature

bp = Blueprint("outbox", __name__)
bp.before_request(require_twilio_signature)
# Twilio's delivery reports that settle a message, and the event each is counted as.
DELIVERY_EVENTS: dict[str, EventKind] = {"delivered": "text_delivered", "read": "text_delivered",
                                         "undelivered": "text_failed", "failed": "text_failed"}


@bp.post("/sms/status")
def message_status() -> Response:
    """Record a message's delivery status; always 204, so Twilio never retries or logs an error."""
    sid = request.form.get("MessageSid", "")[:40]
    status = request.form.get("MessageStatus", "")[:20]
    raw_code = request.form.get("ErrorCode", "")
    code = int(raw_code) if raw_code.isdigit() else None
    try:
        changed = Outbox(services().store).status_callback(sid, status, code) if sid else False
    except Exception:
        current_app.logger.exception("could not record a status callback (message=%s)", sid or "-")
        changed = False
    if changed and status in DELIVERY_EVENTS:  # counted once: a repeated report changes nothing
        count("sms", Event(DELIVERY_EVENTS[status]))
    current_app.logger.info("sms-status message=%s status=%s code=%s recorded=%s", sid or "-", status or "-",
                            code, changed)
    return Response(status=204)
