"""`flask content preview`, `say` and `voices`: hear every prompt offline before callers do."""

from __future__ import annotations

import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

import click

from app import preview
from app.cli.settings import editor_settings
from app.core import pace
from app.core.callflow import CallFlow
from app.core.content import ContentError, Line, load_line


class Speed(click.ParamType):
    """Words per minute (60-450), or a caller's speed step: slowest, much-slower, slower, normal, faster, fastest."""

    name = "speed"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int | str:
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if text.isdigit() and 60 <= int(text) <= 450:
            return int(text)
        if pace.parse_step(text) is not None and not text.lstrip("+-").isdigit():
            return text
        self.fail(f"{value!r} is neither 60-450 words a minute nor one of: {', '.join(pace.STEP_NAMES.values())}",
                  param, ctx)


speed_option = click.option("--rate", "speed", type=Speed(), default=None,
                            help="Words per minute, or the speed a caller chose: slowest, much-slower, slower, normal, "
                                 "faster, fastest (default: the WORDS_PER_MINUTE setting, normal speed).")


def words_per_minute(settings: dict[str, Any], speed: int | str | None) -> int:
    """The preview's words a minute: as given, or the setting scaled to a caller's speed step."""
    if isinstance(speed, int):
        return speed
    step = pace.parse_step(speed) if speed else 0
    return pace.words_per_minute(int(settings["WORDS_PER_MINUTE"]), str(settings["SPEECH_RATE"]), step or 0)
language_option = click.option("--language", default=None,
                               help="The language's content to render, e.g. es (default: CONTENT_LANGUAGE), "
                                    "in an espeak voice of that language unless --voice says otherwise.")
voice_option = click.option("--voice", default=None,
                            help='An espeak voice id or name, like "en-us" or "English (America)" '
                                 "(default: the VOICE_LANGUAGE setting, or the language's own: en-us, es-419). "
                                 "See `flask content voices`.")


def make_speaker(voice: str, words_a_minute: int) -> preview.Speaker:
    """The speaker the commands use (tests replace this)."""
    return preview.Pyttsx3Speaker(voice, words_a_minute)


def _default_voice(settings: dict[str, Any], line: Line) -> str:
    """The espeak voice for a line: VOICE_LANGUAGE for the default language when set; else the language's own
    (English "en-us", Spanish "es-419")."""
    if line.language == settings["CONTENT_LANGUAGE"] and settings["VOICE_LANGUAGE"]:
        return str(settings["VOICE_LANGUAGE"]).lower()
    return line.lang.preview_voice


@contextmanager
def _speaker(settings: dict[str, Any], voice: str | None, speed: int | str | None,
             line: Line) -> Iterator[preview.Speaker]:
    """A speaker with the chosen voice (or the line's language's) and speed, closed afterwards."""
    speaker = make_speaker(voice or _default_voice(settings, line), words_per_minute(settings, speed))
    try:
        yield speaker
    finally:
        close = getattr(speaker, "close", None)
        if close:
            close()


def _flow(settings: dict[str, Any], language: str | None = None) -> tuple[Line, CallFlow]:
    """The content and call flow of a language (default CONTENT_LANGUAGE), as the app would build them; a clear
    error when the content is broken."""
    try:
        line = load_line(settings["CONTENT_DIR"], language or settings["CONTENT_LANGUAGE"])
    except ContentError as error:
        # A ContentError's message is its problems, one a line.
        raise click.ClickException(f"the content has problems; fix them first (`flask content check`):\n{error}"
                                   ) from None
    return line, CallFlow(line, settings["TRANSFER_NUMBER"], settings["CONTACT_NUMBER"])


def _progress(texts: list[str]) -> Iterable[str]:
    """Show a progress bar while prompts are rendered."""
    if not texts:
        return
    with click.progressbar(texts, label=f"Rendering {len(texts)} prompt{'' if len(texts) == 1 else 's'}",
                           item_show_func=lambda t: (t[:40] + "...") if t and len(t) > 40 else t) as bar:
        yield from bar


def _fail_on(failures: dict[str, str]) -> None:
    """Exit non-zero, naming each prompt that could not be rendered."""
    if failures:
        lines = [f'  "{text}"\n    {reason}' for text, reason in failures.items()]
        raise click.ClickException(f"{len(failures)} prompt(s) could not be rendered:\n" + "\n".join(lines))


@click.command("preview")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The folder for the audio and index.html (default: the PREVIEW_DIR setting).")
@speed_option
@voice_option
@language_option
def preview_command(out: Path | None, speed: int | str | None, voice: str | None, language: str | None) -> None:
    """Render every prompt to audio and write index.html to listen to them all."""
    started = time.perf_counter()
    settings = editor_settings()
    line, flow = _flow(settings, language)
    # Another language's preview goes in a folder of its own (PREVIEW_DIR/es), beside the default's.
    folder = out or (Path(settings["PREVIEW_DIR"]) / ("" if line.language == settings["CONTENT_LANGUAGE"]
                                                      else line.language))
    prompts = preview.collect_prompts(flow)
    with _speaker(settings, voice, speed, line) as speaker:
        try:
            result = preview.build_preview(line, prompts, speaker, folder, progress=_progress)
        except preview.SpeakerError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"{len(prompts)} prompts: {len(result.rendered)} rendered, {result.reused} unchanged, "
               f"{result.removed} old files removed, in {time.perf_counter() - started:.1f} s.")
    unsaid = preview.unsaid_phrases(line, prompts)
    if unsaid:
        click.echo(f"Not said with these settings (TRANSFER_NUMBER, CONTACT_NUMBER): {', '.join(unsaid)}.")
    click.echo(f"Open {(folder / preview.INDEX).resolve()} in a web browser to listen.")
    _fail_on(result.failures)


@click.command("say")
@click.argument("topic")
@click.option("--to", "to", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write one WAV file instead of playing it aloud.")
@speed_option
@voice_option
@language_option
def say_command(topic: str, to: Path | None, speed: int | str | None, voice: str | None, language: str | None) -> None:
    """Say one topic, all its parts with their pauses, aloud or into a WAV file."""
    settings = editor_settings()
    line, flow = _flow(settings, language)
    if topic not in line.topics:
        raise click.BadParameter(f"no topic {topic!r}; the topics are: {', '.join(line.topics)}", param_hint="TOPIC")
    segments = preview.topic_segments(flow, topic)
    spoken = [s.spoken for s in segments]
    folder = Path(settings["PREVIEW_DIR"])
    with _speaker(settings, voice, speed, line) as speaker:
        try:
            _seconds, _rendered, failures = preview.ensure_audio(spoken, speaker, folder, progress=_progress)
        except preview.SpeakerError as error:
            raise click.ClickException(str(error)) from None
        _fail_on(failures)
        parts = [(folder / preview.audio_file(text, speaker.voice, speaker.words_per_minute), s.pause_ms)
                 for text, s in zip(spoken, segments)]
    if to is not None:
        seconds = preview.join_wavs(parts, to)
        click.echo(f"Wrote {to} ({seconds:.1f} s).")
        return
    with tempfile.TemporaryDirectory() as scratch:
        joined = Path(scratch) / f"{topic}.wav"
        seconds = preview.join_wavs(parts, joined)
        click.echo(f"Saying {line.topics[topic].title} ({seconds:.0f} s)...")
        try:
            preview.play_wav(joined)
        except preview.SpeakerError as error:
            raise click.ClickException(str(error)) from None


@click.command("voices")
def voices_command() -> None:
    """List the voices this computer can use with --voice."""
    with preview.Pyttsx3Speaker("en", 140) as speaker:
        try:
            voices = speaker.voices()
        except (preview.SpeakerError, preview.RenderError) as error:
            raise click.ClickException(str(error)) from None
    for voice in voices:
        click.echo(f"{voice['id']:<28} {voice['name']:<36} {', '.join(voice['languages'])}")
