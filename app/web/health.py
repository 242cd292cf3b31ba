"""GET /health: whether the line can do its whole job now; 503 with the reasons when it cannot."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, current_app, jsonify

from app.services import services
from app.store.outbox import Outbox

# A text waiting longer than this (retries back off to an hour) means no sender is at work.
SENDER_LATE = dt.timedelta(minutes=15)

bp = Blueprint("health", __name__)


def sender_problems() -> list[str]:
    """Texts promised to callers that no sender has sent for a while (only when the line can send at all)."""
    if not current_app.config["TWILIO_ACCOUNT_SID"]:
        return []  # local work: texts stay in the outbox on purpose
    try:
        waiting, oldest = Outbox(services().store).backlog()
    except Exception:
        return ["sender: the outbox could not be read"]
    if waiting and oldest > SENDER_LATE:
        return [f"sender: {waiting} text(s) waiting, the oldest for {oldest.total_seconds() // 60:.0f} minutes: "
                "is the worker (`flask outbox send`) running?"]
    return []


@bp.get("/health")
def health() -> tuple[Response, int]:
    """Report readiness as JSON: content (checked at start-up), a database write (rolled back), the STOP journal,
    and (with TWILIO_ACCOUNT_SID) whether a sender is delivering the texts callers asked for.

    Voice works without the database; this page says 503 until the database is back, then 200 by itself.
    """
    line = services().line
    problems = services().store.problems()
    if not problems:
        problems += sender_problems()
    body = {"content": "ok", "language": line.language, "topics": len(line.topics),
            "database": "failed" if any(p.startswith("database:") for p in problems) else "ok",
            "problems": problems}
    return jsonify(body), 503 if problems else 200
