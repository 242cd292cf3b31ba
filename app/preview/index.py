"""The preview's index page: every prompt, where a caller first hears it, its length and a player."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Sequence

from jinja2 import Environment, PackageLoader, Template, select_autoescape

from ..content import Line
from .prompts import Prompt, where

INDEX = "index.html"


@dataclass(frozen=True)
class Row:
    """One prompt as the page lists it."""

    number: int
    where: str
    text: str
    said_as: str | None  # the spoken form, when it differs from the text
    file: str | None  # the audio file, relative to the page; None when it could not be rendered
    seconds: str


@cache
def _template() -> Template:
    # Jinja2 on its own, not through Flask: the preview is core and runs without an app.
    environment = Environment(loader=PackageLoader("app", "templates"), autoescape=select_autoescape(["html"]),
                              trim_blocks=True, lstrip_blocks=True)
    return environment.get_template("preview.html")


def build_index(line: Line, prompts: Sequence[Prompt], manifest: dict[str, Any], failures: dict[str, str]) -> str:
    """An accessible page (no JavaScript) listing every prompt, its length and a player."""
    entries = manifest["prompts"]
    rows = []
    for number, prompt in enumerate(prompts, 1):
        entry = entries.get(prompt.spoken)
        rows.append(Row(number, where(line, prompt.node), prompt.segment.text,
                        prompt.spoken if prompt.spoken != prompt.segment.text else None,
                        entry["file"] if entry else None, f"{entry['seconds']:.1f}" if entry else "none"))
    minutes = sum(e["seconds"] for e in entries.values()) / 60
    return _template().render(name=line.name, rows=rows, minutes=f"{minutes:.1f}", voice=manifest["voice"],
                              rate=manifest["rate"], failures=failures) + "\n"
