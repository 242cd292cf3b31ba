"""Hear the line offline: every prompt as a cached WAV file, a manifest and an index page.

The core of `flask content preview` and `flask content say`; imports neither Flask nor click.
prompts.py finds what the line says; audio.py checks, joins and plays WAV files; cache.py keeps the
preview folder (audio, manifest.json) and index.py its page; speaker.py drives pyttsx3 in a worker
process (worker.py, `python -m app.preview.worker`), because its espeak driver is unreliable when
reused or re-created inside one process.
"""

from app.preview.audio import (
                    END_PAUSE_ALLOWANCE,
                    MAX_DURATION_FACTOR,
                    MIN_DURATION_FACTOR,
                    RenderError,
                    Speaker,
                    SpeakerError,
                    check_wav,
                    join_wavs,
                    play_wav,
                    render_one,
)
from app.preview.cache import (
                    AUDIO_DIR,
                    MANIFEST,
                    PreviewResult,
                    audio_file,
                    audio_key,
                    build_manifest,
                    build_preview,
                    ensure_audio,
                    remove_stale,
)
from app.preview.index import INDEX, build_index
from app.preview.prompts import Prompt, collect_prompts, spoken_segments, topic_segments, unsaid_phrases, where
from app.preview.speaker import Pyttsx3Speaker

__all__ = ["AUDIO_DIR", "END_PAUSE_ALLOWANCE", "INDEX", "MANIFEST", "MAX_DURATION_FACTOR", "MIN_DURATION_FACTOR",
           "PreviewResult", "Prompt", "Pyttsx3Speaker", "RenderError", "Speaker", "SpeakerError", "audio_file",
           "audio_key", "build_index", "build_manifest", "build_preview", "check_wav", "collect_prompts",
           "ensure_audio", "join_wavs", "play_wav", "remove_stale", "render_one", "spoken_segments",
           "topic_segments", "unsaid_phrases", "where"]
