"""Build the Flask app: settings, content checked once, the database, the webhooks."""

from __future__ import annotations

import logging
from typing import Any, Mapping

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import cli
from .config import PROJECT_ROOT, load_settings
from .content import ContentError, load_line
from .engine import CallFlow
from .limits import MAX_REQUEST_BYTES
from .store import Store
from .texting import TextFlow
from .web import health, services, simulator, sms, voice

log = logging.getLogger(__name__)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: load and check content, open the database, register the webhooks."""
    settings, warnings = load_settings(test_config)
    app = Flask(__name__, instance_path=str(PROJECT_ROOT / "instance"))
    # Twilio's webhook requests are a few kilobytes; anything far larger is refused (413) unread.
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.config.update(settings)
    if app.logger.level == logging.NOTSET:
        app.logger.setLevel(logging.INFO)
    for warning in warnings:
        app.logger.warning(warning)

    try:
        line = load_line(app.config["CONTENT_DIR"], app.config["CONTENT_LANGUAGE"])
    except ContentError as error:
        for problem in error.problems:
            app.logger.error("content problem: %s", problem)
        raise
    store = Store(app.config["DATABASE_URL"], app.config["PHONE_HASH_SECRET"])
    calls = CallFlow(line, app.config["TRANSFER_NUMBER"], app.config["CONTACT_NUMBER"])
    services.init_app(app, services.Services(line, calls, TextFlow(line), store))

    # Behind a proxy or load balancer, rebuild the URL Twilio signed from X-Forwarded-Proto/Host.
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_port=1)  # type: ignore[method-assign]

    app.register_blueprint(voice.bp)
    app.register_blueprint(sms.bp)
    app.register_blueprint(health.bp)
    if app.config["SIMULATOR_ENABLED"]:
        app.register_blueprint(simulator.bp)
    cli.register(app)
    return app
