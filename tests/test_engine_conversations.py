"""The call flow's conversation rules, on the test line (tests/line): ending only when meant, personal questions,
help that grows, everyday words, the part before, unsure speech confirmed, short turns."""

from __future__ import annotations

import pytest

from app.core.callflow import CallFlow, Input, Pending, State
from app.core.hearing import Hearing, Meaning, normalize
from app.core.turns import MAX_MISSES

RISKS = State(("main", "risks"), 1)


@pytest.fixture
def flow(line):
    return CallFlow(line)


def say(flow, state, words, unsure=False):
    return flow.respond(state, Input("speech", words, unsure))


# ----- a call ends only when the caller means it ----------------------------------------------------

@pytest.mark.parametrize("words", ["goodbye", "Bye, thanks!", "bye bye", "um goodbye", "okay bye", "that's all"])
def test_goodbye_words_alone_end_the_call(flow, words):
    assert say(flow, RISKS, words).hangup


@pytest.mark.parametrize("words", ["stop", "Stop.", "that's enough", "please stop", "quit", "no thanks"])
def test_a_word_that_may_mean_two_things_asks_first(flow, words):
    turn = say(flow, RISKS, words)
    assert not turn.hangup and turn.state.pending == Pending("end")
    assert turn.text.startswith("Do you want to end the call?")
    assert flow.respond(turn.state, Input("digits", "1")).hangup
    assert say(flow, turn.state, "yes").hangup
    kept = flow.respond(turn.state, Input("digits", "2"))
    assert not kept.hangup and kept.state == RISKS and kept.text.startswith("All right.")


@pytest.mark.parametrize("words", ["should I stop taking Ocrevus", "I want to stop ocrevus", "stop my medication",
                                   "can I stop my infusions and switch to car t", "goodbye to my old drug then?"])
def test_a_sentence_with_other_words_never_ends_the_call(flow, words):
    turn = say(flow, State(), words)
    assert not turn.hangup and turn.state is not None and turn.state.pending != Pending("end")


def test_nothing_but_goodbye_and_three_silences_hang_up(flow, line):
    """Explored from every place with every key and the phrases the checker tries: a caller who is
    trying never hears a hang-up."""
    from app.core.checks.listening import conversation_turns, explored_inputs
    inputs = [i for i in explored_inputs(line) if i.kind != "silence"]
    for turn in conversation_turns(flow, inputs):
        if turn.hangup:
            assert str(turn.node) in ("goodbye", "silence-goodbye")


# ----- personal questions ---------------------------------------------------------------------------

@pytest.mark.parametrize("words, question", [
    ("how much does it cost", "cost"), ("is it covered by insurance", "cost"),
    ("I have a question about my medication", "change-treatment"), ("should I switch from ocrevus", "change-treatment"),
    ("I feel unwell after treatment", "unwell"), ("I have a fever since my treatment", "unwell"),
])
def test_personal_questions_get_their_answer_and_an_offer(flow, line, words, question):
    turn = say(flow, State(), words)
    answer = line.talk.questions[question]
    assert turn.segments[0].text == answer.answer and "neurologist" in turn.text
    assert turn.state.pending == Pending("answer", "question", question)
    offered = line.topics[answer.offer]
    assert f"To hear about {offered.label}, press 1" in turn.text
    assert flow.respond(turn.state, Input("digits", "1")).state.path[-1] == offered.id
    assert say(flow, turn.state, "yes please").state.path[-1] == offered.id
    assert flow.respond(turn.state, Input("digits", "9")).segments[0].text == answer.answer


def test_feeling_unwell_hears_the_emergency_words_first(flow):
    turn = say(flow, State(), "I feel sick after my treatment")
    assert turn.text.startswith("If this is an emergency, hang up and call 911 now.")


def test_an_offer_declined_or_ignored_goes_on_from_where_the_caller_was(flow):
    answer = say(flow, RISKS, "how much does it cost")
    assert say(flow, answer.state, "no").state == RISKS
    assert flow.respond(answer.state, Input("digits", "8")).state.path == ("main",)


# ----- help that grows ----------------------------------------------------------------------------

def test_help_grows_with_each_miss_and_never_repeats_the_last_reply(line):
    for flow, last_words in ((CallFlow(line), "text the word MENU"), (CallFlow(line, contact_number="5550100"),
                                                                      "To talk to a person, press 0")):
        state, replies = State(), []
        for _ in range(6):
            turn = say(flow, state, "purple elephant umbrella")
            assert not turn.hangup
            replies.append(turn.text)
            state = turn.state
        assert all(a != b for a, b in zip(replies, replies[1:]))
        assert "press 9 to hear the choices" in replies[0] and "For side effects, press 3." not in replies[0]
        assert "one at a time" in replies[1] and "For side effects, press 3." in replies[1]
        assert last_words in replies[2] and state.misses <= MAX_MISSES


def test_anything_understood_starts_the_help_again(flow):
    missed = say(flow, State(), "purple elephant umbrella")
    understood = flow.respond(missed.state, Input("digits", "9"))
    assert understood.state.misses == 0
    assert say(flow, understood.state, "purple").state.misses == 1


def test_help_offers_a_person_only_when_one_can_be_reached(line):
    assert "person" not in say(CallFlow(line), State(), "help").text
    assert "To reach a person, press 0" in say(CallFlow(line, "+15550001111"), State(), "help").text
    third = State(misses=2)
    assert "press 0" not in say(CallFlow(line), third, "purple").text


# ----- everyday words --------------------------------------------------------------------------------

@pytest.mark.parametrize("words", ["okay", "sure", "uh huh", "yeah", "go ahead"])
def test_everyday_words_go_on_in_a_topic(flow, words):
    assert say(flow, RISKS, words).state.part == 2


@pytest.mark.parametrize("words", ["huh?", "what?", "sorry?", "come again", "what was that"])
def test_everyday_words_repeat(flow, words):
    turn = say(flow, RISKS, words)
    assert turn.state == RISKS and turn.text.startswith("Part 2 of")


@pytest.mark.parametrize("words", ["I want to talk to somebody", "talk to a nurse", "a real person", "someone please"])
def test_everyday_words_reach_a_person(line, words):
    assert say(CallFlow(line, "+15550001111"), RISKS, words).transfer_to == "+15550001111"


def test_okay_at_a_menu_says_the_choices_again_without_an_apology(flow):
    turn = say(flow, State(), "okay")
    assert "Sorry" not in turn.text and "press 3" in turn.text and turn.state == State()


def test_what_inside_a_sentence_is_not_repeat(flow):
    assert say(flow, State(), "what are the side effects").state.path[-1] == "risks"


# ----- the part before -------------------------------------------------------------------------------

@pytest.mark.parametrize("how", [Input("digits", "2"), Input("speech", "go back one part"),
                                 Input("speech", "previous part"), Input("speech", "the part before")])
def test_the_part_before_replays_the_previous_part(flow, line, how):
    turn = flow.respond(State(("main", "risks"), 2), how)
    assert turn.state == RISKS and line.pronounce(line.topics["risks"].parts[1].text) in " ".join(
        s.spoken for s in turn.segments)


def test_back_still_returns_to_the_menu_and_the_first_part_has_no_part_before(flow):
    assert say(flow, RISKS, "go back").state.path == ("main",)
    first = flow.respond(State(("main", "risks")), Input("digits", "2"))
    assert first.text.startswith("This is the first part") and first.state == State(("main", "risks"))


# ----- unsure speech is confirmed --------------------------------------------------------------------

def test_unsure_speech_is_confirmed_before_a_topic_or_question(flow):
    turn = say(flow, State(), "side effects", unsure=True)
    assert turn.text.startswith("I think you said side effects. Is that right?")
    assert turn.state.pending == Pending("confirm", "topic", "risks")
    assert flow.respond(turn.state, Input("digits", "1")).state.path == ("main", "risks")
    again = flow.respond(turn.state, Input("digits", "2"))
    assert again.state == State() and "press 3" in again.text
    question = say(flow, State(), "how much does it cost", unsure=True)
    assert question.text.startswith("I think you asked about cost and insurance.")
    assert say(flow, question.state, "yes").state.pending == Pending("answer", "question", "cost")


def test_unsure_commands_are_not_confirmed_but_an_unsure_goodbye_is(flow):
    assert say(flow, RISKS, "repeat", unsure=True).state == RISKS
    assert say(flow, RISKS, "goodbye", unsure=True).state.pending == Pending("end")


def test_an_unsure_spoken_number_for_a_choice_is_confirmed(flow):
    assert say(flow, State(), "three", unsure=True).state.pending == Pending("confirm", "topic", "risks")


@pytest.mark.parametrize("confidence, threshold, unsure", [
    ("0.3", 0.5, True), ("0.6", 0.5, False), ("", 0.5, False), ("0", 0.5, False), ("0.0", 0.5, False),
    ("nan", 0.5, False), ("abc", 0.5, False), ("0.3", 0.0, False),
])
def test_confidence_below_the_setting_is_unsure_and_missing_or_zero_is_sure(confidence, threshold, unsure):
    heard = Input.from_gather("", "side effects", False, confidence, threshold)
    assert heard.kind == "speech" and heard.unsure is unsure


# ----- the state in the URL ---------------------------------------------------------------------------

@pytest.mark.parametrize("state", [
    State(("main", "risks"), 2, misses=3), State(pending=Pending("end")),
    State(pending=Pending("confirm", "topic", "risks")), State(pending=Pending("answer", "question", "cost")),
])
def test_new_state_round_trips_through_url_parameters(state):
    assert State.from_params(state.to_params()) == state


@pytest.mark.parametrize("params", [
    {"at": "main", "miss": "9"}, {"at": "main", "ask": "maybe"}, {"at": "main", "ask": "end", "to": "topic.risks"},
    {"at": "main", "ask": "confirm"}, {"at": "main", "ask": "confirm", "to": "planet.risks"},
    {"at": "main", "ask": "confirm", "to": "topic.../x"}, {"at": "main", "ask": "confirm", "to": "topic.nowhere"},
    {"at": "main", "ask": "answer", "to": "topic.risks"}, {"at": "main", "ask": "answer", "to": "question.nope"},
])
def test_a_pending_question_that_makes_no_sense_starts_again(flow, params):
    turn = flow.respond(State.from_params(params), Input("digits", "1"))
    assert turn.text.startswith("Sorry, I lost our place.") and turn.state == State()


# ----- hearing ----------------------------------------------------------------------------------------

def test_a_stopping_verb_and_a_treatment_with_other_words_between_them_are_a_question(line):
    hearing = Hearing(line)
    assert hearing.hear("should i stop taking my ocrevus", False) == Meaning("question", "change-treatment")


def test_fillers_are_dropped_only_around_a_whole_answer(line):
    hearing = Hearing(line)
    assert hearing.without_fillers(normalize("Um, bye, thanks!")) == "bye"
    assert hearing.without_fillers("thanks") == "thanks"  # nothing left: the words as said
    assert hearing.yes_or_no("yes it is") == "yes" and hearing.yes_or_no("nope") == "no"
    assert hearing.yes_or_no("side effects") is None


# ----- short turns ----------------------------------------------------------------------------------

def test_no_part_ends_with_more_than_25_words_of_choices(flow, line):
    from app.core.speech import spoken_word_count
    for topic in line.topics.values():
        for part in range(len(topic.parts)):
            turn = flow.respond(State(line.paths[topic.id], part), Input("digits", "9"))
            assert sum(spoken_word_count(s.spoken) for s in turn.segments[-2:]) <= 25


def test_the_disclaimer_comes_once_with_the_last_part(flow, line):
    last = len(line.topics["risks"].parts) - 1
    turn = flow.respond(State(("main", "risks"), last - 1), Input("digits", "1"))
    assert line.phrases["disclaimer"] in turn.text and "911" in turn.text
    missed = say(flow, turn.state, "purple")
    assert line.phrases["disclaimer"] not in missed.text
