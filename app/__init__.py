"""The CAR-T and MS information line: a Flask app that Twilio calls for voice and SMS.

`create_app` is imported lazily, so that the pure core (content, engine, texting, checks...)
can be imported without loading Flask or Twilio.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app (see app.factory.create_app)."""
    from app.factory import create_app as build

    return build(test_config)
