"""`benchmark evaluate TABLE` at platform size, each command run as a user runs it (its own
process: start-up, catalogue, reading, assessing, writing).

1. `evaluate TABLE` of 100,000 motor declarations writing the verdict table as CSV (no individual
   reports, no audit), against `benchmark rank` of the same file writing its CSV tables: the
   ratio evaluate / rank (target ≤ 2).
   The same with every per-row format: `evaluate --table-format csv,parquet,xlsx` against
   `rank --format csv,parquet,xlsx` (the XLSX row workbook, report/xlsx.py).
2. 10,000 individual Markdown reports: `evaluate TABLE --reports all --format md` of a
   10,000-row table, with its audit records (the default) and the verdict table as CSV (target
   ≤ 30 s), and the time per report.

The rows are generated with numpy (tests/test_verdict_table.py `motor_frame`): shipped catalogue,
realistic text cells. Printed only; the assertions check that each run succeeded and wrote one
verdict row per declaration.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_verdict_table import DATE, SET, motor_frame


def command(*args: object) -> float:
    """Wall time of one `benchmark` command in its own process."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "benchmark", *map(str, args)],
                          capture_output=True, text=True)
    took = time.perf_counter() - start
    assert done.returncode == 0, done.stderr
    return took


def best(runs: int, *args: object) -> float:
    return min(command(*args) for _ in range(runs))


def test_evaluate_table_against_rank(tmp_path):
    n = 100_000
    path = tmp_path / "export.csv"
    motor_frame(n, seed=23).to_csv(path, index=False)
    common = ("--set", SET, "--date", DATE)
    evaluate = best(2, "evaluate", path, *common, "--no-audit", "--table-format", "csv",
                    "-o", tmp_path / "evaluate")
    rank = best(2, "rank", path, *common, "--format", "csv", "-o", tmp_path / "rank")
    table = pd.read_csv(tmp_path / "evaluate" / "export.verdicts.csv", encoding="utf-8-sig",
                        dtype=str)
    assert len(table) == n
    print(f"\nevaluate TABLE, {n:,} rows → verdict table CSV (whole command, best of 2): "
          f"{evaluate:.1f} s")
    print(f"rank, the same {n:,} rows → CSV tables (whole command, best of 2): {rank:.1f} s")
    print(f"ratio evaluate / rank: {evaluate / rank:.2f} (target ≤ 2)")


def test_evaluate_table_against_rank_every_table_format(tmp_path):
    n = 100_000
    path = tmp_path / "export.csv"
    motor_frame(n, seed=23).to_csv(path, index=False)
    common = ("--set", SET, "--date", DATE)
    evaluate = best(2, "evaluate", path, *common, "--no-audit", "--table-format",
                    "csv,parquet,xlsx", "-o", tmp_path / "evaluate")
    rank = best(2, "rank", path, *common, "--format", "csv,parquet,xlsx", "-o",
                tmp_path / "rank")
    assert (tmp_path / "evaluate" / "export.verdicts.zh.xlsx").exists()
    print(f"\nevaluate TABLE, {n:,} rows → verdict table CSV, Parquet, XLSX (whole command, "
          f"best of 2): {evaluate:.1f} s")
    print(f"rank, the same {n:,} rows → CSV, Parquet, XLSX tables (whole command, best of 2): "
          f"{rank:.1f} s")
    print(f"ratio evaluate / rank: {evaluate / rank:.2f} (target ≤ 2)")


def test_ten_thousand_markdown_reports(tmp_path):
    n = 10_000
    path = tmp_path / "applicants.csv"
    motor_frame(n, seed=29).to_csv(path, index=False)
    out = tmp_path / "out"
    took = command("evaluate", path, "--set", SET, "--date", DATE, "--reports", "all",
                   "--format", "md", "--table-format", "csv", "-o", out)
    assert len(list(out.glob("applicants-row*.zh.md"))) == n
    print(f"\n{n:,} Markdown reports + audit records + verdict table CSV (whole command, "
          f"one run): {took:.1f} s (target ≤ 30 s), {took / n * 1e3:.1f} ms per report")
