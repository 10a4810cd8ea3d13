"""The whole `benchmark rank` command as a user runs it, on a generated room-AC export (BENCH_ROWS
rows, default 1,000,000, drawn from the shipped example table: identity, credit codes, text
cells), with every table format (`--format csv,parquet,json,md,xlsx`), in a child process:

* its time against a floor of the same work measured beside it (tests/perf/room_ac.py `floor`:
  pyarrow read, the comparisons, np.searchsorted levels and tiers, per-segment ranks in numpy,
  then the per-row tables of the same shapes — tiers, composite, excluded, with identity text —
  written by pyarrow as CSV and Parquet and as the least XLSX) — target ≤ 3×; and, for
  continuity, against the issue's first, narrower floor (one numeric table as CSV and Parquet,
  no identity text, no XLSX). The bytes each writes are printed beside;
* its peak resident memory above the interpreter's against the float64 value matrix (rows × core
  quantity indicators) — target ≤ 4×; and above the same command's peak on a 1,000-row table
  (what a command holds whatever its rows: imports, the catalogue, writers), which is the
  memory that grows with the rows; and the floor's own peak above its interpreter (run in a
  child process the same way), against the same matrix;
* the JSON and Markdown sizes (bounded summaries should not grow with rows);
* with BENCH_BIG=1, BENCH_BIG_ROWS (default 5,000,000) rows ranked from Parquet and from CSV
  (every format but xlsx, which stops at 1,048,576 rows): the whole command's time and its peak
  resident memory, above the interpreter's, against the value matrix — that 5M rows are ranked
  on one machine without running out of memory (reading, assessing, ranking and writing).

BENCH_FORMATS overrides the formats of the first benchmark (e.g. without xlsx, whose writer is
measured on its own). Nothing is asserted about time or memory; the command must exit 0.
"""

from __future__ import annotations

import os
import shutil

import pytest
from conftest import BIG_ROWS, ROWS, RUNS, big, run_command, run_floor, spread, timed
from room_ac import ON, SET_ID, core_quantities, floor, indicator_set, write_table

FORMATS = os.environ.get("BENCH_FORMATS", "csv,parquet,json,md,xlsx")


def rank_args(table, out, formats: str) -> list[str]:
    return ["rank", str(table), "--set", SET_ID, "--date", ON, "--format", formats, "-o",
            str(out), "-q"]


def measure(table, tmp_path, formats: str, runs: int) -> tuple[list[float], int, int]:
    times, base, peak = [], 0, 0
    for i in range(runs):
        out = tmp_path / f"out{i}"
        seconds, base, peak_i = run_command(rank_args(table, out, formats))
        times.append(seconds)
        peak = max(peak, peak_i)
        if i < runs - 1:
            shutil.rmtree(out)
    return times, base, peak


def test_rank_command_against_floor(tmp_path):
    table = write_table(tmp_path / "room-ac.csv", ROWS)
    iset = indicator_set()
    k = len(core_quantities(iset))
    times, base, peak = measure(table, tmp_path, FORMATS, RUNS)
    small = write_table(tmp_path / "small.csv", 1000)
    _, _, fixed = run_command(rank_args(small, tmp_path / "small", FORMATS))
    floor_runs = [run_floor(table, tmp_path / "floor") for _ in range(RUNS)]
    floor_times = [seconds for seconds, _, _, _ in floor_runs]
    floor_base, floor_peak = floor_runs[0][1], max(peak for _, _, peak, _ in floor_runs)
    ranked = floor_runs[0][3]
    narrow_times, _ = timed(lambda: floor(table, tmp_path / "narrow", iset, "narrow"))
    out = tmp_path / f"out{RUNS - 1}"
    sizes = {p.name: p.stat().st_size for p in out.iterdir() if p.suffix in (".json", ".md")}
    written = {name: sum(p.stat().st_size for p in (tmp_path / name).iterdir()) / 2**20
               for name in (out.name, "floor", "narrow")}
    matrix = ROWS * k * 8
    print(f"\n[perf] `benchmark rank` {ROWS:,}-row room-AC CSV "
          f"({table.stat().st_size / 2**20:.0f} MiB), --format {FORMATS}, whole command without "
          f"interpreter start: {spread(times)}, {written[out.name]:,.0f} MiB written; floor "
          f"of the same work (pyarrow read, comparisons, searchsorted tiers, numpy ranks, the "
          f"same tables by pyarrow and the least XLSX; {ranked:,} rows ranked): "
          f"{spread(floor_times)}, {written['floor']:,.0f} MiB → "
          f"{min(times) / min(floor_times):.1f}× (target ≤ 3); the first, narrow floor (one "
          f"numeric table, CSV and Parquet): {spread(narrow_times)}, "
          f"{written['narrow']:,.0f} MiB → {min(times) / min(narrow_times):.1f}×"
          f"\n[perf] peak RSS {peak / 2**20:,.0f} MiB, interpreter with the CLI "
          f"{base / 2**20:.0f} MiB; above it {(peak - base) / 2**20:,.0f} MiB = "
          f"{(peak - base) / matrix:.1f}× the float64 value matrix ({ROWS:,} × {k}, "
          f"{matrix / 2**20:.0f} MiB; target ≤ 4); above the same command on 1,000 rows "
          f"({fixed / 2**20:,.0f} MiB) {(peak - fixed) / 2**20:,.0f} MiB = "
          f"{(peak - fixed) / matrix:.1f}×; the floor of the same work peaks "
          f"{(floor_peak - floor_base) / 2**20:,.0f} MiB above its interpreter = "
          f"{(floor_peak - floor_base) / matrix:.1f}× (the command / the floor "
          f"{(peak - base) / (floor_peak - floor_base):.1f}×)"
          f"\n[perf] summary sizes: " + ", ".join(f"{n} {s / 2**10:,.0f} KiB"
                                                   for n, s in sorted(sizes.items())))


@big
@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_five_million_rows_ranked(tmp_path, suffix):
    table = write_table(tmp_path / f"room-ac{suffix}", BIG_ROWS)
    matrix = BIG_ROWS * len(core_quantities(indicator_set())) * 8
    times, base, peak = measure(table, tmp_path, "csv,parquet,json,md", 1)
    print(f"\n[perf] `benchmark rank` {BIG_ROWS:,} rows from {suffix[1:]} "
          f"({table.stat().st_size / 2**20:,.0f} MiB), --format csv,parquet,json,md, whole "
          f"command: {spread(times)}; peak RSS {peak / 2**30:.1f} GiB (interpreter with the CLI "
          f"{base / 2**20:.0f} MiB; above it {(peak - base) / matrix:.1f}× the float64 value "
          f"matrix of {matrix / 2**20:,.0f} MiB)")
