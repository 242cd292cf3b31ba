"""conversation.yaml and questions.yaml: the loader's refusals and the checks on how the line converses,
each on a broken copy of the test line (tests/line); the text flow's new replies; the voice webhook's
speech settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import REAL_CONTENT_DIR, TODAY, edit

from app.core import checks, gsm
from app.core.checks.listening import longest_turns
from app.core.content import ContentError, load_line
from app.core.node import Node
from app.core.textflow import TextFlow
from app.phone import parse_voice


def errors(root: Path) -> list[str]:
    return [re.sub(r"^.*?content/en/", "", str(p)) for p in checks.check_content(root, "en", TODAY, 140)
            if p.severity == "error"]


def test_real_content_has_no_conversation_errors_and_no_turn_past_50_seconds(real_line):
    assert errors(REAL_CONTENT_DIR) == []
    longest = longest_turns(real_line, 140)
    assert longest and longest[0].seconds <= 50 and longest[0].words <= 120


# ----- the loader -------------------------------------------------------------------------------------

def test_a_missing_conversation_file_is_refused(root):
    (root / "en" / "conversation.yaml").unlink()
    with pytest.raises(ContentError, match="conversation.yaml:0: \\(file\\): file is missing"):
        load_line(root)


def test_a_sentence_with_an_unknown_placeholder_or_without_its_own_is_refused(root):
    edit(root, "conversation.yaml", 'confirm_topic: "I think you said {heard}. Is that right?"',
         'confirm_topic: "I think you said {topic}. Is that right?"')
    with pytest.raises(ContentError) as caught:
        load_line(root)
    found = " ".join(str(p) for p in caught.value.problems)
    assert "say.confirm_topic: {topic} is not something the line can fill in here" in found
    assert "say.confirm_topic: must say {heard} somewhere" in found


def test_a_question_offering_an_unknown_topic_is_refused_at_its_line(root):
    edit(root, "questions.yaml", "    offer: basics", "    offer: the-news")
    with pytest.raises(ContentError, match=r"questions.yaml:\d+: questions\[1\]\.offer: there is no topic "
                                           r"called 'the-news'"):
        load_line(root)


def test_a_bare_yes_in_the_words_is_refused(root):
    edit(root, "conversation.yaml", "mm hmm, go ahead", "mm hmm, yes, go ahead")
    with pytest.raises(ContentError, match="words.alone.next: has yes, no, on or off without quotes"):
        load_line(root)


# ----- the checks --------------------------------------------------------------------------------------

def test_a_phrase_two_places_would_claim_is_reported(root):
    edit(root, "conversation.yaml", "a live person, a human,", "a live person, side effects, a human,")
    [found] = [e for e in errors(root) if "saying 'side effects'" in e]
    assert found.startswith("conversation.yaml:") and "also leads to topic 'risks'" in found


def test_a_question_phrase_claimed_by_a_topic_is_reported(root):
    edit(root, "questions.yaml", "[cost, how much,", "[cost, side effects, how much,")
    assert any("questions[2].phrases[1]: saying 'side effects'" in e for e in errors(root))


def test_a_turn_past_50_seconds_is_an_error_even_when_its_part_is_allowed(root):
    # 55 more words: the part alone is under 45 seconds, but with its heading and choices the turn is not.
    longer = "Blood pressure can drop. " + "The cells go back in. " * 11
    edit(root, "topics/risks.md", "Blood pressure can drop.", longer)
    found = [e for e in errors(root) if "makes a caller listen" in e]
    assert len(found) == 1 and re.match(r"topics/risks\.md:\d+: parts\[0\]: the turn at topic:risks:1 makes a "
                                        r"caller listen 5\d(\.\d)? s \(1\d\d words, choices included\)", found[0])


def test_long_part_choices_are_reported(root):
    edit(root, "conversation.yaml", 'part_keys: "For the part before, press {previous}.',
         'part_keys: "If you would like to hear the part that came before this one, press {previous}.')
    assert any(e.startswith("conversation.yaml:") and "say.part_keys: the choices after part 2" in e
               for e in errors(root))


def test_a_promised_key_that_does_nothing_is_reported(root):
    # 5 and 6 work everywhere now (text me this, slower); 3 does nothing inside a topic, where this is said too.
    edit(root, "conversation.yaml", "Or choose from these.\n  miss_text", "Or press 3.\n  miss_text")
    assert any("says 'press 3' but key 3 does nothing there" in e for e in errors(root))


@pytest.mark.parametrize("old, new, message", [
    ("This line cannot tell you what to do about your own treatment.", "You should stop your treatment.",
     "'You should stop' tells a caller what to do"),
    ("      If this is an emergency, hang up and call 911 now.\n", "", "must begin with the emergency words"),
    ("      Your neurologist can tell you more.\n", "", "questions\\[2\\]\\.answer: must name the neurologist"),
])
def test_answers_give_no_advice_name_the_neurologist_and_put_emergencies_first(root, old, new, message):
    edit(root, "questions.yaml", old, new)
    assert any(re.search(message, e) for e in errors(root)), errors(root)


def test_a_first_part_without_its_key_fact_is_reported(root):
    edit(root, "topics/risks.md", "the main side effect is cytokine release syndrome, or CRS. That is an immune "
                                  "reaction", "the main side effect is CRS. That is an immune reaction")
    assert any(e.startswith("topics/risks.md:") and "the first part must say the topic's key fact, 'cytokine "
               "release syndrome'" in e for e in errors(root))


def test_a_thanks_reply_over_one_segment_is_reported(root):
    edit(root, "conversation.yaml", '''thanks: "You're welcome.''',
         '''thanks: "You're welcome. ''' + "Thank you. " * 15)
    assert any("sms.thanks: the reply" in e and "the most is 1" in e for e in errors(root))


# ----- texts ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("body, topic", [
    ("what are the side effects", "risks"), ("how does car t work", "basics"), ("what is it", "basics"),
    ("is it safe", "risks"),
])
def test_the_subject_wins_over_question_words(line, body, topic):
    assert TextFlow(line).reply(body, None).node == Node.topic(topic, 1)


def test_the_subject_wins_over_the_therapy_named_beside_it(real_line):
    # The real content's word classes (content/en/concepts.yaml) rank side effects over CAR-T itself.
    assert TextFlow(real_line).reply("What are the side effects of CAR-T?", None).node == Node.topic("risks", 1)


@pytest.mark.parametrize("body", ["mroe", "MOER", "nore", "More!", "nxt"])
def test_more_takes_near_misses(line, body):
    flow = TextFlow(line)
    assert flow.reply(body, flow.reply("RISKS", None).position).node == Node.topic("risks", 2)


@pytest.mark.parametrize("body", ["Thanks!", "ok", "OK thank you so much", "\U0001F44D", ":)", "got it"])
def test_thanks_ok_and_emoji_get_one_short_segment_and_keep_the_place(line, body):
    flow = TextFlow(line)
    place = flow.reply("RISKS", None).position
    reply = flow.reply(body, place)
    assert reply.node == Node("thanks") and reply.position == place and gsm.segment_count(reply.body) == 1


def test_every_topic_message_says_which_part_it_is_and_the_first_its_key_fact(line):
    flow = TextFlow(line)
    for topic in line.topics.values():
        first = flow.reply(topic.sms_keyword, None).body
        assert first.startswith(f"1/{len(topic.sms)} ")
        assert line.talk.key_facts[topic.id].lower() in first.lower()


def test_a_long_personal_question_gets_its_answer(line):
    body = ("Hi, I have had MS for twelve years and my neurologist put me on Ocrevus. I read about CAR-T in the "
            "news and want to know, should I stop my infusions and try it instead? Thank you so much.")
    reply = TextFlow(line).reply(body, None)
    assert reply.node == Node("question", "change-treatment") and "Reply WHAT" in reply.body
    assert gsm.segment_count(reply.body) <= 2


def test_what_matches_nothing_says_what_the_line_can_and_cannot_do(line):
    reply = TextFlow(line).reply("purple elephant umbrella", None)
    assert reply.body.startswith(line.talk.sms["unknown"]) and reply.body.endswith(line.sms.texts["menu"])
    assert "not advice" in reply.body and gsm.segment_count(reply.body) <= 2


# ----- the voice webhook -----------------------------------------------------------------------------

def test_the_gather_sets_the_speech_model(make_app):
    client = make_app().test_client()
    assert 'speechModel="phone_call"' in client.post("/voice").get_data(as_text=True)
    plain = make_app(SPEECH_MODEL="").test_client()
    assert "speechModel" not in plain.post("/voice").get_data(as_text=True)


@pytest.mark.parametrize("settings, confidence, confirmed", [
    ({}, "0.31", True), ({}, "0.88", False), ({}, "", False), ({}, "0", False),
    ({"SPEECH_CONFIDENCE": 0.0}, "0.1", False),
])
def test_twilios_confidence_decides_whether_a_choice_is_confirmed(make_app, settings, confidence, confirmed):
    client = make_app(**settings).test_client()
    reply = parse_voice(client.post("/voice/turn?at=main", data={"SpeechResult": "side effects",
                                                                 "Confidence": confidence}).get_data(as_text=True))
    assert reply.text.startswith("I think you said side effects.") is confirmed
    assert ("ask=confirm" in reply.gather.action) is confirmed


def test_a_confidence_setting_out_of_range_refuses_to_start(make_app):
    with pytest.raises(ValueError, match="SPEECH_CONFIDENCE"):
        make_app(SPEECH_CONFIDENCE=1.5)
