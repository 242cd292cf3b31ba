"""Where the line's facts come from: the seed documents named in the content files."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    """A document a topic's or a personal answer's claims come from."""

    name: str
    date: str
    file: str
