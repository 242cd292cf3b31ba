"""Read TwiML responses in tests as a caller's phone would: what is said, and what happens next."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Voice:
    """A parsed voice response."""

    root: ET.Element

    @property
    def said(self) -> str:
        return " ".join(" ".join(" ".join(say.itertext()) for say in self.root.iter("Say")).split())

    @property
    def gather(self) -> ET.Element | None:
        return self.root.find("Gather")

    @property
    def action(self) -> str:
        return self.gather.get("action")

    @property
    def redirect(self) -> str | None:
        node = self.root.find("Redirect")
        return node.text if node is not None else None

    @property
    def hung_up(self) -> bool:
        return self.root.find("Hangup") is not None

    @property
    def at(self) -> str:
        return dict(parse_qsl(urlsplit(self.action).query))["at"]


def voice(response) -> Voice:
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/xml"
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    return Voice(root)


def messages(response) -> list[str]:
    assert response.status_code == 200, response.data
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    return [m.text or "" for m in root.iter("Message")]
