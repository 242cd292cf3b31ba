"""The usage report behind `flask usage report`: one offline HTML page of charts (pygal, as images) with a
table beside each chart, from the anonymous daily counts. Pure: imports neither Flask nor Twilio.

The counts it reads (app/store.py, by node name): "call" (a call came in), "topic:ID:N" (part N of a
topic was said, or text message N sent), "input:keys" / "input:speech" / "input:silence",
"not-understood:NODE" (speech that matched nothing there), "hangup:NODE" (where a call ended, once
call status arrives), "question:..." (a personal question asked) and "text-me:..." (a text sent on
request). No count carries a number, a time of day, or what anyone said.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Iterable, Sequence

import pygal
from jinja2 import Environment, PackageLoader, Template, select_autoescape
from pygal.style import Style

from app.core.content import Line

UsageRow = tuple[dt.date, str, str, int]  # (day, channel, node, count), as Store.counts() gives them
# Dark, distinct colours, readable by people with the common colour-vision differences.
CHART_STYLE = Style(background="#ffffff", plot_background="#ffffff", foreground="#111111",
                    foreground_strong="#111111", foreground_subtle="#555555",
                    colors=("#0b5394", "#a64d00", "#38761d", "#741b47", "#444444"), font_family="sans-serif",
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
    """The counts of the report's days, added up by node and by day."""

    voice: Counter[str]
    sms: Counter[str]
    by_day: dict[dt.date, Counter[tuple[str, str]]]

    @classmethod
    def of(cls, rows: Iterable[UsageRow], first: dt.date, last: dt.date) -> Counts:
        """The counts from `first` to `last`, both included."""
        voice: Counter[str] = Counter()
        sms: Counter[str] = Counter()
        by_day: dict[dt.date, Counter[tuple[str, str]]] = {}
        for day, channel, node, count in rows:
            if first <= day <= last:
                (voice if channel == "voice" else sms)[node] += count
                by_day.setdefault(day, Counter())[(channel, node)] += count
        return cls(voice, sms, by_day)

    def prefixed(self, prefix: str) -> Counter[str]:
        """Voice and text counts whose node starts with `prefix`, by the rest of the name."""
        found: Counter[str] = Counter()
        for counts in (self.voice, self.sms):
            for node, count in counts.items():
                if node.startswith(prefix):
                    found[node[len(prefix):]] += count
        return found


def _svg(chart: Any) -> str:
    """A pygal chart as a data: URI; `js=[]` keeps out pygal's tooltip script, fetched from the internet."""
    svg = chart.render(is_unicode=True)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _config() -> dict[str, object]:
    return {"style": CHART_STYLE, "js": [], "disable_xml_declaration": True, "width": 800, "height": 360,
            "print_values": False, "legend_at_bottom": True}


def bar_chart(title: str, labels: Sequence[str], series: dict[str, Sequence[int]], alt: str,
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
    """A node name in words: "Main menu", "Side effects, part 2"."""
    kind, _, rest = node.partition(":")
    if line is not None and kind == "menu" and rest in line.menus:
        return line.menus[rest].title
    match = PART.fullmatch(node)
    if line is not None and match and match.group(1) in line.topics:
        return f"{line.topics[match.group(1)].title}, part {match.group(2)}"
    if line is not None and kind == "topic" and rest in line.topics:
        return line.topics[rest].title
    return node


# ----- the sections ------------------------------------------------------------------------------

def calls_and_texts(counts: Counts, days: list[dt.date]) -> Section:
    """Calls and texts a day."""
    calls = [counts.by_day.get(day, Counter())[("voice", "call")] for day in days]
    texts = [sum(n for (channel, _), n in counts.by_day.get(day, Counter()).items() if channel == "sms")
             for day in days]
    labels = [day.strftime("%d %b") for day in days]
    intro = f"{sum(calls)} calls and {sum(texts)} text messages in {len(days)} days."
    chart = bar_chart("Calls and texts a day", labels, {"Calls": calls, "Texts": texts},
                      "Bar chart of calls and text messages each day. The table below has every number.",
                      ("Day", "Calls", "Texts"))
    return Section("calls", "Calls and texts a day", intro, (chart,))


def topics_heard(counts: Counts, line: Line | None) -> Section:
    """For each topic: how many callers reach each part, and where they stop."""
    reached: dict[str, Counter[int]] = {}
    for node, count in counts.voice.items():
        match = PART.fullmatch(node)
        if match:
            reached.setdefault(match.group(1), Counter())[int(match.group(2))] += count
    hangups = counts.prefixed("hangup:")
    order = list(line.topics) if line is not None else sorted(reached)
    charts = []
    for topic_id in [t for t in order if t in reached]:
        title = line.topics[topic_id].title if line is not None and topic_id in line.topics else topic_id
        parts = line.topics[topic_id].parts if line is not None and topic_id in line.topics else ()
        last = max(len(parts), max(reached[topic_id]))
        numbers = list(range(1, last + 1))
        heard = [reached[topic_id][n] for n in numbers]
        went_on = [heard[i + 1] if i + 1 < len(heard) else 0 for i in range(len(heard))]
        stopped = [max(0, h - g) if i + 1 < len(heard) else 0 for i, (h, g) in enumerate(zip(heard, went_on))]
        ended = [hangups[f"topic:{topic_id}:{n}"] for n in numbers]
        labels = [f"Part {n}" + (f": {parts[n - 1].title}" if n <= len(parts) else "") for n in numbers]
        share = f"{round(100 * heard[-1] / heard[0])}%" if heard[0] else "none"
        charts.append(bar_chart(
            f"{title}: heard to the end by {share}", labels,
            {"Reached this part": heard, "Did not go on to the next part": stopped, "Hung up here": ended},
            f"Bar chart of how many times each part of {title} was reached, and how often callers did not go "
            f"on. {share} of those who heard part 1 reached the last part. The table below has every number.",
            ("Part", "Reached this part", "Did not go on to the next part", "Hung up here")))
    notes = () if hangups else ("\"Hung up here\" fills in once the line is told when calls end (call status).",)
    return Section("topics", "How far callers listen to each topic",
                   "Each time a part is said counts once (a repeat counts again). \"Did not go on\" means the "
                   "caller hung up, chose something else or went back after that part.", tuple(charts),
                   "No topic has been heard yet.", notes)


def keys_and_speech(counts: Counts) -> Section:
    """How callers answer: keys, speech, or silence."""
    parts = {"Keys": counts.voice["input:keys"], "Speech": counts.voice["input:speech"],
             "Silence": counts.voice["input:silence"]}
    if not any(parts.values()):
        return Section("input", "Keys or speech", "How callers answer the line's questions.",
                       empty="No answers counted yet.")
    total = sum(parts.values())
    alt = ("Pie chart of how callers answered: " + ", ".join(f"{k.lower()} {round(100 * v / total)}%"
                                                             for k, v in parts.items()) + ". The table has the counts.")
    return Section("input", "Keys or speech", "How callers answer the line's questions.",
                   (pie_chart("How callers answer", parts, alt, ("Answer", "Times")),))


def not_understood(counts: Counts, line: Line | None) -> Section:
    """Where the line does not understand what callers say."""
    found = counts.prefixed("not-understood:")
    speech = counts.voice["input:speech"]
    if not found:
        return Section("not-understood", "Speech not understood", "Where callers said something the line did not "
                       "understand.", empty="None yet.")
    places = sorted(found, key=lambda node: -found[node])
    labels = [_place(line, node) for node in places]
    intro = (f"{sum(found.values())} times the line did not understand what was said"
             + (f", out of {speech} times callers spoke." if speech else "."))
    chart = bar_chart("Speech not understood, by menu", labels, {"Not understood": [found[n] for n in places]},
                      "Bar chart of how often speech was not understood at each menu or topic. "
                      "The table below has every number.", ("Where", "Not understood"), horizontal=True)
    return Section("not-understood", "Speech not understood", intro, (chart,))


def named_counts(counts: Counts, prefix: str, section_id: str, title: str, intro: str, what: str) -> Section:
    """A section of counts whose node names start with a prefix ("question:", "text-me:")."""
    found = counts.prefixed(prefix)
    if not found:
        return Section(section_id, title, intro, empty="None yet.")
    names = sorted(found, key=lambda name: (-found[name], name))
    labels = [name.replace("-", " ") for name in names]
    chart = bar_chart(title, labels, {what: [found[n] for n in names]},
                      f"Bar chart of {title.lower()}. The table below has every number.", ("What", what),
                      horizontal=True)
    return Section(section_id, title, intro, (chart,))


def learned_section(learned: Sequence[tuple[str, int]] | None) -> Section:
    """Short phrases several callers said that matched nothing (only with LEARN_PHRASES=true)."""
    title = "What callers asked for that the line did not understand"
    if learned is None:
        return Section("learned", title, "Off: set LEARN_PHRASES=true to keep short phrases that at least 3 "
                                         "different callers said and the line did not understand.",
                       empty="Learning is off.")
    if not learned:
        return Section("learned", title, "Phrases said by at least 3 different callers.", empty="None yet.")
    chart = Chart(title, "", "", ("Phrase", "Different callers"), tuple((p, n) for p, n in learned))
    return Section("learned", title, "Phrases said by at least 3 different callers (digits removed). Add the "
                                     "useful ones to a topic's phrases.", (chart,))


# ----- the page --------------------------------------------------------------------------------

@cache
def _template() -> Template:
    environment = Environment(loader=PackageLoader("app", "templates"), autoescape=select_autoescape(["html"]),
                              trim_blocks=True, lstrip_blocks=True)
    return environment.get_template("usage_report.html")


def build_report(rows: Iterable[UsageRow], line: Line | None, today: dt.date, days: int = 30,
                 learned: Sequence[tuple[str, int]] | None = None) -> str:
    """The whole report page for the `days` days up to `today`."""
    period = [today - dt.timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    counts = Counts.of(rows, period[0], period[-1])
    sections = [
        calls_and_texts(counts, period), topics_heard(counts, line), keys_and_speech(counts),
        not_understood(counts, line),
        named_counts(counts, "question:", "questions", "Personal questions asked",
                     "Questions callers asked about their own situation (never what they said, only which kind).",
                     "Times asked"),
        named_counts(counts, "text-me:", "texts-on-request", "Texts sent on request",
                     "Text messages the line sent because a caller asked for one.", "Texts sent"),
        learned_section(learned),
    ]
    return _template().render(name=line.name if line is not None else "the line", sections=sections,
                              first=period[0], last=period[-1], days=days) + "\n"
