"""What callers do, for operators: every count proven from real webhook traffic (a simulated phone posting
signed requests to POST /voice, /voice/turn, /voice/status, /sms and /sms/status), the report built from
those counts, `flask usage export`, clear errors without a database, and (only with LEARN_PHRASES=true)
the phrases callers said that the line did not understand."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text

from app import report as usage_report
from app.core.events import Event
from app.phone import Phone
from app.sender import Sender
from app.services import services
from app.store import learned, make_engine, upgrade
from app.store.calls import call_places
from app.store.outbox import Outbox

TOKEN = "operators-token"
DAY = dt.date(2026, 11, 20)
CALLERS = ["+15550000001", "+15550000002", "+15550000003"]
TODAY = dt.date.today()


@pytest.fixture
def app(make_app):
    return make_app(TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL="https://line.example")


@pytest.fixture
def phone(app):
    """Twilio in miniature, signing every request, with the number's call status callback set."""
    return Phone.for_app(app, status_path="/voice/status")


def counted(app, channel: str | None = None) -> dict[tuple[str, str], int]:
    """Today's counts by (event, node), from the database (what the report and the export read)."""
    with app.app_context():
        tallies = services().store.tallies(TODAY)
    found: dict[tuple[str, str], int] = {}
    for tally in tallies:
        if channel is None or tally.channel == channel:
            key = (tally.event.kind, tally.event.node)
            found[key] = found.get(key, 0) + tally.times
    return found


def table_after(page: str, caption: str) -> str:
    return page.split(f"<caption>{caption}</caption>")[1].split("</table>")[0]


def report_of(app, days: int = 7, learned_phrases=None) -> str:
    with app.app_context():
        return usage_report.build_report(services().store.tallies(), services().line, TODAY, days, learned_phrases)


# ----- where calls end: POST /voice/status ------------------------------------------------------------

def test_a_hang_up_is_counted_where_the_call_was_with_its_length_and_no_call_id_kept(app, phone):
    call = phone.call()
    call.press("3")  # side effects, part 1
    call.press("1")  # part 2
    call.seconds = 200
    call.hang_up()
    counts = counted(app, "voice")
    assert counts[("hangup", "topic:risks:2")] == 1 and counts[("duration", "3-10-min")] == 1
    assert counts[("call", "")] == 1 and counts[("reached", "topic:risks:1")] == 1
    with app.app_context(), services().store.engine.connect() as conn:
        assert conn.execute(select(call_places)).all() == []  # taken when the status came
        dump = " ".join(str(row) for table in ("usage_counts", "call_places")
                        for row in conn.execute(text(f"SELECT * FROM {table}")))
    assert call.call_sid not in dump


def test_each_call_counts_its_own_end_and_a_repeated_status_counts_nothing_more(app, phone):
    first, second = phone.call(), phone.call()
    first.seconds, second.seconds = 30, 700
    first.hang_up()  # at the main menu
    second.press("2")
    second.hang_up()
    phone.notify(phone.absolute("/voice/status"), {"CallSid": first.call_sid, "CallStatus": "completed",
                                                  "CallDuration": "30"})  # Twilio retried
    counts = counted(app, "voice")
    assert counts[("hangup", "menu:main")] == 1 and counts[("hangup", "menu:trials-and-doctor")] == 1
    assert counts[("duration", "under-1-min")] == 1 and counts[("duration", "over-10-min")] == 1


def test_the_line_saying_goodbye_is_counted_as_where_the_call_ended(app, phone):
    call = phone.call()
    for _ in range(3):
        call.wait()
    assert call.ended
    assert counted(app, "voice")[("hangup", "silence-goodbye")] == 1


def test_the_status_callback_is_signed_like_every_webhook(app):
    client = app.test_client()
    refused = client.post("/voice/status", data={"CallSid": "CA1", "CallStatus": "completed"})
    assert refused.status_code == 403


def test_a_status_for_a_call_that_never_reached_the_line_counts_nothing(app, phone):
    status, _ = phone.notify(phone.absolute("/voice/status"), {"CallSid": "CAunknown", "CallStatus": "completed",
                                                               "CallDuration": "12"})
    assert status == 204 and not any(kind in ("hangup", "duration") for kind, _ in counted(app))


# ----- what happened during calls ------------------------------------------------------------------

def test_every_miss_is_counted_not_only_the_first_in_a_row(app, phone):
    call = phone.call()
    for _ in range(4):
        call.say("purple elephants")
    call.press("3")
    call.press("4")  # not a choice inside a topic
    counts = counted(app, "voice")
    assert counts[("miss", "menu:main")] == 4 and counts[("miss", "topic:risks:1")] == 1
    assert counts[("input", "speech")] == 4 and counts[("input", "keys")] == 2


def test_confirmations_asked_and_how_they_were_answered(app, phone):
    call = phone.call()
    call.say("side effects", confidence=0.2)  # unsure: "Did you say side effects?"
    call.say("yes")
    call.press("8")  # back to the main menu
    call.say("side effects", confidence=0.2)
    call.say("no")
    counts = counted(app, "voice")
    assert counts[("confirm", "risks")] == 2
    assert counts[("confirm_yes", "risks")] == 1 and counts[("confirm_no", "risks")] == 1


def test_personal_questions_and_emergencies_answered(app, phone):
    call = phone.call()
    call.say("how much does it cost")
    call.say("I have a fever")
    counts = counted(app, "voice")
    assert counts[("question", "cost")] == 1 and counts[("emergency", "unwell")] == 1


class FakeTwilio:
    """Twilio's REST client as far as the sender uses it: every message is taken."""

    def __init__(self) -> None:
        self.sent = 0

        def create(**options):
            self.sent += 1
            return SimpleNamespace(sid=f"SM{self.sent:032d}")

        self.messages = SimpleNamespace(create=create)


def test_texts_requested_sent_delivered_and_failed(app, phone):
    call = phone.call(caller=CALLERS[0])
    call.press("3")
    call.press("5")  # text me this
    with app.app_context():
        tally = Sender(Outbox(services().store), FakeTwilio()).send_due()  # type: ignore[arg-type]
    assert tally.sent >= 2  # the topic's messages
    first, second = "SM" + "1".zfill(32), "SM" + "2".zfill(32)
    for sid, status in ((first, "delivered"), (first, "delivered"), (second, "undelivered")):
        assert phone.notify(phone.absolute("/sms/status"), {"MessageSid": sid, "MessageStatus": status})[0] == 204
    counts = counted(app)
    assert counts[("text_requested", "risks")] == 1
    assert sum(n for (kind, _), n in counts.items() if kind == "text_sent") == tally.sent
    assert counts[("text_delivered", "")] == 1  # a repeated report counts once
    assert counts[("text_failed", "")] == 1


def test_texts_questions_opt_outs_and_restarts(app, phone):
    phone.send_sms("RISKS")
    phone.send_sms("how much does it cost")
    phone.send_sms("STOP")
    phone.send_sms("START")
    counts = counted(app, "sms")
    assert counts[("message", "")] == 4 and counts[("opt_out", "")] == 1 and counts[("restart", "")] == 1
    assert counts[("question", "cost")] == 1


# ----- the report, built from that traffic -------------------------------------------------------------

def test_the_report_shows_the_funnel_with_hang_ups_misses_and_confirmations(app, phone, line):
    for presses in (("3",), ("3", "1"), ("3", "1")):
        call = phone.call()
        for key in presses:
            call.press(key)
        call.hang_up()
    confused = phone.call()
    confused.say("purple elephants")
    confused.say("side effects", confidence=0.2)
    confused.say("yes")
    page = report_of(app)
    risks = table_after(page, f"{line.topics['risks'].title}: heard to the end by 0%")
    first = line.topics["risks"].parts[0].title
    assert re.search(rf"Part 1: {first}</th><td class=\"number\">4</td><td class=\"number\">1</td>", risks)
    assert re.search(r"Part 2: [^<]*</th><td class=\"number\">2</td><td class=\"number\">2</td>", risks)
    assert f"{line.menus['main'].title}</th><td class=\"number\">1" in table_after(page, "Not understood, by menu")
    assert re.search(r"</th><td class=\"number\">1</td><td class=\"number\">1</td><td class=\"number\">0</td>"
                     r"<td class=\"number\">0</td>", table_after(page, "Confirmations"))
    assert "4 calls and 0 text messages in 7 days." in page


def test_the_page_works_offline_and_each_chart_has_its_text_alternative(app, phone):
    phone.call().press("3")
    page = report_of(app)
    assert "<script" not in page and not re.search(r"(src|href)=\"(https?:)?//", page)
    images = re.findall(r"<img src=\"data:image/svg\+xml;base64,[A-Za-z0-9+/=]+\" alt=\"([^\"]+)\"", page)
    assert len(images) == page.count("<img") >= 3 and all("table" in alt for alt in images)


def test_counts_outside_the_days_are_left_out(line):
    old = [usage_report.Tally(DAY - dt.timedelta(days=40), "voice", Event("call"), 9)]
    assert "0 calls and 0 text messages in 30 days." in usage_report.build_report(old, line, DAY)


def test_flask_usage_report_writes_the_page(app, phone, tmp_path):
    phone.call()
    out = tmp_path / "report.html"
    result = app.test_cli_runner().invoke(args=["usage", "report", "--out", str(out), "--days", "7"])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert "1 calls and 0 text messages in 7 days." in page and "Learning is off" in page
    output = app.test_cli_runner().invoke(args=["usage"]).output
    assert re.search(r"voice\s+reached\s+menu:main\s+1\n", output)


# ----- flask usage export --------------------------------------------------------------------------

def test_the_export_is_csv_with_one_row_per_day_event_and_node(app, phone, tmp_path):
    call = phone.call()
    call.say("purple elephants")
    call.say("purple elephants")
    phone.send_sms("RISKS")
    result = app.test_cli_runner().invoke(args=["usage", "export", "--days", "3"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["day", "event", "node", "count"]
    assert [TODAY.isoformat(), "miss", "menu:main", "2"] in rows
    assert [TODAY.isoformat(), "reached", "menu:main", "3"] in rows
    assert len({tuple(row[:3]) for row in rows}) == len(rows)  # one row per day, event and node
    out = tmp_path / "counts.csv"
    assert app.test_cli_runner().invoke(args=["usage", "export", "--out", str(out)]).exit_code == 0
    assert out.read_text().splitlines()[0] == "day,event,node,count"


def test_the_export_leaves_out_days_before_the_window(app):
    with app.app_context():
        store = services().store
        with store.engine.begin() as conn:
            conn.execute(text("INSERT INTO usage_counts VALUES (:day, 'voice', 'call|', 5)"),
                         {"day": TODAY - dt.timedelta(days=10)})
    assert app.test_cli_runner().invoke(args=["usage", "export", "--days", "10"]).stdout.count("\n") == 1
    assert "call,,5" in app.test_cli_runner().invoke(args=["usage", "export", "--days", "11"]).stdout


# ----- without a database ----------------------------------------------------------------------------

@pytest.mark.parametrize("command", [["usage"], ["usage", "report"], ["usage", "export"], ["outbox"],
                                     ["outbox", "send", "--once"], ["purge"]])
def test_operator_commands_without_a_database_say_what_to_run(make_app, command):
    runner = make_app(migrate=False).test_cli_runner()
    result = runner.invoke(args=command)
    assert result.exit_code == 1
    assert "flask db init" in result.output and "Traceback" not in result.output
    assert len([line for line in result.output.splitlines() if line.strip()]) == 1


# ----- stored counts from before events were typed ---------------------------------------------------

def test_migration_0005_renames_the_older_counts_to_events(tmp_path):
    from alembic import command

    from app.store.migrate import alembic_config
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0004")
        for node in ("call", "menu:main", "input:keys", "not-understood:menu:main", "question:cost", "text:risks"):
            conn.execute(text("INSERT INTO usage_counts VALUES (:day, 'voice', :node, 2)"), {"day": DAY, "node": node})
        command.upgrade(config, "0005")
    with engine.connect() as conn:
        names = {row[0] for row in conn.execute(text("SELECT node FROM usage_counts"))}
    assert names == {"call|", "reached|menu:main", "input|keys", "miss|menu:main", "question|cost",
                     "text_requested|risks"}


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


def test_the_line_learns_after_the_response_only_with_learn_phrases_on(make_app, tmp_path):
    for setting, expected in ((False, []), (True, [("purple elephants", 3)])):
        app = make_app(LEARN_PHRASES=setting, DATABASE_URL=f"sqlite:///{tmp_path / f'learn-{setting}.db'}")
        phone = Phone.for_app(app)
        for caller in CALLERS:
            call = phone.call(caller=caller)
            call.say("side effects")  # understood: not learned
            call.press("8")
            call.say("purple elephants")
            call.say("purple elephants")  # a second miss in a row is learned too (the same caller: once)
        with app.app_context():
            from app.services import learner
            assert learner().phrases() == expected
        assert counted(app, "voice")[("miss", "menu:main")] == 6


def test_the_report_lists_the_learned_phrases(app, line):
    page = report_of(app, learned_phrases=[("cost of treatment", 3)])
    assert "cost of treatment</th><td class=\"number\">3" in table_after(page, usage_report.LEARNED)


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


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_the_status_may_reach_another_worker_than_the_last_turn(make_app, request, database):
    """Two web workers (two apps, one database): the turns go to one, the status callback to the other."""
    url = request.getfixturevalue("postgres_url") if database == "postgresql" else None
    settings = {"TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_BASE_URL": "https://line.example",
                **({"DATABASE_URL": url} if url else {})}
    turns, other = make_app(**settings), make_app(**settings)
    call = Phone.for_app(turns).call()
    call.press("3")
    with turns.app_context():  # as its background thread does within WRITE_EVERY, long before the caller hangs up
        services().store.flush_writes()
    Phone.for_app(other).notify("https://line.example/voice/status",
                                {"CallSid": call.call_sid, "CallStatus": "completed", "CallDuration": "75"})
    counts = counted(other, "voice")
    assert counts[("hangup", "topic:risks:1")] == 1 and counts[("duration", "1-3-min")] == 1
