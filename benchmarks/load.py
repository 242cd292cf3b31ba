"""The line under load, against a bare app, through the Procfile's own gunicorn command.

Starts the Procfile's `web:` command twice on this machine: once serving the line (after its
`release:` step), once serving benchmarks/bare.py (signature check, constant TwiML) with the same
flags. Client threads send both the same signed mix (voice keys, voice speech, SMS from many
numbers), alternating between the two in rounds, and the script prints requests a second and
p50/p99 latency for each, and their ratios. Targets: the line at least 0.8x the bare app's
throughput, p99 within 1.5x.

    .venv/bin/python benchmarks/load.py                      # SQLite and PostgreSQL, about 2 minutes
    .venv/bin/python benchmarks/load.py --database sqlite --seconds 3 --rounds 2

PostgreSQL is a throwaway server like the tests' (Debian's package; fsync off, so commits cost
less than on a real server's disk). Reported, not asserted: timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the Procfile runner and the throwaway PostgreSQL of the tests

from serve import Served, procfile_command  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

TOKEN = "load-benchmark-token"
NUMBERS = 5000  # distinct texters, so that no number reaches the reply limit
TARGET_THROUGHPUT, TARGET_P99 = 0.8, 1.5
# The mix: a third each of keypad turns, speech turns and text messages.
VOICE_KEYS = [("/voice/turn?at=main", {"Digits": key}) for key in "1234"]
VOICE_SPEECH = [("/voice/turn?at=main", {"SpeechResult": words}) for words in
                ("what are the side effects", "is it approved for MS", "how do I find a trial", "repeat that")]
SMS_BODIES = ["RISKS", "MORE", "MENU", "TRIALS", "what is car t"]


@dataclass
class Sample:
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    errors: int = 0

    def add(self, other: Sample) -> None:
        self.latencies += other.latencies
        self.seconds += other.seconds
        self.errors += other.errors

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else float("nan")


KINDS = {"all": (0, 1, 2), "voice": (0, 1), "keys": (0,), "speech": (1,), "sms": (2,)}


def requests_for(server: Served, count: int, mix: str = "all") -> list[tuple[str, bytes, dict[str, str]]]:
    """`count` signed requests of the mix for this server (its port is part of the signed URL)."""
    validator = RequestValidator(TOKEN)
    made = []
    kinds = KINDS[mix]
    for i in range(count):
        kind = kinds[i % len(kinds)]
        if kind == 0:
            path, params = VOICE_KEYS[i % len(VOICE_KEYS)]
            params = {**params, "CallSid": f"CA{i:032d}"}
        elif kind == 1:
            path, params = VOICE_SPEECH[i % len(VOICE_SPEECH)]
            params = {**params, "CallSid": f"CA{i:032d}", "Confidence": "0.9"}
        else:
            path = "/sms"
            params = {"From": f"+1202555{(i // 3) % NUMBERS:04d}", "Body": SMS_BODIES[i % len(SMS_BODIES)],
                      "MessageSid": f"SM{i:032d}"}
        signature = validator.compute_signature(server.base + path, params)
        made.append((path, urllib.parse.urlencode(params).encode(),
                     {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}))
    return made


def hammer(server: Served, mix: list[tuple[str, bytes, dict[str, str]]], seconds: float, threads: int) -> Sample:
    """Send the mix from `threads` client threads for `seconds`; latencies of the requests that succeeded."""
    counter = itertools.count()
    stop_at = time.perf_counter() + seconds
    results = [Sample() for _ in range(threads)]

    def client(sample: Sample) -> None:
        while time.perf_counter() < stop_at:
            path, body, headers = mix[next(counter) % len(mix)]
            started = time.perf_counter()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
                connection.request("POST", path, body, headers)
                response = connection.getresponse()
                response.read()
                connection.close()
                ok = response.status == 200
            except OSError:
                ok = False
            if ok:
                sample.latencies.append(time.perf_counter() - started)
            else:
                sample.errors += 1

    started = time.perf_counter()
    pool = [threading.Thread(target=client, args=(sample,)) for sample in results]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    total = Sample(seconds=time.perf_counter() - started)
    for sample in results:
        total.latencies += sample.latencies
        total.errors += sample.errors
    return total


def release(env: dict[str, str]) -> None:
    """The Procfile's release step (`flask db init`), as the platform runs it before starting web."""
    bin_dir = str(Path(sys.executable).parent)
    subprocess.run(["bash", "-c", procfile_command("release")], cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, **env, "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}"})


def measure(database_url: str, args: argparse.Namespace, folder: Path) -> tuple[Sample, Sample]:
    env = {"TWILIO_AUTH_TOKEN": TOKEN, "PHONE_HASH_SECRET": "load-benchmark", "LINE_ENV": "production",
           "DATABASE_URL": database_url, "STOP_JOURNAL": str(folder / "stop-journal.txt"),
           "SIMULATOR_ENABLED": "false"}
    release(env)
    line = Served(env, workers=args.workers)
    bare = Served(env, workers=args.workers, app_spec="bare:create_app()", python_path=str(ROOT / "benchmarks"))
    for server in (line, bare):  # both sign against the address Twilio would use
        server.env["PUBLIC_BASE_URL"] = server.base
    totals = {"line": Sample(), "bare": Sample()}
    with line, bare:
        mixes = {name: requests_for(server, 3 * NUMBERS, args.mix) for name, server in (("line", line), ("bare", bare))}
        for name, server in (("line", line), ("bare", bare)):  # warm up: imports, pools, caches
            hammer(server, mixes[name], min(1.0, args.seconds), args.threads)
        for _ in range(args.rounds):
            for name, server in (("line", line), ("bare", bare)):
                totals[name].add(hammer(server, mixes[name], args.seconds, args.threads))
    return totals["line"], totals["bare"]


def report(database: str, line: Sample, bare: Sample) -> None:
    ratio, p99 = line.rate / bare.rate, line.percentile(0.99) / bare.percentile(0.99)
    print(f"\n{database}:")
    print(f"  {'':6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, sample in (("line", line), ("bare", bare)):
        print(f"  {name:6} {sample.rate:8.0f} {sample.percentile(0.5):8.1f} {sample.percentile(0.99):8.1f} "
              f"{sample.errors:7d}")
    verdict = "ok" if ratio >= TARGET_THROUGHPUT and p99 <= TARGET_P99 else "MISSES the target"
    print(f"  ratio  throughput {ratio:.2f}x (target >= {TARGET_THROUGHPUT}x), p50 "
          f"{line.percentile(0.5) / bare.percentile(0.5):.2f}x, p99 {p99:.2f}x (target <= {TARGET_P99}x): {verdict}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=8, help="length of each round (default 8)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds for each app, alternating (default 3)")
    parser.add_argument("--threads", type=int, default=8, help="client threads (default 8)")
    parser.add_argument("--mix", choices=sorted(KINDS), default="all",
                        help="which requests: all (default: a third each), voice, keys, speech or sms")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: the Procfile's)")
    args = parser.parse_args()
    print(f"web: {procfile_command()}\n{args.threads} client threads, {args.rounds} rounds of {args.seconds:g} s "
          f"for each app, alternating; on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="line-load-") as name:
        folder = Path(name)
        if args.database in ("sqlite", "both"):
            report("SQLite", *measure(f"sqlite:///{folder / 'line.db'}", args, folder))
        if args.database in ("postgresql", "both"):
            import postgres

            server = postgres.make_server()
            try:
                server.init()
                server.start()
                server.admin("CREATE DATABASE line_load")
                report("PostgreSQL", *measure(server.url("line_load"), args, folder))
            finally:
                server.remove()
    return 0


if __name__ == "__main__":
    sys.exit(main())
