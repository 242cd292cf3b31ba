"""Understanding by meaning: safety first, negation, sound-alikes, shorthand, the margin, a second language.

Examples are this file's own (not the benchmark corpus's). Word classes come from content/en/concepts.yaml;
the second-language test builds its own tiny content.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from helpers import REAL_CONTENT_DIR as CONTENT_DIR

from app.core.callflow import CallFlow, Input, Pending, State
from app.core.content import ContentError, Line, SmsContent, load_line
from app.core.content.concepts import Concepts, Element, Intent, Pattern
from app.core.hearing import Hearing, Meaning
from app.core.language import ENGLISH, SPANISH
from app.core.listening import speech_timeout
from app.core.textflow import Position, TextFlow
from app.core.understanding import Understanding


@pytest.fixture(scope="module")
def line(real_line):
    """The real content: its word classes (content/en/concepts.yaml) are what the understanding is made of,
    and these tests check the safety rules on them, as the golden conversations check whole calls."""
    return real_line


@pytest.fixture(scope="module")
def hearing(line):
    return Hearing(line)


@pytest.fixture(scope="module")
def flow(line):
    return CallFlow(line)


@pytest.fixture(scope="module")
def texts(line):
    return TextFlow(line)


def said(flow, text, state=None):
    return flow.respond(state or State(), Input("speech", text))


def asked_about_risks():
    """A call at the trials menu, just asked "Did you mean side effects?"."""
    return State(("main", "trials-and-doctor"), pending=Pending("confirm", "topic", "risks"))


# ----- safety first ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "what are the side effects, because my chest hurts since the infusion",
    "tell me about trials, my father got very drowsy after his cells went back in",
    "I'm having a hard time breathing since the treatment",
    "she fell down the stairs after the car tee",
])
def test_an_emergency_is_answered_first_even_beside_a_subject(flow, text):
    turn = said(flow, text)
    assert turn.node.kind == "question" and turn.node.id == "unwell"
    assert turn.text.startswith("If this is an emergency, hang up and call 911")


def test_an_emergency_by_text_is_answered_before_any_keyword(texts):
    reply = texts.reply("RISKS? i have a temperature of 104", None)
    assert reply.node.id == "unwell" and reply.body.startswith("If this is an emergency, call 911")


def test_an_emergency_is_never_asked_about_even_when_the_recogniser_doubts(flow):
    turn = flow.respond(State(), Input("speech", "my chest pain is bad", unsure=True))
    assert turn.node.id == "unwell"


def test_a_question_about_ones_own_care_beats_the_subject_named_beside_it(hearing):
    assert hearing.hear("is the trial risky and should i skip my kesimpta shots", False) == \
        Meaning("question", "change-treatment")
    assert hearing.hear("i want to give up my tecfidera", False) == Meaning("question", "change-treatment")
    assert hearing.hear("is it ok to taper off my pills", False) == Meaning("question", "change-treatment")


@pytest.mark.parametrize("text", ["please don't send me a text", "no need to text me that",
                                  "I never asked you to text me"])
def test_a_negated_text_request_is_never_carried_out(flow, line, text):
    turn = said(flow, text, State(line.paths["risks"], 0))
    assert turn.request is None


@pytest.mark.parametrize("text", ["I don't want to hang up", "I'm not going to say goodbye yet",
                                  "bye bye, wait, what about the trials", "bye to the old pills?"])
def test_a_call_never_ends_unless_clearly_meant(flow, text):
    assert not said(flow, text).hangup


def test_a_goodbye_is_never_a_guess(hearing):
    assert hearing.understanding.meaning("goodbey", "voice") != Meaning("command", "goodbye")
    assert hearing.hear("goodbye", False) == Meaning("command", "goodbye")


def test_not_reaches_only_up_to_a_break(hearing):
    assert hearing.hear("don't slow down, just say it again", True) == Meaning("command", "repeat")
    assert hearing.hear("I don't need a person", False) == Meaning("declined", "command:person")


# ----- texts: opting out in plain words -------------------------------------------------------------

@pytest.mark.parametrize("text", ["please quit messaging me", "I want no more of these texts",
                                  "take me off this list", "stop sending me stuff, wrong person"])
def test_a_plain_words_opt_out_is_a_stop(texts, text):
    assert texts.opt_out_group(text) == "stop"


@pytest.mark.parametrize("text", ["don't stop messaging me", "i'm not unsubscribing, what are the risks"])
def test_a_negated_opt_out_is_not_a_stop(texts, text):
    assert texts.opt_out_group(text) is None


def test_a_message_that_might_be_an_opt_out_is_told_how_to_stop(texts):
    reply = texts.reply("you send way too many messages", None)
    assert reply.node.kind == "maybe-stop" and "reply STOP" in reply.body


def test_plain_words_help_start_and_forget(texts):
    assert texts.opt_out_group("what is this number?") == "help"
    assert texts.opt_out_group("please resubscribe me") == "start"
    assert texts.is_forget("wipe my data please")


def test_shorthand_is_read(texts, hearing):
    assert hearing.read("r u able 2 tell me abt the risks") == Meaning("node", "risks")
    assert texts.reply("wat r the side fx", None).node.id == "risks"
    assert texts.reply("nxt pls", Position("risks", 1)).node.part == 2


# ----- sound-alikes and typos -----------------------------------------------------------------------

@pytest.mark.parametrize("text, meaning", [
    ("tell me about the side defects", Meaning("node", "risks")),
    ("how do clinical trails work", Meaning("node", "find-a-trial")),
    ("what is carty", Meaning("node", "what-is-car-t")),
    ("should i stop tie sabri", Meaning("question", "change-treatment")),
])
def test_misheard_forms_of_the_lines_own_words_are_found_inside_a_sentence(hearing, text, meaning):
    found = hearing.hear(text, False)
    assert (found.kind, found.name) == (meaning.kind, meaning.name)


def test_a_weak_guess_is_asked_about_with_the_existing_confirm_step(flow):
    turn = said(flow, "the trails")
    assert turn.node.kind == "confirm" and turn.node.id == "find-a-trial"
    assert said(flow, "yes", turn.state).node.id == "find-a-trial"


def test_a_misheard_word_beside_a_heard_one_acts_at_once(flow):
    assert said(flow, "side defects").node.id == "risks"


def test_common_words_are_not_taken_for_the_lines_words(hearing):
    for text in ("my car needs a wash", "i know", "do me a favor"):
        assert hearing.hear(text, False).kind == "nothing", text


def test_a_real_word_that_sounds_like_the_lines_is_only_asked_about(flow):
    assert said(flow, "the trail by the lake").node.kind == "confirm"


def test_a_word_split_by_the_recogniser_is_found_even_when_its_halves_are_words(hearing):
    assert (hearing.hear("for get my number", False).kind, hearing.hear("for get my number", False).name) == \
        ("command", "forget")


# ----- answering "Did you mean ...?" ------------------------------------------------------------------

def test_a_no_that_says_what_was_meant_instead_gets_that(flow):
    asked = said(flow, "the trails")
    assert asked.node.kind == "confirm"
    turn = said(flow, "no, I asked what it costs", asked.state)
    assert (turn.node.kind, turn.node.id) == ("question", "cost")


def test_a_yes_with_an_emergency_gets_the_emergency_words(flow):
    asked = said(flow, "the trails")
    turn = said(flow, "yes and I have a fever right now", asked.state)
    assert (turn.node.kind, turn.node.id) == ("question", "unwell")


def test_a_plain_no_is_still_a_no(flow):
    asked = said(flow, "the trails")
    for answer in ("no", "no thanks", "no, not that"):
        assert said(flow, answer, asked.state).node.kind != "topic", answer


# ----- texts: thanks, a language asked for in a few words ---------------------------------------------

def test_thanks_in_a_sentence_is_thanks_but_never_hides_a_request(texts):
    assert texts.reply("this is really helpful thank you", Position("risks", 1)).node.kind == "thanks"
    assert texts.reply("thanks, what does it cost", Position("risks", 1)).node.id == "cost"


@pytest.mark.parametrize("text", ["spanish pls", "en espanol por favor", "SPANISH"])
def test_a_few_words_asking_for_spanish_switch(texts, text):
    assert texts.language_asked(text) == "es"


@pytest.mark.parametrize("text", ["no more spanish", "don't send it in Spanish"])
def test_a_language_said_not_to_be_wanted_is_no_switch(texts, text):
    assert texts.language_asked(text) is None


def test_a_sentence_that_mentions_spanish_is_no_switch(texts):
    assert texts.language_asked("my wife only speaks spanish can she call about trials") is None


# ----- the resume offer and listening that adapts -----------------------------------------------------

def test_the_resume_offer_repeats_on_9_and_say_that_again(flow):
    offer = flow.start(resume=("risks", 1))
    for heard in (Input("digits", "9"), Input("speech", "can you say that again")):
        again = flow.respond(offer.state, heard)
        assert again.node == offer.node and "Last time you were listening to" in again.text
    assert flow.respond(offer.state, Input("digits", "7")).node.id == "main"


def test_asking_for_more_time_gives_a_longer_speech_timeout(flow, line):
    turn = said(flow, "hold on, I need more time to talk", State(line.paths["risks"], 0))
    assert turn.state.listen == 1 and turn.state.to_params()["wait"] == "1"
    assert State.from_params(turn.state.to_params()) == turn.state
    assert speech_timeout(turn.state.listen, "3") == "5" and speech_timeout(0, "3") == "3"
    assert said(flow, "okay", turn.state).state.listen == 1  # kept for the rest of the call


def test_misheard_twice_in_a_row_gives_more_time(flow):
    first = said(flow, "blue elephant tuesday")
    assert first.state.listen == 0
    assert said(flow, "purple giraffe", first.state).state.listen == 1


def test_a_caller_remembered_with_more_time_starts_with_it(flow):
    assert flow.start(listen=2).state.listen == 2


# ----- content: concepts.yaml, and a second language with only content and a Language --------------

def test_an_intent_with_an_unknown_class_names_file_line_and_field(tmp_path):
    content = Path(shutil.copytree(CONTENT_DIR, tmp_path / "content"))
    concepts = content / "en/concepts.yaml"
    concepts.write_text(concepts.read_text().replace("when: [cost_word]", "when: [price_word]", 1))
    with pytest.raises(ContentError) as caught:
        load_line(content)
    [problem] = [str(p) for p in caught.value.problems]
    assert "en/concepts.yaml:" in problem and "intents[3].when[0]" in problem and "price_word" in problem


def test_a_second_language_needs_only_its_content_and_a_language_value():
    spanish_like = dataclasses.replace(SPANISH, code="xx", name="prueba", digit_words={}, sounds_like_digits={})
    concepts = Concepts(
        rewrite={"q": "que"}, negators=("no",), breaks=("pero",),
        classes={"dejar": ("dejar", "parar", "suspender"), "medicina": ("medicina", "ocrevus", "inyecciones")},
        intents=(Intent("question:cambiar", (Pattern((Element("dejar"), Element("medicina"))),)),))
    line = Line(name="prueba", phrases={}, templates={}, reserved={}, menus={}, topics={}, pronunciations=(),
                jargon={}, sms=SmsContent({}, {}), language="xx", concepts=concepts)
    understanding = Understanding(line, spanish_like)
    assert understanding.meaning("¿Debo dejando mis inyecciones?") == Meaning("question", "cambiar")
    assert understanding.meaning("no quiero parar la medicina").kind == "declined"  # said, not asked
    assert ENGLISH.stemmer != spanish_like.stemmer


@pytest.mark.parametrize("message", ["STPO", "SSTOP", "stoo", "STOP STOP", "STOP thanks", "Stop please"])
def test_an_opt_out_mistyped_or_with_courtesy_words_is_a_stop(texts, message):
    assert texts.opt_out_group(message) == "stop"


@pytest.mark.parametrize("message", ["SHOP", "spot", "step", "tops", "stop ocrevus"])
def test_a_real_word_near_stop_is_no_opt_out(texts, message):
    assert texts.opt_out_group(message) != "stop"


@pytest.mark.parametrize("text", ["my wife's lips look kind of blue", "my chest is all tight and I'm scared",
                                  "his speech is all jumbled since this morning"])
def test_a_part_of_the_body_and_something_wrong_with_it_is_an_emergency(hearing, text):
    assert hearing.hear(text, False) == Meaning("question", "unwell")


@pytest.mark.parametrize("text, meaning", [
    ("slower, no wait, I mean faster", Meaning("command", "faster")),
    ("the trials, no, I mean the news from the trials", Meaning("node", "car-t-for-ms-today")),
])
def test_after_a_correction_what_was_meant_counts(hearing, text, meaning):
    assert hearing.hear(text, True) == meaning


def test_an_emergency_before_a_correction_is_still_answered(hearing):
    assert hearing.hear("I have a fever, no wait, I mean the side effects", False) == Meaning("question", "unwell")


def test_already_knowing_a_subject_is_no_request_for_it(hearing):
    assert hearing.hear("I already know what CAR-T is", False).kind == "declined"


def test_a_yes_that_says_not_to_hang_up_keeps_the_call(flow):
    turn = said(flow, "yes, but don't hang up", State(pending=Pending("end")))
    assert not turn.hangup and turn.node.kind != "goodbye"


def test_a_yes_to_an_offer_that_then_says_goodbye_asks_before_ending(flow):
    answered = said(flow, "how much does it cost")
    assert answered.state is not None and answered.state.pending is not None
    turn = said(flow, "okay that's all I needed, bye now", answered.state)
    assert turn.node.kind == "confirm" and turn.node.id == "end" and not turn.hangup


def test_a_yes_to_an_offer_that_asks_something_else_gets_that(flow):
    answered = said(flow, "how much does it cost")
    turn = said(flow, "sure, and how do I find a trial near me", answered.state)
    assert (turn.node.kind, turn.node.id) == ("question", "where")


def test_again_and_slower_in_one_breath_replays_the_part_slower(flow, line):
    first = said(flow, "side effects")
    turn = said(flow, "sorry, say it again slower please", first.state)
    assert turn.state.part == first.state.part and turn.state.speed_step < first.state.speed_step
    assert turn.segments[0].text == line.phrases["speed_slower"]
    assert [s.text for s in turn.segments[1:]] == [s.text for s in first.segments if s.text != "Side effects."]


@pytest.mark.parametrize("text, meaning", [
    ("i dont want more texts about risks, tell me about trials", Meaning("node", "find-a-trial")),
    ("STOP sending the risk stuff, just tell me the cost", Meaning("question", "cost")),
])
def test_texts_about_one_subject_declined_while_another_is_asked_for_is_no_opt_out(texts, hearing, text, meaning):
    assert texts.opt_out_group(text) is None
    assert hearing.read(text) == meaning


def test_stop_texting_me_about_a_subject_is_still_an_opt_out(texts):
    assert texts.opt_out_group("stop texting me about trials") == "stop"


@pytest.mark.parametrize("text, meaning", [
    ("not the risks i'm worried about the money part", Meaning("question", "cost")),
    ("i'm not asking about trials i want to know the cost", Meaning("question", "cost")),
    ("I don't have a fever I have chest pain", Meaning("question", "unwell")),
])
def test_a_request_said_after_a_declined_one_is_what_is_wanted(hearing, text, meaning):
    assert hearing.hear(text, True) == meaning


@pytest.mark.parametrize("text", ["I don't have a fever or chills", "don't transfer me to anybody",
                                  "don't text me the risks"])
def test_a_not_reaches_across_or_and_within_one_request(hearing, text):
    assert hearing.hear(text, True).kind == "declined"


def test_texts_about_a_subject_not_wanted_is_not_that_subject(hearing):
    assert hearing.read("don't send me the menu").kind == "declined"


@pytest.mark.parametrize("text, kind, name", [
    ("no take me back to the subjects", "menu", "main"),
    ("no no the questions for the doctor one", "topic", "questions-for-your-doctor"),
    ("no i said start over", "menu", "main"),
])
def test_no_then_a_request_after_did_you_mean_gets_that_request(flow, text, kind, name):
    state = asked_about_risks()
    turn = said(flow, text, state)
    assert (turn.node.kind, turn.node.id) == (kind, name)


def test_no_and_a_declined_request_after_did_you_mean_is_a_no(flow, line):
    state = asked_about_risks()
    turn = said(flow, "no, no I don't want the side effects", state)
    assert turn.segments[0].text.startswith(line.talk.say["confirm_no"])


@pytest.fixture(scope="module")
def spanish_hearing():
    """The real Spanish content's word classes (content/es/concepts.yaml), for the rules said in its words."""
    return Hearing(load_line(CONTENT_DIR, "es"))


@pytest.mark.parametrize("text, meaning", [
    ("no me repita eso pase a la siguiente parte", Meaning("command", "next")),
    ("no le pregunto por el precio le pregunto si dejo el kesimpta", Meaning("question", "change-treatment")),
])
def test_in_spanish_a_request_after_a_declined_one_is_what_is_wanted(spanish_hearing, text, meaning):
    assert spanish_hearing.hear(text, True) == meaning


@pytest.mark.parametrize("text", ["no le estoy preguntando por el precio", "no tengo fiebre ni escalofríos"])
def test_in_spanish_a_not_reaches_across_ni_and_a_frame_of_asking(spanish_hearing, text):
    assert spanish_hearing.hear(text, True).kind == "declined"


def test_a_listed_phrase_starting_with_not_counts_only_whole(spanish_hearing):
    assert spanish_hearing.hear("no sé", True) == Meaning("command", "help")
    assert spanish_hearing.hear("no, no se vaya al siguiente, repítame esa parte", True) == Meaning("command", "repeat")


@pytest.mark.parametrize("text", ["not side effects", "I didn't say side effects", "no side defects"])
def test_denying_what_did_you_mean_names_is_a_no(flow, line, text):
    state = asked_about_risks()
    turn = said(flow, text, state)
    assert turn.segments[0].text.startswith(line.talk.say["confirm_no"])


@pytest.mark.parametrize("text, meaning", [
    ("okay I got that part, I understand the fever thing, let's move along to the next bit",
     Meaning("command", "next")),
    ("I know about the fever stuff already, go on to the next part", Meaning("command", "next")),
])
def test_a_symptom_named_as_the_subject_beside_a_request_is_no_emergency(hearing, text, meaning):
    assert hearing.hear(text, True) == meaning


@pytest.mark.parametrize("text", ["I read about the fever thing and now I have one",
                                  "the fever stuff you said, I have that now"])
def test_a_symptom_named_as_a_subject_with_nothing_else_asked_is_still_an_emergency(hearing, text):
    assert hearing.hear(text, True) == Meaning("question", "unwell")


# ----- the nearest examples, when no word class is found -------------------------------------------

@pytest.fixture(scope="module")
def with_examples(tmp_path_factory):
    """The real English content with this test's own examples.txt (the project's is much larger)."""
    content = Path(shutil.copytree(CONTENT_DIR, tmp_path_factory.mktemp("examples") / "content"))
    (content / "en/examples.txt").write_text(
        "# this test's examples\n"
        "command:previous | voice | glorp the fimble yonder\n"
        "command:previous | voice | glorp the fimble\n"
        "topic:risks | any | what could go sideways with the zorbly\n"
        "command:text | voice | zap it over to my pocket\n"
        "nothing | voice | my kitten sat on the keypad\n")
    return CallFlow(load_line(content))


def test_words_like_an_example_mean_what_it_meant(with_examples):
    assert with_examples.hearing.hear("glorp the fimble please", True) == Meaning("command", "previous", sure=False)


def test_a_subject_like_an_example_is_asked_about_first(with_examples):
    turn = said(with_examples, "what could go sideways with it")
    assert (turn.node.kind, turn.node.id) == ("confirm", "risks")


def test_an_example_is_never_taken_to_send_or_act_on_the_callers_behalf(with_examples):
    assert with_examples.hearing.hear("zap it over to my pocket", True).kind == "nothing"


def test_an_example_of_nothing_keeps_it_nothing(with_examples):
    assert with_examples.hearing.hear("my kitten sat on the keypad with the zorbly", True).kind == "nothing"
    assert with_examples.hearing.hear("sideways with the zorbly", True) == Meaning("node", "risks", sure=False)


def test_no_example_is_guessed_at_in_an_answer_to_did_you_mean(with_examples):
    state = asked_about_risks()
    turn = said(with_examples, "glorp the fimble", state)
    assert turn.node.kind != "topic" or turn.state.part == 0  # not taken as "the part before"


@pytest.mark.parametrize("line_text, field", [
    ("topic:nowhere | voice | some words", "intent"),
    ("topic:risks | phone | some words", "channel"),
    ("topic:risks voice some words", "(line)"),
])
def test_a_wrong_example_names_file_line_and_field(tmp_path, line_text, field):
    content = Path(shutil.copytree(CONTENT_DIR, tmp_path / "content"))
    (content / "en/examples.txt").write_text(f"# one wrong line\n\n{line_text}\n")
    with pytest.raises(ContentError) as caught:
        load_line(content)
    [problem] = [str(p) for p in caught.value.problems]
    assert problem.startswith("content/en/examples.txt:3:") or "en/examples.txt:3:" in problem
    assert f" {field}:" in problem


@pytest.mark.parametrize("text, meaning", [
    ("not so slow, not so fast, just normal", Meaning("command", "normal")),
    ("okay now that's too fast, just normal", Meaning("command", "normal")),
])
def test_of_several_speeds_named_the_last_is_meant(hearing, text, meaning):
    assert hearing.hear(text, True) == meaning


def test_a_short_message_is_taken_only_for_an_example_of_the_same_words(with_examples):
    assert with_examples.hearing.hear("glorp the fimble", True).kind == "command"
    assert with_examples.hearing.hear("glorp", True).kind == "nothing"


@pytest.mark.parametrize("text, meaning", [
    ("I can't write this down, my hands are too shaky, can you send it to my cell", Meaning("command", "text")),
    ("my speech is slow, can you wait longer for me to finish", Meaning("command", "more-time")),
])
def test_what_ms_makes_hard_said_as_the_reason_for_a_request_is_no_emergency(hearing, text, meaning):
    assert hearing.hear(text, False) == meaning


@pytest.mark.parametrize("text", ["I'm shaking and I can't get warm, I think I need help",
                                  "my hands are shaking and I have a fever, can you text it to me",
                                  "my husband is very confused tonight, can you text me",
                                  "my speech is suddenly slurred, slow down", "I'm shaking, get me a person",
                                  "I have the fever thing, repeat that", "the fever stuff is happening to me, go back"])
def test_a_difficulty_beside_a_sign_of_trouble_or_a_call_for_help_is_still_an_emergency(hearing, text):
    assert hearing.hear(text, False) == Meaning("question", "unwell")


@pytest.mark.parametrize("pending, text", [
    ("end", "no need to hang up"), ("end", "no hang up"), ("end", "no bye"),
    ("confirm", "not hanging up"), ("confirm", "no goodbye"),
])
def test_a_no_then_a_goodbye_never_ends_the_call(flow, pending, text):
    asked = Pending("end") if pending == "end" else Pending("confirm", "topic", "risks")
    turn = said(flow, text, State(("main", "trials-and-doctor"), pending=asked))
    assert not turn.hangup and turn.node.kind != "goodbye"


@pytest.mark.parametrize("text", ["no texts please just read it", "no need to text me", "no more texts",
                                  "no delete my number"])
def test_a_no_then_a_request_with_consequences_is_only_a_no(flow, line, text):
    state = asked_about_risks()
    turn = said(flow, text, state)
    assert turn.request is None and turn.segments[0].text.startswith(line.talk.say["confirm_no"])


@pytest.mark.parametrize("text", ["don't send the risks over text", "don't repeat it by text",
                                  "don't repeat that delete my info"])
def test_a_not_is_never_lifted_from_a_text_or_an_erasure(hearing, text):
    assert hearing.hear(text, True).kind == "declined"


def test_in_spanish_a_symptom_said_as_happening_is_an_emergency_beside_a_request(spanish_hearing):
    assert spanish_hearing.hear("tengo eso de la fiebre, repítame", True) == Meaning("question", "unwell")
    assert spanish_hearing.hear("repítame lo de la fiebre que dijo", True) == Meaning("command", "repeat")


@pytest.mark.parametrize("text", ["no me cuelgue", "no quiero colgar", "no adiós"])
def test_in_spanish_a_no_then_a_goodbye_never_ends_the_call(text):
    flow = CallFlow(load_line(CONTENT_DIR, "es"))
    turn = flow.respond(State(pending=Pending("end")), Input("speech", text))
    assert not turn.hangup and turn.node.kind != "goodbye"


@pytest.mark.parametrize("message", ["Please don't message this number again", "don't contact me again"])
def test_do_not_text_me_again_is_an_opt_out(hearing, message):
    assert hearing.read(message) == Meaning("sms", "opt_out")


@pytest.mark.parametrize("message", ["no vuelvan a escribirme", "no me contacten más"])
def test_in_spanish_do_not_write_me_again_is_an_opt_out(spanish_hearing, message):
    assert spanish_hearing.read(message) == Meaning("sms", "opt_out")


@pytest.mark.parametrize("message", ["quit bugging me", "lose my number"])
def test_plain_words_asking_to_be_left_alone_are_an_opt_out(hearing, message):
    assert hearing.read(message) == Meaning("sms", "opt_out")


def test_asking_whether_a_relative_could_get_it_is_the_eligibility_question(hearing, spanish_hearing):
    assert hearing.read("can my mom get it shes 70") == Meaning("question", "eligible")
    assert spanish_hearing.read("mi esposo podría entrar a un estudio de esos") == Meaning("question", "eligible")


def test_forget_the_number_i_called_from_is_an_erasure(hearing):
    assert hearing.hear("please forget the number i called from", True) == Meaning("command", "forget")


@pytest.mark.parametrize("message", ["i'm scared of the chemo part", "the chemo part worries me",
                                     "afraid of it honestly"])
def test_fear_of_the_treatment_or_its_chemo_asks_about_the_risks(hearing, message):
    assert hearing.read(message) == Meaning("node", "risks")


def test_in_spanish_the_chemo_before_it_asks_about_the_risks(spanish_hearing):
    assert spanish_hearing.read("y lo de la quimio de antes") == Meaning("node", "risks")


@pytest.mark.parametrize("said", ["no that's all thank you", "No, that's it, thanks.", "nope, I'm good"])
def test_no_before_thats_all_answers_anything_else_and_may_end_the_call(hearing, said):
    # The "no" answers "anything else?"; it is not a "not" before "that's all" (which kept the call going).
    assert hearing.hear(said, True) == Meaning("maybe_end")
    assert hearing.hear("I don't think that's all", True) == Meaning("declined", "maybe_end")


@pytest.mark.parametrize("said", ["No, nada más.", "no, nada más, gracias", "no, eso es todo"])
def test_in_spanish_no_nothing_more_may_end_the_call_and_is_not_a_request_for_more(spanish_hearing, said):
    assert spanish_hearing.hear(said, True) == Meaning("maybe_end")


def test_a_text_saying_no_thats_all_thank_you_is_thanks(hearing):
    assert hearing.read("no thats all thank you") == Meaning("sms", "thanks")


@pytest.mark.parametrize("message, meaning", [
    ("i have ppms", Meaning("question", "eligible")), ("I have relapsing remitting", Meaning("question", "eligible")),
    ("do you lose your hair", Meaning("node", "risks")),
    ("i have progressive ms and i feel dizzy right now", Meaning("question", "unwell")),
])
def test_naming_ones_own_ms_asks_if_it_is_for_them_and_hair_loss_is_a_risk(hearing, message, meaning):
    assert hearing.read(message) == meaning


@pytest.mark.parametrize("said, meaning", [
    ("nada más quiero saber los riesgos", Meaning("node", "risks")),  # "nada más" is "only", not "más" (more)
    ("no es una emergencia, nada más quiero saber de los estudios", Meaning("node", "find-a-trial")),
    ("es como un trasplante de médula", Meaning("node", "what-is-car-t")),
])
def test_in_spanish_only_i_want_to_know_asks_for_its_subject(spanish_hearing, said, meaning):
    assert spanish_hearing.hear(said, True) == meaning


@pytest.mark.parametrize("said, meaning", [
    ("I'm going to have to call back later", Meaning("maybe_end")),  # not "back"
    ("thanks so much, you've been so helpful", Meaning("maybe_end")),  # not "help"
    ("that was helpful, now tell me about the trials", Meaning("node", "find-a-trial")),
    ("can you help me", Meaning("command", "help", sure=False)),
])
def test_leaving_to_call_back_and_thanks_for_the_help_may_end_the_call(hearing, said, meaning):
    assert hearing.hear(said, True) == meaning


@pytest.mark.parametrize("said, meaning", [
    ("tengo que volver a llamar más tarde", Meaning("maybe_end")),  # not "volver" (back)
    ("muchas gracias, me ayudó mucho", Meaning("maybe_end")),  # not "ayuda" (help)
    ("vuelvo a llamar más tarde porque me siento muy mal", Meaning("question", "unwell")),
    ("sirve para la progresiva", Meaning("node", "car-t-for-ms-today")),
])
def test_in_spanish_calling_back_later_and_thanks_for_the_help_may_end_the_call(spanish_hearing, said, meaning):
    assert spanish_hearing.hear(said, True) == meaning


def test_asking_if_it_is_a_scam_is_a_request_for_who_this_is(hearing, spanish_hearing):
    assert hearing.read("is this a scam") == Meaning("sms", "help")
    assert spanish_hearing.read("es una estafa") == Meaning("sms", "help")
    assert hearing.read("is this a scam? stop texting me") == Meaning("sms", "opt_out")


def test_in_spanish_hair_falling_out_is_a_risk_and_a_fall_with_fever_an_emergency(spanish_hearing):
    assert spanish_hearing.read("se me cae el pelo con eso") == Meaning("node", "risks")
    assert spanish_hearing.read("se me cayó el pelo y tengo fiebre") == Meaning("question", "unwell")
