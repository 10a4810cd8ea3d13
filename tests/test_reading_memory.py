"""A table read in chunks: held about once while it is read (each chunk's population dropped
once its rows are copied into the whole table's, `population._Joined`), and the same population
as the table read whole, or as its chunks' populations joined by numpy, pandas and pyarrow."""

from __future__ import annotations

import datetime as dt
import weakref

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from test_dask import room_air_conditioners

from benchmark import population as reading
from benchmark.catalogue import load_catalogue
from benchmark.population import Population, load_population

SET_ID = "room-air-conditioner"
ROWS = 2_000
CHUNK = 300  # rows of a chunk in these tests: 7 chunks


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="module", params=["csv", "parquet"])
def table(request, tmp_path_factory):
    frame = room_air_conditioners(ROWS, 3)
    path = tmp_path_factory.mktemp("reading") / f"ac.{request.param}"
    if request.param == "parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


def _arrays(pop: Population) -> dict:
    return dict(reading._row_arrays(pop))


def _same_rows(a, b) -> None:
    """The same values in the same rows, of the same kind and dtype (a Categorical's categories
    may be in another order: the table's distinct texts are met chunk by chunk)."""
    assert type(a) is type(b)
    if isinstance(a, pd.Categorical):
        assert set(a.categories) == set(b.categories)
        assert a.codes.dtype == b.codes.dtype
        assert np.asarray(a, dtype=object).tolist() == np.asarray(b, dtype=object).tolist()
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype
        if a.dtype.kind == "f":
            np.testing.assert_array_equal(a, b)
        else:
            assert a.tolist() == b.tolist()
    else:  # arrow strings
        assert a.dtype == b.dtype
        assert pa.array(a).type == pa.array(b).type
        assert a.tolist() == b.tolist()


def _joined_as_before(parts: list[Population]) -> dict:
    """The parts' per-row arrays joined by np.concatenate, union_categoricals and
    pa.concat_arrays (one chunk), as the join is meant to make them."""
    out = {}
    for path, first in reading._row_arrays(parts[0]):
        arrays = [dict(reading._row_arrays(p))[path] for p in parts]
        if isinstance(first, pd.Categorical):
            out[path] = pd.api.types.union_categoricals(arrays)
        elif isinstance(first, np.ndarray):
            out[path] = np.concatenate(arrays)
        else:
            joined = pa.concat_arrays([c for a in arrays
                                       for c in reading.arrow_chunks(pa.array(a))])
            out[path] = pd.arrays.ArrowStringArray(joined, dtype=first.dtype)
    return out


def _read(table, catalogue, monkeypatch, chunk_rows: int, keep_text: bool = False,
          parts: list | None = None, **spies) -> Population:
    monkeypatch.setattr(reading, "CHUNK_ROWS", chunk_rows)
    if parts is not None:
        made = reading.population_from_frame

        def kept(*args, **kwargs):
            part = made(*args, **kwargs)
            parts.append(part)
            return part

        monkeypatch.setattr(reading, "population_from_frame", kept)
    for name, spy in spies.items():
        monkeypatch.setattr(reading, name, spy)
    return load_population(table, catalogue, SET_ID, keep_text=keep_text)


@pytest.mark.parametrize("keep_text", [False, True])
def test_a_table_read_in_chunks_is_the_table_read_whole(table, catalogue, monkeypatch,
                                                        keep_text):
    whole = _read(table, catalogue, monkeypatch, 10 * ROWS, keep_text)
    chunked = _read(table, catalogue, monkeypatch, CHUNK, keep_text)
    assert whole.excluded, "the table has rows that cannot be used"
    assert chunked.excluded == whole.excluded  # every problem, at its row, column and line
    assert chunked.warnings == whole.warnings
    assert (chunked.rows_read, chunked.header_line, len(chunked)) == (ROWS, 1, len(whole))
    a, b = _arrays(chunked), _arrays(whole)
    assert a.keys() == b.keys()
    for path in b:
        _same_rows(a[path], b[path])


def test_the_chunks_are_joined_as_numpy_pandas_and_pyarrow_join_them(table, catalogue,
                                                                    monkeypatch):
    parts: list[Population] = []
    pop = _read(table, catalogue, monkeypatch, CHUNK, parts=parts)
    assert len(parts) == -(-ROWS // CHUNK)
    expected = _joined_as_before(parts)
    got = _arrays(pop)
    assert got.keys() == expected.keys()
    for path, want in expected.items():
        _same_rows(got[path], want)
        if isinstance(want, pd.Categorical):  # the categories in the order they were met
            assert got[path].categories.tolist() == want.categories.tolist()
            assert got[path].codes.tolist() == want.codes.tolist()
    assert pop.excluded == [p for part in parts for p in part.excluded]


def test_a_table_longer_than_expected_is_read_whole(table, catalogue, monkeypatch):
    whole = _read(table, catalogue, monkeypatch, 10 * ROWS)
    short = _read(table, catalogue, monkeypatch, CHUNK, _rows_expected=lambda *a: 1)
    assert short.excluded == whole.excluded
    for path, array in _arrays(whole).items():
        _same_rows(_arrays(short)[path], array)


def test_a_chunk_is_read_once_the_populations_of_those_before_are_dropped(table, catalogue,
                                                                         monkeypatch):
    """Reading holds the population about once: when a chunk is read, no population of an
    earlier chunk holds its arrays any more (their rows are in the whole table's buffers), but
    the first one's while the second is read (a table of one chunk is not copied)."""
    made = reading.population_from_frame
    earlier: list[list[weakref.ref]] = []
    alive: list[int] = []

    def watched(*args, **kwargs):
        alive.append(sum(any(ref() is not None for ref in refs) for refs in earlier))
        part = made(*args, **kwargs)
        earlier.append([weakref.ref(v) for v in (*part.values.values(), part.rows)])
        return part

    pop = _read(table, catalogue, monkeypatch, CHUNK, population_from_frame=watched)
    assert len(alive) == -(-ROWS // CHUNK) and len(pop) > 0
    assert alive == [0, 1] + [0] * (len(alive) - 2)


def _part(rows: list[int], codes: list[str], model: pa.Array, shipped: np.ndarray,
          pointer: str) -> Population:
    n = len(rows)
    problem = reading.Problem("value_type", "x", pointer=pointer)
    return Population(path="t", sha256="", category="c", rows=np.array(rows, dtype=np.int32),
                      fields={"enterprise": pd.Categorical(codes),
                              "model": pd.arrays.ArrowStringArray(
                                  model, dtype=pd.StringDtype("pyarrow", na_value=np.nan))},
                      parameters={}, values={"apf": np.arange(n, dtype=float)}, labels={},
                      columns=[], excluded=[problem], shipments=shipped,
                      intervals={"v": (np.zeros(n), np.ones(n))}, rows_read=rows[-1])


def test_pieces_joined_as_numpy_pandas_and_pyarrow_join_them():
    """Categories past the 127 of int8 codes, arrow strings missing or sliced, numbers of
    two dtypes: each array as its parts joined by numpy, pandas or pyarrow."""
    texts = pa.array(["a", None, "ccc", "dd", "e"], pa.large_string())
    parts = [
        _part([1, 2, 3], ["x", "y", "x"], texts.slice(0, 3), np.ones(3), "/1"),
        _part([5, 6], [f"n{k}" for k in range(2)], texts.slice(3, 2), np.arange(2), "/5"),
        _part(list(range(7, 207)), [f"n{k}" for k in range(200)],
              pa.array([f"m{k}" for k in range(200)], pa.large_string()),
              np.arange(200, dtype=np.int64), "/7"),
    ]
    expected = _joined_as_before(parts)
    pop = reading._concatenate(parts, keep=True)
    got = _arrays(pop)
    for path, want in expected.items():
        _same_rows(got[path], want)
    assert got[("fields", "enterprise")].categories.tolist() == \
        expected[("fields", "enterprise")].categories.tolist()
    assert got[("fields", "enterprise")].codes.dtype == np.int16
    assert len(reading.arrow_chunks(pa.array(got[("fields", "model")]))) == 1
    assert [p.pointer for p in pop.excluded] == ["/1", "/5", "/7"]
    assert pop.rows_read == 206 and parts[0].rows.tolist() == [1, 2, 3]  # the parts kept
    order = np.arange(len(pop))[::-1]
    taken = reading._concatenate(parts, order, keep=True)
    for path, array in _arrays(taken).items():
        _same_rows(array, expected[path][order])


def test_pieces_sent_between_processes_join_into_arrays_numpy_takes_as_they_are(table,
                                                                                 catalogue):
    """Pieces unpickled (as a Dask worker receives them) join into arrays of numpy's own
    dtypes: `np.asarray(values, dtype=float)`, which the assessment does, gives the joined
    array itself, not a view of it (the assessment's values are the population's own)."""
    import pickle

    from benchmark.engine.assess import assess

    pop = load_population(table, catalogue, "room-air-conditioner")
    half = len(pop) // 2
    pieces = [pickle.loads(pickle.dumps(reading._concatenate([pop], np.arange(a, b))))
              for a, b in ((0, half), (half, len(pop)))]
    joined = reading._concatenate(pieces)
    for values in joined.values.values():
        assert np.asarray(values, dtype=float) is values
    a = assess(joined, catalogue, "leader", dt.date(2026, 11, 23))
    assert all(a.indicators[k].value is v for k, v in joined.values.items())


def test_pieces_taken_in_row_order_are_held_about_once(table, catalogue):
    """Pieces joined in another row order (the Dask driver joining the segments' rows,
    `order`): the list of pieces is used up, each piece let go of once copied and each array
    once taken in order, so that the join's peak above the pieces is about the rows once — not
    the pieces, their join and the join reordered (numpy's memory, traced)."""
    import tracemalloc

    from benchmark.distributed import _rows_of

    whole = reading._concatenate([load_population(table, catalogue, SET_ID)] * 50)
    whole.rows = np.arange(len(whole), dtype=whole.rows.dtype)  # the 50 copies numbered on
    segment = np.arange(len(whole)) % 4  # rows of four segments, interleaved as a table's are
    pieces = [_rows_of(whole, np.flatnonzero(segment == k)) for k in range(4)]
    expected = _arrays(whole)
    del whole

    def numpy_bytes(pop: Population) -> int:
        return sum(a.nbytes if isinstance(a, np.ndarray) else a.codes.nbytes
                   for a in _arrays(pop).values() if isinstance(a, (np.ndarray, pd.Categorical)))

    held = sum(numpy_bytes(p) for p in pieces)
    order = np.argsort(np.concatenate([p.rows for p in pieces]), kind="stable")
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        joined = reading._concatenate(pieces, order)
        peak = tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()
    assert held > 5e6 and peak < 2 * held, (peak, held)  # held twice or more: not used up
    assert pieces == []
    for path, array in _arrays(joined).items():
        _same_rows(array, expected[path])
