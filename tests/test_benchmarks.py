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


def test_the_profile_reports_cpu_per_request_of_each_kind_for_both_apps():
    done = subprocess.run([sys.executable, str(PROJECT_ROOT / "benchmarks" / "profiling.py"), "--database", "sqlite",
                           "--requests", "40", "--threads", "2"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = re.findall(r"^\s+(the call's first request|a main-menu key|a text RISKS|the mix).*?([\d.]+)\s+([\d.]+)\s+"
                      r"[\d.]+x$", done.stdout, re.MULTILINE)
    assert [row[0] for row in rows] == ["the call's first request", "a main-menu key", "a text RISKS", "the mix"]


def test_the_soak_reports_each_workers_memory_at_the_start_and_the_end():
    done = subprocess.run([sys.executable, str(PROJECT_ROOT / "benchmarks" / "soak.py"), "400", "--threads", "2"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert re.search(r"^[\d,]+ requests \(0 errors\)", done.stdout, re.MULTILINE), done.stdout
    assert len(re.findall(r"^\s+\d+\s+[\d.]+ .*x\s+[\d.]+x$", done.stdout, re.MULTILINE)) == 2, done.stdout
