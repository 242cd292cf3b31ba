"""The SMS webhook and text flow: keywords, MORE, HELP, STOP that survives restarts."""

from __future__ import annotations

import pytest
from helpers import NUMBER, send
from sqlalchemy import create_engine, text

from app.core import gsm
from app.core.node import Node
from app.core.textflow import Position, TextFlow
from app.services import services
from app.store import StoreError


def services_of(app):
    with app.app_context():
        return services()


@pytest.mark.parametrize("body", ["MENU", "hi", "", "   "])
def test_menu_words_and_an_empty_message_get_the_list(make_app, line, body):
    client = make_app(SMS_OPT_OUT_BY_TWILIO=False).test_client()
    assert send(client, body) == [line.sms.texts["menu"]]


@pytest.mark.parametrize("body", ["Info", "?", "what is this number?"])
def test_info_and_what_is_this_get_the_help_as_twilio_would_send_it(make_app, line, body):
    client = make_app(SMS_OPT_OUT_BY_TWILIO=False).test_client()
    assert send(client, body) == [line.sms.texts["help"]]


@pytest.mark.parametrize("body", ["huh?", "<Message>x", "purple elephant"])
def test_anything_unknown_gets_what_the_line_does_then_the_list(make_app, line, body):
    client = make_app(SMS_OPT_OUT_BY_TWILIO=False).test_client()
    assert send(client, body) == [f"{line.talk.sms['unknown']} {line.sms.texts['menu']}"]


@pytest.mark.parametrize("body", ["INFO", "info.", "Yes", "START", "Stop.", "HELP!"])
def test_twilio_keywords_get_no_second_reply_when_twilio_answers_them(client, body):
    assert send(client, body) == []  # Twilio's own reply is the one the person gets


def test_yes_from_someone_who_never_stopped_is_not_a_restart(make_app, line):
    client = make_app(SMS_OPT_OUT_BY_TWILIO=False).test_client()
    [reply] = send(client, "YES")
    assert reply.endswith(line.sms.texts["menu"]) and line.sms.texts["start"] not in reply


@pytest.mark.parametrize("body, topic", [
    ("RISKS", "risks"), ("risks", "risks"), (" Risks! ", "risks"), ("RISKES", "risks"), ("3", "risks"),
    ("side effects", "risks"), ("tell me about trials please", "find-a-trial"), ("TRAILS", "find-a-trial"),
    ("1", "basics"), ("2", "find-a-trial"), ("what", "basics"), ("basics", "basics"),
])
def test_topic_words_typos_and_digits_find_the_topic(client, line, body, topic):
    assert send(client, body) == [TextFlow(line).topic_message(topic, 0)]


def test_menu_lists_a_keyword_for_every_topic(line):
    for topic in line.topics.values():
        assert topic.sms_keyword in line.sms.texts["menu"]


def test_more_walks_through_a_topic_then_says_it_is_done(client, line):
    topic, texts = line.topics["risks"], TextFlow(line)
    assert send(client, "RISKS") == [texts.topic_message("risks", 0)]
    for index in range(1, len(topic.sms)):
        assert send(client, "more") == [texts.topic_message("risks", index)]
    assert "911" in line.topic_sms(topic, len(topic.sms) - 1)
    assert send(client, "MORE") == [line.sms.texts["no_more"]]
    assert send(client, "MORE", number="+15559999999") == [line.sms.texts["menu"]]


def test_every_reply_is_plain_gsm7_within_two_segments(line):
    flow = TextFlow(line)
    replies = [line.sms.texts[name] for name in ("menu", "no_more", "help", "stop", "start", "error")]
    for topic in line.topics.values():
        replies += [flow.topic_message(topic.id, i) for i in range(len(topic.sms))]
        assert flow.reply(topic.sms_keyword, None).body == replies[-len(topic.sms)]
    for reply in replies:
        assert not gsm.non_gsm7_characters(reply), reply
        assert gsm.segment_count(reply) <= 2, reply


def test_help_answers_as_carriers_require(make_app, line):
    client = make_app(SMS_OPT_OUT_BY_TWILIO=False).test_client()
    [reply] = send(client, "HELP")
    for words in ("Test info line", "not medical advice", "STOP", "Msg & data rates may apply"):
        assert words in reply


def test_stop_is_recorded_and_nothing_more_is_sent_until_start(make_app, line):
    client = make_app(SMS_OPT_OUT_BY_TWILIO=False).test_client()
    assert send(client, "Stop") == [line.sms.texts["stop"]]
    for body in ("MENU", "RISKS", "more", "hello?", "x" * 2000):
        assert send(client, body) == []
    assert send(client, "HELP") == [line.sms.texts["help"]]  # carriers require HELP to be answered
    assert send(client, "STOP") == [line.sms.texts["stop"]]  # asked again, told again, once
    assert send(client, "start") == [line.sms.texts["start"]]
    assert send(client, "RISKS") == [TextFlow(line).topic_message("risks", 0)]


@pytest.mark.parametrize("word", ["STOP", "stopall", "UNSUBSCRIBE", "cancel", "END", "quit"])
def test_every_standard_opt_out_word_works(client, word):
    send(client, word)
    assert send(client, "MENU") == []


def test_with_twilio_handling_opt_outs_we_send_no_second_confirmation(client, line):
    # The default: Twilio's own opt-out handling answers STOP, START and HELP itself.
    assert send(client, "STOP") == []
    assert send(client, "MENU") == []
    assert send(client, "START") == []
    assert send(client, "HELP") == []
    assert send(client, "MENU") == [line.sms.texts["menu"]]  # START was recorded: the number is back


def test_stop_survives_a_restart(make_app, line):
    send(make_app().test_client(), "STOP")
    restarted = make_app().test_client()  # a new app on the same database file
    assert send(restarted, "MENU") == []
    assert send(restarted, "MENU", number="+15550000000") == [line.sms.texts["menu"]]


def test_a_plain_words_opt_out_survives_a_restart_like_stop(make_app, line):
    send(make_app().test_client(), "pls stop sending me these")
    assert send(make_app().test_client(), "MENU") == []


def test_stop_in_a_longer_message_is_not_an_opt_out_but_reads_as_menu(client, line):
    [reply] = send(client, "please don't stop")
    assert reply.endswith(line.sms.texts["menu"]) and reply != line.sms.texts["stop"]


def test_no_phone_number_or_body_is_stored(make_app, tmp_path):
    app = make_app()
    client = app.test_client()
    send(client, "RISKS")
    send(client, "STOP", number="+15557654321")
    assert services_of(app).store.flush_counts() >= 1  # counts wait in memory for a few seconds
    engine = create_engine(f"sqlite:///{tmp_path / 'line.db'}")
    with engine.connect() as conn:
        dump = " ".join(str(row) for table in ("opt_outs", "sms_positions", "usage_counts")
                        for row in conn.execute(text(f"SELECT * FROM {table}")))
    assert "5551234567" not in dump and "7654321" not in dump and "RISKS" not in dump
    assert "topic:risks:1" in dump  # anonymous counts by node


def test_an_error_gets_an_apology_only_where_one_may_be_sent(make_app, monkeypatch, line):
    app = make_app(SMS_OPT_OUT_BY_TWILIO=False)
    store = services_of(app).store
    client = app.test_client()
    monkeypatch.setattr(store, "set_position", lambda *a: 1 / 0)
    assert send(client, "RISKS") == [line.sms.texts["error"]]
    # When the opt-out list cannot be read, the number may have opted out: nothing is sent.
    monkeypatch.setattr(store, "take_text", lambda *a: 1 / 0)
    assert send(client, "MENU") == []


def test_when_the_count_cannot_be_written_each_worker_counts_in_memory(make_app, monkeypatch, line):
    """A locked database (the write refused, reads go on): the opt-out is still read, and the limit still holds."""
    app = make_app(SMS_OPT_OUT_BY_TWILIO=False, SMS_REPLIES_PER_HOUR=3)
    store = services_of(app).store
    client = app.test_client()
    send(client, "STOP", number="+15557654321")

    def locked(*_args):
        raise StoreError("OperationalError: database is locked")

    monkeypatch.setattr(store, "take_text", locked)
    monkeypatch.setattr(store, "set_position", lambda *a: None)
    assert send(client, "RISKS", number="+15557654321") == []  # opted out, read without the write
    replies = [send(client, "MENU") for _ in range(10)]
    assert replies[:3] == [[line.sms.texts["menu"]]] * 3 and replies[3] == [line.sms.texts["limit"]]
    assert replies[4:] == [[]] * 6
    # When even the read fails, the number may have opted out: nothing is sent.
    monkeypatch.setattr(store, "texter", lambda *a: 1 / 0)
    assert send(client, "MENU", number="+15550001111") == []


def test_a_stop_the_database_refuses_goes_to_the_journal_and_is_applied_later(make_app, monkeypatch, line):
    app = make_app(SMS_OPT_OUT_BY_TWILIO=False)
    store = services_of(app).store
    real = store._write_stops
    monkeypatch.setattr(store, "_write_stops", lambda keys: 1 / 0)
    client = app.test_client()
    assert send(client, "STOP") == [line.sms.texts["stop"]]  # durable in the journal: a true confirmation
    assert store.journal.pending() == {store.number_key(NUMBER)}
    assert send(client, "MENU") == []  # the journal is read before any reply
    assert send(client, "START") == [line.sms.texts["start_failed"]]  # the STOP cannot be applied yet
    assert send(client, "MENU") == []
    monkeypatch.setattr(store, "_write_stops", real)
    assert store.replay_journal() == 1 and not store.journal.pending()
    assert send(client, "MENU") == []  # now from the database
    assert send(client, "START") == [line.sms.texts["start"]]
    assert send(client, "MENU") == [line.sms.texts["menu"]]


def test_a_stop_neither_the_database_nor_the_journal_takes_asks_for_another(make_app, monkeypatch, tmp_path, line):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the journal's folder should be")
    app = make_app(SMS_OPT_OUT_BY_TWILIO=True, STOP_JOURNAL=str(blocker / "stop-journal.txt"))
    store = services_of(app).store
    monkeypatch.setattr(store, "_write_stops", lambda keys: 1 / 0)
    # Even when Twilio confirms STOP itself, the person hears that it did not take.
    assert send(app.test_client(), "STOP") == [line.sms.texts["stop_failed"]]
    assert not store.journal.pending()


def test_text_flow_more_without_a_position_gives_the_menu(line):
    flow = TextFlow(line)
    assert flow.reply("MORE", None).node == Node.menu()
    assert flow.reply("MORE", Position("gone", 1)).node == Node.menu()


@pytest.mark.parametrize("body, topic", [
    ("what are the risks?", "risks"), ("what about trials", "find-a-trial"),
    ("how do I join a trial", "find-a-trial"), ("how risky is it", "risks"), ("what is car t", "basics"),
])
def test_sentences_find_their_subject_not_their_question_word(line, body, topic):
    assert TextFlow(line).reply(body, None).node == Node.topic(topic, 1)


def test_more_inside_a_short_message_and_the_menu_keeps_the_place(line):
    flow = TextFlow(line)
    first = flow.reply("RISKS", None)
    assert flow.reply("tell me more", first.position).node == Node.topic("risks", 2)
    menu = flow.reply("MENU", first.position)
    assert menu.node == Node.menu() and menu.position == first.position


@pytest.mark.parametrize("body", ["I'm so tired today", "i m lost"])
def test_a_sentence_with_im_is_not_a_request_for_the_next_part(line, body):
    # "I'm" reads "I M", and M alone is MORE's keyword: only the whole message "M" asks for the next part.
    flow = TextFlow(line)
    first = flow.reply("RISKS", None)
    assert flow.reply(body, first.position).node == Node.menu()
    assert flow.reply("m", first.position).node == Node.topic("risks", 2)


@pytest.mark.parametrize("body", ["opt out", "Stop please", "STOP ALL", "unsubscribe me", "stop texting me",
                                  "please remove me from this list", "I'm done with these messages, thanks"])
def test_other_ways_to_say_stop_are_honoured_and_confirmed_once(client, line, body):
    # Twilio answers only its own words, so the line confirms these itself, even with Twilio's handling on.
    assert send(client, body) == [line.sms.texts["stop"]]
    assert send(client, "MENU") == []
