"""Speaking pace: steps from the line's normal rate, as SSML and as preview speeds."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from test_preview import FakeSpeaker

from app.cli import content
from app.cli import preview as preview_cli
from app.core import pace


def test_steps_are_ten_points_of_the_prosody_rate_within_a_range():
    assert pace.prosody_rate("90%", 0) == "90%"
    assert [pace.prosody_rate("90%", step) for step in range(-3, 3)] == ["60%", "70%", "80%", "90%", "100%", "110%"]
    assert pace.prosody_rate("90%", -9) == "60%" and pace.prosody_rate("90%", 9) == "110%"
    assert pace.prosody_rate("medium", -1) == "90%"
    assert pace.prosody_rate("medium", 0) == "medium"


def test_words_a_minute_follow_the_rate():
    assert pace.words_per_minute(140, "90%", 0) == 140
    assert pace.words_per_minute(140, "90%", -1) == 124
    assert pace.words_per_minute(140, "90%", -3) == 93


@pytest.mark.parametrize("name, step", [("slowest", -3), ("much slower", -2), ("Slower", -1), ("normal", 0),
                                        ("faster", 1), ("fastest", 2), ("-2", -2), ("+1", 1)])
def test_steps_by_name(name, step):
    assert pace.parse_step(name) == step


def test_unknown_steps():
    assert pace.parse_step("quick") is None and pace.parse_step("-7") is None


@pytest.mark.parametrize("option, words_a_minute", [("slower", 124), ("slowest", 93), ("normal", 140), ("110", 110)])
def test_flask_content_say_at_each_step(monkeypatch, option, words_a_minute, tmp_path):
    for name in ("WORDS_PER_MINUTE", "SPEECH_RATE"):
        monkeypatch.delenv(name, raising=False)
    made = []
    monkeypatch.setattr(preview_cli, "make_speaker", lambda voice, wpm: made.append(wpm) or FakeSpeaker("good",
                                                                                                         voice, wpm))
    result = CliRunner().invoke(content, ["say", "risks", "--rate", option, "--to", str(tmp_path / "risks.wav")])
    assert result.exit_code == 0, result.output
    assert made == [words_a_minute]


def test_flask_content_preview_refuses_an_unknown_rate():
    result = CliRunner().invoke(content, ["preview", "--rate", "quick"])
    assert result.exit_code == 2 and "neither 60-450 words a minute" in result.output
