"""Build the Flask app: settings, content checked once, the database, the webhooks."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Mapping

from dotenv import load_dotenv
from flask import Flask, current_app
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import PROJECT_ROOT, finish, settings_from_env
from .content import ContentError, Line, load_line
from .engine import CallFlow
from .store import Store
from .texting import TextFlow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    """What the web layer needs, built once at start-up."""

    line: Line
    calls: CallFlow
    texts: TextFlow
    store: Store


def services() -> Services:
    """The running app's services."""
    return current_app.extensions["cart_line"]


def load_settings(overrides: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], list[str]]:
    """Settings from .env, the environment and overrides, with the operator warnings they raise."""
    load_dotenv(PROJECT_ROOT / ".env")  # never overrides variables already set
    settings = settings_from_env()
    settings.update(overrides or {})
    return settings, finish(settings)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: load and check content, open the database, register the webhooks."""
    settings, warnings = load_settings(test_config)
    app = Flask(__name__, instance_path=str(PROJECT_ROOT / "instance"))
    # Twilio's webhook requests are a few kilobytes; anything far larger is refused (413) unread.
    app.config["MAX_CONTENT_LENGTH"] = 256 * 1024
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
    app.extensions["cart_line"] = Services(line, calls, TextFlow(line), store)

    # Behind a proxy or load balancer, rebuild the URL Twilio signed from X-Forwarded-Proto/Host.
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_port=1)

    from .web import health, sms, voice

    app.register_blueprint(voice.bp)
    app.register_blueprint(sms.bp)
    app.register_blueprint(health.bp)
    if app.config["SIMULATOR_ENABLED"]:
        from .web import simulator

        app.register_blueprint(simulator.bp)
    from . import cli

    cli.register(app)
    return app
