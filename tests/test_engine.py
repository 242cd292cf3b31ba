"""The call flow's transitions, on the test line (tests/line), without any web layer."""

from __future__ import annotations

import pytest

from app.core.callflow import CallFlow, Input, State
from app.core.speech import speaking_seconds

KEYS = {"basics": ["1"], "find-a-trial": ["2", "1"], "risks": ["3"]}


@pytest.fixture
def flow(line):
    return CallFlow(line)


def walk(flow, *inputs):
    turn = flow.start()
    for kind, value in inputs:
        turn = flow.respond(turn.state, Input(kind, value))
    return turn


def test_greeting_is_short_and_says_what_the_line_is(flow, line):
    turn = flow.start()
    greeting = line.phrases["greeting"]
    assert turn.segments[0].text == greeting
    assert speaking_seconds(line.pronounce(greeting), 140) < 15
    for words in ("not medical advice", "hang up and call 911"):
        assert words in greeting


def test_main_menu_says_topic_first_then_key_and_announces_reserved_keys(line):
    flow = CallFlow(line, contact_number="+15550002222")
    text = flow.start().text
    assert "For side effects, press 3, or say side effects." in text
    assert "To hear this again, press 9." in text and "To reach a person, press 0." in text
    # Going back and the main menu mean nothing at the main menu, so they are not offered there...
    assert "press 8" not in text and "press 7" not in text
    # ...but a submenu offers every reserved key.
    sub = walk(flow, ("digits", "2")).text
    for key in "9870":
        assert f"press {key}." in sub


def test_no_person_is_offered_when_no_one_can_be_reached(flow):
    assert "press 0" not in flow.start().text
    assert "no one can take calls" in flow.respond(State(), Input("digits", "0")).text


@pytest.mark.parametrize("said", ["three", "number three", "option 4", "four"])
def test_a_spoken_number_that_does_nothing_here_is_not_called_a_key(flow, said):
    in_topic = walk(flow, ("digits", "3"))
    turn = flow.respond(in_topic.state, Input("speech", said))
    assert turn.text.startswith("Sorry, I did not understand that.")
    assert (turn.state.path, turn.state.part, turn.state.misses) == (in_topic.state.path, 0, 1)


@pytest.mark.parametrize("topic", KEYS)
def test_every_subject_by_keypad_alone(flow, line, topic):
    turn = walk(flow, *[("digits", k) for k in KEYS[topic]])
    assert turn.state.path[-1] == topic
    label = line.topics[topic].label
    assert turn.segments[0].text == f"{label[0].upper()}{label[1:]}."  # the choice is said back
    assert line.topics[topic].parts[0].text in turn.text


@pytest.mark.parametrize("said, topic", [
    ("what is car t", "basics"), ("how does it work", "basics"),
    ("um what are the side effects", "risks"), ("side affects", "risks"),
    ("how do I find a trial", "find-a-trial"), ("join a trial", "find-a-trial"),
])
def test_every_subject_by_speech_alone_from_the_main_menu(flow, said, topic):
    assert walk(flow, ("speech", said)).state.path[-1] == topic


def test_parts_go_on_repeat_and_end_with_the_disclaimer(flow, line):
    topic = line.topics["risks"]
    turn = walk(flow, ("digits", "3"))
    for index in range(1, len(topic.parts)):
        turn = flow.respond(turn.state, Input("speech", "next"))
        assert turn.state.part == index and topic.parts[index].text in turn.text
    assert line.phrases["disclaimer"] in turn.text and "911" in turn.text
    again = flow.respond(turn.state, Input("digits", "9"))
    assert again.state == turn.state and topic.parts[-1].text in again.text
    after = flow.respond(turn.state, Input("digits", "1"))
    assert after.state.path == ("main",)


def test_back_and_main_menu_from_a_nested_topic(flow):
    turn = walk(flow, ("digits", "2"), ("digits", "1"))
    back = flow.respond(turn.state, Input("digits", "8"))
    assert back.state.path == ("main", "trials-and-doctor")
    main = flow.respond(turn.state, Input("speech", "main menu please"))
    assert main.state.path == ("main",) and main.text.startswith("Main menu.")
    at_main = flow.respond(main.state, Input("digits", "8"))
    assert at_main.text.startswith("You are at the main menu.")


def test_wrong_key_says_so_and_how_to_hear_the_choices(flow):
    turn = flow.respond(State(), Input("digits", "*"))  # every digit does something at the main menu
    assert turn.text.startswith("Sorry, that key is not one of the choices.")
    assert "press 9 to hear the choices" in turn.text and turn.state == State(misses=1)


@pytest.mark.parametrize("digits", ["12", "*", "#", "a", "\u0663"])
def test_odd_digits_are_not_a_choice(flow, digits):
    assert "not one of the choices" in flow.respond(State(), Input("digits", digits)).text


def test_three_silences_end_the_call_saying_how_to_come_back(flow):
    turn = flow.start()
    first = flow.respond(turn.state, Input("silence"))
    assert first.state.silences == 1 and not first.hangup
    assert "Take your time" in first.text and "press a key on your phone's keypad" in first.text
    second = flow.respond(first.state, Input("silence"))
    assert "If I still hear nothing, I will end the call" in second.text and not second.hangup
    third = flow.respond(second.state, Input("silence"))
    assert third.hangup and third.state is None
    assert "call this number again" in third.text and "MENU" in third.text
    # Any input resets the count.
    assert flow.respond(second.state, Input("digits", "9")).state.silences == 0


def test_help_lists_what_can_be_said_and_offers_a_person_only_when_one_can_be_reached(flow, line):
    alone = flow.respond(State(), Input("speech", "help"))
    assert "say repeat, go back, main menu, goodbye." in alone.text and "person" not in alone.text
    assert "press 3" in alone.text and alone.state == State()
    for numbers in ({"transfer_number": "+15550001111"}, {"contact_number": "+15550002222"}):
        turn = CallFlow(line, **numbers).respond(State(), Input("speech", "help"))
        assert "say repeat, go back, main menu, person, goodbye." in turn.text


def test_unknown_speech_is_not_understood(flow):
    turn = flow.respond(State(), Input("speech", "x" * 5000 + " \u2603 <Say>"))
    assert turn.text.startswith("Sorry, I did not understand that.") and turn.state == State(misses=1)


def test_spoken_numbers_choose_keys(flow):
    assert walk(flow, ("speech", "press three")).state.path[-1] == "risks"
    assert walk(flow, ("speech", "number 2")).state.path[-1] == "trials-and-doctor"
    assert walk(flow, ("speech", "press to")).state.path[-1] == "trials-and-doctor"
    assert "no one can take calls" in walk(flow, ("speech", "press oh")).text  # 0: a person, none set here
    with_person = CallFlow(flow.line, transfer_number="+15550001111")
    assert with_person.respond(State(), Input("speech", "press oh")).transfer_to == "+15550001111"


@pytest.mark.parametrize("said", ["oh", "Oh.", "oh okay", "to", "too", "for"])
def test_words_that_only_sound_like_numbers_are_not_keys_on_their_own(flow, said):
    turn = CallFlow(flow.line, transfer_number="+15550001111").respond(State(), Input("speech", said))
    assert turn.transfer_to is None and turn.state.path == ("main",)


@pytest.mark.parametrize("params", [
    {}, {"at": "nowhere"}, {"at": "main/risks", "part": "99"}, {"at": "main/risks", "part": "x"},
    {"at": "risks"}, {"at": "main/trials-and-doctor/risks"}, {"at": "main", "quiet": "-1"},
    {"at": "../../etc"}, {"at": "main", "part": "2"},
])
def test_a_state_that_makes_no_sense_starts_again_at_the_main_menu(flow, params):
    turn = flow.respond(State.from_params(params), Input("digits", "1"))
    assert turn.text.startswith("Sorry, I lost our place.") and turn.state == State()


def test_state_round_trips_through_url_parameters():
    state = State(("main", "trials-and-doctor", "find-a-trial"), 2, 1)
    assert State.from_params(state.to_params()) == state


def test_person_transfers_when_a_number_is_set(line):
    turn = CallFlow(line, transfer_number="+15550001111").respond(State(), Input("digits", "0"))
    assert turn.transfer_to == "+15550001111" and turn.state == State()


def test_person_reads_the_contact_number_twice_slowly(line):
    turn = CallFlow(line, contact_number="+1 555 000 2222").respond(State(), Input("speech", "operator"))
    numbers = [s for s in turn.segments if s.kind == "phone_number"]
    assert len(numbers) == 2 and turn.state == State() and "press 3" in turn.text


def test_person_without_numbers_says_so_and_stays(flow):
    turn = flow.respond(State(), Input("digits", "0"))
    assert "no one can take calls" in turn.text and turn.state == State()


def test_goodbye_ends_the_call_politely(flow):
    turn = flow.respond(State(), Input("speech", "bye"))
    assert turn.hangup and "Goodbye" in turn.text

