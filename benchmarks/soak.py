"""Hours of traffic in minutes: does a worker's memory keep growing?

Starts the Procfile's own gunicorn command serving the line (after its release step) and sends
about 200,000 signed, mixed requests (load.py's mix: the call's first request, a main-menu key, a
text RISKS, from 1,000 numbers; plus speech no one has said before and STOPs from new numbers, so
that every cache meets more keys than it may hold). It reads each worker's memory (resident set
size, from /proc) after a warm-up and then every tenth of the run, and prints each worker's
memory at the start and the end. Every cache is bounded (the turns and their TwiML, what words
mean, pronunciations, the in-memory reply limit and counts), so the memory must level off.

    .venv/bin/python benchmarks/soak.py                   # 200,000 requests, SQLite (about 15 minutes here)
    .venv/bin/python benchmarks/soak.py 20000             # shorter
    .venv/bin/python benchmarks/soak.py 20000 --database postgresql
"""

from __future__ import annotations

import argparse
import itertools
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import SETTINGS, TOKEN, release, request_for, send, sign
from serve import Served

SAMPLES = 10
GROWTH_ALLOWED = 1.15  # the end may be at most 15% above the middle of the run: levelled off


def workers(server: Served) -> list[int]:
    assert server.process is not None
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(server.process.pid)], capture_output=True, text=True)
    return sorted(int(pid) for pid in out.stdout.split())


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def request(server: Served, i: int) -> tuple[str, bytes, dict[str, str]]:
    """The i-th request: mostly load.py's mix; one in 10 speech never heard before, one in 50 a STOP."""
    if i % 50 == 49:
        path, params = request_for("stop", 10_000 + i)  # a new number each time: the opt-out list grows
    elif i % 10 == 9:
        path, params = "/voice/turn?at=main", {"From": f"+1202555{i % 1000:04d}", "CallSid": f"CA{i}",
                                               "SpeechResult": f"tell me about thing number {i}"}
    else:
        path, params = request_for(("first", "key", "sms")[i % 3], i)
    return sign(server, path, params)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("requests", nargs="?", type=int, default=200_000, help="how many (default 200,000)")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--threads", type=int, default=4, help="client threads (default 4)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="line-soak-") as name:
        folder = Path(name)
        if args.database != "postgresql":
            return soak(f"sqlite:///{folder / 'line.db'}", folder, args)
        from postgres import throwaway_database  # the tests' throwaway server (load.py puts tests/ on the path)

        with throwaway_database("line_soak") as url:
            return soak(url, folder, args)


def soak(url: str, folder: Path, args: argparse.Namespace) -> int:
    env = {"TWILIO_AUTH_TOKEN": TOKEN, "PHONE_HASH_SECRET": "soak", "LINE_ENV": "production", "DATABASE_URL": url,
           "STOP_JOURNAL": str(folder / "stop-journal.txt"), "SIMULATOR_ENABLED": "false", **SETTINGS}
    release(env)
    server = Served(env)
    server.env["PUBLIC_BASE_URL"] = server.base
    counter, errors, done = itertools.count(), [0], [0]
    lock = threading.Lock()

    def client(until: int) -> None:
        while (i := next(counter)) < until:
            try:
                ok = send(server.port, request(server, i))[0] == 200
            except OSError:
                ok = False
            with lock:
                done[0] += 1
                errors[0] += not ok

    def run(until: int) -> None:
        pool = [threading.Thread(target=client, args=(until,)) for _ in range(args.threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()

    with server:
        warm = min(5000, args.requests // 10)
        run(warm)  # imports, pools, the content's own caches
        pids = workers(server)
        memory = {pid: [rss_mb(pid)] for pid in pids}
        started = time.perf_counter()
        for step in range(1, SAMPLES + 1):
            run(warm + (args.requests - warm) * step // SAMPLES)
            for pid in pids:
                memory[pid].append(rss_mb(pid) if Path(f"/proc/{pid}").exists() else float("nan"))
        seconds = time.perf_counter() - started
        replaced = pids != workers(server)
    print(f"{done[0]:,} requests ({errors[0]} errors) in {seconds:.0f} s after a warm-up of {warm:,}; "
          f"{args.threads} client threads; {args.database}")
    print("worker   RSS MB: start, each tenth of the run ... end   end/start  end/middle")
    worst = 0.0
    for pid, sizes in memory.items():
        middle, end = sizes[SAMPLES // 2], sizes[-1]
        worst = max(worst, end / middle)
        print(f"{pid:7}  " + " ".join(f"{size:5.1f}" for size in sizes) +
              f"   {end / sizes[0]:.2f}x  {end / middle:.2f}x")
    if replaced:
        print("a worker was replaced during the run (crashed or timed out): its memory is not comparable")
    steady = worst <= GROWTH_ALLOWED and not replaced and not errors[0]
    verdict = "levelled off" if steady else "KEEPS GROWING or failed"
    print(f"memory: {verdict} (the end at most {GROWTH_ALLOWED:.2f}x the middle)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
