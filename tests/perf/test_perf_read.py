"""Reading a table against pyarrow reading it: `population.load_population` of the generated
room-AC CSV (BENCH_ROWS rows) — cells read onto canonical units, identity text, labels, bad rows
found and placed — against `pyarrow.csv.read_csv` of the same file with every column as a
string (the least a reader does: split the file into cells), in the same run, alternately.
Target: load_population ≤ 2× pyarrow's read.

pyarrow's read uses its own memory pool, which keeps the pages of a run for the next;
load_population gives its reading memory back after each chunk (heap.py), so its pages are
fresh in every run. Nothing is asserted about time: the population must have the file's rows.
"""

from __future__ import annotations

import time

import pyarrow as pa
import pyarrow.csv as pa_csv
from conftest import ROWS, RUNS, spread
from room_ac import SET_ID, write_table

from benchmark.catalogue import load_catalogue
from benchmark.population import load_population


def test_load_population_against_pyarrow(tmp_path):
    table = write_table(tmp_path / "room-ac.csv", ROWS)
    catalogue = load_catalogue()
    with table.open(encoding="utf-8") as fh:
        headers = fh.readline().rstrip("\n").split(",")
    strings = pa_csv.ConvertOptions(column_types=dict.fromkeys(headers, pa.string()))
    ours, theirs = [], []
    pop, cells = None, 0
    for _ in range(RUNS):  # alternately: both see the same state of the machine
        start = time.perf_counter()
        cells = pa_csv.read_csv(table, convert_options=strings).num_rows
        theirs.append(time.perf_counter() - start)
        start = time.perf_counter()
        pop = load_population(table, catalogue, SET_ID)
        ours.append(time.perf_counter() - start)
    assert cells == ROWS and pop is not None and pop.rows_read == ROWS
    assert len(pop) + len({p.line for p in pop.excluded}) == ROWS
    print(f"\n[perf] load_population of a {ROWS:,}-row room-AC CSV: {spread(ours)}; pyarrow "
          f"read_csv, every column as string: {spread(theirs)} → load_population / pyarrow "
          f"{min(ours) / min(theirs):.2f} (target ≤ 2)")

