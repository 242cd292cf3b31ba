"""Hear the line offline: every prompt as a cached WAV file, a manifest and an index page.

The core of `flask content preview` and `flask content say`; imports neither Flask nor click.
pyttsx3 runs in a worker process (`python -m app.preview --worker`) because its espeak driver
is unreliable when reused or re-created inside one process; see Pyttsx3Speaker.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import platform
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Protocol, Sequence

from .content import Line
from .engine import CallFlow, Input, Segment, State
from .explore import basic_inputs, every_turn
from .node import Node
from .speech import speaking_seconds

AUDIO_DIR = "audio"
MANIFEST = "manifest.json"
INDEX = "index.html"
# A rendered file is believed when it lasts between these multiples of the estimate from its words
# and the rate; the extra seconds allow for the pause espeak adds at the end of every utterance.
MIN_DURATION_FACTOR = 0.25
MAX_DURATION_FACTOR = 4.0
END_PAUSE_ALLOWANCE = 1.0


class SpeakerError(Exception):
    """The speaker cannot work at all (no espeak, unknown voice): nothing can be rendered."""


class RenderError(Exception):
    """One text could not be rendered into a good WAV file."""


class Speaker(Protocol):
    """Anything that says a text into a WAV file with a fixed voice and rate (words per minute)."""

    voice: str
    rate: int

    def render(self, text: str, path: Path) -> None:
        """Write `text`, spoken, to the WAV file `path`."""


@dataclass(frozen=True)
class Prompt:
    """One distinct thing the line says, as the voice says it."""

    segment: Segment
    node: Node  # the turn where a caller first hears it
    spoken: str  # the text after the pronunciation list (phone numbers: digit by digit)


@dataclass
class PreviewResult:
    """What a preview run did."""

    prompts: list[Prompt]
    manifest: dict[str, Any]
    rendered: list[str] = field(default_factory=list)
    reused: int = 0
    removed: int = 0
    failures: dict[str, str] = field(default_factory=dict)  # spoken text -> why it failed


# ----- what the line says ------------------------------------------------------------------

def spoken_segments(flow: CallFlow) -> dict[Segment, Node]:
    """Every distinct segment a call can say, with the node where it is first said, breadth-first."""
    line = flow.line
    phrases: list[str] = []
    for reserved in line.reserved.values():
        phrases += reserved.phrases
    for node in (*line.topics.values(), *line.menus.values()):
        phrases += [node.label, node.title, *node.phrases]
    inputs = basic_inputs() + [Input("speech", phrase) for phrase in dict.fromkeys(p for p in phrases if p)]
    found: dict[Segment, Node] = {}
    for turn in every_turn(flow, inputs):
        for segment in turn.segments:
            found.setdefault(segment, turn.node)
    return found


def collect_prompts(flow: CallFlow) -> list[Prompt]:
    """The distinct prompts of a call flow, one per spoken text, in the order a caller meets them."""
    prompts: dict[str, Prompt] = {}
    for segment, node in spoken_segments(flow).items():
        prompts.setdefault(segment.spoken, Prompt(segment, node, segment.spoken))
    return list(prompts.values())


def unsaid_phrases(line: Line, prompts: Sequence[Prompt]) -> list[str]:
    """The shared phrases no call can reach with these settings (e.g. no_person when a number is set)."""
    said = {p.segment.text for p in prompts}
    return [name for name, text in line.phrases.items() if text not in said]


def topic_segments(flow: CallFlow, topic_id: str) -> list[Segment]:
    """What a caller hears choosing a topic from its menu and pressing 'next' through all its parts."""
    line = flow.line
    if topic_id not in line.topics:
        raise KeyError(topic_id)
    path = line.paths[topic_id]
    menu = line.menus[path[-2]]
    key = next(option.key for option in menu.options if option.target == topic_id)
    turn = flow.respond(State(path[:-1]), Input("digits", key))
    segments = list(turn.segments)
    next_key = line.reserved["next"].key or ""
    for _ in line.topics[topic_id].parts[1:]:
        turn = flow.respond(turn.state, Input("digits", next_key))
        segments += turn.segments
    return segments


def where(line: Line, node: Node) -> str:
    """Where a node is, in words for editors."""
    if node.kind == "menu" and node.id in line.menus:
        return line.menus[node.id].title
    if node.kind == "topic" and node.id in line.topics:
        return f"{line.topics[node.id].title}, part {node.part}"
    return {"goodbye": "Goodbye", "silence-goodbye": "Goodbye after silence",
            "transfer": "Transfer to a person"}.get(node.kind, str(node))


# ----- checking audio -----------------------------------------------------------------------

def check_wav(path: Path, text: str, rate: int) -> float:
    """The duration of a rendered file in seconds; RenderError unless it is a plausible WAV of `text`."""
    if not path.exists():
        raise RenderError(f"no file was written at {path.name}")
    try:
        with wave.open(str(path), "rb") as wav:
            frames, framerate = wav.getnframes(), wav.getframerate()
    except (wave.Error, EOFError) as exc:
        raise RenderError(f"{path.name} is not a valid WAV file ({exc or 'truncated'})") from None
    if frames == 0 or framerate == 0:
        raise RenderError(f"{path.name} holds no sound (0 frames)")
    seconds = frames / framerate
    estimate = speaking_seconds(text, rate)
    low, high = MIN_DURATION_FACTOR * estimate, MAX_DURATION_FACTOR * estimate + END_PAUSE_ALLOWANCE
    if not low <= seconds <= high:
        raise RenderError(f"{path.name} lasts {seconds:.2f} s, but {len(text.split())} words at {rate} words "
                          f"a minute should take between {low:.2f} and {high:.2f} s")
    return seconds


# ----- the cache, manifest and index ------------------------------------------------------------

def audio_key(spoken: str, voice: str, rate: int) -> str:
    """The cache name of a prompt's audio: a short sha256 of what is said, by which voice, how fast."""
    return hashlib.sha256(f"{voice.strip().lower()}\n{rate}\n{spoken}".encode()).hexdigest()[:16]


def audio_file(spoken: str, voice: str, rate: int) -> str:
    """A prompt's audio file, relative to the preview folder."""
    return f"{AUDIO_DIR}/{audio_key(spoken, voice, rate)}.wav"


def render_one(speaker: Speaker, text: str, path: Path) -> float:
    """Render `text` to `path` through a temporary file, checked before it replaces `path`; its seconds."""
    partial = path.with_name(path.stem + ".partial.wav")
    partial.unlink(missing_ok=True)
    try:
        speaker.render(text, partial)
        seconds = check_wav(partial, text, speaker.rate)
        os.replace(partial, path)
        return seconds
    except (SpeakerError, RenderError):
        raise
    except Exception as exc:  # a speaker's own failure, whatever it is, is this prompt's failure
        raise RenderError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)


def ensure_audio(texts: Iterable[str], speaker: Speaker, folder: Path,
                 progress: Callable[[list[str]], Iterable[str]] = iter
                 ) -> tuple[dict[str, float], list[str], dict[str, str]]:
    """Make sure each text has a good cached WAV: (seconds by text, texts rendered now, failures by text)."""
    (folder / AUDIO_DIR).mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}
    missing: list[str] = []
    for text in dict.fromkeys(texts):
        try:
            seconds[text] = check_wav(folder / audio_file(text, speaker.voice, speaker.rate), text, speaker.rate)
        except RenderError:
            missing.append(text)
    failures: dict[str, str] = {}
    for text in progress(missing):
        path = folder / audio_file(text, speaker.voice, speaker.rate)
        try:
            seconds[text] = render_one(speaker, text, path)
        except RenderError as exc:
            failures[text] = str(exc)
    return seconds, [t for t in missing if t not in failures], failures


def build_manifest(prompts: Sequence[Prompt], seconds: dict[str, float], voice: str, rate: int) -> dict[str, Any]:
    """The manifest the simulator reads: the audio file and seconds of each spoken text."""
    return {
        "voice": voice,
        "rate": rate,
        "prompts": {p.spoken: {"file": audio_file(p.spoken, voice, rate), "seconds": round(seconds[p.spoken], 3)}
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


INDEX_STYLE = """
body { font-family: system-ui, sans-serif; font-size: 1.25rem; line-height: 1.6; color: #111; background: #fff;
       margin: 1.5rem auto; max-width: 70rem; padding: 0 1rem; }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; font-weight: bold; padding: 0.5rem 0; }
th, td { border: 1px solid #666; padding: 0.6rem; text-align: left; vertical-align: top; }
thead th { background: #e8e8e8; }
td.seconds { white-space: nowrap; }
.spoken { display: block; color: #333; font-size: 1.05rem; margin-top: 0.3rem; }
.failed { border: 3px solid #a00000; padding: 0.5rem 1rem; }
audio { width: 16rem; max-width: 100%; }
:focus { outline: 3px solid #0645ad; outline-offset: 2px; }
"""


def build_index(line: Line, prompts: Sequence[Prompt], manifest: dict[str, Any], failures: dict[str, str]) -> str:
    """An accessible page (no JavaScript) listing every prompt, its length and a player."""
    esc = html.escape
    entries = manifest["prompts"]
    total = sum(e["seconds"] for e in entries.values())
    out = ["<!doctype html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>Preview: {esc(line.name)}</title>", f"<style>{INDEX_STYLE}</style>", "</head>", "<body>",
           "<main>", f"<h1>Preview of {esc(line.name)}</h1>",
           f"<p>{len(prompts)} prompts, {total / 60:.1f} minutes in all. Voice {esc(str(manifest['voice']))}, "
           f"{esc(str(manifest['rate']))} words a minute. Made by <code>flask content preview</code>.</p>"]
    if failures:
        out += ['<section class="failed" aria-labelledby="failed-title">',
                '<h2 id="failed-title">Prompts that could not be rendered</h2>', "<ul>"]
        out += [f"<li>{esc(text)}: {esc(reason)}</li>" for text, reason in failures.items()]
        out += ["</ul>", "</section>"]
    out += ["<table>", "<caption>Everything a caller can hear, in the order a caller first meets it</caption>",
            "<thead><tr>", '<th scope="col">Number</th>', '<th scope="col">First heard at</th>',
            '<th scope="col">What the line says</th>', '<th scope="col">Length in seconds</th>',
            '<th scope="col">Listen</th>', "</tr></thead>", "<tbody>"]
    for number, prompt in enumerate(prompts, 1):
        text = esc(prompt.segment.text)
        if prompt.spoken != prompt.segment.text:
            text += f'<span class="spoken">Said as: {esc(prompt.spoken)}</span>'
        entry = entries.get(prompt.spoken)
        if entry:
            src = esc(entry["file"])
            seconds = f"{entry['seconds']:.1f}"
            player = (f'<audio controls preload="none" src="{src}" aria-label="Listen to prompt {number}">'
                      f'<a href="{src}">Download prompt {number}</a></audio>')
        else:
            seconds, player = "none", "Not rendered: see the list at the top"
        out += [f'<tr><th scope="row">{number}</th><td>{esc(where(line, prompt.node))}</td><td>{text}</td>'
                f'<td class="seconds">{seconds}</td><td>{player}</td></tr>']
    out += ["</tbody>", "</table>", "</main>", "</body>", "</html>", ""]
    return "\n".join(out)


def _write_text(path: Path, text: str) -> None:
    """Write a file whole or not at all."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def build_preview(line: Line, prompts: Sequence[Prompt], speaker: Speaker, folder: Path,
                  progress: Callable[[list[str]], Iterable[str]] = iter) -> PreviewResult:
    """Render the prompts not cached yet, then write manifest.json and index.html and drop stale audio."""
    seconds, rendered, failures = ensure_audio((p.spoken for p in prompts), speaker, folder, progress)
    manifest = build_manifest(prompts, seconds, speaker.voice, speaker.rate)
    _write_text(folder / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    _write_text(folder / INDEX, build_index(line, prompts, manifest, failures))
    removed = remove_stale(folder, manifest)
    return PreviewResult(list(prompts), manifest, rendered, len(seconds) - len(rendered), removed, failures)


# ----- joining and playing -------------------------------------------------------------------

def join_wavs(parts: Sequence[tuple[Path, int]], out: Path) -> float:
    """Join WAV files into one, each followed by its pause in milliseconds (none after the last); seconds."""
    if not parts:
        raise ValueError("nothing to join")
    out.parent.mkdir(parents=True, exist_ok=True)
    params = None
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
                channels, width, rate = params
                joined.writeframes(b"\x00" * (rate * pause_ms // 1000) * channels * width)
        return joined.getnframes() / params[2]


def play_wav(path: Path) -> None:
    """Play a WAV file on this computer's speakers, the way pyttsx3's own drivers do."""
    system = platform.system()
    if system == "Windows":
        import winsound

        winsound.PlaySound(str(path), winsound.SND_FILENAME)
        return
    players = ([["afplay"]] if system == "Darwin" else []) + [["aplay", "-q"], ["paplay"], ["play", "-q"]]
    for player in players:
        if shutil.which(player[0]):
            subprocess.run([*player, str(path)], check=True)
            return
    raise SpeakerError("no audio player found (aplay, paplay or play); write a file with --to instead")


# ----- pyttsx3, in a worker process -----------------------------------------------------------

class Pyttsx3Speaker:
    """pyttsx3 in a worker process: one engine, one file per runAndWait, a fresh worker after any failure.

    pyttsx3's espeak driver (2.99) writes only the last of several queued save_to_file calls, re-writes
    the previous file on a bare runAndWait, now and then writes an empty file when reused, loses files
    when an engine is re-created in the same process, can hang in runAndWait, ignores unknown voices
    silently and prints to stdout. So: jobs go one at a time to a worker; each file is checked; a failed
    or silent worker is killed and the job retried once in a fresh one; the voice is matched by us.
    """

    ATTEMPTS = 2

    def __init__(self, voice: str, rate: int, timeout: float = 30.0):
        self.voice, self.rate, self.timeout = voice.strip(), int(rate), timeout
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
        return self._send({"op": "voices"}, self.timeout)["voices"]

    def render(self, text: str, path: Path) -> None:
        """Render `text` to `path`; RenderError (after a retry in a fresh worker) unless the file checks out."""
        error = RenderError("not tried")
        for _attempt in range(self.ATTEMPTS):
            self._set_up()
            try:
                self._send({"op": "render", "text": text, "path": str(path)},
                           timeout=self.timeout + MAX_DURATION_FACTOR * speaking_seconds(text, self.rate))
                check_wav(path, text, self.rate)
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
                    stream.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def _start(self) -> None:
        """Start a worker unless one runs."""
        if self._proc is not None:
            return
        self._stderr = tempfile.TemporaryFile()
        self._replies = queue.Queue()
        self._ready = False
        self._proc = subprocess.Popen([sys.executable, "-m", "app.preview", "--worker"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=self._stderr, text=True, encoding="utf-8")
        threading.Thread(target=self._read, args=(self._proc.stdout, self._replies), daemon=True).start()

    def _set_up(self) -> None:
        """Give a new worker the voice and rate; SpeakerError if it cannot speak with them."""
        self._start()
        if not self._ready:
            try:
                self._send({"op": "setup", "voice": self.voice, "rate": self.rate}, self.timeout)
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
        reply = json.loads(raw)
        if "error" in reply:
            raise RenderError(reply["error"])
        return reply

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        return " / ".join(lines[-3:])


def match_voice(voices: Iterable[Any], wanted: str) -> Any:
    """The voice whose id, short id, name or language is `wanted` (any case); SpeakerError if none."""
    want = wanted.strip().lower()
    for voice in voices:
        names = {voice.id.lower(), voice.id.lower().rsplit("/", 1)[-1], (voice.name or "").lower()}
        names |= {str(lang).lower() for lang in (voice.languages or [])}
        if want in names:
            return voice
    raise SpeakerError(f"no voice called {wanted!r} on this computer; `flask content voices` lists them")


def _worker(stdin: IO[str], reply_to: IO[str]) -> None:
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
            engine.setProperty("rate", int(request["rate"]))
            expected.update(voice=voice.id, rate=int(request["rate"]))
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


if __name__ == "__main__" and sys.argv[1:] == ["--worker"]:
    replies = sys.stdout
    sys.stdout = open(os.devnull, "w", encoding="utf-8")  # the espeak driver prints "Audio saved to ..."
    _worker(sys.stdin, replies)
