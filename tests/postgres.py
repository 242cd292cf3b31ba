"""A throwaway PostgreSQL server for the test run, and the database URLs the store tests run on.

The server is Debian's (package postgresql, which scripts/setup --for-tests installs): initdb into a
temporary folder, listening only on a unix socket inside it, never on a network port. initdb refuses
to run as root, so as root the server runs as the `postgres` system user the package creates.
Without the binaries the PostgreSQL tests are skipped, except on CI (CI set), where they fail.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

import pytest

DB_USER = "postgres"  # the superuser initdb creates; the socket is trusted, so no password
_database_numbers = itertools.count(1)


def _unavailable(reason: str):
    """Skip, or on CI fail: there the PostgreSQL path must really be tested."""
    reason = f"PostgreSQL tests need {reason} (scripts/setup --for-tests installs it)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI is set, so this is a failure, not a skip", pytrace=False)
    pytest.skip(reason)


def _server_bin() -> Path | None:
    """The newest installed server's bin folder, e.g. /usr/lib/postgresql/15/bin."""
    found = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")
             if Path(p).with_name("pg_ctl").exists()]
    return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, default=None)


def _as_server_user() -> tuple[list[str], int | None, int | None]:
    """The command prefix that runs the server as a user initdb accepts, and that user's uid/gid."""
    if os.geteuid() != 0:
        return [], None, None
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        _unavailable("a `postgres` system user to run the server as (initdb refuses root)")
    runuser = shutil.which("runuser")
    if runuser is None:
        _unavailable("runuser (util-linux), to run the server as the postgres user")
    return [runuser, "-u", "postgres", "--"], user.pw_uid, user.pw_gid


class PostgresServer:
    """A throwaway server in a temporary folder: start, stop, pause (SIGSTOP: hung) and resume it."""

    def __init__(self, bin_dir: Path, prefix: list[str], uid: int | None, gid: int | None):
        self.bin_dir, self.prefix = bin_dir, prefix
        # In /tmp, not $TMPDIR: the postgres user must reach it, and a socket's path must stay short.
        self.root = Path(tempfile.mkdtemp(prefix="line-pg-", dir="/tmp" if os.path.isdir("/tmp") else None))
        self.data = self.root / "data"
        if uid is not None:
            os.chown(self.root, uid, gid)
        os.chmod(self.root, 0o700)
        self.running = False
        self._paused: list[int] = []

    def _run(self, *args: str, timeout: float = 60) -> None:
        done = subprocess.run([*self.prefix, *args], cwd=self.root, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed ({done.returncode}):\n{done.stdout}{done.stderr}")

    def init(self) -> None:
        self._run(str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", DB_USER, "--auth=trust", "--no-sync",
                  "--encoding=UTF8", "--locale=C.UTF-8")

    def start(self) -> None:
        # Only a socket in our own folder; durability off, since the data is thrown away.
        options = (f"-c listen_addresses='' -c unix_socket_directories='{self.root}' -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60")
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
                  "-o", options, "-w", "-t", "30", "start")
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        """Stop, dropping every connection. "fast" keeps what was committed; "immediate" is a crash, and with
        this server's synchronous_commit=off it may lose the last commits (so the tests stop it fast)."""
        self.resume()
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", timeout=30)
        self.running = False

    def _pids(self) -> list[int]:
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(postmaster)], capture_output=True,
                                  text=True).stdout.split()
        return [postmaster, *(int(pid) for pid in children)]

    def pause(self) -> None:
        """Hang the server: the postmaster and every backend stop (SIGSTOP), sockets stay open, nothing answers."""
        self._paused = self._pids()
        for pid in self._paused:
            os.kill(pid, signal.SIGSTOP)

    def resume(self) -> None:
        for pid in self._paused:
            with contextlib.suppress(ProcessLookupError):  # a backend that ended meanwhile
                os.kill(pid, signal.SIGCONT)
        self._paused = []

    def url(self, database: str) -> str:
        return f"postgresql://{DB_USER}@/{database}?host={quote(str(self.root), safe='')}"

    def admin(self, sql: str) -> None:
        _admin(self.root, sql)

    def remove(self) -> None:
        if self.running:
            try:
                self.stop("immediate")
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                print(f"could not stop the test PostgreSQL server: {error}")
        shutil.rmtree(self.root, ignore_errors=True)


def make_server() -> PostgresServer:
    """A new server (initialised, not started), or a skip (a failure on CI) when PostgreSQL is missing."""
    try:
        import psycopg  # noqa: F401  (the driver make_engine maps postgresql:// URLs to)
    except ImportError:
        _unavailable('the psycopg driver (pip install -e ".[dev]")')
    bin_dir = _server_bin()
    if bin_dir is None:
        _unavailable("Debian's postgresql package (no /usr/lib/postgresql/*/bin/initdb)")
    return PostgresServer(bin_dir, *_as_server_user())


@contextlib.contextmanager
def throwaway_database(name: str) -> Iterator[str]:
    """A database on a server of its own, started for a benchmark and removed after it: its URL."""
    server = make_server()
    try:
        server.init()
        server.start()
        server.admin(f"CREATE DATABASE {name}")
        yield server.url(name)
    finally:
        server.remove()


@pytest.fixture(scope="session")
def postgres():
    """The PostgreSQL server of this test run (a PostgresServer); stopped and removed at the end."""
    server = make_server()
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture(scope="session")
def postgres_server(postgres):
    """The socket folder of this test run's server."""
    return postgres.root


def _admin(socket_dir: Path, sql: str) -> None:
    import psycopg

    with psycopg.connect(host=str(socket_dir), user=DB_USER, dbname="postgres", autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture
def postgres_url(postgres):
    """A fresh, empty database on the test server for one test, as a plain postgresql:// URL."""
    name = f"line_test_{next(_database_numbers)}"
    if not postgres.running:  # a fault test stopped it and failed before starting it again
        postgres.start()
    postgres.admin(f"CREATE DATABASE {name}")
    yield postgres.url(name)
    postgres.resume()
    if not postgres.running:
        postgres.start()
    postgres.admin(f"DROP DATABASE {name} WITH (FORCE)")  # even with the apps' pools still open


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh database on each backend the contract promises: a SQLite file, and PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'line.db'}"
    return request.getfixturevalue("postgres_url")
