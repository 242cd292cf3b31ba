"""The load benchmark runs (with tiny numbers): its figures are in the README, so it must keep working."""

from __future__ import annotations

import re
import subprocess
import sys

from app.config import PROJECT_ROOT


def test_the_load_benchmark_runs_both_apps_and_reports_their_ratio():
    done = subprocess.run([sys.executable, str(PROJECT_ROOT / "benchmarks" / "load.py"), "--database", "sqlite",
                           "--seconds", "0.3", "--rounds", "1", "--threads", "2", "--workers", "1"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = dict(re.findall(r"^\s+(line|bare)\s+(\d+)\s+[\d.]+\s+[\d.]+\s+0$", done.stdout, re.MULTILINE))
    assert set(rows) == {"line", "bare"} and all(int(rate) > 0 for rate in rows.values()), done.stdout
    assert re.search(r"ratio\s+throughput [\d.]+x", done.stdout)
