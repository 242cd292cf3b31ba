"""`flask content check`: each check fires on a broken copy of the test line (tests/line); the real content passes."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import REAL_CONTENT_DIR, TODAY, WORDS_PER_MINUTE, edit, errors, only_error, run, warnings

from app.cli import content as content_group
from app.cli.check import check as check_command
from app.core import checks, speech
from app.core.content import Problem

SIMPLE_SENTENCE = "The cells go back in. "  # 5 words, about 2 seconds, grade 0


def set_greeting(root: Path, greeting: str) -> None:
    """Give the line a new greeting, whatever the current one says."""
    line_yaml = root / "en" / "line.yaml"
    text = re.sub(r"\n  greeting: >-\n(?:    .*\n)+", f"\n  greeting: >-\n    {greeting}\n",
                  line_yaml.read_text("utf-8"))
    line_yaml.write_text(text, encoding="utf-8")


def replace_body(root: Path, topic: str, body: str) -> None:
    """Give a topic new spoken parts, keeping its settings; the first part begins "As of late 2025",
    as every topic's must."""
    path = root / "en" / "topics" / f"{topic}.md"
    settings = path.read_text(encoding="utf-8").split("\n---\n", 1)[0]
    heading, _, text = body.partition("\n\n")
    path.write_text(f"{settings}\n---\n\n{heading}\n\nAs of late 2025, {text}\n", encoding="utf-8")




# ----- the real content -------------------------------------------------------------------------

def test_real_content_has_no_errors():
    problems = checks.check_content(REAL_CONTENT_DIR, "en", TODAY, WORDS_PER_MINUTE)
    assert errors(problems) == []


# ----- structure: the loader's refusals are reported, located -----------------------------------

def test_broken_reference_is_reported(root):
    edit(root, "line.yaml", "topic: risks", "topic: riskz")
    report = errors(run(root))
    assert any(re.search(r"content/en/line\.yaml:\d+: menu 'main', choice 3, topic: there is no topic "
                        r"called 'riskz'", e) for e in report), report


def test_unreachable_menu_is_reported(root):
    edit(root, "line.yaml", 'menu: trials-and-doctor', 'topic: find-a-trial')
    assert any("no menu leads here" in e for e in errors(run(root)))


def test_duplicate_menu_key_is_reported(root):
    edit(root, "line.yaml", '- key: "3"\n        topic: risks', '- key: "1"\n        topic: risks')
    assert any("key 1 is already used by choice 1" in e for e in errors(run(root)))


def test_menu_with_more_than_four_choices_is_reported(root):
    edit(root, "line.yaml", '        topic: risks\n',
         '        topic: risks\n      - key: "4"\n        topic: find-a-trial\n'
         '      - key: "5"\n        topic: find-a-trial\n')
    assert any("has 5 choices; the most is 4" in e for e in errors(run(root)))


def test_menu_deeper_than_three_levels_is_reported(root):
    edit(root, "line.yaml", '      - key: "1"\n        topic: find-a-trial\n',
         '      - key: "1"\n        menu: deeper\n'
         '  deeper:\n    title: Deeper\n    label: deeper\n    phrases: [deeper]\n'
         '    options:\n      - key: "1"\n        topic: find-a-trial\n')
    assert any("is 4 levels deep; the most is 3" in e for e in errors(run(root)))


def test_reserved_key_used_by_a_menu_is_reported(root):
    edit(root, "line.yaml", '- key: "2"\n        menu:', '- key: "9"\n        menu:')
    assert any("key 9 is reserved for 'repeat'" in e for e in errors(run(root)))


def test_missing_reserved_command_is_reported(root):
    edit(root, "line.yaml", '  back:\n    key: "8"\n', '  backward:\n    key: "8"\n')
    assert any("command 'back': is missing" in e for e in errors(run(root)))


def test_sms_keyword_collision_is_reported(root):
    edit(root, "topics/risks.md", "sms_keyword: RISKS", "sms_keyword: TRIALS")
    assert any("the word TRIALS is already used by" in e for e in errors(run(root)))


def test_spoken_phrase_leading_to_two_places_is_reported(root):
    edit(root, "topics/risks.md", "phrases: [side effects,", "phrases: [side effects, Start over,")
    report = only_error(root, "saying 'start over'")
    assert "content/en/topics/risks.md:" in report and "phrases[1]" in report
    assert re.search(r"the 'main' command \(\S*content/en/line\.yaml:\d+\)", report)


def test_spoken_phrase_shared_by_two_topics_is_reported(root):
    edit(root, "topics/risks.md", "phrases: [side effects,", "phrases: [side effects, find a trial,")
    assert "also to topic 'find-a-trial'" in only_error(root, "saying 'find a trial'")


def test_prompt_promising_a_missing_key_is_reported(root):
    # Star does nothing at the main menu.
    set_greeting(root, "Welcome. You can press star for the news, or just say what you want.")
    report = only_error(root, "press star")
    assert "content/en/line.yaml:" in report and "phrase 'greeting'" in report
    assert "key * does nothing" in report


def test_prompt_promising_a_key_that_works_there_is_fine(root):
    set_greeting(root, "Welcome. Press two for trials, or press 0 for a person.")
    assert errors(run(root)) == []


def test_sms_menu_numbers_must_match_the_topics(root):
    edit(root, "line.yaml", "Reply with a word or number:", "Reply with a word or number 1-6:")
    assert "there are 3 topics, numbered 1-3" in only_error(root, r"text reply 'menu': offers '1-6'")


def test_sms_menu_number_must_send_the_topic_it_names(root):
    edit(root, "line.yaml", "3 RISKS", "3 TRIALS")
    report = only_error(root, r"text reply 'menu': says '3 TRIALS'")
    assert "texting 3 sends topic 'risks', whose word is RISKS" in report


# ----- text messages ----------------------------------------------------------------------------

def row_of(root: Path, relative: str, text: str) -> int:
    """The line of a content file that holds a text."""
    rows = (root / "en" / relative).read_text(encoding="utf-8").splitlines()
    return next(number for number, row in enumerate(rows, start=1) if text in row)


def test_non_gsm_character_is_reported_in_plain_words_at_its_line(root):
    edit(root, "topics/risks.md", "2025, its main side effect", "2025, its main side effect\u2019")
    report = only_error(root, "cannot be sent in a plain text message")
    row = row_of(root, "topics/risks.md", "side effect\u2019")
    assert re.search(rf"content/en/topics/risks\.md:{row}: text message 1: this character cannot be sent in a plain "
                     rf"text message: \u2019 \(after \"its main side effect\"\); use ' instead$", report)


def test_text_message_over_two_segments_is_reported(root):
    edit(root, "topics/risks.md", "Making the cells is slow.", "Making the cells is slow. " + "More words here. " * 16)
    report = only_error(root, r"^text message 3: with the line added at its end")
    assert re.search(r"risks\.md:\d+: text message 3", report) and "too long for one message" in report


def test_broken_yaml_in_one_topic_hides_no_problem_of_another(root):
    edit(root, "topics/basics.md", "title: How it works", "title: How: it works")
    edit(root, "topics/risks.md", "Some side effects can be serious.",
         "Some side effects can be serious. It cures MS. You should stop taking Ocrevus. It is approved for MS.")
    report = [e for e in errors(run(root)) if "seconds to say" not in e]
    assert len(report) == 4, report
    row = row_of(root, "topics/basics.md", "title: How:")
    assert re.search(rf"basics\.md:{row}: settings at the top: this line cannot be read: a colon \(:\) inside a "
                     r"sentence needs the whole sentence in quotes", report[0]), report
    row = row_of(root, "topics/risks.md", "It cures MS.")
    assert all(re.search(rf"risks\.md:{row}: part 3 ", e) for e in report[1:]), report


def test_broken_line_yaml_still_checks_every_topic_file(root):
    edit(root, "line.yaml", "  greeting: >-", "  greeting: >-\n\tbad")
    edit(root, "topics/risks.md", "Blood pressure can drop.", "Blood pressure can drop. It is safe for everyone.")
    report = errors(run(root))
    assert any("line.yaml" in e and "a tab is used for spacing here: use spaces instead" in e for e in report), report
    assert any("risks.md" in e and "\"safe for everyone\"" in e for e in report), report


# ----- plain language ---------------------------------------------------------------------------

def test_part_above_grade_eight_is_reported(root):
    replace_body(root, "risks", "## Hard words\n\nImmunotherapeutic interventions necessitate comprehensive "
                                "neurological evaluation beforehand. Manufacturing complications occasionally "
                                "postpone administration considerably.")
    report = only_error(root, "the most for a part")
    assert re.search(r"risks\.md:\d+: part 1 \"Hard words\": reads at school grade \d+\.\d; the most for a part is 8",
                     report)


def test_topic_above_grade_six_is_reported_even_when_each_part_is_below_eight(root):
    replace_body(root, "risks", "## Studies\n\nDoctors are studying whether this treatment could help people "
                                "with multiple sclerosis. The first studies looked at safety in small groups "
                                "of people.")
    report = only_error(root, "grade")
    assert re.search(r"risks\.md:\d+: whole topic: the parts of this topic together read at school grade 7\.\d; "
                     r"the most is 6", report)


def test_sentence_over_twenty_words_is_quoted(root):
    edit(root, "topics/risks.md", "Blood pressure can drop.",
         "Blood pressure can drop and you may feel dizzy or weak or tired or sick for a day or two after it.")
    report = only_error(root, "sentence")
    assert 'part 1 "The main side effect": the sentence "Blood pressure can drop and you may feel ..." ' \
           'has 22 words; the most is 20: split it in two' in report


def test_jargon_not_explained_at_first_use_is_reported(root):
    edit(root, "topics/basics.md", "Myelin is the coating that protects your nerves.", "That hurts nerves.")
    report = only_error(root, "not explained")
    assert re.search(r"basics\.md:\d+: part 2 \"What it aims at\": 'myelin' is not explained where this "
                     r"topic first uses it \(\"In MS, the immune system attacks myelin by \.\.\.\"\)", report)
    assert "jargon.yaml: The coating that protects your nerves." in report


def test_jargon_explained_too_late_is_reported(root):
    # The explanation exists, but three sentences after the first use is too late.
    edit(root, "topics/basics.md", "In MS, the immune system attacks myelin by mistake.",
         "In MS, the immune system attacks myelin by mistake. It does harm. MS can get worse over time.")
    assert "'myelin' is not explained" in only_error(root, "not explained")


@pytest.mark.parametrize("sentences", [
    ["Myelin is the coating that protects your nerves."],
    ["It harms myelin.", "That is the coating that protects your nerves."],
    ["Most B cells carry a marker called myelin."],
    ["It aims at myelin, a coating on nerves."],
    ["It aims at myelin.", "CAR-T is safe.", "Myelin means the coating on nerves."],
])
def test_explanations_that_follow_the_rule(sentences):
    pattern = checks.term_pattern("myelin")
    first = next(i for i, s in enumerate(sentences) if pattern.search(s))
    assert any(checks.explains(s, pattern) for s in sentences[first:first + checks.EXPLANATION_WINDOW])


def test_plural_and_case_match_a_jargon_term():
    pattern = checks.term_pattern("clinical trial")
    assert pattern.search("It is given in Clinical Trials.")
    assert not checks.term_pattern("car-t").search("A CAR-Treg is different.")


# ----- speech -----------------------------------------------------------------------------------

def test_numbers_count_as_the_words_said():
    # In, twenty twenty-five, twelve, people, joined, trial, one oh one
    assert speech.spoken_word_count("In 2025, 12 people joined trial 101.") == 1 + 2 + 1 + 1 + 1 + 1 + 3


def test_part_over_45_seconds_is_an_error(root):
    replace_body(root, "risks", "## Long\n\n" + SIMPLE_SENTENCE * 21)  # 110 words with "As of late 2025"
    assert "takes about 48 seconds to say at 140 words a minute; the most is 45" in only_error(root, "seconds")


def test_part_over_40_seconds_is_a_warning(root):
    replace_body(root, "risks", "## Longish\n\n" + SIMPLE_SENTENCE * 19)  # 100 words with "As of late 2025"
    problems = run(root)
    # The part alone is allowed; with the end-of-topic words and choices, the turn is too long.
    assert [e for e in errors(problems) if "the most is 45" in e] == []
    assert any(re.search(r'risks\.md:\d+: part 1 "Longish": takes about 43 seconds', w) for w in warnings(problems))


def test_speaking_time_is_measured_after_pronunciations(root):
    # "BCMA" is said "B C M A": with "As of late 2025", 95 written words, 185 spoken, 80 seconds
    # (41 before pronunciation).
    replace_body(root, "risks", "## Letters\n\n" + "BCMA is found. " * 30)
    assert "takes about 80 seconds" in only_error(root, "seconds")


def test_web_address_and_symbols_in_speech_are_reported(root):
    edit(root, "topics/find-a-trial.md", "Big research centers also share news about their trials.",
         "See www.example.com for 50% & more.")
    report = only_error(root, "badly")
    assert "part 3 \"One more place to look\": the voice would read 'www', '.com', '%', '&' badly" in report


def test_address_in_the_pronunciation_list_is_fine(root):
    edit(root, "topics/find-a-trial.md", "a public website called clinical trials dot gov",
         "a public website called ClinicalTrials.gov")
    assert errors(run(root)) == []


def test_abbreviation_missing_from_pronunciations_is_a_warning(root):
    edit(root, "topics/risks.md", "Doctors call this ICANS.", "Doctors call this ICANS, or XQ-7.")
    problems = run(root)
    assert errors(problems) == []
    assert any(re.search(r"risks\.md:\d+: part 2 .*'XQ-7' looks like an abbreviation", w) for w in warnings(problems))
    assert not any("'ICANS'" in w for w in warnings(problems))


# ----- trust ------------------------------------------------------------------------------------

def test_review_older_than_six_months_is_a_warning(root):
    problems = run(root, today=dt.date(2027, 6, 1))
    assert errors(problems) == []
    # The three topics and the answers to personal questions.
    assert sum("reviewed: 2026-11-22 is more than 6 months ago" in w for w in warnings(problems)) == 4


def test_review_older_than_twelve_months_is_an_error(root):
    problems = run(root, today=dt.date(2027, 11, 23))
    assert sum("reviewed: 2026-11-22 is more than 12 months ago" in e for e in errors(problems)) == 4


def test_review_in_the_future_is_an_error(root):
    edit(root, "topics/risks.md", "reviewed: 2026-11-22", "reviewed: 2026-12-01")
    assert re.search(r"content/en/topics/risks\.md:\d+: reviewed: 2026-12-01 is after today",
                    only_error(root, "after today"))


def test_missing_sources_and_reviewed_date_are_reported(root):
    edit(root, "topics/risks.md", "reviewed: 2026-11-22\n", "")
    assert "reviewed: must be the date" in only_error(root, "reviewed")


def test_months_before_handles_short_months():
    assert checks.months_before(dt.date(2027, 8, 31), 6) == dt.date(2027, 2, 28)
    assert checks.months_before(dt.date(2027, 3, 15), 12) == dt.date(2026, 3, 15)


# ----- the report and the command ---------------------------------------------------------------

def test_report_puts_errors_first_and_marks_warnings():
    warning = Problem("a.md", 1, "part 1", "long", "warning")
    error = Problem("b.md", 9, "part 2", "hard")
    ordered = checks.in_report_order([warning, error])
    assert [checks.format_problem(p) for p in ordered] == ["b.md:9: part 2: hard", "a.md:1: warning: part 1: long"]
    assert checks.summary(ordered) == "1 error, 1 warning"
    assert checks.summary([]) == "0 errors, 0 warnings"


def invoke(root: Path, *args: str):
    env = {"CONTENT_DIR": str(root), "CONTENT_LANGUAGE": "en", "WORDS_PER_MINUTE": str(WORDS_PER_MINUTE),
           "TWILIO_AUTH_TOKEN": ""}
    return CliRunner().invoke(check_command, list(args), env=env)


def test_command_is_in_the_content_group():
    assert content_group.commands["check"] is check_command


def test_command_passes_the_test_line(root):
    result = invoke(root, "--today", "2026-11-22")
    assert result.exit_code == 0, result.output
    assert re.search(r"^0 errors, \d+ warnings$", result.output, re.MULTILINE)


def test_command_fails_on_errors_and_lists_them_first(root):
    edit(root, "topics/risks.md", "Blood pressure can drop.", "Blood pressure can drop & rise.")
    result = invoke(root, "--today", "2027-06-01")
    assert result.exit_code == 1
    report, by_file = result.output.split("\nBy file:\n")
    lines = report.splitlines()
    assert "the voice would read '&' badly" in lines[0]
    assert all(": warning: " in line for line in lines[1:])
    files = by_file.splitlines()
    assert re.fullmatch(r"  \S*content/en/topics/risks\.md: 1 error, \d+ warnings?", files[0])  # the worst file first
    assert all(re.fullmatch(r"  \S*content/en/\S+: 0 errors, \d+ warnings?", row) for row in files[1:-1])
    assert re.fullmatch(r"1 error, \d+ warnings", files[-1])


def test_command_writes_json_for_tools(root):
    edit(root, "topics/risks.md", "Blood pressure can drop.", "Blood pressure can drop & rise.")
    result = invoke(root, "--today", "2026-11-22", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["errors"] == 1 and report["warnings"] == len(report["problems"]) - 1
    first = report["problems"][0]
    assert first["file"].endswith("risks.md") and first["severity"] == "error" and first["line_number"] > 1
    assert set(first) == {"file", "line_number", "field", "message", "severity"}


def test_command_reports_content_the_loader_refuses(root):
    edit(root, "line.yaml", "topic: risks", "topic: riskz")
    result = invoke(root, "--today", "2026-11-22")
    assert result.exit_code == 1
    assert "there is no topic called 'riskz'" in result.output
    assert "no menu offers topic 'risks'" in result.output
    assert re.fullmatch(r"2 errors, \d+ warnings", result.output.splitlines()[-1])


def test_command_rejects_a_badly_written_date(root):
    result = invoke(root, "--today", "22/11/2026")
    assert result.exit_code == 2


def test_loader_refusals_and_editorial_checks_are_reported_in_one_run(root):
    edit(root, "topics/risks.md", "2025, its main side effect", "2025, its main side effect\u2019")
    edit(root, "topics/risks.md", "Doctors call this ICANS.", "Doctors call this ICANS. See www.example.com.")
    report = errors(run(root))
    assert any(re.search(r"risks\.md:\d+: text message 1: this character cannot be sent", e) for e in report), report
    assert any(re.search(r"risks\.md:\d+: part 2 .*the voice would read 'www', '\.com' badly", e)
               for e in report), report


def test_keys_promised_in_shared_phrases_are_those_that_work_where_the_call_flow_says_them(root):
    line_yaml = root / "en" / "line.yaml"
    text = line_yaml.read_text(encoding="utf-8")
    text = re.sub(r"(\n  end_of_topic: >-\n    ).*", r"\1That is the end of this topic. For more, press 1.", text)
    text = re.sub(r"(\n  goodbye: >-\n    ).*", r"\1Thank you for calling. To call again, press 0.", text)
    line_yaml.write_text(text, encoding="utf-8")
    report = only_error(root, "press")  # "press 1" works at the end of a topic; nothing works after goodbye
    assert "phrase 'goodbye': says 'press 0' but key 0 does nothing where this is said (keys that work there: none)" \
        in report


PLANNED_GREETING = ("Welcome to the CAR-T and MS information line. We give general information, not medical advice. "
                    "In an emergency, hang up and call 911. Press a key, or just say what you want.")


@pytest.mark.parametrize("greeting, seconds", [
    (PLANNED_GREETING, None),  # 36 spoken words ("car tee", "M S", "nine one one"): 15.4 seconds
    (PLANNED_GREETING.replace(" just", ""), 15.0),
    (PLANNED_GREETING.replace("hang up and call", "call"), 14.1),
])
def test_greeting_takes_at_most_15_seconds(root, greeting, seconds):
    set_greeting(root, greeting)
    found = [e for e in errors(run(root)) if "phrase 'greeting'" in e]
    if seconds is None:
        assert found and "takes about 15.4 seconds to say at 140 words a minute; the most is 15" in found[0]
    else:
        assert found == [] and checks.speaking_seconds(checks.load_line(root), greeting, WORDS_PER_MINUTE) == \
            pytest.approx(seconds, abs=0.05)


def test_a_topic_must_say_how_recent_its_research_is(root):
    edit(root, "topics/risks.md", "as_of: late 2025", "as_of: early 2026")
    report = errors(run(root))
    assert any("part 1" in e and "must say 'as of early 2026'" in e for e in report), report
    assert any("text message 1: the first text message must say 'as of early 2026'" in e for e in report), report
