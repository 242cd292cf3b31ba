"""Trust: each topic says how recent its research is, and a person has reviewed it lately."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Iterator

from app.core.checks.fields import part_path, problem_at
from app.core.content import Line, Problem

REVIEW_WARNING_MONTHS = 6
REVIEW_ERROR_MONTHS = 12


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier (or the month's last day)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def as_of_problems(line: Line) -> Iterator[Problem]:
    """A topic says plainly how recent its research is ("As of late 2025") where it begins, by voice and text."""
    for topic in line.topics.values():
        said = line.lang.editorial.as_of.format(as_of=topic.as_of).lower()
        if said not in topic.parts[0].text.lower():
            yield problem_at(line, part_path(topic.id, 0), f"the first part must say '{said}' (the topic's as_of), "
                                                           f"so callers know how recent the research is")
        if topic.sms and said not in topic.sms[0].lower():
            yield problem_at(line, f"topics.{topic.id}.sms[0]", f"the first text message must say '{said}'")


def review_date_problems(line: Line, today: dt.date) -> Iterator[Problem]:
    """A topic's reviewed date: a warning after 6 months, an error after 12 or in the future."""
    for topic in line.topics.values():
        path = f"topics.{topic.id}.reviewed"
        if topic.reviewed > today:
            yield problem_at(line, path, f"{topic.reviewed} is after today ({today})")
        elif topic.reviewed < months_before(today, REVIEW_ERROR_MONTHS):
            yield problem_at(line, path, f"{topic.reviewed} is more than {REVIEW_ERROR_MONTHS} months ago; "
                                         f"check the topic against its sources and update the date")
        elif topic.reviewed < months_before(today, REVIEW_WARNING_MONTHS):
            yield problem_at(line, path, f"{topic.reviewed} is more than {REVIEW_WARNING_MONTHS} months ago; "
                                         f"check the topic against its sources soon", "warning")
