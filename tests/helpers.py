"""Helpers more than one test file uses: test files import from here, never from each other."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from app.config import PROJECT_ROOT
from app.core import checks
from app.core.content import Problem
from app.phone import parse_messages

# Unit tests run on the test line, which they own (tests/line/en/): rewording the real content breaks
# only the golden conversations and the checks of the real content, which exist to notice.
TEST_CONTENT_DIR = Path(__file__).parent / "line"
REAL_CONTENT_DIR = PROJECT_ROOT / "content"
NUMBER = "+15551234567"
TODAY = dt.date(2026, 11, 22)  # the day the real topics were last reviewed
WORDS_PER_MINUTE = 140


def send(client: Any, body: str, number: str = NUMBER) -> list[str]:
    """Text the line through its SMS webhook (unsigned: the app has no token); the replies, parsed."""
    response = client.post("/sms", data={"From": number, "Body": body, "MessageSid": "SM1"})
    assert response.status_code == 200 and response.mimetype == "text/xml"
    return parse_messages(response.get_data(as_text=True))


# ----- content checks on a broken copy of the test line ----------------------------------------------

def edit(root: Path, relative: str, old: str, new: str) -> None:
    """Replace text that must be in a content file exactly once."""
    path = root / "en" / relative
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not in {relative} exactly once"
    path.write_text(text.replace(old, new), encoding="utf-8")


def run(root: Path, today: dt.date = TODAY) -> list[Problem]:
    """Every problem `flask content check` finds in a content folder."""
    return checks.check_content(root, "en", today, WORDS_PER_MINUTE)


def errors(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems if p.severity == "error"]


def warnings(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems if p.severity == "warning"]


def only_error(root: Path, pattern: str) -> str:
    """The one error whose field and message match `pattern`; fails showing every error otherwise."""
    found = errors(run(root))
    # Match after "file:line: ", so that words in a temporary folder's name never count.
    matching = [e for e in found if re.search(pattern, re.sub(r"^.*?:\d+: ", "", e, count=1))]
    assert len(matching) == 1, "\n".join(found)
    return matching[0]
