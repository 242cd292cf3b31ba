"""WAV files: the Speaker that writes them, the check that a file is believable, joining and playing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import wave
from pathlib import Path
from typing import Protocol, Sequence

from app.core.speech import speaking_seconds

# A rendered file is believed when it lasts between these multiples of the estimate from its words
# and the words a minute; the extra seconds allow for the pause espeak adds at the end of every utterance.
MIN_DURATION_FACTOR = 0.25
MAX_DURATION_FACTOR = 4.0
END_PAUSE_ALLOWANCE = 1.0


class SpeakerError(Exception):
    """The speaker cannot work at all (no espeak, unknown voice): nothing can be rendered."""


class RenderError(Exception):
    """One text could not be rendered into a good WAV file."""


class Speaker(Protocol):
    """Anything that says a text into a WAV file with a fixed voice and speed (words per minute)."""

    voice: str
    words_per_minute: int

    def render(self, text: str, path: Path) -> None:
        """Write `text`, spoken, to the WAV file `path`."""


def check_wav(path: Path, text: str, words_per_minute: int) -> float:
    """The duration of a rendered file in seconds; RenderError unless it is a plausible WAV of `text`."""
    if not path.exists():
        raise RenderError(f"no file was written at {path.name}")
    try:
        with wave.open(str(path), "rb") as wav:
            frames, frame_rate = wav.getnframes(), wav.getframerate()
    except (wave.Error, EOFError) as exc:
        raise RenderError(f"{path.name} is not a valid WAV file ({exc or 'truncated'})") from None
    if frames == 0 or frame_rate == 0:
        raise RenderError(f"{path.name} holds no sound (0 frames)")
    seconds = frames / frame_rate
    estimate = speaking_seconds(text, words_per_minute)
    low, high = MIN_DURATION_FACTOR * estimate, MAX_DURATION_FACTOR * estimate + END_PAUSE_ALLOWANCE
    if not low <= seconds <= high:
        raise RenderError(f"{path.name} lasts {seconds:.2f} s, but {len(text.split())} words at {words_per_minute} "
                          f"words a minute should take between {low:.2f} and {high:.2f} s")
    return seconds


def render_one(speaker: Speaker, text: str, path: Path) -> float:
    """Render `text` to `path` through a temporary file, checked before it replaces `path`; its seconds."""
    partial = path.with_name(path.stem + ".partial.wav")
    partial.unlink(missing_ok=True)
    try:
        speaker.render(text, partial)
        seconds = check_wav(partial, text, speaker.words_per_minute)
        os.replace(partial, path)
        return seconds
    except (SpeakerError, RenderError):
        raise
    except Exception as exc:  # a speaker's own failure, whatever it is, is this prompt's failure
        raise RenderError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)


def join_wavs(parts: Sequence[tuple[Path, int]], out: Path) -> float:
    """Join WAV files into one, each followed by its pause in milliseconds (none after the last); seconds."""
    if not parts:
        raise ValueError("nothing to join")
    out.parent.mkdir(parents=True, exist_ok=True)
    params: tuple[int, int, int] | None = None
    with wave.open(str(out), "wb") as joined:
        for index, (path, pause_ms) in enumerate(parts):
            with wave.open(str(path), "rb") as wav:
                here = (wav.getnchannels(), wav.getsampwidth(), wav.getframerate())
                if params is None:
                    params = here
                    joined.setnchannels(here[0])
                    joined.setsampwidth(here[1])
                    joined.setframerate(here[2])
                elif here != params:
                    raise ValueError(f"{path.name} has another format than the first file")
                joined.writeframes(wav.readframes(wav.getnframes()))
            if index < len(parts) - 1 and pause_ms > 0:
                channels, width, frame_rate = params
                joined.writeframes(b"\x00" * (frame_rate * pause_ms // 1000) * channels * width)
        return joined.getnframes() / joined.getframerate()


def play_wav(path: Path) -> None:
    """Play a WAV file on this computer's speakers, the way pyttsx3's own drivers do."""
    if sys.platform == "win32":  # written so, mypy checks this branch only for Windows
        import winsound

        winsound.PlaySound(str(path), winsound.SND_FILENAME)
        return
    players = ([["afplay"]] if sys.platform == "darwin" else []) + [["aplay", "-q"], ["paplay"], ["play", "-q"]]
    for player in players:
        if shutil.which(player[0]):
            subprocess.run([*player, str(path)], check=True)
            return
    raise SpeakerError("no audio player found (aplay, paplay or play); write a file with --to instead")
