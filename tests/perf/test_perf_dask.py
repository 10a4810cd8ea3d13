"""`benchmark rank --dask local:2` on a partitioned, two-category Parquet dataset
(BENCH_BIG_ROWS rows in all, default 5,000,000: 80 % room air conditioners, 20 % household
refrigerators through the shipped mapping; 16 parts per category) against the same command in one
process, each category in a child process: time and the driver's peak memory. BENCH_BIG=1 only;
nothing asserted but exit 0.
"""

from __future__ import annotations

from conftest import BIG_ROWS, ROOT, big, run_command, spread
from room_ac import ON
from test_dask import FRIDGE, ROOM_AC, refrigerators, room_air_conditioners, write_dataset

MAPPING = ROOT / "examples" / "populations" / "registry-refrigerators.mapping.yaml"


@big
def test_dask_against_one_process(tmp_path):
    rows = {ROOM_AC: BIG_ROWS * 4 // 5, FRIDGE: BIG_ROWS - BIG_ROWS * 4 // 5}
    dataset = write_dataset(tmp_path / "dataset", {ROOM_AC: room_air_conditioners(rows[ROOM_AC]),
                                                   FRIDGE: refrigerators(rows[FRIDGE])}, 16)
    for set_id, n in rows.items():
        args = ["rank", str(dataset), "--set", set_id, "--date", ON, "--format",
                "json,parquet,md", "-q"]
        if set_id == FRIDGE:
            args += ["--mapping", str(MAPPING)]
        one, _, one_peak = run_command([*args, "-o", str(tmp_path / f"one-{set_id}")])
        dask, _, dask_peak = run_command([*args, "-o", str(tmp_path / f"dask-{set_id}"),
                                          "--dask", "local:2"])
        print(f"\n[perf] {set_id} {n:,} rows, 16 parts: one process {spread([one])}, peak "
              f"{one_peak / 2**30:.1f} GiB; --dask local:2 {spread([dask])}, driver peak "
              f"{dask_peak / 2**30:.1f} GiB → one / dask {one / dask:.2f}")
