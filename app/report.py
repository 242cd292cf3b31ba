"""The usage report: one HTML page of charts (pygal, as images) with a table beside each chart, from the
anonymous daily counts of typed events (app/core/events.py). `flask usage report` writes it to a file; the
signed-in page at /report shows the same page with a choice of days. Pure: imports neither Flask nor Twilio.

No count carries a number, a time of day, or what anyone said.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Iterable, Mapping, Sequence

import pygal
from jinja2 import Environment, PackageLoader, Template, select_autoescape
from pygal.style import Style

from app.core.content import Line
from app.core.events import DURATION_NAMES, Event, EventKind, Tally

# Moments a call can end at, in words (menus, topic parts, answers and confirmations are named from content).
MOMENTS = {"goodbye": "Goodbye (the caller asked to end the call)", "silence-goodbye": "After three silences",
           "transfer": "Transferred to a person", "error": "After an error", "text:list": "Asked for a text",
           "resume": "Offered to go on from the last call", "forget-ask": "Asked: forget me?"}
LEARNED = "What callers asked for that the line did not understand"
# Dark, distinct colours, readable by people with the common colour-vision differences.
CHART_STYLE = Style(background="#ffffff", plot_background="#ffffff", foreground="#111111",
                    foreground_strong="#111111", foreground_subtle="#555555",
                    colors=("#0b5394", "#a64d00", "#38761d", "#741b47", "#444444", "#1b5e5e"), font_family="sans-serif",
                    label_font_size=14, major_label_font_size=14, title_font_size=18, legend_font_size=14)
PART = re.compile(r"topic:([a-z0-9-]+):(\d+)")


@dataclass(frozen=True)
class Chart:
    """A chart as an image, and the same numbers as a table: the table is the text alternative."""

    title: str
    image: str  # a data: URI of the SVG, so the page needs no other file and no script
    alt: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str | int, ...], ...]


@dataclass(frozen=True)
class Section:
    """One question the report answers, with its charts, or what to say when there are no counts yet."""

    id: str
    title: str
    intro: str
    charts: tuple[Chart, ...] = ()
    empty: str = ""  # said instead of the charts when there is nothing to show
    notes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Counts:
    """The counts of the report's days: by event (kind, node) and, per day, by (channel, kind)."""

    events: Counter[Event]
    by_day: dict[dt.date, Counter[tuple[str, EventKind]]]

    @classmethod
    def of(cls, tallies: Iterable[Tally], first: dt.date, last: dt.date) -> Counts:
        """The counts from `first` to `last`, both included."""
        events: Counter[Event] = Counter()
        by_day: dict[dt.date, Counter[tuple[str, EventKind]]] = {}
        for tally in tallies:
            if first <= tally.day <= last:
                events[tally.event] += tally.times
                by_day.setdefault(tally.day, Counter())[(tally.channel, tally.event.kind)] += tally.times
        return cls(events, by_day)

    def of_kind(self, kind: EventKind) -> Counter[str]:
        """How many of one kind of event, by node."""
        found: Counter[str] = Counter()
        for event, count in self.events.items():
            if event.kind == kind:
                found[event.node] += count
        return found

    def total(self, kind: EventKind) -> int:
        """How many of one kind of event in all."""
        return sum(self.of_kind(kind).values())

    def daily(self, days: Sequence[dt.date], channel: str, kind: EventKind) -> list[int]:
        """How many of one kind of event each day."""
        return [self.by_day.get(day, Counter())[(channel, kind)] for day in days]


def _svg(chart: Any) -> str:
    """A pygal chart as a data: URI; `js=[]` keeps out pygal's tooltip script, fetched from the internet."""
    svg = chart.render(is_unicode=True)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _config() -> dict[str, object]:
    return {"style": CHART_STYLE, "js": [], "disable_xml_declaration": True, "width": 800, "height": 360,
            "print_values": False, "legend_at_bottom": True}


def bar_chart(title: str, labels: Sequence[str], series: Mapping[str, Sequence[int]], alt: str,
              headers: tuple[str, ...], horizontal: bool = False) -> Chart:
    """A bar chart of one or more series over labels, with the table of the same numbers."""
    chart = (pygal.HorizontalBar if horizontal else pygal.Bar)(title=title, show_legend=len(series) > 1, **_config())
    chart.x_labels = list(labels)
    for name, values in series.items():
        chart.add(name, list(values))
    rows: tuple[tuple[str | int, ...], ...] = tuple(
        (label, *(values[i] for values in series.values())) for i, label in enumerate(labels))
    return Chart(title, _svg(chart), alt, headers, rows)


def pie_chart(title: str, parts: dict[str, int], alt: str, headers: tuple[str, str]) -> Chart:
    """A pie chart of shares, with the table of the same numbers."""
    chart = pygal.Pie(title=title, **_config())
    for name, value in parts.items():
        chart.add(name, value)
    return Chart(title, _svg(chart), alt, headers, tuple((name, value) for name, value in parts.items()))


def _place(line: Line | None, node: str) -> str:
    """A node name in words: "Main menu", "Side effects, part 2", "Answer: Am I eligible"."""
    kind, _, rest = node.partition(":")
    if line is None:
        return node
    if kind == "menu" and rest in line.menus:
        return line.menus[rest].title
    match = PART.fullmatch(node)
    if match and match.group(1) in line.topics:
        return f"{line.topics[match.group(1)].title}, part {match.group(2)}"
    if kind == "topic" and rest in line.topics:
        return line.topics[rest].title
    if kind == "text" and rest in line.topics:
        return f"Asked for a text: {line.topics[rest].title}"
    if kind == "question" and rest in line.talk.questions:
        return f"Answer: {line.talk.questions[rest].name}"
    if kind == "confirm":
        return "Asked: end the call?" if rest == "end" else f"Asked: {_place(line, rest)}?"
    return MOMENTS.get(node, node)


def _name(line: Line | None, target: str) -> str:
    """What a confirmation or question was about, in words."""
    if line is not None and target in line.talk.questions:
        return line.talk.questions[target].name
    for kind in ("topic", "menu"):
        named = _place(line, f"{kind}:{target}")
        if named != f"{kind}:{target}":
            return named
    return "Ending the call" if target == "end" else target.replace("-", " ")


def _ranked(found: Counter[str]) -> list[str]:
    return sorted(found, key=lambda name: (-found[name], name))


# ----- the sections ------------------------------------------------------------------------------

def calls_and_texts(counts: Counts, days: list[dt.date]) -> Section:
    """Calls and texts a day."""
    calls, texts = counts.daily(days, "voice", "call"), counts.daily(days, "sms", "message")
    labels = [day.strftime("%d %b") for day in days]
    intro = f"{sum(calls)} calls and {sum(texts)} text messages in {len(days)} days."
    chart = bar_chart("Calls and texts a day", labels, {"Calls": calls, "Texts": texts},
                      "Bar chart of calls and text messages each day. The table below has every number.",
                      ("Day", "Calls", "Texts"))
    return Section("calls", "Calls and texts a day", intro, (chart,))


def topics_heard(counts: Counts, line: Line | None) -> Section:
    """For each topic, a funnel: how many callers reach each part, and where they hang up."""
    reached: dict[str, Counter[int]] = {}
    for node, count in counts.of_kind("reached").items():
        match = PART.fullmatch(node)
        if match:
            reached.setdefault(match.group(1), Counter())[int(match.group(2))] += count
    hangups = counts.of_kind("hangup")
    order = list(line.topics) if line is not None else sorted(reached)
    charts = []
    for topic_id in [t for t in order if t in reached]:
        title = line.topics[topic_id].title if line is not None and topic_id in line.topics else topic_id
        parts = line.topics[topic_id].parts if line is not None and topic_id in line.topics else ()
        numbers = list(range(1, max(len(parts), max(reached[topic_id])) + 1))
        heard = [reached[topic_id][n] for n in numbers]
        ended = [hangups[f"topic:{topic_id}:{n}"] for n in numbers]
        labels = [f"Part {n}" + (f": {parts[n - 1].title}" if n <= len(parts) else "") for n in numbers]
        share = f"{round(100 * heard[-1] / heard[0])}%" if heard[0] else "none"
        charts.append(bar_chart(
            f"{title}: heard to the end by {share}", labels, {"Reached this part": heard, "Hung up here": ended},
            f"Bar chart of how many times each part of {title} was reached, and how often callers hung up there. "
            f"{share} of those who heard part 1 reached the last part. The table below has every number.",
            ("Part", "Reached this part", "Hung up here")))
    notes = () if hangups else ("\"Hung up here\" fills in once Twilio posts call status to /voice/status "
                                "(see the README).",)
    return Section("topics", "How far callers listen to each topic",
                   "Each time a part is said counts once (a repeat counts again). \"Hung up here\" counts calls "
                   "whose last turn was that part.", tuple(charts), "No topic has been heard yet.", notes)


def call_ends(counts: Counts, line: Line | None) -> Section:
    """Where calls ended, and how long they lasted."""
    ends, lengths = counts.of_kind("hangup"), counts.of_kind("duration")
    title = "Where calls ended"
    if not ends:
        return Section("ends", title, "Where each call was when it ended.",
                       empty="None yet: set the call status callback (see the README).")
    places = _ranked(ends)
    charts = (bar_chart(title, [_place(line, node) for node in places], {"Calls": [ends[n] for n in places]},
                        "Bar chart of where calls were when they ended. The table below has every number.",
                        ("Where", "Calls"), horizontal=True),
              bar_chart("How long calls lasted", list(DURATION_NAMES), {"Calls": [lengths[n] for n in DURATION_NAMES]},
                        "Bar chart of calls by length. The table below has every number.", ("Length", "Calls")))
    return Section("ends", title, f"{sum(ends.values())} calls ended. \"Goodbye\" means the caller asked to end "
                   "the call; anything else is where the caller hung up.", charts)


def keys_and_speech(counts: Counts) -> Section:
    """How callers answer: keys, speech, or silence."""
    answers = counts.of_kind("input")
    parts = {"Keys": answers["keys"], "Speech": answers["speech"], "Silence": answers["silence"]}
    if not any(parts.values()):
        return Section("input", "Keys or speech", "How callers answer the line's questions.",
                       empty="No answers counted yet.")
    total = sum(parts.values())
    alt = ("Pie chart of how callers answered: " + ", ".join(f"{k.lower()} {round(100 * v / total)}%"
                                                             for k, v in parts.items()) + ". The table has the counts.")
    return Section("input", "Keys or speech", "How callers answer the line's questions.",
                   (pie_chart("How callers answer", parts, alt, ("Answer", "Times")),))


def misses(counts: Counts, line: Line | None, learned: Sequence[tuple[str, int]] | None) -> Section:
    """Where the line does not understand callers, and (with learning on) what they said most."""
    found: Counter[str] = Counter()
    for node, count in counts.of_kind("miss").items():
        match = PART.fullmatch(node)
        found[f"topic:{match.group(1)}" if match else node] += count
    charts: list[Chart] = []
    if found:
        places = _ranked(found)
        charts.append(bar_chart("Not understood, by menu", [_place(line, n) for n in places],
                                {"Not understood": [found[n] for n in places]},
                                "Bar chart of how often the line did not understand a caller at each menu or topic. "
                                "The table below has every number.", ("Where", "Not understood"), horizontal=True))
    if learned:
        charts.append(Chart(LEARNED, "", "", ("Phrase", "Different callers"), tuple((p, n) for p, n in learned)))
    spoke = counts.of_kind("input")["speech"]
    intro = (f"{sum(found.values())} times the line did not understand a caller (every time, not only the first "
             f"in a row), out of {spoke} times callers spoke." if found else "Where the line did not understand.")
    notes = ("Learning is off: set LEARN_PHRASES=true to keep short phrases that at least 3 different callers "
             "said and the line did not understand.",) if learned is None else ()
    return Section("misses", "Not understood", intro, tuple(charts), "None yet.", notes)


def confirmations(counts: Counts, line: Line | None) -> Section:
    """"Is that right?": how often asked, about what, and how callers answered."""
    asked, yes, no = counts.of_kind("confirm"), counts.of_kind("confirm_yes"), counts.of_kind("confirm_no")
    title = "Confirmations"
    if not asked:
        return Section("confirmations", title, "What the line asked callers to confirm.", empty="None yet.")
    names = _ranked(asked)
    other = [max(0, asked[n] - yes[n] - no[n]) for n in names]
    chart = bar_chart(title, [_name(line, n) for n in names],
                      {"Asked": [asked[n] for n in names], "Yes": [yes[n] for n in names],
                       "No": [no[n] for n in names], "Something else or hung up": other},
                      "Bar chart of confirmations asked and how callers answered. The table below has every number.",
                      ("About", "Asked", "Yes", "No", "Something else or hung up"), horizontal=True)
    return Section("confirmations", title, f"The line asked {sum(asked.values())} times to be sure it had understood "
                   "(speech it was unsure of, or ending the call).", (chart,))


def questions(counts: Counts, line: Line | None) -> Section:
    """Personal questions and emergencies answered."""
    asked, urgent = counts.of_kind("question"), counts.of_kind("emergency")
    title = "Personal questions and emergencies"
    intro = ("Questions callers asked about their own situation, answered with a plain answer that names their "
             "neurologist (never what they said, only which question).")
    if not asked and not urgent:
        return Section("questions", title, intro, empty="None yet.")
    names = sorted(set(asked) | set(urgent), key=lambda n: (-asked[n] - urgent[n], n))
    chart = bar_chart(title, [_name(line, n) for n in names],
                      {"Answered": [asked[n] for n in names], "Emergency answered": [urgent[n] for n in names]},
                      "Bar chart of personal questions and emergencies answered. The table below has every number.",
                      ("Question", "Answered", "Emergency answered"), horizontal=True)
    return Section("questions", title, intro + f" Emergencies: {sum(urgent.values())}.", (chart,))


def texts(counts: Counts, days: list[dt.date]) -> Section:
    """Texts callers asked for, against those sent, delivered and failed; opt-outs and restarts."""
    kinds: tuple[tuple[str, EventKind, str], ...] = (
        ("Asked for by callers", "text_requested", "voice"), ("Sent", "text_sent", "sms"),
        ("Delivered", "text_delivered", "sms"), ("Failed", "text_failed", "sms"),
        ("Opt-outs (STOP)", "opt_out", "sms"), ("Restarts (START)", "restart", "sms"))
    labels = [day.strftime("%d %b") for day in days]
    series = {name: counts.daily(days, channel, kind) for name, kind, channel in kinds}
    intro = (f"{sum(series['Asked for by callers'])} requests for texts, {sum(series['Sent'])} messages sent, "
             f"{sum(series['Delivered'])} delivered, {sum(series['Failed'])} failed; "
             f"{sum(series['Opt-outs (STOP)'])} opt-outs. A request may send more than one message.")
    chart = bar_chart("Texts and opt-outs a day", labels, series,
                      "Bar chart of texts asked for, sent, delivered and failed, and of opt-outs, each day. "
                      "The table below has every number.", ("Day", *series))
    return Section("texts", "Texts asked for and delivered; opt-outs", intro, (chart,))


def languages(counts: Counts) -> Section | None:
    """Calls and texts by language, once the line counts them (it has more than one)."""
    found = counts.of_kind("language")
    if not found:
        return None
    names = _ranked(found)
    return Section("languages", "Languages", "Calls and text threads by language.", (bar_chart(
        "Languages", names, {"Calls and texts": [found[n] for n in names]},
        "Bar chart of calls and text threads by language. The table below has every number.",
        ("Language", "Calls and texts")),))


# ----- the page --------------------------------------------------------------------------------

@cache
def _template() -> Template:
    environment = Environment(loader=PackageLoader("app", "templates"), autoescape=select_autoescape(["html"]),
                              trim_blocks=True, lstrip_blocks=True)
    return environment.get_template("usage_report.html")


def sections(tallies: Iterable[Tally], line: Line | None, today: dt.date, days: int = 30,
             learned: Sequence[tuple[str, int]] | None = None) -> list[Section]:
    """Every section of the report for the `days` days up to `today`."""
    period = [today - dt.timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    counts = Counts.of(tallies, period[0], period[-1])
    found = [calls_and_texts(counts, period), topics_heard(counts, line), call_ends(counts, line),
             misses(counts, line, learned), confirmations(counts, line), questions(counts, line),
             texts(counts, period), keys_and_speech(counts), languages(counts)]
    return [section for section in found if section is not None]


def build_report(tallies: Iterable[Tally], line: Line | None, today: dt.date, days: int = 30,
                 learned: Sequence[tuple[str, int]] | None = None, page: Mapping[str, object] | None = None) -> str:
    """The whole report for the `days` days up to `today`: a file, or (with `page`: the days to choose from,
    the CSRF token, the form addresses) the signed-in page at /report."""
    first = today - dt.timedelta(days=days - 1)
    return _template().render(name=line.name if line is not None else "the line",
                              sections=sections(tallies, line, today, days, learned), first=first, last=today,
                              days=days, page=page) + "\n"
