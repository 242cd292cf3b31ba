"""A language folder's two word lists: how the voice says hard words (pronunciations.yaml) and what medical
words mean (jargon.yaml). Both optional; each problem names the file, line and term."""

from __future__ import annotations

from pathlib import Path

from app.core.content.model import Where
from app.core.content.reader import Collector, Problems, read_yaml, shown_name


def load_pronunciations(file: Path, problems: Problems, locations: dict[str, Where]) -> tuple[tuple[str, str], ...]:
    """The optional pronunciation list: (term, how the voice should say it) pairs."""
    pronunciations: list[tuple[str, str]] = []
    if not file.exists():
        return ()
    parsed = read_yaml(file, shown_name(file), problems)
    if not parsed:
        return ()
    data, lines = parsed
    check = Collector(shown_name(file), lines, problems)
    if not isinstance(data, dict):
        check.error("(file)", "must be 'term: how to say it' lines")
        return ()
    for term, spoken in data.items():
        if not isinstance(spoken, (str, int)) or not str(spoken).strip():
            check.error(str(term), "must say how to pronounce it", blocking=False)
        else:
            pronunciations.append((str(term), str(spoken)))
            locations[f"pronunciations.{term}"] = Where(shown_name(file), lines.get(str(term), 1))
    return tuple(pronunciations)


def load_jargon(file: Path, problems: Problems, locations: dict[str, Where]) -> dict[str, str]:
    """The optional jargon list: each term (lower case) and what it means."""
    if not file.exists():
        return {}
    parsed = read_yaml(file, shown_name(file), problems)
    if not parsed:
        return {}
    data, lines = parsed
    if isinstance(data, dict):
        for term in data:
            locations[f"jargon.{str(term).lower()}"] = Where(shown_name(file), lines.get(str(term), 1))
        return {str(k).lower(): str(v) for k, v in data.items()}
    if data is not None:
        Collector(shown_name(file), lines, problems).error("(file)", "must be 'term: explanation' lines")
    return {}
