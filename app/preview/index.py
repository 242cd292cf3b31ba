"""The preview's index page: every prompt grouped by topic in the order a caller meets it, the ones
changed since the last run marked and listed first, a filter box, its length and a player."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Collection, Sequence

from jinja2 import Environment, PackageLoader, Template, select_autoescape

from app.core.content import Line
from app.preview.prompts import Prompt, where

INDEX = "index.html"
SHARED_GROUP = "Menus, and what the line says everywhere"


@dataclass(frozen=True)
class Row:
    """One prompt as the page lists it."""

    number: int
    where: str
    text: str
    said_as: str | None  # the spoken form, when it differs from the text
    file: str | None  # the audio file, relative to the page; None when it could not be rendered
    seconds: str
    changed: bool = False  # new or reworded since the last preview


@dataclass(frozen=True)
class Group:
    """The prompts of one topic (or of the menus), changed ones first, then in call order."""

    number: int
    title: str
    rows: tuple[Row, ...]


@cache
def _template() -> Template:
    # Jinja2 on its own, not through Flask: the preview is core and runs without an app.
    environment = Environment(loader=PackageLoader("app", "templates"), autoescape=select_autoescape(["html"]),
                              trim_blocks=True, lstrip_blocks=True)
    return environment.get_template("preview.html")


def _group_title(line: Line, prompt: Prompt) -> str:
    """The topic a prompt belongs to, or the menus and shared sentences."""
    node = prompt.node
    return line.topics[node.id].title if node.kind == "topic" and node.id in line.topics else SHARED_GROUP


def build_index(line: Line, prompts: Sequence[Prompt], manifest: dict[str, Any], failures: dict[str, str],
                changed: Collection[str] | None = None) -> str:
    """An accessible page listing every prompt, its length and a player; `changed` holds the spoken texts
    new since the last run (None on a first run, when there is nothing to compare with)."""
    entries = manifest["prompts"]
    grouped: dict[str, list[Row]] = {}
    for number, prompt in enumerate(prompts, 1):
        entry = entries.get(prompt.spoken)
        row = Row(number, where(line, prompt.node), prompt.segment.text,
                  prompt.spoken if prompt.spoken != prompt.segment.text else None,
                  entry["file"] if entry else None, f"{entry['seconds']:.1f}" if entry else "none",
                  changed is not None and prompt.spoken in changed)
        grouped.setdefault(_group_title(line, prompt), []).append(row)
    groups = [Group(index, title, tuple(sorted(rows, key=lambda r: not r.changed)))
              for index, (title, rows) in enumerate(grouped.items(), 1)]
    changed_rows = [row for group in groups for row in group.rows if row.changed]
    minutes = sum(e["seconds"] for e in entries.values()) / 60
    return _template().render(name=line.name, groups=groups, count=len(prompts), changed=changed_rows,
                              first_run=changed is None, minutes=f"{minutes:.1f}", voice=manifest["voice"],
                              words_per_minute=manifest["words_per_minute"], failures=failures) + "\n"
