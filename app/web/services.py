"""The services every webhook and app command uses, built once by create_app and kept on the app."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from ..content import Line
from ..engine import CallFlow
from ..reply_limit import ReplyLimit
from ..store import Store
from ..texting import TextFlow

EXTENSION = "cart_line"


@dataclass(frozen=True)
class Services:
    """What the web layer needs, built once at start-up."""

    line: Line
    calls: CallFlow
    texts: TextFlow
    store: Store
    replies: ReplyLimit  # per number, in this worker's memory


def init_app(app: Flask, built: Services) -> None:
    """Keep the services on the app, as Flask extensions do."""
    app.extensions[EXTENSION] = built


def services() -> Services:
    """The running app's services."""
    built: Services = current_app.extensions[EXTENSION]
    return built
