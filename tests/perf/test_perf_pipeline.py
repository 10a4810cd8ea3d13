"""The engine's compute against a polars pipeline a user would write, on the same generated
room-AC file (BENCH_ROWS rows, CSV): the engine's `leaders.rank_file` (read, normalise, assess,
rank: no reports) against polars reading the file and computing the leader threshold, five tiers
and the weighted score per segment (tests/perf/room_ac.py). Target: the engine no slower.

The peer does less: no identity or credit-code checks, no text requirements, units, rules,
TOPSIS, bootstrap or saturation; its tiers are by rank, not the programme's boundaries. Printed
too: how many (indicator, segment) leader thresholds agree with the engine's, and polars' peak
resident memory against the value matrix (the command's is in test_perf_file.py). Nothing is
asserted about time.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from conftest import ROWS, run_polars, spread, timed
from room_ac import SET_ID, core_quantities, indicator_set, polars_pipeline, write_table

from benchmark.catalogue import load_catalogue
from benchmark.leaders import rank_file


def test_engine_compute_against_polars(tmp_path):
    table = write_table(tmp_path / "room-ac.csv", ROWS)
    catalogue = load_catalogue()
    iset = indicator_set()
    ours, r = timed(lambda: rank_file(table, catalogue, SET_ID, "leader", dt.date(2026, 11, 23)))
    theirs, (thresholds, per_row) = timed(lambda: polars_pipeline(table, iset))
    assert len(per_row) > 0 and len(r.composite) > 0
    segment_ids = [s.id for s in iset.segments]
    by_segment = {row["segment"]: row for row in thresholds.to_dicts()}
    agree = total = 0
    for t in r.thresholds.itertuples(index=False):
        if t.segment not in segment_ids or t.basis != "value":
            continue
        total += 1
        theirs_value = by_segment[segment_ids.index(t.segment)][t.indicator]
        sign = iset.indicators[t.indicator].sign
        agree += theirs_value is not None and np.isclose(theirs_value * sign, t.threshold)
    print(f"\n[perf] engine compute (rank_file: read, normalise, assess, rank) {ROWS:,}-row "
          f"room-AC CSV: {spread(ours)}; polars (read, thresholds, tiers, weighted score): "
          f"{spread(theirs)} → engine / polars {min(ours) / min(theirs):.2f} (target ≤ 1); "
          f"leader thresholds equal in {agree} of {total} (indicator, segment) on declared "
          "values (the engine leaves out rows that fail a gate or the mandatory floor)")
    _, base, peak = run_polars(table)
    matrix = ROWS * len(core_quantities(iset)) * 8
    print(f"[perf] polars' peak resident memory (a child process, as the command's in "
          f"test_perf_file.py): {(peak - base) / 2**20:,.0f} MiB above its interpreter = "
          f"{(peak - base) / matrix:.1f}× the float64 value matrix")
