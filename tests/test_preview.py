"""Preview: every prompt rendered to real audio with pyttsx3 and espeak-ng, cached, listed and checked."""

from __future__ import annotations

import ctypes.util
import json
import os
import re
import shutil
import wave
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import TEST_CONTENT_DIR

from app import preview
from app.cli import content
from app.cli import preview as preview_cli
from app.core.callflow import CallFlow, Segment
from app.core.speech import speaking_seconds
from app.preview import Prompt

CONTACT = "+1 555 010 0199"


@pytest.fixture
def espeak() -> None:
    """Skip (or, when CI is set, fail) unless pyttsx3 can use espeak-ng on this machine."""
    try:
        import pyttsx3  # noqa: F401
    except ImportError:
        missing = "pyttsx3 is not installed"
    else:
        found = shutil.which("espeak-ng") or ctypes.util.find_library("espeak-ng")
        missing = "" if found else "espeak-ng is not installed (apt-get install espeak-ng libespeak-ng1)"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing}; CI must be able to render audio")
        pytest.skip(missing)


@pytest.fixture
def content_dir(tmp_path) -> Path:
    """A copy of the test line that a test may edit."""
    copy = tmp_path / "content"
    shutil.copytree(TEST_CONTENT_DIR, copy)
    return copy


@pytest.fixture
def run(tmp_path, content_dir, monkeypatch):
    """Run `flask content ...` on the content copy, previews into tmp_path/preview."""
    for name in ("TRANSFER_NUMBER", "CONTACT_NUMBER", "WORDS_PER_MINUTE", "VOICE_LANGUAGE", "CONTENT_LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CONTENT_DIR", str(content_dir))
    monkeypatch.setenv("PREVIEW_DIR", str(tmp_path / "preview"))

    def invoke(*args: str):
        return CliRunner().invoke(content, list(args), catch_exceptions=False)

    return invoke


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def write_wav(path: Path, seconds: float, frame_rate: int = 22050) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(frame_rate)
        wav.writeframes(b"\x01\x00" * int(frame_rate * seconds))


class FakeSpeaker:
    """Writes silence as long as the text should last, or fails in the way it is told to."""

    def __init__(self, mode: str = "good", voice: str = "fake", words_per_minute: int = 140):
        self.mode, self.voice, self.words_per_minute, self.said = mode, voice, words_per_minute, []

    def render(self, text: str, path: Path) -> None:
        self.said.append(text)
        if self.mode == "good":
            write_wav(path, speaking_seconds(text, self.words_per_minute) + 0.3)
        elif self.mode == "garbage":
            path.write_bytes(b"RIFF nonsense, not a wave file")
        elif self.mode == "empty":
            write_wav(path, 0)
        elif self.mode == "raise":
            raise OSError("the sound card caught fire")
        # "nothing": writes no file at all


# ----- what the line says (pure) ----------------------------------------------------------------

def test_every_phrase_and_part_is_a_prompt(line):
    prompts = preview.collect_prompts(CallFlow(line, None, CONTACT))
    spoken = {p.spoken for p in prompts}
    assert prompts[0].segment.text == line.phrases["greeting"]
    for name, text in line.phrases.items():
        # transfer and no_person: said only with a transfer number, or with no number; language_offer: said
        # in the other language's greeting.
        if name not in ("transfer", "no_person", "language_offer"):
            assert line.pronounce(text) in spoken, name
    for topic in line.topics.values():
        for part in topic.parts:
            assert line.pronounce(part.text) in spoken
    assert len(spoken) == len(prompts)  # one prompt per spoken text
    phone = [p for p in prompts if p.segment.kind == "phone_number"]
    assert [p.spoken for p in phone] == ["1. 5, 5, 5. 0, 1, 0. 0, 1, 9, 9."]
    assert set(preview.unsaid_phrases(line, prompts)) == {"transfer", "no_person"}


def test_the_person_phrases_follow_the_settings(line):
    transfer = preview.unsaid_phrases(line, preview.collect_prompts(CallFlow(line, "+15550100", None)))
    nobody = preview.unsaid_phrases(line, preview.collect_prompts(CallFlow(line, None, None)))
    contact = {"contact_number", "contact_number_again", "contact_number_repeat"}
    assert set(transfer) == contact | {"no_person"}
    assert set(nobody) == contact | {"transfer"}


def test_a_topic_is_said_as_a_caller_hears_it(line):
    flow = CallFlow(line)
    segments = preview.topic_segments(flow, "risks")
    texts = [s.text for s in segments]
    topic = line.topics["risks"]
    assert texts[0] == f"{topic.label[0].upper()}{topic.label[1:]}."
    assert all(part.text in texts for part in topic.parts)
    assert line.phrases["end_of_topic"] in texts


def test_audio_key_names_text_voice_and_words_per_minute():
    key = preview.audio_key("Hello.", "en-us", 140)
    assert re.fullmatch(r"[0-9a-f]{16}", key)
    assert key == preview.audio_key("Hello.", "EN-US ", 140)
    assert len({key, preview.audio_key("Hello!", "en-us", 140), preview.audio_key("Hello.", "en-gb", 140),
                preview.audio_key("Hello.", "en-us", 120)}) == 4


# ----- checking and joining audio (pure) -----------------------------------------------------------

def test_check_wav_refuses_what_cannot_be_the_text(tmp_path):
    text = "one two three four five six seven"  # 3 seconds at 140 words a minute
    good, short, long, empty, garbage = (tmp_path / f"{n}.wav" for n in ("good", "short", "long", "empty", "garbage"))
    write_wav(good, 3.2)
    write_wav(short, 0.3)
    write_wav(long, 20)
    write_wav(empty, 0)
    garbage.write_bytes(b"not a wave")
    assert preview.check_wav(good, text, 140) == pytest.approx(3.2)
    for path, reason in ((tmp_path / "missing.wav", "no file"), (garbage, "not a valid WAV"),
                         (empty, "no sound"), (short, "should take"), (long, "should take")):
        with pytest.raises(preview.RenderError, match=reason):
            preview.check_wav(path, text, 140)


def test_join_wavs_puts_each_pause_between_segments(tmp_path):
    a, b, c = tmp_path / "a.wav", tmp_path / "b.wav", tmp_path / "c.wav"
    for path in (a, b, c):
        write_wav(path, 1.0)
    seconds = preview.join_wavs([(a, 400), (b, 800), (c, 800)], tmp_path / "out.wav")
    assert seconds == pytest.approx(3 + 0.4 + 0.8)  # no pause after the last
    assert wav_seconds(tmp_path / "out.wav") == pytest.approx(seconds)


# ----- failures are reported, never silent ------------------------------------------------------------

@pytest.mark.parametrize("mode, reason", [("nothing", "no file was written"), ("garbage", "not a valid WAV"),
                                          ("empty", "no sound"), ("raise", "sound card caught fire")])
def test_a_failing_speaker_is_reported_with_the_prompt(line, tmp_path, mode, reason):
    prompts = preview.collect_prompts(CallFlow(line))[:3]
    result = preview.build_preview(line, prompts, FakeSpeaker(mode), tmp_path)
    assert set(result.failures) == {p.spoken for p in prompts}
    assert all(reason in why for why in result.failures.values())
    assert result.manifest["prompts"] == {}
    assert list((tmp_path / "audio").iterdir()) == []  # no half-written file is left to be believed
    assert "could not be rendered" in (tmp_path / "index.html").read_text()


def test_the_command_exits_non_zero_naming_the_failed_prompts(run, monkeypatch, line):
    monkeypatch.setattr(preview_cli, "make_speaker", lambda voice, wpm: FakeSpeaker("garbage", voice, wpm))
    result = run("preview")
    assert result.exit_code == 1
    assert "could not be rendered" in result.output
    assert line.pronounce(line.phrases["greeting"]) in result.output


def test_a_broken_cached_file_is_rendered_again(line, tmp_path):
    prompts = preview.collect_prompts(CallFlow(line))[:3]
    speaker = FakeSpeaker()
    preview.build_preview(line, prompts, speaker, tmp_path)
    entry = preview.build_preview(line, prompts, speaker, tmp_path).manifest["prompts"][prompts[1].spoken]
    (tmp_path / entry["file"]).write_bytes(b"broken")
    again = preview.build_preview(line, prompts, speaker, tmp_path)
    assert again.rendered == [prompts[1].spoken]


def test_the_index_page_escapes_what_it_shows(line):
    prompts = preview.collect_prompts(CallFlow(line))[:2]
    manifest = preview.build_manifest(prompts, {prompts[1].spoken: 1.5}, 'en"<b>', 140)
    page = preview.build_index(line, prompts, manifest, {prompts[0].spoken: "<script>alert(1)</script> & more"})
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert page.count("<script>") == 1  # only the page's own filter box
    assert "Voice en&#34;&lt;b&gt;, 140 words a minute" in page
    assert page.count("<audio controls") == 1 and "Not rendered: see the list at the top" in page
    assert f'src="{manifest["prompts"][prompts[1].spoken]["file"]}"' in page
    assert '<td class="seconds">1.5</td>' in page


def test_the_index_has_the_lines_name_groups_by_topic_and_puts_changed_prompts_first(line):
    prompts = preview.collect_prompts(CallFlow(line))
    manifest = preview.build_manifest(prompts, {p.spoken: 1.0 for p in prompts}, "en", 140)
    risks = [p for p in prompts if p.node.kind == "topic" and p.node.id == "risks"]
    changed = {risks[-1].spoken}
    page = preview.build_index(line, prompts, manifest, {}, changed)
    assert f"<title>Preview: {line.name}</title>" in page and f"<h1>Preview of {line.name}</h1>" in page
    titles = re.findall(r'<h2 id="group-\d+">(.*?)</h2>', page)
    assert titles[0] == preview.index.SHARED_GROUP
    assert sorted(titles[1:]) == sorted(t.title for t in line.topics.values())  # each topic once
    first_heard = [next(p.node.id for p in prompts if p.node.kind == "topic" and line.topics[p.node.id].title == t)
                   for t in titles[1:]]
    order = [next(i for i, p in enumerate(prompts) if p.node.id == topic) for topic in first_heard]
    assert order == sorted(order)  # topics in the order a caller first meets them
    number = prompts.index(risks[-1]) + 1
    risks_table = page.split(f">{line.topics['risks'].title}</h2>")[1].split("</table>")[0]
    assert re.search(r"<tbody>\s*<tr id=\"prompt-(\d+)\" class=\"changed\">", risks_table).group(1) == str(number)
    assert f'<a href="#prompt-{number}">Prompt {number}</a>' in page and "1 prompt is new or reworded" in page
    assert page.count('class="changed"') == 1


def test_say_refuses_an_unknown_topic(run):
    result = run("say", "no-such-topic")
    assert result.exit_code == 2
    assert "basics" in result.output and "find-a-trial" in result.output


# ----- real audio with espeak-ng -----------------------------------------------------------------

def test_real_audio_manifest_index_and_cache(espeak, line, tmp_path):
    flow = CallFlow(line, None, CONTACT)
    everything = preview.collect_prompts(flow)
    prompts = everything[:4] + [p for p in everything if p.segment.kind == "phone_number"]
    with preview.Pyttsx3Speaker("en-us", 150) as speaker:
        first = preview.build_preview(line, prompts, speaker, tmp_path)
        assert first.failures == {}
        assert sorted(first.rendered) == sorted(p.spoken for p in prompts)

        manifest = json.loads((tmp_path / "manifest.json").read_text())
        assert manifest == first.manifest
        assert set(manifest) == {"voice", "words_per_minute", "prompts"}
        assert (manifest["voice"], manifest["words_per_minute"]) == ("en-us", 150)
        assert list(manifest["prompts"]) == [p.spoken for p in prompts]
        for spoken, entry in manifest["prompts"].items():
            assert set(entry) == {"file", "seconds"}
            assert entry["file"] == f"audio/{preview.audio_key(spoken, 'en-us', 150)}.wav"
            seconds = preview.check_wav(tmp_path / entry["file"], spoken, 150)  # valid, plausible length
            assert entry["seconds"] == pytest.approx(seconds, abs=0.001)

        page = (tmp_path / "index.html").read_text()
        assert page.count('<th scope="col">') == 5 * page.count('<section class="group"')
        assert page.count("<audio controls") == len(prompts)
        assert 'aria-label="Listen to prompt 1"' in page
        assert page.count("<script>") == 1 and "first preview in this folder" in page
        assert "Said as: 1. 5, 5, 5." in page

        second = preview.build_preview(line, prompts, speaker, tmp_path)
        assert second.rendered == [] and second.reused == len(prompts)

        edited = [Prompt(Segment(p.segment.text + " Thank you."), p.node, p.spoken + " Thank you.")
                  if i == 1 else p for i, p in enumerate(prompts)]
        assert "Nothing changed since the last preview." in (tmp_path / "index.html").read_text()
        third = preview.build_preview(line, edited, speaker, tmp_path)
        assert third.rendered == [edited[1].spoken]
        page = (tmp_path / "index.html").read_text()
        assert "1 prompt is new or reworded" in page and '<tr id="prompt-2" class="changed">' in page
        assert third.removed == 1
        assert len(list((tmp_path / "audio").glob("*.wav"))) == len(prompts)


def test_preview_command_renders_everything_then_only_what_changed(espeak, run, tmp_path, content_dir, line):
    result = run("preview")
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "preview" / "manifest.json").read_text())
    count = len(preview.collect_prompts(CallFlow(line)))
    assert len(manifest["prompts"]) == count
    assert f"{count} rendered" in result.output
    assert (tmp_path / "preview" / "index.html").exists()

    again = run("preview")
    assert f"0 rendered, {count} unchanged" in again.output

    topic_file = content_dir / "en" / "topics" / "risks.md"
    lines = topic_file.read_text().splitlines(keepends=True)
    first_text_line = line.topics["risks"].parts[0].line_number  # the heading; its text follows
    lines[first_text_line] = lines[first_text_line].rstrip("\n") + " Really.\n"
    topic_file.write_text("".join(lines))
    edited = run("preview")
    assert edited.exit_code == 0, edited.output
    assert "1 rendered" in edited.output and "1 old files removed" in edited.output


def test_preview_command_with_another_rate_and_voice(espeak, run, tmp_path, monkeypatch):
    every_prompt = preview.collect_prompts
    monkeypatch.setattr(preview, "collect_prompts", lambda flow: every_prompt(flow)[:2])
    result = run("preview", "--out", str(tmp_path / "slow"), "--rate", "100", "--voice", "English (America)")
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "slow" / "manifest.json").read_text())
    assert (manifest["voice"], manifest["words_per_minute"]) == ("English (America)", 100)


def test_an_unknown_voice_is_an_error(espeak, run, tmp_path):
    result = run("preview", "--voice", "no-such-voice")
    assert result.exit_code == 1
    assert "no voice called 'no-such-voice'" in result.output


def test_say_to_file_joins_the_parts_with_their_pauses(espeak, run, tmp_path, line):
    out = tmp_path / "risks.wav"
    result = run("say", "risks", "--to", str(out))
    assert result.exit_code == 0, result.output
    segments = preview.topic_segments(CallFlow(line), "risks")
    audio = tmp_path / "preview"
    parts = [audio / preview.audio_file(s.spoken, "en-us", 140) for s in segments]
    expected = sum(wav_seconds(p) for p in parts) + sum(s.pause_ms for s in segments[:-1]) / 1000
    assert wav_seconds(out) == pytest.approx(expected, abs=0.01)


def test_the_worker_is_replaced_when_it_dies(espeak, tmp_path):
    with preview.Pyttsx3Speaker("en-us", 140) as speaker:
        speaker.render("The first sentence.", tmp_path / "one.wav")
        speaker._proc.kill()
        speaker.render("The second sentence.", tmp_path / "two.wav")
        assert preview.check_wav(tmp_path / "two.wav", "The second sentence.", 140) > 0
