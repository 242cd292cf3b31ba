"""Server CPU per request, by kind, for the line and the bare app; and where a kind's time goes.

Starts both apps with the Procfile's own gunicorn command (as benchmarks/load.py does), sends each
kind of request of load.py's mix (the call's first request, a main-menu key, a text RISKS) from
1,000 numbers, and reads the CPU time the workers used (user + system, from /proc) before and
after: CPU per request = the workers' CPU / requests, the work done after a response included
(the writes that wait a moment are made before the second reading). On PostgreSQL the database
server's own processes (its backends, WAL writer, postmaster) are read too: the bare app has no
database, so the line's cost is both together. SQLite works inside the workers.

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
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import KINDS, SETTINGS, TOKEN, release, request_for, send, sign
from serve import Served

from app.store.later import WRITE_EVERY

TICKS = os.sysconf("SC_CLK_TCK")
ORDER = ("first", "key", "sms")
NAMES = {"first": "the call's first request (POST /voice)", "key": "a main-menu key (POST /voice/turn)",
         "sms": "a text RISKS (POST /sms)"}


def children(pid: int) -> list[str]:
    """The processes this one started (gunicorn's workers, PostgreSQL's backends)."""
    return subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout.split()


def database_pids(database_url: str) -> list[str]:
    """The throwaway PostgreSQL server's processes (its postmaster and every backend); none for SQLite."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(database_url).query)
    if "host" not in query:
        return []
    postmaster = (Path(query["host"][0]) / "data" / "postmaster.pid").read_text().split()[0]
    return [postmaster, *children(int(postmaster))]


def workers_cpu(server: Served) -> float:
    """Seconds of CPU (user + system) the server's workers have used so far."""
    assert server.process is not None
    return cpu_of(children(server.process.pid))


def cpu_of(pids: list[str]) -> float:
    """Seconds of CPU (user + system) these processes have used so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / TICKS


def cpu_per_request(server: Served, kind: str, count: int, threads: int, offset: int,
                    database_url: str = "", settle: float = 0.0) -> tuple[float, float]:
    """Milliseconds of CPU per request of this kind: the workers', and the database server's (PostgreSQL)."""
    requests = [sign(server, *request_for(kind, offset + i)) for i in range(count)]
    before = workers_cpu(server)
    database_before = cpu_of(database_pids(database_url))
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
    time.sleep(settle)  # the writes that wait after the responses are made too: their time counts
    return ((workers_cpu(server) - before) / count * 1000,
            (cpu_of(database_pids(database_url)) - database_before) / count * 1000)


def measure(database_url: str, folder: Path, count: int, threads: int) -> dict[str, dict[str, tuple[float, float]]]:
    env = {"TWILIO_AUTH_TOKEN": TOKEN, "PHONE_HASH_SECRET": "load-benchmark", "LINE_ENV": "production",
           "DATABASE_URL": database_url, "STOP_JOURNAL": str(folder / "stop-journal.txt"),
           "SIMULATOR_ENABLED": "false", **SETTINGS}
    release(env)
    line = Served(env)
    bare = Served(env, app_spec="bare:create_app()", python_path=str(Path(__file__).resolve().parent))
    for server in (line, bare):
        server.env["PUBLIC_BASE_URL"] = server.base
    found: dict[str, dict[str, tuple[float, float]]] = {"line": {}, "bare": {}}
    with line, bare:
        for name, server in (("line", line), ("bare", bare)):
            for kind in ORDER:  # warm up: imports, pools, caches; and the callers' rows a real line has
                cpu_per_request(server, kind, min(count, 300), threads, 0)
            for kind in ORDER:
                found[name][kind] = cpu_per_request(server, kind, count, threads, count, database_url,
                                                    settle=2 * WRITE_EVERY if server is line else 0.0)
    return found


def report(database: str, found: dict[str, dict[str, tuple[float, float]]]) -> None:
    server = database == "PostgreSQL"  # SQLite's work is done in the workers themselves
    print(f"\n{database}: CPU per request, ms (user + system time / requests"
          + ("; `db`: the database server's processes, `both`: the two)" if server else ")"))
    print(f"  {'kind':44} {'line':>6}" + (f" {'db':>5} {'both':>6}" if server else "") + f" {'bare':>6} {'ratio':>6}")

    def mean(app: str, part: int) -> float:
        return sum(found[app][kind][part] for kind in ORDER) / len(ORDER)

    rows = [(NAMES[kind], *found["line"][kind], found["bare"][kind][0]) for kind in ORDER]
    rows.append(("the mix (a third each)", mean("line", 0), mean("line", 1), mean("bare", 0)))
    for name, workers, database_server, bare in rows:
        both = workers + database_server
        print(f"  {name:44} {workers:6.2f}" + (f" {database_server:5.2f} {both:6.2f}" if server else "")
              + f" {bare:6.2f} {both / bare:5.2f}x")


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
