"""Run the Procfile's own web command (gunicorn) on a free local port, for fault tests and the load benchmark."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import IO, Mapping

from twilio.request_validator import RequestValidator

PROJECT_ROOT = Path(__file__).resolve().parent.parent
APP_SPEC = '"app:create_app()"'


def procfile_command(process: str = "web") -> str:
    """The command of one Procfile process type, as the platform would run it (through a shell)."""
    for line in (PROJECT_ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == process:
            return command.strip()
    raise LookupError(f"the Procfile has no {process}: line")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Served:
    """The Procfile's web command, optionally serving another app with the same flags; stopped on exit."""

    def __init__(self, env: Mapping[str, str], *, app_spec: str | None = None, workers: int | None = None,
                 log: IO[bytes] | None = None, python_path: str | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = procfile_command()
        if app_spec is not None:
            assert APP_SPEC in command, f"the Procfile's web command no longer serves {APP_SPEC}"
            command = command.replace(APP_SPEC, shlex.quote(app_spec))
        bin_dir = str(Path(sys.executable).parent)
        self.env = {**os.environ, **env, "PORT": str(self.port), "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}"}
        if workers is not None:
            self.env["WEB_CONCURRENCY"] = str(workers)
        if python_path:
            self.env["PYTHONPATH"] = python_path
        self.command = command
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Served:
        output = self.log if self.log is not None else subprocess.DEVNULL
        self.process = subprocess.Popen(["bash", "-c", f"exec {self.command}"], cwd=PROJECT_ROOT, env=self.env,
                                        stdout=output, stderr=output, start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited at start-up ({self.process.returncode})")
            try:
                self.get("/health", timeout=5)  # any answer: a worker has built the app
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not answer within 60 s") from None
                time.sleep(0.1)
        return self

    def __exit__(self, *_exc: object) -> None:
        assert self.process is not None
        try:
            os.killpg(self.process.pid, signal.SIGTERM)  # the group this Popen started, no other
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        except ProcessLookupError:
            pass

    def post(self, path: str, params: Mapping[str, str], token: str, timeout: float = 20) -> tuple[int, bytes]:
        """POST a form signed with `token`, as Twilio would; (status, body)."""
        url = self.base + path
        signature = RequestValidator(token).compute_signature(url, dict(params))
        data = urllib.parse.urlencode(params).encode()
        request = urllib.request.Request(url, data=data, headers={"X-Twilio-Signature": signature})
        return self._open(request, timeout)

    def get(self, path: str, timeout: float = 20) -> tuple[int, bytes]:
        return self._open(urllib.request.Request(self.base + path), timeout)

    @staticmethod
    def _open(request: urllib.request.Request, timeout: float) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
