"""Shared helpers of the benchmarks (`make perf`).

Each benchmark is a test that prints figures measured in its own run — our time, a baseline's
time measured beside it and their ratio — and asserts only correctness, never a time. Timings are
reported as min / median of BENCH_RUNS runs (default 3) with `time.perf_counter`; ratios use the
minimum (the least disturbed run). BENCH_ROWS sets the rows of the generated tables (default
1,000,000); BENCH_BIG=1 runs the 5,000,000-row benchmarks (BENCH_BIG_ROWS rows).

Generated tables are drawn from the shipped example tables (tests/test_dask.py's generators), so
they carry the identity, credit code and text cells an export has.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))  # the population generators of tests/test_dask.py

ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
BIG_ROWS = int(os.environ.get("BENCH_BIG_ROWS", "5000000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
big = pytest.mark.skipif(os.environ.get("BENCH_BIG") != "1",
                         reason="5,000,000-row benchmark: set BENCH_BIG=1")


def best_of(fn: Callable[[], Any], repeat: int = 5) -> tuple[float, Any]:
    """(best wall time in seconds over `repeat` runs, the last run's result)."""
    times, result = timed(fn, repeat)
    return min(times), result


def timed(fn: Callable[[], Any], repeat: int = RUNS) -> tuple[list[float], Any]:
    """(wall time of each of `repeat` runs, the last run's result)."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


def spread(times: list[float]) -> str:
    """"min 1.23 s / median 1.30 s (3 runs)"."""
    return (f"min {min(times):,.2f} s / median {statistics.median(times):,.2f} s "
            f"({len(times)} run{'s' * (len(times) > 1)})")


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f} ms"


CHILD = """
import sys, time
from benchmark.cli import main

def high_water():  # this process's peak resident memory (VmHWM)
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) * 1024 for l in fh if l.startswith("VmHWM:"))

base = high_water()
start = time.perf_counter()
main(sys.argv[1:], standalone_mode=False)
print("MEASURED", time.perf_counter() - start, base, high_water(), file=sys.stderr)
"""


PEER_CHILD = """
import sys, time
from pathlib import Path
sys.path[:0] = sys.argv[1:3]
import room_ac

def high_water():
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) * 1024 for l in fh if l.startswith("VmHWM:"))

iset = room_ac.indicator_set()
base = high_water()
start = time.perf_counter()
if sys.argv[3] == "polars":
    room_ac.polars_pipeline(Path(sys.argv[4]), iset)
    ranked = 0
else:
    ranked = room_ac.floor(Path(sys.argv[4]), Path(sys.argv[5]), iset, sys.argv[6])
print("MEASURED", time.perf_counter() - start, base, high_water(), file=sys.stderr)
print("RANKED", ranked, file=sys.stderr)
"""


def run_floor(table: Path, out: Path, outputs: str = "same") -> tuple[float, int, int, int]:
    """tests/perf/room_ac.py's `floor` in a child process, measured as `run_command` measures
    the command: (seconds, peak resident bytes with its imports and the catalogue loaded, peak
    at the end, rows ranked)."""
    stderr = _peer("floor", str(table), str(out), outputs)
    ranked = next(line for line in stderr.splitlines() if line.startswith("RANKED"))
    return (*_measured(stderr), int(ranked.split()[1]))


def run_polars(table: Path) -> tuple[float, int, int]:
    """tests/perf/room_ac.py's `polars_pipeline` in a child process, measured the same way."""
    return _measured(_peer("polars", str(table)))


def _peer(*args: str) -> str:
    return _run([sys.executable, "-c", PEER_CHILD, str(ROOT / "tests" / "perf"),
                 str(ROOT / "tests"), *args])


def run_command(args: list[str]) -> tuple[float, int, int]:
    """`benchmark ARGS` in a child process: (seconds from the command's start to its end, peak
    resident bytes of the interpreter with the CLI imported, peak resident bytes at the end)."""
    return _measured(_run([sys.executable, "-c", CHILD, *args]))


def _run(argv: list[str]) -> str:
    """The standard error of a child process that must succeed."""
    out = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stderr


def _measured(stderr: str) -> tuple[float, int, int]:
    line = next(line for line in stderr.splitlines() if line.startswith("MEASURED"))
    _, seconds, base, peak = line.split()
    return float(seconds), int(base), int(peak)


@pytest.fixture(name="best_of")
def best_of_fixture() -> Callable[..., tuple[float, Any]]:
    return best_of


@pytest.fixture(name="ms")
def ms_fixture() -> Callable[[float], str]:
    return ms
