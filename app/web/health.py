"""GET /health: whether the line can do its whole job now; 503 with the reasons when it cannot."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from .services import services

bp = Blueprint("health", __name__)


@bp.get("/health")
def health() -> tuple[Response, int]:
    """Report readiness as JSON: content (checked at start-up), a database write (rolled back), the STOP journal.

    Voice works without the database; this page says 503 until the database is back, then 200 by itself.
    """
    line = services().line
    problems = services().store.problems()
    body = {"content": "ok", "language": line.language, "topics": len(line.topics),
            "database": "failed" if any(p.startswith("database:") for p in problems) else "ok",
            "problems": problems}
    return jsonify(body), 503 if problems else 200
