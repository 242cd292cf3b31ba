"""Server CPU per request, by kind, for the line and the bare app; and where a kind's time goes.

Starts both apps with the Procfile's own gunicorn command (as benchmarks/load.py does), sends each
kind of request of load.py's mix (the call's first request, a main-menu key, a text RISKS) from
1,000 numbers, and reads the CPU time the workers used (user + system, from /proc) before and
after: CPU per request = the workers' CPU / requests, the work done after a response included.

    .venv/bin/python benchmarks/profiling.py                       # SQLite and PostgreSQL
    .venv/bin/python benchmarks/profiling.py --database sqlite --requests 1000
    .venv/bin/python benchmarks/profiling.py --where sms           # pyinstrument: where a text's time goes

`--where KIND` profiles that kind in this process (Flask's test client, SQLite) with pyinstrument
and prints the call tree instead.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import KINDS, SETTINGS, TOKEN, release, request_for, send, sign
from serve import Served

TICKS = os.sysconf("SC_CLK_TCK")
ORDER = ("first", "key", "sms")
NAMES = {"first": "the call's first request (POST /voice)", "key": "a main-menu key (POST /voice/turn)",
         "sms": "a text RISKS (POST /sms)"}


def workers_cpu(server: Served) -> float:
    """Seconds of CPU (user + system) the server's workers have used so far."""
    assert server.process is not None
    pids = subprocess.run(["ps", "-o", "pid=", "--ppid", str(server.process.pid)], capture_output=True,
                          text=True).stdout.split()
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / TICKS


def cpu_per_request(server: Served, kind: str, count: int, threads: int, offset: int) -> float:
    """Milliseconds of the workers' CPU per request of this kind."""
    requests = [sign(server, *request_for(kind, offset + i)) for i in range(count)]
    before = workers_cpu(server)
    chunks = [requests[i::threads] for i in range(threads)]

    def client(chunk: list[tuple[str, bytes, dict[str, str]]]) -> None:
        for request in chunk:
            status, _ = send(server.port, request)
            assert status == 200, status

    pool = [threading.Thread(target=client, args=(chunk,)) for chunk in chunks]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return (workers_cpu(server) - before) / count * 1000


def measure(database_url: str, folder: Path, count: int, threads: int) -> dict[str, dict[str, float]]:
    env = {"TWILIO_AUTH_TOKEN": TOKEN, "PHONE_HASH_SECRET": "load-benchmark", "LINE_ENV": "production",
           "DATABASE_URL": database_url, "STOP_JOURNAL": str(folder / "stop-journal.txt"),
           "SIMULATOR_ENABLED": "false", **SETTINGS}
    release(env)
    line = Served(env)
    bare = Served(env, app_spec="bare:create_app()", python_path=str(Path(__file__).resolve().parent))
    for server in (line, bare):
        server.env["PUBLIC_BASE_URL"] = server.base
    found: dict[str, dict[str, float]] = {"line": {}, "bare": {}}
    with line, bare:
        for name, server in (("line", line), ("bare", bare)):
            for kind in ORDER:  # warm up: imports, pools, caches; and the callers' rows a real line has
                cpu_per_request(server, kind, min(count, 300), threads, 0)
            for kind in ORDER:
                found[name][kind] = cpu_per_request(server, kind, count, threads, count)
    return found


def report(database: str, found: dict[str, dict[str, float]]) -> None:
    print(f"\n{database}: server CPU per request, ms (the workers' user + system time / requests)")
    print(f"  {'kind':44} {'line':>6} {'bare':>6} {'ratio':>6}")
    for kind in ORDER:
        line, bare = found["line"][kind], found["bare"][kind]
        print(f"  {NAMES[kind]:44} {line:6.2f} {bare:6.2f} {line / bare:5.2f}x")
    line = sum(found["line"].values()) / len(ORDER)
    bare = sum(found["bare"].values()) / len(ORDER)
    print(f"  {'the mix (a third each)':44} {line:6.2f} {bare:6.2f} {line / bare:5.2f}x")


def where(kind: str, count: int) -> None:
    """Profile one kind in this process with pyinstrument (Flask's test client, SQLite, no signature)."""
    from pyinstrument import Profiler

    from app import create_app
    from app.store import upgrade

    with tempfile.TemporaryDirectory(prefix="line-profile-") as name:
        url = f"sqlite:///{Path(name) / 'line.db'}"
        upgrade(url)
        app = create_app({"DATABASE_URL": url, "PHONE_HASH_SECRET": "profile", "LINE_ENV": "development",
                          "STOP_JOURNAL": str(Path(name) / "journal.txt"), "TWILIO_AUTH_TOKEN": "",
                          "SMS_REPLIES_PER_HOUR": 1_000_000})
        app.logger.setLevel("WARNING")  # the terminal would be most of the time (gunicorn's log goes to a pipe)
        client = app.test_client()
        for i in range(min(count, 300)):  # warm up
            path, params = request_for(kind, i)
            client.post(path, data=params).close()
        profiler = Profiler(interval=0.0002)
        profiler.start()
        for i in range(count):
            path, params = request_for(kind, count + i)
            client.post(path, data=params).close()  # closing runs what comes after the response (a place written)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=bool(os.environ.get("PROFILE_ALL"))))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--requests", type=int, default=2000, help="requests of each kind (default 2000)")
    parser.add_argument("--threads", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--where", choices=[kind for kind in KINDS if kind in ORDER],
                        help="profile this kind in-process with pyinstrument instead")
    args = parser.parse_args()
    if args.where:
        where(args.where, args.requests)
        return 0
    with tempfile.TemporaryDirectory(prefix="line-profile-") as name:
        folder = Path(name)
        if args.database in ("sqlite", "both"):
            report("SQLite", measure(f"sqlite:///{folder / 'line.db'}", folder, args.requests, args.threads))
        if args.database in ("postgresql", "both"):
            from postgres import throwaway_database

            with throwaway_database("line_profile") as url:
                report("PostgreSQL", measure(url, folder, args.requests, args.threads))
    return 0


if __name__ == "__main__":
    sys.exit(main())
