"""The safety, hard-word and text-message checks of `flask content check`, each on a broken copy of the
test line (tests/line), and the real content passing them."""

from __future__ import annotations

import re

import pytest
from helpers import REAL_CONTENT_DIR, TODAY, edit, errors, only_error, run, warnings

from app.core.checks import safety as checks_safety
from app.core.checks import words as checks_words
from app.core.content import load_line

# ----- advice about a person's own treatment -----------------------------------------------------


def test_the_issues_example_of_advice_is_an_error_pointing_at_its_line(root):
    edit(root, "topics/risks.md", "Blood pressure can drop.",
         "Blood pressure can drop.\nYou should stop taking Ocrevus, an MS drug, before you ask for it.")
    report = only_error(root, "what to do about their own treatment")
    path = root / "en" / "topics" / "risks.md"
    line_no = next(i for i, row in enumerate(path.read_text().splitlines(), 1) if row.startswith("You should stop"))
    assert re.search(rf"risks\.md:{line_no}: part 1 \"The main side effect\": \"You should stop\" tells ",
                     report)
    assert "only their doctor advises" in report


@pytest.mark.parametrize("sentence", [
    "You should stop taking Ocrevus.", "Do not take Ocrevus before a trial.", "Stop taking your medicine.",
    "Switch to CAR-T now.", "You must not start a new drug.", "Patients should try CAR-T.", "Keep taking your pills.",
])
def test_advice_is_found(sentence):
    assert checks_safety.gives_advice(sentence)


@pytest.mark.parametrize("sentence", [
    "Take your time.", "Should I stop taking Ocrevus?", "Your neurologist can tell you what fits you.",
    "People who get CAR-T need close monitoring.", "You can press a key on your phone.", "Ask your neurologist.",
])
def test_facts_questions_and_kind_words_are_not_advice(sentence):
    assert checks_safety.gives_advice(sentence) is None


def test_advice_in_a_text_message_is_an_error(root):
    edit(root, "topics/risks.md", "Making the cells is slow.", "Making the cells is slow. Do not take steroids.")
    assert "text message 3: \"Do not take\"" in only_error(root, "own treatment")


# ----- claims the sources do not make ------------------------------------------------------------

@pytest.mark.parametrize("sentence, words", [
    ("CAR-T cures MS.", "cures"), ("It is approved for MS.", "approved for MS"),
    ("It is safe for everyone.", "safe for everyone"), ("Results are guaranteed.", "guaranteed"),
    ("CAR-T is not approved yet, but it cures MS.", "cures"), ("It may cure MS.", "cure"),
    ("It is completely safe.", "completely safe"),
])
def test_unsupported_claims_are_found(sentence, words):
    found = checks_safety.unsupported_claim(sentence)
    assert found and found[0] == words


@pytest.mark.parametrize("sentence", [
    "No study has shown that it cures MS.", "No cure has been shown.", "CAR-T is not approved for MS.",
    "It is not safe for everyone.", "Nothing is guaranteed.", "It is not a cure.",
    "Larger trials must follow before CAR-T could be approved for MS.",
])
def test_denied_and_hypothetical_claims_pass(sentence):
    assert checks_safety.unsupported_claim(sentence) is None


def test_a_claim_in_a_part_is_an_error_with_what_to_say_instead(root):
    edit(root, "topics/risks.md", "Some side effects can be serious.",
         "Some side effects can be serious. It is approved for MS in some places.")
    report = only_error(root, "claim the sources do not make")
    assert "part 3 \"Being watched\": \"approved for MS\"" in report
    assert "like \"CAR-T is not approved for MS.\"" in report


def test_a_claim_in_a_shared_phrase_is_an_error(root):
    edit(root, "line.yaml", "Ask your neurologist what fits you.",
         "CAR-T cures MS. Ask your neurologist what fits you.")
    assert "phrase 'disclaimer': \"cures\"" in only_error(root, "claim")


# ----- years and counts must come from a source note ---------------------------------------------

def test_a_year_no_source_note_names_is_an_error(root):
    edit(root, "topics/risks.md", "In a small 2025 trial", "In a small 2019 trial")
    assert "the year 2019 is in no source note of this topic" in only_error(root, "source note")


def test_a_count_must_come_with_what_it_counts(root):
    # The notes mention "five people", not "five months".
    edit(root, "topics/risks.md", "trial of five people", "trial of five months")
    assert "'five months' is in no source note" in only_error(root, "source note")


def test_counts_in_digits_match_counts_in_words_and_names_are_not_counts():
    assert [(w, v) for w, v, _ in checks_safety.numbers_in("A phase 1 trial in 5 people, CD19 and KYV-101.")] \
        == [("5", 5)]
    assert checks_safety.numbers_in("Within two months.") == [("two", 2, "months")]


# ----- hard words --------------------------------------------------------------------------------

@pytest.mark.parametrize("word", ["leukapheresis", "lymphodepletion", "apheresis", "dermatomyositis"])
def test_rare_words_are_hard(word):
    assert checks_words.is_hard(word)


@pytest.mark.parametrize("word", ["keypad", "tiredness", "homing", "donor's", "flu-like", "off-the-shelf",
                                  "neurologist", "infusion", "chemotherapy"])
def test_common_words_their_forms_and_compounds_are_not(word):
    assert not checks_words.is_hard(word)


def test_the_issues_hard_words_are_warnings_that_suggest_jargon_yaml(root):
    edit(root, "topics/risks.md", "Blood pressure can drop.",
         "Blood pressure can drop. Cells are taken by leukapheresis in the U.S. before lymphodepletion.")
    found = [w for w in warnings(run(root)) if "few readers know" in w or "short form" in w]
    assert len(found) == 3, found
    assert any("'leukapheresis' is a word few readers know" in w and "add it to jargon.yaml" in w for w in found)
    assert any("'U.S.' is a short form" in w for w in found)
    assert errors(run(root)) == []


def test_a_hard_word_explained_in_the_text_or_in_jargon_yaml_passes(root):
    edit(root, "topics/risks.md", "Blood pressure can drop.",
         "Blood pressure can drop. Apheresis is a way to collect blood cells.")
    edit(root, "jargon.yaml", "myelin: The coating that protects your nerves.",
         "myelin: The coating that protects your nerves.\nleukapheresis: A way to collect white blood cells.")
    edit(root, "topics/risks.md", "Making the cells is slow.", "Making the cells is slow. It uses leukapheresis.")
    assert not [w for w in warnings(run(root)) if "few readers know" in w]


def test_a_hard_word_in_a_text_message_needs_its_own_explanation(root):
    # The spoken part explains it; a texter never hears that part.
    edit(root, "topics/risks.md", "Blood pressure can drop.",
         "Blood pressure can drop. Apheresis is a way to collect blood cells.")
    edit(root, "topics/risks.md", "Making the cells is slow.", "Making the cells is slow. It uses apheresis.")
    found = [w for w in warnings(run(root)) if "few readers know" in w]
    assert len(found) == 1 and "text message 3: 'apheresis'" in found[0]


# ----- text messages get the plain-language checks ----------------------------------------------

def test_a_text_message_above_grade_eight_is_an_error(root):
    edit(root, "topics/risks.md", "Making the cells is slow.",
         "Manufacturing individualized cellular therapeutics necessitates considerable laboratory infrastructure.")
    report = only_error(root, "text message 3: reads at school grade")
    assert "the most for a text message is 8" in report


def test_a_long_sentence_in_a_text_reply_is_an_error(root):
    edit(root, "line.yaml", "That was the last part.",
         "That was the last part of this topic and there is nothing more we can send you about it today, sorry.")
    assert "text reply 'no_more': the sentence \"That was the last part" in only_error(root, "the sentence")


def test_a_list_after_a_colon_counts_by_its_longest_item():
    from app.core.checks.language import sentence_words
    assert sentence_words("Reply with a word or number: 1 WHAT (what CAR-T is), 2 STATUS, 3 RISKS, 4 TRIALS.") == 6


def test_the_real_content_passes_the_safety_checks():
    line = load_line(REAL_CONTENT_DIR)
    assert list(checks_safety.safety_problems(line)) == []
    assert list(checks_words.hard_word_problems(line)) == []
    assert errors(run(REAL_CONTENT_DIR, TODAY)) == []
