"""pyttsx3 as a Speaker, in a worker process (app/preview/worker.py) it starts and replaces as needed."""

from __future__ import annotations

import contextlib
import json
import queue
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO, Any

from app.core.speech import speaking_seconds
from app.preview.audio import MAX_DURATION_FACTOR, RenderError, SpeakerError, check_wav


class Pyttsx3Speaker:
    """pyttsx3 in a worker process: one engine, one file per runAndWait, a fresh worker after any failure.

    pyttsx3's espeak driver (2.99) writes only the last of several queued save_to_file calls, re-writes
    the previous file on a bare runAndWait, now and then writes an empty file when reused, loses files
    when an engine is re-created in the same process, can hang in runAndWait, ignores unknown voices
    silently and prints to stdout. So: jobs go one at a time to a worker; each file is checked; a failed
    or silent worker is killed and the job retried once in a fresh one; the voice is matched by us.
    """

    ATTEMPTS = 2

    def __init__(self, voice: str, words_per_minute: int, timeout: float = 30.0):
        self.voice, self.words_per_minute, self.timeout = voice.strip(), int(words_per_minute), timeout
        self._proc: subprocess.Popen[str] | None = None
        self._replies: queue.Queue[str | None] = queue.Queue()
        self._stderr: IO[bytes] | None = None
        self._ready = False

    def __enter__(self) -> Pyttsx3Speaker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def voices(self) -> list[dict[str, Any]]:
        """The voices this computer has: id, name and languages."""
        self._start()
        voices = self._send({"op": "voices"}, self.timeout).get("voices")
        if not isinstance(voices, list) or not all(isinstance(voice, dict) for voice in voices):
            raise RenderError(f"the pyttsx3 worker did not list voices: {voices!r}")
        return voices

    def render(self, text: str, path: Path) -> None:
        """Render `text` to `path`; RenderError (after a retry in a fresh worker) unless the file checks out."""
        error = RenderError("not tried")
        for _attempt in range(self.ATTEMPTS):
            self._set_up()
            try:
                self._send({"op": "render", "text": text, "path": str(path)},
                           timeout=self.timeout + MAX_DURATION_FACTOR * speaking_seconds(text, self.words_per_minute))
                check_wav(path, text, self.words_per_minute)
                return
            except RenderError as exc:
                error = exc
                self.close()
        raise error

    def close(self) -> None:
        """Stop the worker, if one runs."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            for stream in (proc.stdin, proc.stdout):
                if stream:
                    # A request still buffered for a worker that died has nowhere to go.
                    with contextlib.suppress(OSError):
                        stream.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def _start(self) -> None:
        """Start a worker unless one runs."""
        if self._proc is not None:
            return
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (kept open for the worker's life, closed by close())
        self._replies = queue.Queue()
        self._ready = False
        self._proc = subprocess.Popen([sys.executable, "-m", "app.preview.worker"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=self._stderr, text=True, encoding="utf-8")
        threading.Thread(target=self._read, args=(self._proc.stdout, self._replies), daemon=True).start()

    def _set_up(self) -> None:
        """Give a new worker the voice and words a minute; SpeakerError if it cannot speak with them."""
        self._start()
        if not self._ready:
            try:
                setup = {"op": "setup", "voice": self.voice, "words_per_minute": self.words_per_minute}
                self._send(setup, self.timeout)
            except RenderError as exc:
                self.close()
                raise SpeakerError(str(exc)) from None
            self._ready = True

    @staticmethod
    def _read(stream: IO[str], replies: queue.Queue[str | None]) -> None:
        try:
            for reply in stream:
                replies.put(reply)
        except (OSError, ValueError):  # closed by close()
            pass
        replies.put(None)

    def _send(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        """One request to the worker and its reply; RenderError if it fails, dies or hangs."""
        assert self._proc is not None and self._proc.stdin is not None
        try:
            self._proc.stdin.write(json.dumps(request) + "\n")
            self._proc.stdin.flush()
            raw = self._replies.get(timeout=timeout)
        except queue.Empty:
            raise RenderError(f"pyttsx3 did not finish within {timeout:.0f} s (runAndWait hung)") from None
        except OSError:
            raw = None
        if raw is None:
            raise RenderError(f"the pyttsx3 worker stopped: {self._stderr_tail() or 'no message'}")
        try:
            reply = json.loads(raw)
        except ValueError:
            reply = None
        if not isinstance(reply, dict):
            raise RenderError(f"the pyttsx3 worker answered {raw.strip()!r}, not a JSON object")
        if "error" in reply:
            raise RenderError(reply["error"])
        return reply

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        return " / ".join(lines[-3:])
