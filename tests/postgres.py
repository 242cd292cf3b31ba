"""A throwaway PostgreSQL server for the test run, and the database URLs the store tests run on.

The server is Debian's (package postgresql, which scripts/setup --for-tests installs): initdb into a
temporary folder, listening only on a unix socket inside it, never on a network port. initdb refuses
to run as root, so as root the server runs as the `postgres` system user the package creates.
Without the binaries the PostgreSQL tests are skipped, except on CI (CI set), where they fail.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
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


@pytest.fixture(scope="session")
def postgres_server():
    """Start PostgreSQL for this test run; yields the socket folder; stops and removes it at the end."""
    try:
        import psycopg  # noqa: F401  (the driver make_engine maps postgresql:// URLs to)
    except ImportError:
        _unavailable('the psycopg driver (pip install -e ".[dev]")')
    bin_dir = _server_bin()
    if bin_dir is None:
        _unavailable("Debian's postgresql package (no /usr/lib/postgresql/*/bin/initdb)")
    prefix, uid, gid = _as_server_user()

    # In /tmp, not $TMPDIR: the postgres user must reach it, and a socket's path must stay short.
    root = Path(tempfile.mkdtemp(prefix="line-pg-", dir="/tmp" if os.path.isdir("/tmp") else None))
    data = root / "data"
    if uid is not None:
        os.chown(root, uid, gid)
    os.chmod(root, 0o700)

    def run(*args: str, timeout: float = 60) -> None:
        done = subprocess.run([*prefix, *args], cwd=root, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed ({done.returncode}):\n{done.stdout}{done.stderr}")

    started = False
    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", DB_USER, "--auth=trust", "--no-sync",
            "--encoding=UTF8", "--locale=C.UTF-8")
        # Only a socket in our own folder; durability off, since the data is thrown away.
        options = (f"-c listen_addresses='' -c unix_socket_directories='{root}' -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=40")
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-o", options,
            "-w", "-t", "30", "start")
        started = True
        yield root
    finally:
        if started:
            try:
                run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop", timeout=30)
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                print(f"could not stop the test PostgreSQL server: {error}")
        shutil.rmtree(root, ignore_errors=True)


def _admin(socket_dir: Path, sql: str) -> None:
    import psycopg

    with psycopg.connect(host=str(socket_dir), user=DB_USER, dbname="postgres", autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture
def postgres_url(postgres_server):
    """A fresh, empty database on the test server for one test, as a plain postgresql:// URL."""
    name = f"line_test_{next(_database_numbers)}"
    _admin(postgres_server, f"CREATE DATABASE {name}")
    yield f"postgresql://{DB_USER}@/{name}?host={quote(str(postgres_server), safe='')}"
    _admin(postgres_server, f"DROP DATABASE {name} WITH (FORCE)")  # even with the apps' pools still open


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh database on each backend the contract promises: a SQLite file, and PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'line.db'}"
    return request.getfixturevalue("postgres_url")
