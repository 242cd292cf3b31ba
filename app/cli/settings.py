"""The settings the editors' commands read: the app's own, without starting the app."""

from __future__ import annotations

from typing import Any

from app.config import load_settings


def editor_settings() -> dict[str, Any]:
    """The same settings the app would use (.env, environment, defaults), without starting it."""
    settings, _warnings = load_settings(serving=False)  # they serve no webhook: no token needed
    return settings
