"""Memory that scales with the value matrix, not with Python objects per row, and the live
progress of `rank` on a terminal.

A ranked population holds numeric and small-code arrays per row (outcomes, levels, tiers as
int8, the segment and the identity fields that repeat as codes, the model as arrow text), not
Python objects: the only per-row object arrays are the declared yes/no and grade labels. The
compute (assess and rank) of 100,000 rows is measured with tracemalloc against the float64 value
matrix (rows × core quantity indicators); before the boards were built on demand it was about
50× the matrix (one dict per board member), now about 7×.
"""

from __future__ import annotations

import datetime as dt
import tracemalloc
import weakref

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from test_dask import room_air_conditioners

from benchmark.catalogue import load_catalogue
from benchmark.cli import StageProgress, main
from benchmark.engine import FAIL, assess
from benchmark.leaders import FIELDS, PER_ROW_TABLES, for_writing, rank_population
from benchmark.population import load_population
from benchmark.report.ranking import ranking_result

SET = "room-air-conditioner"
ON = dt.date(2026, 11, 23)
ROWS = 100_000
MATRIX_BOUND = 16  # compute peak above the population, in value matrices (measured ≈ 7)


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    path = tmp_path_factory.mktemp("memory") / "room-ac.parquet"
    room_air_conditioners(ROWS, seed=3).to_parquet(path, index=False)
    return path


def _row_arrays(obj, n: int):
    """(name, array) of every numpy array of length `n` among `obj`'s attributes."""
    for name, x in vars(obj).items():
        if isinstance(x, np.ndarray) and len(x) == n:
            yield name, x


def test_assessment_and_ranking_hold_no_per_row_objects(table):
    catalogue = load_catalogue()
    pop = load_population(table, catalogue, SET)
    n = len(pop)
    a = assess(pop, catalogue, "leader", ON, population="self")
    r = rank_population(a)
    objects = [f"{ind.id}.{name}" for ind in a.indicators.values()
               for name, x in _row_arrays(ind, n) if x.dtype == object and name != "label"]
    objects += [name for name, x in _row_arrays(a, n) if x.dtype == object]
    objects += [rid for rid, o in a.outcomes.items() for _, x in _row_arrays(o, n)
                if x.dtype == object]
    assert objects == []
    assert a.segment_code.dtype.itemsize <= 2
    assert all(o.codes.dtype == np.int8 for o in a.outcomes.values())
    tiers = [c for c in r.tiers if c.startswith("tier_")]
    assert tiers and all(r.tiers[c].dtype == np.int8 for c in tiers)
    for name in ("tiers", "composite", "excluded"):
        frame = getattr(r, name)
        text = [c for c in frame if frame[c].dtype == object]
        assert set(text) <= {*FIELDS, "reason"}, (name, text)
    # the boards are built only when asked for: the ranking keeps no per-row arrays for them
    assert r.board_members and not any(isinstance(x, np.ndarray)
                                       for b in r.board_members for x in vars(b).values())
    assert "boards" not in vars(r)
    assert len(r.boards) == sum(int(((r.tiers[f"tier_{b.indicator}"] > 0)
                                     & (a.segment_code == b.code)).sum())
                                for b in r.board_members)


def test_compute_memory_bounded_by_the_value_matrix(table):
    catalogue = load_catalogue()
    pop = load_population(table, catalogue, SET)
    k = sum(1 for i in catalogue.sets[SET].indicators.values()
            if i.cls == "core" and i.kind == "quantity")
    matrix = len(pop) * k * 8
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        a = assess(pop, catalogue, "leader", ON, population="self")
        r = rank_population(a)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(r.tiers) == len(pop)
    assert (peak - before) / matrix <= MATRIX_BOUND


def test_the_per_row_tables_make_no_text_object_per_row(table):
    """The identity of the population and of its per-row tables is never a Python string per
    row: a field that repeats is a code per row into its distinct texts (the tables take the
    population's codes), a field distinct per row (model) arrow text, or in a table positions
    into the population's arrow text (issue 12: 1M rows, three tables, ≈ 100 MB of strings)."""
    catalogue = load_catalogue()
    pop = load_population(table, catalogue, SET)
    r = rank_population(assess(pop, catalogue, "leader", ON, population="self"))
    held = pop.fields
    assert isinstance(held["model"], pd.arrays.ArrowStringArray)
    repeating = [f for f in held if f != "model"]
    assert "enterprise" in repeating
    assert all(isinstance(held[f], pd.Categorical) for f in repeating)
    for name in PER_ROW_TABLES:
        frame = r.tables[name]
        assert len(frame) > 1000, name
        for f in FIELDS:
            assert frame[f].dtype != object, (name, f)
            if f in repeating:  # codes into the population's own texts
                assert frame[f].dtype == held[f].dtype, (name, f)


def test_the_tables_are_written_without_the_assessment(table):
    """What the writers get (`for_writing`) keeps neither the assessment nor the population:
    once the summaries are made, their per-row arrays are let go of before writing."""
    catalogue = load_catalogue()
    pop = load_population(table, catalogue, SET)
    a = assess(pop, catalogue, "leader", ON, population="self")
    r = rank_population(a)
    ranking_result(r, pop.inputs, catalogue.sha256)
    held = weakref.ref(a), weakref.ref(pop)
    tables = for_writing(r)
    del r, a, pop
    assert [ref() for ref in held] == [None, None]
    assert set(tables.tables) >= set(PER_ROW_TABLES)


class _Bar:
    """What StageProgress needs of click's progress bar."""

    def __init__(self) -> None:
        self.current_item = ""
        self.drawn: list[str] = []
        self.steps = 0

    def update(self, n_steps: int, current_item: str = "") -> None:
        self.steps += n_steps
        self.current_item = current_item

    def render_progress(self) -> None:
        self.drawn.append(self.current_item)


def test_progress_shows_rows_per_second_within_a_stage(monkeypatch):
    monkeypatch.setattr(StageProgress, "REDRAW_SECONDS", 0.0)
    bar = _Bar()
    progress = StageProgress(bar, "en")
    progress("reading")
    progress.rows(0)  # nothing done yet: nothing drawn
    progress.rows(200_000)
    progress.rows(400_000)
    assert bar.steps == 1
    assert [d.split(",")[0] for d in bar.drawn] == ["reading 200", "reading 400"]
    assert all(d.endswith(" rows/s") and "000 rows" in d for d in bar.drawn)
    zh = StageProgress(_Bar(), "zh")
    zh("assessing")
    zh.rows(1_000)
    assert zh.bar.drawn[0].startswith("评定 1,000 行，每秒 ")  # the stage in words too
    StageProgress().rows(5)  # without a bar (not a terminal, --quiet): nothing, no error


def test_the_writing_stage_names_each_file_as_it_is_written(tmp_path, monkeypatch):
    import contextlib

    from benchmark import cli

    bar = _Bar()

    @contextlib.contextmanager
    def recorded(label, stages, lang="en"):
        yield StageProgress(bar, lang)

    monkeypatch.setattr(cli, "stage_progress", recorded)
    _rank_1000(tmp_path, "csv,parquet")
    written = [d.split(" ", 1)[1] for d in bar.drawn
               if d.startswith("writing ") and not d.endswith("rows/s")]  # rows: test_writers
    assert {"tiers.csv", "tiers.parquet", "composite.csv"} <= set(written)
    assert sorted(written) == sorted(p.name for p in (tmp_path / "out").iterdir())


def _rank_1000(tmp_path, formats: str):
    """`benchmark rank` of 1,000 generated room ACs into tmp_path/out, in English."""
    path = tmp_path / "room-ac.csv"
    room_air_conditioners(1_000, seed=5).to_csv(path, index=False)
    res = CliRunner().invoke(main, ["rank", str(path), "--set", SET, "--date", ON.isoformat(),
                                    "--format", formats, "-o", str(tmp_path / "out"),
                                    "--lang", "en"])
    assert res.exit_code == 0, res.output
    return res


def test_rank_draws_no_progress_off_a_terminal(tmp_path):
    res = _rank_1000(tmp_path, "csv")
    assert "rows/s" not in res.output and "[####" not in res.output
    assert pd.read_csv(tmp_path / "out" / "tiers.csv", encoding="utf-8-sig").shape[0] > 0


# --- the rank stage's peak (issue 12): whole-table temporaries cut -------------------------------


def test_a_label_indicator_holds_no_float_per_row(table):
    """A yes/no label's value (no row declares it as a number) is one NaN shared by every row,
    not a float64 array of NaN (7.6 MiB at 1M rows); segment positions are int32."""
    from benchmark.engine.standing import segment_positions

    catalogue = load_catalogue()
    pop = load_population(table, catalogue, SET)
    a = assess(pop, catalogue, "leader", ON, population="self")
    labels = [ind for ind in a.indicators.values() if ind.kind == "boolean"]
    assert labels
    for ind in labels:
        assert ind.value.strides == (0,) and np.isnan(ind.value).all()
        assert len(ind.value) == len(pop) and not ind.value.flags.writeable
    positions = segment_positions(a.segment_code)
    assert len(positions) > 1 and all(p.dtype == np.int32 for p in positions.values())
    assert sum(len(p) for p in positions.values()) == len(pop)


def test_top_runner_makes_no_whole_table_temporaries(table, monkeypatch):
    """Top Runner compliance a chunk of rows at a time, the makers coded a chunk at a time (not
    pandas' hash table sized for the whole column): with chunks smaller than the table its peak
    stays within two float64 columns (it was ≈ 8 before)."""
    from benchmark import leaders
    from benchmark.engine.standing import ranked_indicators
    from benchmark.leaders import _top_runner

    monkeypatch.setattr(leaders, "TOP_RUNNER_ROWS", 8192)

    catalogue = load_catalogue()
    pop = load_population(table, catalogue, SET)
    a = assess(pop, catalogue, "leader", ON, population="self")
    r = rank_population(a)
    leader = {(t.indicator, t.segment): t.threshold for t in r.thresholds.itertuples()}
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        top = _top_runner(a, ranked_indicators(a.indicators), leader)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert top is not None and top.equals(r.top_runner) and len(top) > 10
    assert peak - before <= 2 * 8 * len(pop)


def test_makers_coded_in_chunks_as_pandas_codes_them():
    from benchmark.leaders import factorized

    rng = np.random.default_rng(7)
    texts = np.array([f"maker {i}" for i in range(50)] + [None, np.nan], dtype=object)
    for rows in (1, 7, 1000):
        values = texts[rng.integers(0, len(texts), 3000)]
        codes, names = factorized(values, rows=rows)
        expected, uniques = pd.factorize(values)
        assert codes.dtype == np.int32 and (codes == expected).all()
        assert names == list(uniques)


def test_arrow_text_taken_chunk_by_chunk_as_pandas_takes_it():
    """An arrow text field of several chunks taken at positions (ascending or not, -1 for "")
    chunk by chunk, without joining the chunks: the same text as pandas' take."""
    import pyarrow as pa

    from benchmark.leaders import _arrow_rows

    rng = np.random.default_rng(11)
    chunks = [pa.array([f"M-{i}" for i in range(start, start + n)], pa.large_string())
              for start, n in ((0, 5), (5, 7), (12, 1), (13, 9))]
    field = pd.arrays.ArrowStringArray(pa.chunked_array(chunks),
                                       dtype=pd.StringDtype("pyarrow", na_value=np.nan))
    for k in range(200):
        at = rng.integers(-1, len(field), int(rng.integers(0, 40)))
        if k % 2:  # ascending, with "" rows among them (the rows left out)
            at = np.sort(at)
            at[rng.random(len(at)) < 0.3] = -1
        taken = _arrow_rows(field, at)
        expected = field.take(at, allow_fill=True, fill_value="")
        assert taken.dtype == expected.dtype and list(taken) == list(expected), at


def test_the_score_interval_is_worked_out_only_when_asked_for(table):
    """The weighted score's four float64 arrays a row are not held by a ranking (nothing of
    `rank` reads them); asked for, they are the interval the verdict was decided on: a row fails
    the rule exactly where even its highest score is below the pass mark."""
    catalogue = load_catalogue()
    a = assess(load_population(table, catalogue, SET), catalogue, "leader", ON,
               population="self")
    rank_population(a)
    scored = [(rule, a.outcomes[rule.id]) for rule in a.programme.rules
              if rule.kind == "weighted_score"]
    assert scored
    for rule, o in scored:
        assert o.score is not None and "arrays" not in vars(o.score)  # not worked out
        low, high = o.score_low, o.score_high
        assert low is not None and high is not None and (low <= high).all()
        failed = np.isfinite(high) & (high < rule.pass_mark)
        assert (failed == (o.codes == FAIL)).all()
