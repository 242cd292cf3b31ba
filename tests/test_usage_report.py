"""What callers do, for editors and operators: the counts the webhooks keep for it, `flask usage report`,
and (only with LEARN_PHRASES=true) the phrases callers said that the line did not understand."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from app import report as usage_report
from app.store import learned, make_engine, upgrade

DAY = dt.date(2026, 11, 20)
CALLERS = ["+15550000001", "+15550000002", "+15550000003"]


def rows(**counts: int) -> list[usage_report.UsageRow]:
    """Voice counts on DAY, written node=count with ':' as '__' and '-' as '_'."""
    return [(DAY, "voice", name.replace("__", ":").replace("_", "-"), n) for name, n in counts.items()]


def table_after(page: str, caption: str) -> str:
    return page.split(f"<caption>{caption}</caption>")[1].split("</table>")[0]


# ----- the report page -----------------------------------------------------------------------------

def test_report_shows_calls_texts_and_how_far_callers_listen(line):
    data = [*rows(call=4, topic__risks__1=4, topic__risks__2=3, topic__risks__3=1, topic__risks__4=1,
                  topic__risks__5=1, topic__risks__6=1), (DAY, "sms", "menu", 2), (DAY, "sms", "topic:risks:1", 3)]
    page = usage_report.build_report(data, line, DAY, days=7)
    assert f"<title>How {line.name} is used</title>" in page
    calls = table_after(page, "Calls and texts a day")
    assert re.search(r"<th scope=\"row\">20 Nov</th><td class=\"number\">4</td><td class=\"number\">5</td>", calls)
    risks = table_after(page, f"{line.topics['risks'].title}: heard to the end by 25%")
    first = line.topics["risks"].parts[0].title
    assert re.search(rf"Part 1: {first}</th><td class=\"number\">4</td><td class=\"number\">1</td>", risks)
    assert re.search(r"Part 2: [^<]*</th><td class=\"number\">3</td><td class=\"number\">2</td>", risks)
    assert "4 calls and 5 text messages in 7 days." in page


def test_report_shows_keys_speech_and_where_speech_is_not_understood(line):
    data = rows(input__keys=6, input__speech=3, input__silence=1, not_understood__menu__main=2,
                not_understood__topic__risks=1)
    page = usage_report.build_report(data, line, DAY, days=7)
    answers = table_after(page, "How callers answer")
    assert "Keys</th><td class=\"number\">6" in answers and "Speech</th><td class=\"number\">3" in answers
    places = table_after(page, "Speech not understood, by menu")
    assert f"{line.menus['main'].title}</th><td class=\"number\">2" in places
    assert f"{line.topics['risks'].title}</th><td class=\"number\">1" in places
    assert "3 times the line did not understand what was said, out of 3 times callers spoke." in page


def test_personal_questions_and_texts_on_request_read_their_counts_or_say_none_yet(line):
    empty = usage_report.build_report([], line, DAY)
    for section in ("questions", "texts-on-request"):
        assert re.search(rf'<section id="{section}".*?<strong>None yet\.</strong>', empty, re.DOTALL)
    data = [*rows(question__am_i_eligible=3, question__cost=1), (DAY, "sms", "text-me:risks", 2)]
    page = usage_report.build_report(data, line, DAY)
    assert "am i eligible</th><td class=\"number\">3" in table_after(page, "Personal questions asked")
    assert "risks</th><td class=\"number\">2" in table_after(page, "Texts sent on request")


def test_the_page_works_offline_and_each_chart_has_its_text_alternative(line):
    page = usage_report.build_report(rows(call=2, input__keys=2, topic__risks__1=1), line, DAY)
    assert "<script" not in page and not re.search(r"(src|href)=\"(https?:)?//", page)
    images = re.findall(r"<img src=\"data:image/svg\+xml;base64,[A-Za-z0-9+/=]+\" alt=\"([^\"]+)\"", page)
    assert len(images) == page.count("<img") >= 3 and all("table" in alt for alt in images)
    assert page.count("<figure>") == page.count("<table>")


def test_counts_outside_the_days_are_left_out(line):
    old = [(DAY - dt.timedelta(days=40), "voice", "call", 9)]
    assert "0 calls and 0 text messages in 30 days." in usage_report.build_report(old, line, DAY)


# ----- the counts the webhooks keep -------------------------------------------------------------------

def test_the_voice_webhook_counts_calls_answers_and_speech_not_understood(make_app):
    app = make_app()
    client = app.test_client()
    client.post("/voice", data={"CallSid": "CA1"})
    client.post("/voice/turn?at=main", data={"CallSid": "CA1", "Digits": "3"})
    client.post("/voice/turn?at=main", data={"CallSid": "CA1", "SpeechResult": "purple elephants"})
    client.post("/voice/turn?at=main&event=silence", data={"CallSid": "CA1"})
    with app.app_context():
        counts = {node: n for _, channel, node, n in app.extensions["cart_line"].store.counts() if channel == "voice"}
    assert counts["call"] == 1 and counts["input:keys"] == 1 and counts["input:speech"] == 1
    assert counts["input:silence"] == 1 and counts["not-understood:menu:main"] == 1


def test_flask_usage_report_writes_the_page(make_app, tmp_path):
    app = make_app()
    app.test_client().post("/voice", data={"CallSid": "CA1"})
    out = tmp_path / "report.html"
    result = app.test_cli_runner().invoke(args=["usage", "report", "--out", str(out), "--days", "7"])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert "1 calls and 0 text messages in 7 days." in page and "Learning is off." in page
    assert app.test_cli_runner().invoke(args=["usage"]).exit_code == 0  # the daily counts still print


# ----- phrases the line did not understand ------------------------------------------------------------

@pytest.mark.parametrize("said, kept", [
    ("Purple Elephants!", "purple elephants"), ("my number is 555 1234", "my number is"),
    ("call me on five five five", "call me on"), ("one two three four five six seven", None), ("42", None),
    ("a b c d e", "a b c d e"), ("a b c d e f", None),
])
def test_a_phrase_is_short_lower_case_and_without_digits(said, kept):
    assert learned.short_phrase(said) == kept


@pytest.fixture
def phrases(tmp_path):
    url = f"sqlite:///{tmp_path / 'line.db'}"
    upgrade(url)
    return learned.LearnedPhrases(make_engine(url), "secret")


def test_a_phrase_is_kept_only_once_three_different_callers_said_it(phrases):
    for caller in CALLERS[:2]:
        assert not phrases.note("cost of treatment", caller, DAY)
    assert not phrases.note("cost of treatment", CALLERS[0], DAY)  # the same caller again does not count
    assert phrases.phrases(DAY) == []
    assert phrases.note("Cost of treatment 2", CALLERS[2], DAY)
    assert phrases.phrases(DAY) == [("cost of treatment", 3)]


def test_before_that_only_keyed_hashes_are_stored_and_never_a_number(phrases):
    for caller in CALLERS[:2]:
        phrases.note("cost of treatment", caller, DAY)
    with phrases.engine.connect() as conn:
        stored = [tuple(row) for table in (learned.phrase_sightings, learned.learned_phrases)
                  for row in conn.execute(select(table))]
    dump = " ".join(str(value) for row in stored for value in row)
    assert len(stored) == 2 and "cost" not in dump and "555" not in dump


def test_phrases_are_deleted_90_days_after_they_were_last_said(phrases):
    for caller in CALLERS:
        phrases.note("cost of treatment", caller, DAY)
    assert phrases.phrases(DAY + dt.timedelta(days=90)) == [("cost of treatment", 3)]
    assert phrases.phrases(DAY + dt.timedelta(days=91)) == []
    with phrases.engine.connect() as conn:
        assert conn.execute(select(learned.phrase_sightings)).first() is None


def test_the_line_learns_only_with_learn_phrases_on(make_app):
    for setting, expected in ((False, []), (True, [("purple elephants", 3)])):
        app = make_app(LEARN_PHRASES=setting)
        client = app.test_client()
        for caller in CALLERS:
            client.post("/voice/turn?at=main", data={"From": caller, "SpeechResult": "purple elephants"})
        client.post("/voice/turn?at=main", data={"From": CALLERS[0], "SpeechResult": "side effects"})  # understood
        with app.app_context():
            from app.services import learner
            assert learner().phrases() == expected


def test_flask_content_suggestions_lists_the_phrases(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from app.cli import content
    url = f"sqlite:///{tmp_path / 'line.db'}"
    upgrade(url)
    kept = learned.LearnedPhrases(make_engine(url), "secret")
    for caller in CALLERS:
        kept.note("cost of treatment", caller)
    env = {"DATABASE_URL": url, "PHONE_HASH_SECRET": "secret", "LEARN_PHRASES": "true", "TWILIO_AUTH_TOKEN": ""}
    result = CliRunner().invoke(content, ["suggestions"], env=env)
    assert result.exit_code == 0, result.output
    assert re.search(r"cost of treatment\s+3 different callers", result.output)
