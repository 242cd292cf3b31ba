"""The services every webhook and app command uses, built once by create_app and kept on the app.

Here, not in web/, so that the CLI reaches them without importing the web layer."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from app.core.callflow import CallFlow
from app.core.content import Line
from app.core.reply_limit import ReplyLimit
from app.core.textflow import TextFlow
from app.store import Store
from app.store.learned import LearnedPhrases

EXTENSION = "cart_line"
LEARNED_EXTENSION = "learned_phrases"


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


def learner() -> LearnedPhrases:
    """The learned-phrases store, built once per app on the line's database, behind the store's deadline."""
    found = current_app.extensions.get(LEARNED_EXTENSION)
    if found is None:
        store = services().store
        found = LearnedPhrases(store.engine, current_app.config["PHONE_HASH_SECRET"], run=store.guarded)
        current_app.extensions[LEARNED_EXTENSION] = found
    return found
