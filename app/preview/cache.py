"""The preview folder: one cached WAV per spoken text, the manifest the simulator reads, and the index page."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from app.core.content import Line
from app.preview.audio import RenderError, Speaker, check_wav, render_one
from app.preview.index import INDEX, build_index
from app.preview.prompts import Prompt

AUDIO_DIR = "audio"
MANIFEST = "manifest.json"


@dataclass
class PreviewResult:
    """What a preview run did."""

    prompts: list[Prompt]
    manifest: dict[str, Any]
    rendered: list[str] = field(default_factory=list)
    reused: int = 0
    removed: int = 0
    failures: dict[str, str] = field(default_factory=dict)  # spoken text -> why it failed


def audio_key(spoken: str, voice: str, words_per_minute: int) -> str:
    """The cache name of a prompt's audio: a short sha256 of what is said, by which voice, how fast."""
    return hashlib.sha256(f"{voice.strip().lower()}\n{words_per_minute}\n{spoken}".encode()).hexdigest()[:16]


def audio_file(spoken: str, voice: str, words_per_minute: int) -> str:
    """A prompt's audio file, relative to the preview folder."""
    return f"{AUDIO_DIR}/{audio_key(spoken, voice, words_per_minute)}.wav"


def ensure_audio(texts: Iterable[str], speaker: Speaker, folder: Path,
                 progress: Callable[[list[str]], Iterable[str]] = iter
                 ) -> tuple[dict[str, float], list[str], dict[str, str]]:
    """Make sure each text has a good cached WAV: (seconds by text, texts rendered now, failures by text)."""
    (folder / AUDIO_DIR).mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}
    missing: list[str] = []
    for text in dict.fromkeys(texts):
        try:
            wpm = speaker.words_per_minute
            seconds[text] = check_wav(folder / audio_file(text, speaker.voice, wpm), text, wpm)
        except RenderError:
            missing.append(text)
    failures: dict[str, str] = {}
    for text in progress(missing):
        path = folder / audio_file(text, speaker.voice, speaker.words_per_minute)
        try:
            seconds[text] = render_one(speaker, text, path)
        except RenderError as exc:
            failures[text] = str(exc)
    return seconds, [t for t in missing if t not in failures], failures


def build_manifest(prompts: Sequence[Prompt], seconds: dict[str, float], voice: str,
                   words_per_minute: int) -> dict[str, Any]:
    """The manifest the simulator reads: the audio file and seconds of each spoken text."""
    return {
        "voice": voice,
        "words_per_minute": words_per_minute,
        "prompts": {p.spoken: {"file": audio_file(p.spoken, voice, words_per_minute),
                               "seconds": round(seconds[p.spoken], 3)}
                    for p in prompts if p.spoken in seconds},
    }


def remove_stale(folder: Path, manifest: dict[str, Any]) -> int:
    """Delete audio files the manifest no longer names; how many were removed."""
    keep = {entry["file"] for entry in manifest["prompts"].values()}
    removed = 0
    for path in (folder / AUDIO_DIR).glob("*.wav"):
        if f"{AUDIO_DIR}/{path.name}" not in keep:
            path.unlink()
            removed += 1
    return removed


def _write_text(path: Path, text: str) -> None:
    """Write a file whole or not at all."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def previous_texts(folder: Path) -> set[str] | None:
    """The spoken texts of the last run's manifest; None when there was no (readable) last run."""
    try:
        prompts = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["prompts"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return set(prompts) if isinstance(prompts, dict) else None


def build_preview(line: Line, prompts: Sequence[Prompt], speaker: Speaker, folder: Path,
                  progress: Callable[[list[str]], Iterable[str]] = iter) -> PreviewResult:
    """Render the prompts not cached yet, then write manifest.json and index.html and drop stale audio."""
    before = previous_texts(folder)
    seconds, rendered, failures = ensure_audio((p.spoken for p in prompts), speaker, folder, progress)
    manifest = build_manifest(prompts, seconds, speaker.voice, speaker.words_per_minute)
    _write_text(folder / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    changed = None if before is None else {p.spoken for p in prompts} - before
    _write_text(folder / INDEX, build_index(line, prompts, manifest, failures, changed))
    removed = remove_stale(folder, manifest)
    return PreviewResult(list(prompts), manifest, rendered, len(seconds) - len(rendered), removed, failures)
