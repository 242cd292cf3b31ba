"""Helpers more than one test file uses: test files import from here, never from each other."""

from __future__ import annotations

from typing import Any

from app.config import PROJECT_ROOT
from app.phone import parse_messages

CONTENT_DIR = PROJECT_ROOT / "content"
NUMBER = "+15551234567"


def send(client: Any, body: str, number: str = NUMBER) -> list[str]:
    """Text the line through its SMS webhook (unsigned: the app has no token); the replies, parsed."""
    response = client.post("/sms", data={"From": number, "Body": body, "MessageSid": "SM1"})
    assert response.status_code == 200 and response.mimetype == "text/xml"
    return parse_messages(response.get_data(as_text=True))
