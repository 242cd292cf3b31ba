"""The content loader: the test line loads; broken files are refused with file, line and field.

Structural refusals that editors meet through `flask content check` (too many choices, too deep,
duplicate keys, colliding SMS words...) are tested there, in test_checks.py.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from helpers import TEST_CONTENT_DIR

from app.core.callflow import State
from app.core.content import ContentError, load_line


@pytest.fixture
def content(tmp_path) -> Path:
    """A copy of the test line that a test may break."""
    target = tmp_path / "content"
    shutil.copytree(TEST_CONTENT_DIR, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def problems_of(content: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_line(content)
    return [str(p) for p in caught.value.problems]


def test_the_test_line_loads_its_three_subjects_within_the_menu_rules(line):
    assert set(line.topics) == {"basics", "risks", "find-a-trial"}
    for menu in line.menus.values():
        assert len(menu.options) <= 4
    assert max(len(path) for path in line.paths.values()) <= 3
    for topic in line.topics.values():
        assert topic.sources and all(s.date for s in topic.sources)
        assert topic.reviewed and "late 2025" in topic.parts[0].text


def test_the_line_is_named_as_line_yaml_names_it(line):
    # The preview index page shows it; the loader once left the last sms text's name here ("error").
    assert line.name == "Test information line"


def test_pronunciations_apply_to_whole_words_only(line):
    assert line.pronounce("CAR-T and ICANS in MS") == "car tee and eye cans in M S"
    assert line.pronounce("SMS and CARS stay") == "SMS and CARS stay"


def test_missing_field_names_file_line_and_field(content):
    edit(content / "en/topics/risks.md", "sms_keyword: RISKS\n", "")
    [problem] = problems_of(content)
    assert "content/en/topics/risks.md:1: sms_keyword: is missing" in problem


def test_menu_pointing_to_unknown_topic(content):
    edit(content / "en/line.yaml", "topic: risks", "topic: riskz")
    problems = problems_of(content)
    assert any("line.yaml" in p and "menus.main.options[2].topic: there is no topic called 'riskz'" in p
               for p in problems)
    # The orphaned topic is reported too: no menu leads to it.
    assert any("risks.md" in p and "can never reach it" in p for p in problems)


def test_line_numbers_point_at_the_field(content):
    edit(content / "en/line.yaml", 'key: "3"', 'key: "9"')
    problems = problems_of(content)
    lines = (content / "en/line.yaml").read_text().splitlines()
    [problem] = [p for p in problems if "reserved" in p]
    number = int(problem.split(":")[1])
    assert 'key: "9"' in lines[number - 1]
    assert "options[2].key: key 9 is reserved for 'repeat'" in problem


def test_text_message_with_curly_quote_and_too_long(content):
    edit(content / "en/line.yaml", "Msg & data rates may apply.\n  stop:", "Msg \u2019n data rates may apply.\n  stop:")
    edit(content / "en/topics/risks.md", "    As of late 2025, its main side effect",
         "    " + "very long words " * 20 + "As of late 2025, its main side effect")
    problems = problems_of(content)
    assert any("sms.help: this character cannot be sent in a plain text message: \u2019 (after \"" in p
               and "use ' instead" in p for p in problems)
    assert any("risks.md" in p and "sms[0]: with the line added at its end, this message is" in p for p in problems)


def test_bad_yaml_and_bare_yes(content):
    edit(content / "en/topics/risks.md", "title:", "title: [unclosed\nlabel2:")
    edit(content / "en/line.yaml", '"yes"', "yes")
    problems = problems_of(content)
    assert any("risks.md:3: (settings): this line cannot be read: a [ is opened but never closed with ]" in p
               for p in problems), problems
    assert any("reserved.next.phrases: has yes, no, on or off without quotes" in p for p in problems)


def test_topic_file_without_parts_or_front_matter(content):
    (content / "en/topics/risks.md").write_text("Just words, no settings.\n")
    (content / "en/topics/extra.md").write_text("---\nid: other\n---\nno heading\n")
    problems = problems_of(content)
    assert any("content/en/topics/risks.md:1: (file): must start with a '---' line" in p for p in problems)
    assert any("extra.md" in p and "id: is 'other' but the file is named extra.md" in p for p in problems)
    assert any("extra.md:4: body: text before the first '## ' heading" in p for p in problems)


def test_missing_language_folder(tmp_path):
    with pytest.raises(ContentError, match="no content folder for language 'fr'"):
        load_line(TEST_CONTENT_DIR, "fr")


def test_a_field_written_twice_is_refused_not_silently_replaced(content):
    edit(content / "en/line.yaml", "  goodbye: >-", "  greeting: Hello again.\n  goodbye: >-")
    edit(content / "en/topics/risks.md", "as_of:", "title: Again\nas_of:")
    problems = problems_of(content)
    assert any("line.yaml" in p and "'phrases.greeting' is written twice (first on line" in p for p in problems)
    assert any("risks.md" in p and "'title' is written twice" in p for p in problems)
    assert len(problems) == 2  # and no follow-on noise about the file that could not be read


def test_sentence_templates_must_keep_their_placeholders(content):
    edit(content / "en/line.yaml", 'option: "For {label}, press {key}, or say {label}."',
         'option: "For {topic}, press the key."')
    edit(content / "en/line.yaml", 'command: "{label}, press {key}."', 'command: "{label}, press {key."')
    problems = problems_of(content)
    assert any("templates.option: {topic} is not something the line can fill in here; use key, label" in p
               for p in problems)
    assert any("templates.option: must say {key} somewhere" in p for p in problems)
    assert any("templates.command: has a stray brace" in p for p in problems)


def test_command_keys_are_the_reserved_keys_but_next(line, real_line):
    assert line.command_keys == {"9": "repeat", "8": "back", "7": "main", "0": "person", "5": "text", "6": "slower"}
    assert real_line.command_keys["*"] == "language"  # the real line serves two languages


def test_file_names_are_shown_from_the_current_folder(content, tmp_path, monkeypatch):
    edit(content / "en/topics/risks.md", "sms_keyword: RISKS\n", "")
    monkeypatch.chdir(content / "en")
    assert problems_of(content)[0].startswith("topics/risks.md:1: sms_keyword: is missing")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert problems_of(content)[0].startswith(f"{(content / 'en/topics/risks.md').resolve()}:1: ")


def test_missing_names_are_reported(content):
    edit(content / "en/line.yaml", "name: Test information line\n", "")
    problems = problems_of(content)
    assert any("line.yaml:1: name: is missing or empty" in p for p in problems)


def test_empty_word_lists_are_refused(content):
    line_yaml, risks = content / "en/line.yaml", content / "en/topics/risks.md"
    line_yaml.write_text(re.sub(r"(\n  next:\n(?:    .*\n)*?    phrases: ).*", r"\1[]", line_yaml.read_text()))
    risks.write_text(re.sub(r"(?m)^phrases: .*$", 'phrases: [" "]', risks.read_text()))
    problems = problems_of(content)
    assert any("line.yaml" in p and "reserved.next.phrases: is empty" in p for p in problems)
    assert any("risks.md" in p and "phrases: is empty" in p for p in problems)


def test_menu_and_topic_ids_must_be_plain_and_short(content):
    line_yaml = content / "en/line.yaml"
    line_yaml.write_text(line_yaml.read_text().replace("trials-and-doctor", "Trials_Doctor"))
    long_id = "a" * 61
    (content / "en/topics/risks.md").rename(content / f"en/topics/{long_id}.md")
    edit(content / f"en/topics/{long_id}.md", "id: risks", f"id: {long_id}")
    edit(line_yaml, "topic: risks", f"topic: {long_id}")
    problems = problems_of(content)
    [number] = [int(m.group(1)) for p in problems
                if (m := re.search(r"line\.yaml:(\d+): menus\.Trials_Doctor: must be lower-case", p))]
    assert line_yaml.read_text().splitlines()[number - 1] == "  Trials_Doctor:"
    assert any(f"topics/{long_id}.md:2: id: must be lower-case" in p and "at most 60 characters" in p
               for p in problems)


def test_a_call_place_accepts_only_valid_ids():
    assert State.from_params({"at": "main/trials-and-doctor"}) == State(("main", "trials-and-doctor"))
    assert State.from_params({"at": "main/-risks"}) is None
    assert State.from_params({"at": "main/" + "a" * 61}) is None


def test_a_menu_and_a_topic_may_not_share_an_id(content):
    line_yaml = content / "en/line.yaml"
    line_yaml.write_text(line_yaml.read_text().replace("trials-and-doctor", "risks"))
    assert any("menus.risks: is also the id of the topic in" in p for p in problems_of(content))


def test_a_topic_or_menu_offered_by_two_menus_is_refused(content):
    line_yaml = content / "en/line.yaml"
    edit(line_yaml, '        topic: find-a-trial\n', '        topic: risks\n')
    edit(line_yaml, '      - key: "1"\n        topic: risks\n',
         '      - key: "1"\n        topic: risks\n'
         '      - key: "2"\n        menu: trials-and-doctor\n'
         '      - key: "3"\n        menu: main\n')
    problems = problems_of(content)
    lines = line_yaml.read_text().splitlines()
    [(number, problem)] = [(int(m.group(1)), p) for p in problems
                           if (m := re.search(r"line\.yaml:(\d+): menus\.trials-and-doctor\.options\[0\]\.topic: ", p))]
    assert lines[number - 1].strip() == "topic: risks"
    assert "menu 'trials-and-doctor' offers topic 'risks', which menu 'main' already offers (choice 3)" in problem
    assert any("options[1].menu: menu 'trials-and-doctor' offers menu 'trials-and-doctor', which menu 'main' "
               "already offers (choice 2)" in p for p in problems)
    assert any("options[2].menu: the main menu is not a choice" in p for p in problems)


def test_lower_case_pronunciations_match_any_case_and_capitals_only_as_written(line):
    assert line.pronounce("Ocrelizumab and OCRELIZUMAB") == "ock reh liz you mab and ock reh liz you mab"
    assert line.pronounce("Ms Smith and ms") == "Ms Smith and ms"
    assert line.pronounce("ocrevus") == "ocrevus"


def test_content_error_carries_the_line_only_when_it_could_be_built(content):
    edit(content / "en/topics/risks.md", 'date: "2025', 'date: "20251')
    edit(content / "en/line.yaml", "Msg & data rates may apply.\n  stop:", "Msg \u2019n data rates may apply.\n  stop:")
    with pytest.raises(ContentError) as soft:
        load_line(content)
    assert soft.value.partial is not None and "risks" in soft.value.partial.topics
    assert any("date: must be a year" in str(p) for p in soft.value.problems)
    edit(content / "en/topics/risks.md", "reviewed: ", "reviewed: not a date ")
    with pytest.raises(ContentError) as broken:
        load_line(content)
    assert broken.value.partial is None
