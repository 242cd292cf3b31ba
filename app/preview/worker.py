"""The pyttsx3 worker process: `python -m app.preview.worker`, started by Pyttsx3Speaker, one job at a time.

It reads JSON-line requests on stdin and answers each with one JSON line on stdout; see Pyttsx3Speaker
for why pyttsx3 runs in a process of its own.
"""

from __future__ import annotations

import json
import os
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path
from typing import IO, Any, Iterable

from app.preview.audio import SpeakerError


def match_voice(voices: Iterable[Any], wanted: str) -> Any:
    """The voice whose id, short id, name or language is `wanted` (any case); SpeakerError if none."""
    want = wanted.strip().lower()
    for voice in voices:
        names = {voice.id.lower(), voice.id.lower().rsplit("/", 1)[-1], (voice.name or "").lower()}
        names |= {str(lang).lower() for lang in (voice.languages or [])}
        if want in names:
            return voice
    raise SpeakerError(f"no voice called {wanted!r} on this computer; `flask content voices` lists them")


def serve(stdin: IO[str], reply_to: IO[str]) -> None:
    """Serve JSON-line requests from Pyttsx3Speaker: setup, voices, render (one file per runAndWait)."""
    import pyttsx3

    engine = pyttsx3.init()
    expected: dict[str, Any] = {}

    def handle(request: dict[str, Any]) -> dict[str, Any]:
        if request["op"] == "voices":
            return {"voices": [{"id": v.id, "name": v.name, "languages": list(v.languages or [])}
                               for v in engine.getProperty("voices")]}
        if request["op"] == "setup":
            voice = match_voice(engine.getProperty("voices"), request["voice"])
            # Queued only: a runAndWait now would re-write the driver's last file (see the class docstring).
            engine.setProperty("voice", voice.id)
            engine.setProperty("rate", int(request["words_per_minute"]))  # pyttsx3's rate: words a minute
            expected.update(voice=voice.id, rate=int(request["words_per_minute"]))
            return {"voice": voice.id}
        if request["op"] == "render":
            path = Path(request["path"])
            path.unlink(missing_ok=True)
            engine.save_to_file(request["text"], str(path))
            engine.runAndWait()
            deadline = time.monotonic() + 2.0
            while not path.exists() and time.monotonic() < deadline:  # runAndWait may return early
                time.sleep(0.02)
            actual = {"voice": engine.getProperty("voice"), "rate": engine.getProperty("rate")}
            if expected and actual != expected:
                return {"error": f"pyttsx3 used voice {actual['voice']} at {actual['rate']}, "
                                 f"not {expected['voice']} at {expected['rate']}"}
            return {"ok": True}
        return {"error": f"unknown request {request['op']!r}"}

    for raw in stdin:
        try:
            reply = handle(json.loads(raw))
        except SpeakerError as exc:
            reply = {"error": str(exc)}
        except Exception as exc:  # reported to the parent, which names the prompt
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        reply_to.write(json.dumps(reply) + "\n")
        reply_to.flush()


def main() -> None:
    """Serve on stdin and stdout, with anything else printed to stdout thrown away."""
    replies = sys.stdout
    # The espeak driver prints "Audio saved to ..." to stdout, which carries the replies.
    with open(os.devnull, "w", encoding="utf-8") as devnull, redirect_stdout(devnull):
        serve(sys.stdin, replies)


if __name__ == "__main__":
    main()
