"""A 1,000,000-row population FILE through `benchmark rank`, in a child process: peak resident
memory above the interpreter's baseline against the size of the float64 value matrix (target ≤ 3,
the peer pipeline's memory target), and a file ten times the size limit refused at once.

The catalogue is the synthetic one of test_perf_pipeline (a benchmark fixture, not reference data);
units are in the headers, as a file usually has them. Nothing is asserted about time or memory.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pandas as pd
from test_perf_pipeline import CENTRE, DIRECTION, UNITS, K, N, synthetic_catalogue

CHILD = """
import sys, datetime as dt
from benchmark.catalogue import load_catalogue
from benchmark.leaders import rank_file

def high_water():  # this process's peak resident memory (VmHWM; ru_maxrss survives exec)
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) * 1024 for l in fh if l.startswith("VmHWM:"))

cat = load_catalogue(sys.argv[1])
base = high_water()
if sys.argv[2] != "-":
    r = rank_file(sys.argv[2], cat, "synthetic", "leader", dt.date(2026, 11, 23))
    assert len(r.assessment.population) == int(sys.argv[3])
print(base, high_water())
"""


def write_population(path, rng) -> None:
    cols = {"type": rng.choice(["t0", "t1", "t2"], N), "power [kW]": np.round(rng.uniform(1, 100, N), 2),
            "conformity": "是"}
    for j in range(K):
        sign = 1 if DIRECTION[j] == "higher" else -1
        cols[f"x{j} [{UNITS[j][0]}]"] = np.round(CENTRE[j] * (1 + sign * rng.normal(0, 0.04, N)), 4)
    pd.DataFrame(cols).to_csv(path, index=False)


def child(catalogue, table, rows=0) -> tuple[int, int]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(catalogue), str(table), str(rows)],
                         capture_output=True, text=True, check=True)
    base, peak = map(int, out.stdout.split())
    return base, peak


def test_million_row_file_memory(tmp_path):
    catalogue = synthetic_catalogue(tmp_path / "cat")
    table = tmp_path / "population.csv"
    write_population(table, np.random.default_rng(3))
    _, baseline = child(catalogue, "-")
    _, peak = child(catalogue, table, N)
    matrix = N * K * 8
    print(f"\n[perf] 1M-row file ({table.stat().st_size / 2**20:.0f} MiB) through rank: peak RSS "
          f"{peak / 2**20:.0f} MiB, interpreter with the engine loaded {baseline / 2**20:.0f} MiB; "
          f"above baseline {(peak - baseline) / 2**20:.0f} MiB = {(peak - baseline) / matrix:.2f} × "
          f"the float64 value matrix (target ≤ 3)")


def test_ten_times_the_size_limit_is_refused_at_once(tmp_path):
    from benchmark.population import MAX_TABLE_BYTES

    big = tmp_path / "huge.csv"
    with big.open("wb") as fh:
        fh.truncate(10 * MAX_TABLE_BYTES)  # sparse: takes no disk, and must never be read
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "benchmark", "rank", str(big), "--set",
                          "room-air-conditioner", "-o", str(tmp_path / "out")],
                         capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1",
                                                              "BENCHMARK_MAX_TABLE_BYTES": "512M"})
    seconds = time.perf_counter() - start
    assert out.returncode == 2 and "file_too_large" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "out").exists()
    print(f"\n[perf] a {10 * MAX_TABLE_BYTES / 2**30:.0f} GiB table refused in {seconds:.2f} s "
          "(whole command, interpreter start included): "
          + next(line for line in out.stderr.splitlines() if "file_too_large" in line))
