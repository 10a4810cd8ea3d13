"""What the engine and the ranking compute once and share: the tables as written (made once per
ranking, holding identity as the population's own text objects), the small-sample
warning codes (found with the threshold, not re-derived), and why a ranking is not published (a
reason code, put in words in each language, not an English text).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from test_dask import room_air_conditioners

from benchmark import thresholds
from benchmark.catalogue import load_catalogue
from benchmark.engine import assess
from benchmark.engine.explain import _suppressed
from benchmark.leaders import FIELDS, is_positions, rank_population
from benchmark.population import load_population
from benchmark.report.ranking import ranking_result, table_frames

SET = "room-air-conditioner"
ON = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def ranked(tmp_path_factory):
    path = tmp_path_factory.mktemp("once") / "room-ac.csv"
    room_air_conditioners(1000, seed=5).to_csv(path, index=False)
    catalogue = load_catalogue()
    pop = load_population(path, catalogue, SET)
    return rank_population(assess(pop, catalogue, "leader", ON, population="self"))


def test_tables_are_made_once_and_share_the_populations_text(ranked):
    r = ranked
    assert "tables" not in vars(r)  # nothing made before a writer asks
    ranking_result(r, {}, "0" * 64)
    assert "tables" not in vars(r)  # the summary reads the ranking, not the written tables
    frames = table_frames(r)
    assert table_frames(r) is frames and r.tables is frames
    pop = r.assessment.population
    # the ranking and its tables share the population's codes of its distinct texts (no
    # whole-table copy of them, no text object per row)
    codes = pop.fields["enterprise"].codes
    assert np.shares_memory(r.tiers["enterprise"].array.codes, codes)
    assert np.shares_memory(frames["tiers"]["enterprise"].array.codes, codes)
    for name in ("tiers", "composite"):
        frame = frames[name]
        at = np.searchsorted(pop.rows, frame["row"].to_numpy())
        for f in FIELDS:
            if f in frame and f in pop.fields:
                assert list(frame[f]) == list(pop.fields[f][at])
                if not is_positions(frame[f]):  # codes into its texts, or its arrow text
                    assert frame[f].dtype == pop.fields[f].dtype
                    continue
                # the composite's model: positions into the population's own text (not a copy)
                held, text = (_one_array(pa.array(x)) for x in (frame[f].array, pop.fields[f]))
                assert held.indices.to_numpy().tolist() == at.tolist()
                assert held.dictionary.buffers()[2].address == text.buffers()[2].address


def _one_array(arrow):
    return arrow.chunk(0) if isinstance(arrow, pa.ChunkedArray) else arrow


def test_the_table_files_store_the_identity_as_text(ranked, tmp_path):
    """Written a chunk at a time, the identity is stored as text (`large_string`), cell for
    cell the population's."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from benchmark.report.frames import write_parquet
    from benchmark.report.ranking import table_parquet

    pop = ranked.assessment.population
    for name in ("tiers", "composite"):
        frame = table_frames(ranked)[name]
        path = tmp_path / f"{name}.parquet"
        with path.open("wb") as fh:
            table_parquet(frame)(fh)
        with (tmp_path / "small.parquet").open("wb") as fh:
            write_parquet(frame, fh, chunk_rows=97, text=["enterprise", "model"])
        at = np.searchsorted(pop.rows, frame["row"].to_numpy())
        for written in (pq.read_table(path), pq.read_table(tmp_path / "small.parquet")):
            assert written.schema.field("enterprise").type == pa.large_string()
            assert written.column("enterprise").to_pylist() == list(pop.fields["enterprise"][at])


def test_a_pickled_ranking_leaves_the_written_tables_behind(ranked):
    """As a Dask worker sends its segment's ranking back (without the catalogue)."""
    import pickle
    from dataclasses import replace

    sent = replace(ranked, assessment=replace(ranked.assessment, catalogue=None, context=None))
    table_frames(sent)
    again = pickle.loads(pickle.dumps(sent))
    assert "tables" not in vars(again)
    assert table_frames(again)["tiers"].equals(table_frames(ranked)["tiers"])
    # positions into the worker's text are sent as the text of the rows (not all of the text)
    assert is_positions(ranked.composite["model"])
    assert not is_positions(again.composite["model"])
    assert again.composite["model"].tolist() == ranked.composite["model"].tolist()


def test_warning_codes_are_the_thresholds_own(ranked):
    r = ranked
    m = r.method
    for t in r.thresholds.itertuples(index=False):
        found = thresholds.sample_warning_code(int(t.n), m)
        assert t.warning == (found["code"] if found else "")
    listed = {(w["indicator"], w["segment"]): w for w in r.warnings if w["code"] != "saturated"}
    for t in r.thresholds.itertuples(index=False):
        if t.warning:
            w = listed[(t.indicator, t.segment)]
            assert w == {"code": t.warning, "indicator": t.indicator, "segment": t.segment,
                         **{k: v for k, v in thresholds.sample_warning_code(int(t.n), m).items()
                            if k != "code"}}


def test_need_of_each_warning_code():
    topk = thresholds.parse_method("topk:10")
    assert thresholds.sample_warning_code(4, topk) == {"code": "too_few_topk", "n": 4,
                                                       "method": "topk:10", "need": 10}
    assert thresholds.sample_warning_code(15, topk)["need"] == 20  # n ≥ 2k (minimum_sample)
    assert thresholds.sample_warning_code(0, "percentile:5")["need"] == 200


def test_why_a_ranking_is_not_published_in_each_language():
    """The detail of a ranking_place reason: the same words as before in English, Chinese
    words in Chinese (it was the English text in both)."""
    assert _suppressed({"code": "all_equal", "n": 3, "value": 5.2}) == {
        "en": "all 3 values are equal (5.2)", "zh": "全部 3 个值相同（5.2）"}
    assert _suppressed({"code": "too_few_values", "n": 1}) == {
        "en": "fewer than 2 values (1)", "zh": "少于 2 个值（1）"}
    assert _suppressed(None) is None
