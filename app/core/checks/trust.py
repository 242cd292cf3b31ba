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


def review_problem(reviewed: dt.date, today: dt.date, what: str) -> tuple[str, str] | None:
    """The one rule for a reviewed date (a topic's, or the answers'): an error in the future or after 12
    months, a warning after 6; as (message, severity), or None. `what` names what to check against its sources."""
    if reviewed > today:
        return f"{reviewed} is after today ({today})", "error"
    if reviewed < months_before(today, REVIEW_ERROR_MONTHS):
        return f"{reviewed} is more than {REVIEW_ERROR_MONTHS} months ago; check {what} and update the date", "error"
    if reviewed < months_before(today, REVIEW_WARNING_MONTHS):
        return f"{reviewed} is more than {REVIEW_WARNING_MONTHS} months ago; check {what} soon", "warning"
    return None


def review_date_problems(line: Line, today: dt.date) -> Iterator[Problem]:
    """Each topic's reviewed date, by the review rule."""
    for topic in line.topics.values():
        if found := review_problem(topic.reviewed, today, "the topic against its sources"):
            yield problem_at(line, f"topics.{topic.id}.reviewed", *found)
