"""Build the Flask app: settings, content checked once, the database (opened lazily), the webhooks.

Nothing here touches the database: a worker that starts while it is away still serves voice, and
/health says 503 until it is back. `flask db init` (the Procfile's release step) creates the tables.
"""

from __future__ import annotations

import gc
import logging
import os
from typing import Any, Mapping

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app import cli, services
from app.config import PROJECT_ROOT, load_settings, pairs
from app.core.content import ContentError
from app.core.limits import MAX_FORM_PARTS, MAX_REQUEST_BYTES
from app.core.reply_limit import ReplyLimit
from app.store import Store, Timeouts
from app.web import common, health, outbox, report, simulator, sms, voice

log = logging.getLogger(__name__)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: load and check content, open the database, register the webhooks."""
    settings, warnings = load_settings(test_config)
    app = Flask(__name__, instance_path=str(PROJECT_ROOT / "instance"))
    app.request_class = common.WebhookRequest  # Twilio's forms: read once, their limits checked first
    # Twilio's webhook requests are a few kilobytes and a few dozen fields; anything far larger is
    # refused (413) unread, before any signature work.
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.config["MAX_FORM_MEMORY_SIZE"] = MAX_REQUEST_BYTES
    app.config["MAX_FORM_PARTS"] = MAX_FORM_PARTS
    app.config.update(settings)
    if app.logger.level == logging.NOTSET:
        app.logger.setLevel(logging.INFO)
    for warning in warnings:
        app.logger.warning(warning)

    try:
        lines, calls, texts = services.build_flows(app.config)
    except ContentError as error:
        for problem in error.problems:
            app.logger.error("content problem: %s", problem)
        raise
    deadline = float(app.config["DATABASE_TIMEOUT"])
    store = Store(app.config["DATABASE_URL"], app.config["PHONE_HASH_SECRET"], journal=app.config["STOP_JOURNAL"],
                  timeouts=Timeouts(busy=min(0.5, deadline / 2), statement=deadline / 2, call=deadline))
    replies = ReplyLimit(int(app.config["SMS_REPLIES_PER_HOUR"]))
    voices = pairs(app.config["VOICES"], "VOICES")
    default = next(iter(lines))
    if app.config["TWILIO_VOICE"]:
        voices[default] = app.config["TWILIO_VOICE"]
    services.init_app(app, services.Services(lines, calls, texts, store, replies,
                                             pairs(app.config["NUMBER_LANGUAGES"], "NUMBER_LANGUAGES"), voices))

    # Behind TRUSTED_PROXIES proxies, rebuild the URL Twilio signed from their X-Forwarded-Proto/Host;
    # headers from any further hop (or from anyone, with 0) are ignored.
    hops = int(app.config["TRUSTED_PROXIES"])
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]
    common.init_app(app)  # where each request left someone: the access log's note and the counts

    app.register_blueprint(voice.bp)
    app.register_blueprint(sms.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(outbox.bp)
    report.init_app(app)  # /report: 404 unless OPERATOR_PASSWORD_HASH and SECRET_KEY are set
    if app.config["SIMULATOR_ENABLED"]:
        app.register_blueprint(simulator.bp)
    cli.register(app)
    if os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn/"):
        # A gunicorn worker builds one app and keeps it for its life: what it holds (the content, the flows, the
        # understanding's tables, some 120,000 objects) is frozen, so the collector's full collections, which
        # requests' garbage sets off, no longer walk it (about 0.1 s each). Not in tests, which build many apps.
        gc.collect()
        gc.freeze()
    return app
