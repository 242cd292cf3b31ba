"""The line under load, against a bare app, through the Procfile's own gunicorn command.

Starts the Procfile's `web:` command twice on this machine: once serving the line (after its
`release:` step), once serving benchmarks/bare.py (signature check, constant TwiML) with the same
flags. Client threads send both the same signed mix, alternating between the two in rounds, and
the script prints requests a second and p50/p99 latency for each, and their ratios. Targets: the
line at least 0.8x the bare app's throughput, p99 within 1.5x.

The mix is the one Twilio sends most, a third each, every request from a real number: the call's
first request (`POST /voice`, which looks up the caller to offer a resume), a main-menu key into a
topic (`POST /voice/turn`, which writes the caller's place after the response), and a text RISKS
(`POST /sms`: opt-out, place and the hour's reply count), from 1,000 numbers. The reply limit is
raised so that every text gets its full reply (a limited number would get a cheaper silence).
One new connection per request, as Twilio makes them (gunicorn's sync workers close each one).

    .venv/bin/python benchmarks/load.py                      # SQLite and PostgreSQL, about 2 minutes
    .venv/bin/python benchmarks/load.py --database sqlite --seconds 3 --rounds 2
    .venv/bin/python benchmarks/load.py --mix calls          # or: first, key, sms

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
NUMBERS = 1000  # distinct callers and texters
TARGET_THROUGHPUT, TARGET_P99 = 0.8, 1.5
MAIN_MENU_KEYS = "1234"
SETTINGS = {"SMS_REPLIES_PER_HOUR": "1000000"}  # every text gets its full reply, never the cheap silence


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


# Which requests each --mix sends, in turn: the call's first request, a main-menu key, a text.
KINDS = {"all": ("first", "key", "sms"), "calls": ("first", "key"), "first": ("first",), "key": ("key",),
         "sms": ("sms",)}


def request_for(kind: str, i: int) -> tuple[str, dict[str, str]]:
    """The i-th request of a kind: its path and form, as Twilio would send it."""
    number = f"+1202555{i % NUMBERS:04d}"
    if kind == "first":
        return "/voice", {"From": number, "To": "+12025550100", "CallSid": f"CA{i:032d}"}
    if kind == "key":
        return "/voice/turn?at=main", {"From": number, "To": "+12025550100", "CallSid": f"CA{i:032d}",
                                       "Digits": MAIN_MENU_KEYS[i % len(MAIN_MENU_KEYS)]}
    if kind == "stop":
        return "/sms", {"From": number, "To": "+12025550100", "Body": "STOP", "MessageSid": f"SM{i:032d}"}
    return "/sms", {"From": number, "To": "+12025550100", "Body": "RISKS", "MessageSid": f"SM{i:032d}"}


def sign(server: Served, path: str, params: dict[str, str]) -> tuple[str, bytes, dict[str, str]]:
    """A request ready to send: path, urlencoded body and headers with Twilio's signature for this server."""
    signature = RequestValidator(TOKEN).compute_signature(server.base + path, params)
    return path, urllib.parse.urlencode(params).encode(), {
        "X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}


def requests_for(server: Served, count: int, mix: str = "all") -> list[tuple[str, bytes, dict[str, str]]]:
    """`count` signed requests of the mix for this server (its port is part of the signed URL)."""
    kinds = KINDS[mix]
    return [sign(server, *request_for(kinds[i % len(kinds)], i)) for i in range(count)]


def send(port: int, request: tuple[str, bytes, dict[str, str]], timeout: float = 30) -> tuple[int, bytes]:
    """POST one signed request on a new connection; (status, body)."""
    path, body, headers = request
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("POST", path, body, headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def hammer(server: Served, mix: list[tuple[str, bytes, dict[str, str]]], seconds: float, threads: int) -> Sample:
    """Send the mix from `threads` client threads for `seconds`; latencies of the requests that succeeded."""
    counter = itertools.count()
    stop_at = time.perf_counter() + seconds
    results = [Sample() for _ in range(threads)]

    def client(sample: Sample) -> None:
        while time.perf_counter() < stop_at:
            request = mix[next(counter) % len(mix)]
            started = time.perf_counter()
            try:
                ok = send(server.port, request)[0] == 200
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
           "SIMULATOR_ENABLED": "false", **SETTINGS}
    release(env)
    line = Served(env, workers=args.workers)
    bare = Served(env, workers=args.workers, app_spec="bare:create_app()", python_path=str(ROOT / "benchmarks"))
    for server in (line, bare):  # both sign against the address Twilio would use
        server.env["PUBLIC_BASE_URL"] = server.base
    totals = {"line": Sample(), "bare": Sample()}
    with line, bare:
        mixes = {name: requests_for(server, 6 * NUMBERS, args.mix) for name, server in (("line", line), ("bare", bare))}
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
                        help="which requests: all (default: a third each of first, key, sms), calls, first, key or sms")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: the Procfile's)")
    args = parser.parse_args()
    print(f"web: {procfile_command()}\n{args.threads} client threads, {args.rounds} rounds of {args.seconds:g} s "
          f"for each app, alternating; on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="line-load-") as name:
        folder = Path(name)
        if args.database in ("sqlite", "both"):
            report("SQLite", *measure(f"sqlite:///{folder / 'line.db'}", args, folder))
        if args.database in ("postgresql", "both"):
            from postgres import throwaway_database

            with throwaway_database("line_load") as url:
                report("PostgreSQL", *measure(url, args, folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
