"""Speed and memory of the line, measured in-process (run: .venv/bin/python benchmarks/bench.py).

Targets (a shared 2-core machine; Twilio waits up to 15 s, callers should wait far less):
- start-up (load and check all content; the database is opened lazily): under 2 s
- a voice turn or an SMS reply: p95 under 50 ms in-process
- resident memory after the run: under 200 MB per worker
These are reported, not asserted: timing tests on a noisy machine only produce noise.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app
from app.config import PROJECT_ROOT
from app.core.content import load_line
from app.services import services
from app.store import upgrade

TARGETS = {"start-up s": 2.0, "voice turn p95 ms": 50.0, "sms reply p95 ms": 50.0, "max RSS MB": 200.0,
           "topic turn + place p95 ms": 50.0, "text me this p95 ms": 50.0}


def timed(fn, repeat: int) -> list[float]:
    """Milliseconds for each of `repeat` calls."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per kind (default 300)")
    args = parser.parse_args()

    load_ms = timed(lambda: load_line(PROJECT_ROOT / "content"), 5)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        upgrade(url)  # the release step, not part of a worker's start-up
        start = time.perf_counter()
        app = create_app({"DATABASE_URL": url, "PHONE_HASH_SECRET": "bench", "LINE_ENV": "development",
                          "STOP_JOURNAL": f"{folder}/stop-journal.txt", "SMS_REPLIES_PER_HOUR": 0})
        startup_s = time.perf_counter() - start
        app.logger.setLevel("WARNING")  # one log line per request would drown the figures
        client = app.test_client()
        keys = iter("3194" * args.requests)
        voice_ms = timed(lambda: client.post("/voice/turn?at=main", data={"Digits": next(keys), "CallSid": "CA"}),
                         args.requests)
        speech_ms = timed(lambda: client.post("/voice/turn?at=main/risks&part=1",
                                              data={"SpeechResult": "what are the side effects please"}),
                          args.requests)
        # Remembering the caller: a topic turn from a caller's number writes its place once the response
        # is closed (as a server closes it); "text me this" (key 5) writes the topic's texts to the outbox.
        callers = iter(range(10 ** 6))

        def closed(url: str, form: dict[str, str]) -> None:
            client.post(url, data=form).close()

        place_ms = timed(lambda: closed("/voice/turn?at=main/risks", {"Digits": "1", "CallSid": "CA",
                                                                       "From": f"+1555{next(callers):07d}"}),
                         args.requests)
        text_ms = timed(lambda: closed("/voice/turn?at=main/risks", {
            "Digits": "5", "CallSid": f"CA{next(callers)}", "From": f"+1555{next(callers):07d}", "To": "+15550001111"}),
            args.requests)
        words = iter(["RISKS", "MORE", "MENU", "trails"] * args.requests)
        sms_ms = timed(lambda: client.post("/sms", data={"From": "+15550001234", "Body": next(words)}),
                       args.requests)
        with app.app_context():
            services().store.close()  # write the counts while the database is still there
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    results = {
        "content load ms (median)": statistics.median(load_ms),
        "start-up s": startup_s,
        "voice turn p50 ms": statistics.median(voice_ms),
        "voice turn p95 ms": p95(voice_ms),
        "speech turn p95 ms": p95(speech_ms),
        "topic turn + place p95 ms": p95(place_ms),
        "text me this p50 ms": statistics.median(text_ms),
        "text me this p95 ms": p95(text_ms),
        "sms reply p50 ms": statistics.median(sms_ms),
        "sms reply p95 ms": p95(sms_ms),
        "max RSS MB": rss_mb,
    }
    for name, value in results.items():
        target = TARGETS.get(name)
        verdict = "" if target is None else ("  ok" if value <= target else f"  OVER target {target}")
        print(f"{name:28} {value:9.2f}{verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
