"""`benchmark rank` and `benchmark evaluate` on a partitioned, two-category Parquet dataset
(BENCH_BIG_ROWS rows in all, default 5,000,000: 80 % room air conditioners, 20 % household
refrigerators through the shipped mapping; 16 parts per category), on a two-worker LocalCluster
(`--dask ADDRESS`, a worker thread each) against the same command in one process, each command in
a child process. Reported: wall time of the whole command, the peak memory of the one process,
and of the driver and of each worker with Dask (a fresh cluster per command, so each worker's
high-water mark is that command's). Covers reading, normalising, assessing, ranking per segment
(the shuffle by segment included) and writing json, parquet, md (rank) and the verdict table and
summary (evaluate). BENCH_BIG=1 only; nothing asserted but exit 0 and the same row count.
"""

from __future__ import annotations

import pandas as pd
from conftest import BIG_ROWS, ROOT, big, run_command, spread
from room_ac import ON
from test_dask import (
    FRIDGE,
    ROOM_AC,
    refrigerators,
    room_air_conditioners,
    table,
    usable,
    write_dataset,
)

MAPPING = ROOT / "examples" / "populations" / "registry-refrigerators.mapping.yaml"
GIB = 2**30


def _high_water() -> int:  # a worker's peak resident memory (VmHWM), in bytes
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmHWM:"))


def on_cluster(args: list[str]) -> tuple[float, int, list[int]]:
    """The command with `--dask` on a fresh two-worker cluster: (seconds, the driver's peak,
    each worker's peak)."""
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        seconds, _, driver = run_command([*args, "--dask", cluster.scheduler_address])
        workers = sorted(client.run(_high_water).values())
    return seconds, driver, workers


def _figures(what: str, n: int, one: tuple[float, int, int],
             dask: tuple[float, int, list[int]]) -> str:
    workers = ", ".join(f"{w / GIB:.1f}" for w in dask[2])
    return (f"\n[perf] {what} {n:,} rows, 16 parts: one process {spread([one[0]])}, peak "
            f"{one[2] / GIB:.1f} GiB; --dask (2 local workers) {spread([dask[0]])}, driver peak "
            f"{dask[1] / GIB:.1f} GiB, worker peaks {workers} GiB → one / dask "
            f"{one[0] / dask[0]:.2f}")


@big
def test_rank_on_dask_against_one_process(tmp_path):
    rows = {ROOM_AC: BIG_ROWS * 4 // 5, FRIDGE: BIG_ROWS - BIG_ROWS * 4 // 5}
    dataset = write_dataset(tmp_path / "dataset", {ROOM_AC: room_air_conditioners(rows[ROOM_AC]),
                                                   FRIDGE: refrigerators(rows[FRIDGE])}, 16)
    for set_id, n in rows.items():
        args = ["rank", str(dataset), "--set", set_id, "--date", ON, "--format",
                "json,parquet,md", "-q"]
        if set_id == FRIDGE:
            args += ["--mapping", str(MAPPING)]
        one = run_command([*args, "-o", str(tmp_path / f"one-{set_id}")])
        dask = on_cluster([*args, "-o", str(tmp_path / f"dask-{set_id}")])
        print(_figures(f"rank {set_id}", n, one, dask))
        assert len(table(tmp_path / f"dask-{set_id}" / "tiers")) == \
            len(pd.read_parquet(tmp_path / f"one-{set_id}" / "tiers.parquet"))


@big
def test_evaluate_on_dask_against_one_process(tmp_path):
    frame = usable(room_air_conditioners(BIG_ROWS * 4 // 5))
    dataset = write_dataset(tmp_path / "dataset", {ROOM_AC: frame}, 16) / f"category={ROOM_AC}"
    frame.to_parquet(tmp_path / "whole.parquet", index=False)  # the same rows as one table
    args = ["--set", ROOM_AC, "--date", ON, "--table-format", "csv,parquet", "-q"]
    one = run_command(["evaluate", str(tmp_path / "whole.parquet"), *args, "--reports", "none",
                       "--no-audit", "-o", str(tmp_path / "one")])
    dask = on_cluster(["evaluate", str(dataset), *args, "-o", str(tmp_path / "dask")])
    print(_figures(f"evaluate {ROOM_AC}", len(frame), one, dask))
    (verdicts,) = (tmp_path / "dask").glob("*.verdicts")
    assert len(table(verdicts)) == len(frame)
