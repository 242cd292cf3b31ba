"""GET /health: whether content and database are ready."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from .services import services

bp = Blueprint("health", __name__)


@bp.get("/health")
def health() -> ResponseReturnValue:
    """Report readiness as JSON; 503 when the database does not answer."""
    line = services().line
    try:
        database = "ok" if services().store.ping() else "failed"
    except Exception:  # the health page reports failure rather than failing
        database = "failed"
    body = {"content": "ok", "language": line.language, "topics": len(line.topics), "database": database}
    return jsonify(body), 200 if database == "ok" else 503
