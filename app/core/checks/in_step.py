"""Languages in step: every language's content has the same topics, menus, option keys, reserved keys and
personal questions, so a caller or texter can do the same in each. A thing in one and not the other is an
error naming the file where it is missing."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Mapping

from app.core.content import Line, Problem


def _folder(line: Line) -> str:
    """The line's content folder, as shown to editors ("content/es")."""
    return str(Path(line.where("name").file).parent)


def _things(line: Line) -> dict[str, tuple[str, str]]:
    """What must match between languages: a name for each thing -> (where it is written, what it is)."""
    folder = _folder(line)
    found: dict[str, tuple[str, str]] = {}
    for topic_id in line.topics:
        found[f"topic '{topic_id}'"] = (f"{folder}/topics/{topic_id}.md", "")
    for menu in line.menus.values():
        found[f"menu '{menu.id}'"] = (f"{folder}/line.yaml", "")
        for option in menu.options:
            found[f"key {option.key} of menu '{menu.id}'"] = (f"{folder}/line.yaml", f"{option.kind} {option.target}")
    for action, reserved in line.reserved.items():
        found[f"reserved '{action}'"] = (f"{folder}/line.yaml", f"key {reserved.key or 'none'}")
    for name, key in line.talk.keys.items():
        found[f"conversation key '{name}'"] = (f"{folder}/conversation.yaml", f"key {key}")
    for question_id, question in line.talk.questions.items():
        found[f"question '{question_id}'"] = (f"{folder}/questions.yaml", f"offers {question.offer}")
    return found


def step_problems(lines: Mapping[str, Line]) -> Iterator[Problem]:
    """Each thing one language has and another lacks (or has differently), reported where it is missing."""
    things = {code: _things(line) for code, line in lines.items()}
    for code, mine in things.items():
        for other, theirs in things.items():
            if other == code:
                continue
            for name, (where, what) in theirs.items():
                if name not in mine:
                    shown = where.replace(f"/{other}/", f"/{code}/", 1) if f"/{other}/" in where else \
                        f"{_folder(lines[code])}/{Path(where).name}"
                    yield Problem(shown, 0, name, f"is in {_folder(lines[other])} but not here: the languages must "
                                                  f"offer the same topics, menus, keys and questions")
                elif mine[name][1] != what and code < other:
                    yield Problem(mine[name][0], lines[code].where("name").line_number if name.startswith("key") else 0,
                                  name, f"is {mine[name][1]} here but {what} in {_folder(lines[other])}: keep the "
                                        f"languages in step")
