"""What callers and texters said, each with what they meant (content/<lang>/examples.txt). Pure.

One example a line: `intent | voice, sms or any | the words`. When the word classes find nothing in a
message, the understanding asks about the nearest examples' meaning (app/core/understanding/nearest.py).
A plain text file, not YAML: thousands of lines load in a few milliseconds.
"""

from __future__ import annotations

from typing import Collection, Mapping

from app.core.content.concepts import CHANNELS, Example, Report, meaning_problem

EXAMPLES_FILE = "examples.txt"
CHANNEL_NAMES = {name: name for name in CHANNELS}
NOTHING = "nothing"  # an example of words that ask for nothing: noise, chat, a request said not to be wanted


def build_examples(file: str, text: str, known: Mapping[str, Collection[str]], report: Report) -> tuple[Example, ...]:
    """The examples of one examples.txt; a wrong line is reported with its number and left out."""
    examples = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [part.strip() for part in line.split("|", 2)]
        if len(parts) != 3 or not parts[2]:
            report(file, number, "(line)", "must be: intent | voice, sms or any | the words", True)
            continue
        intent, channel, words = parts
        problem = None if intent == NOTHING else meaning_problem(intent, known)
        if problem:
            report(file, number, "intent", problem, True)
        elif channel not in CHANNEL_NAMES:
            report(file, number, "channel", f"must be one of {', '.join(CHANNELS)}", True)
        else:
            examples.append(Example(intent, CHANNEL_NAMES[channel], words))
    return tuple(examples)
