"""Read YAML while keeping the line each field is written on, so that every problem names its line."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import yaml

from app.core.content.model import Problem, closest

_WORD = re.compile(r"[a-z0-9]+")


class Problems:
    """Every problem found while loading, in order, and how many stop the Line from being built."""

    def __init__(self) -> None:
        self.found: list[Problem] = []
        self.blocking = 0

    def add(self, problem: Problem, blocking: bool = True) -> None:
        """Record a problem; a blocking one leaves the content too broken to build a Line."""
        self.found.append(problem)
        self.blocking += blocking


class Collector:
    """Gathers problems for one file so that all of them are reported at once."""

    def __init__(self, file: str, lines: dict[str, int], problems: Problems):
        self.file, self.lines, self.problems = file, lines, problems

    def line_number_of(self, path: str) -> int:
        """The line where a field path, or the nearest path containing it, is written."""
        return closest(self.lines, path, 1)

    def error(self, path: str, message: str, line_number: int | None = None, blocking: bool = True) -> None:
        """Record an error at a field; `blocking=False` when the Line can still be built around it."""
        self.problems.add(Problem(self.file, line_number or self.line_number_of(path), path or "(file)", message),
                          blocking)

    def text(self, data: object, key: str, path: str) -> str:
        """A field's text with its spaces tidied; "" (and an error) when it is missing, empty or not text."""
        value = data.get(key) if isinstance(data, Mapping) else None
        full = f"{path}.{key}" if path else key
        if value is None or (isinstance(value, str) and not value.strip()):
            self.error(full, "is missing or empty")
            return ""
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            self.error(full, f"must be text, not {type(value).__name__}")
            return ""
        return " ".join(str(value).split())

    def words(self, data: object, key: str, path: str, required: bool = True) -> tuple[str, ...]:
        """A field's list of words, each tidied; () (and an error when required) when it is not one."""
        value = data.get(key) if isinstance(data, Mapping) else None
        full = f"{path}.{key}" if path else key
        if value is None:
            if required:
                self.error(full, "is missing: give a list of words, like [one, two]")
            return ()
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
            self.error(full, "must be a list of words, like [one, two]")
            return ()
        if any(isinstance(v, bool) for v in value):
            # YAML reads bare yes/no/on/off as true/false, which no caller ever says.
            self.error(full, "has yes, no, on or off without quotes; write them in quotes, like \"yes\"")
            return ()
        words = tuple(" ".join(str(v).split()) for v in value if str(v).strip())
        if required and not words:
            self.error(full, "is empty: give at least one word, like [one, two]")
        return words


def yaml_with_lines(text: str) -> tuple[Any, dict[str, int]]:
    """Parse YAML and record the line where each field path starts."""
    lines: dict[str, int] = {}

    def walk(node: yaml.Node, path: str) -> None:
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                key = str(key_node.value)
                child = f"{path}.{key}" if path else key
                if key in seen:
                    # PyYAML would silently keep the last one; an editor's earlier words would vanish.
                    raise yaml.constructor.ConstructorError(
                        None, None, f"'{child}' is written twice (first on line {seen[key]})", key_node.start_mark)
                seen[key] = key_node.start_mark.line + 1
                lines[child] = key_node.start_mark.line + 1
                walk(value_node, child)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, f"{path}[{index}]")

    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if node is not None:
        walk(node, "")
    return yaml.safe_load(text), lines


def read_yaml(path: Path, shown: str, problems: Problems) -> tuple[Any, dict[str, int]] | None:
    """A YAML file's data and field lines; None (and a problem) when it is missing or unreadable."""
    try:
        return yaml_with_lines(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.add(Problem(shown, 0, "(file)", "file is missing"))
    except UnicodeDecodeError as exc:
        problems.add(Problem(shown, 1, "(file)", f"is not UTF-8 text ({exc.reason})"))
    except yaml.YAMLError as exc:
        problems.add(yaml_problem(exc, shown, "(file)", first_line=1, text=path.read_text(encoding="utf-8")))
    return None


# What PyYAML's words mean for an editor, and what to do: (its words, our hint, whether the problem
# starts where PyYAML began reading the piece rather than where it gave up).
YAML_HINTS: tuple[tuple[str, str, bool], ...] = (
    ("mapping values are not allowed", "a colon (:) inside a sentence needs the whole sentence in quotes, "
                                       "like title: \"Risks: what we know\"", False),
    ("found character '\\t'", "a tab is used for spacing here: use spaces instead", False),
    ("could not find expected ':'", "each line needs a name, a colon and the words (like title: Risks), or "
                                    "must be indented under the line above it", True),
    ("found unexpected end of stream", "a quote mark (\") is opened here but never closed", True),
    ("found undefined alias", "words cannot start with *: put the whole sentence in quotes", False),
    ("that cannot start any token", "words cannot start with this character: put the whole sentence in quotes",
     False),
    ("but found '<scalar>'", "there are words after a closing quote: put all the words inside the quotes", False),
    ("expected <block end>", "the spaces at the start of this line do not line up with the lines above it", False),
    ("expected ',' or '}'", "a { is opened but never closed with }", True),
    ("expected ',' or ']'", "a [ is opened but never closed with ]", True),
    ("did not find expected", "the spaces at the start of this line do not line up with the lines above it",
     False),
)


def yaml_problem(exc: yaml.YAMLError, shown: str, field: str, first_line: int, text: str = "") -> Problem:
    """A YAML error as a problem at its line, in words an editor knows and with a hint; `first_line` is the
    file line where the YAML text starts, `text` the YAML text (to quote the line)."""
    said = str(getattr(exc, "problem", None) or exc)
    hint, from_start = next(((h, start) for words, h, start in YAML_HINTS if words in said),
                            (f"the computer says: {said}", False))
    mark = getattr(exc, "context_mark", None) if from_start else None
    mark = mark or getattr(exc, "problem_mark", None)
    line_number = mark.line + first_line if mark else first_line
    rows = text.splitlines()
    index = line_number - first_line
    row = rows[index].strip() if 0 <= index < len(rows) else ""
    quoted = f" (the line reads: {row[:60]!r})" if row else ""
    if "is written twice" in said:
        return Problem(shown, line_number, field, f"{said}: keep one of them{quoted}")
    return Problem(shown, line_number, field, f"this line cannot be read: {hint}{quoted}")


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """Split a topic file into its YAML front matter, body and the body's first line number."""
    if not text.startswith("---"):
        return None
    lines = text.splitlines(keepends=True)
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            return "".join(lines[1:index]), "".join(lines[index + 1:]), index + 2
    return None


def sentence_line(file: str, from_line: int, sentence: str) -> int:
    """The line, at or after `from_line`, where a sentence's first words are written (or `from_line`)."""
    words = _words_by_line(file)
    wanted = _WORD.findall(sentence.lower())[:6]
    if not wanted:
        return from_line
    start = next((i for i, (row, _) in enumerate(words) if row >= from_line), len(words))
    said = [word for _, word in words]
    for index in range(start, len(words) - len(wanted) + 1):
        if said[index:index + len(wanted)] == wanted:
            return words[index][0]
    return from_line


def _words_by_line(file: str) -> tuple[tuple[int, str], ...]:
    path = Path(file)
    try:
        stat = path.stat()
    except OSError:
        return ()
    return _read_words(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _read_words(file: str, _mtime: int, _size: int) -> tuple[tuple[int, str], ...]:
    """Every word of a file with its line number; cached while the file is unchanged."""
    try:
        text = Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ()
    return tuple((number, word) for number, row in enumerate(text.splitlines(), start=1)
                 for word in _WORD.findall(row.lower()))


def shown_name(path: Path) -> str:
    """A file's name as editors can open it: relative to the current folder when inside it, else absolute."""
    full = path.resolve()
    try:
        return str(full.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(full)
