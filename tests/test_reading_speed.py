"""Reading a table faster gives what it gave: the next chunk read while the one given is used
(population._read_ahead), a column's pieces as read encoded together (population._factorize)."""

from __future__ import annotations

import threading

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmark import population
from benchmark.errors import InputError, Problem
from benchmark.population import _factorize, _read_ahead, read_table_chunks


def _source(n: int, started: list[int], closed: threading.Event, fail_at: int | None = None):
    try:
        for k in range(n):
            started.append(k)
            if k == fail_at:
                raise InputError(Problem("table_syntax", f"chunk {k}"))
            yield k
    finally:
        closed.set()


def test_chunks_come_in_order_and_at_most_one_is_read_ahead():
    started: list[int] = []
    closed = threading.Event()
    seen = []
    for chunk in _read_ahead(_source(20, started, closed)):
        # the chunk given, and at most the one after it begun
        assert len(started) <= chunk + 2
        seen.append(chunk)
    assert seen == list(range(20))
    assert closed.wait(30)


def test_an_error_of_the_reader_reaches_the_caller_after_the_chunks_before_it():
    started: list[int] = []
    closed = threading.Event()
    seen = []
    with pytest.raises(InputError) as info:
        for chunk in _read_ahead(_source(10, started, closed, fail_at=4)):
            seen.append(chunk)
    assert seen == [0, 1, 2, 3]
    assert info.value.problems[0].message == "chunk 4"


def test_a_caller_stopping_early_closes_the_reader():
    started: list[int] = []
    closed = threading.Event()
    chunks = _read_ahead(_source(1000, started, closed))
    assert next(chunks) == 0
    chunks.close()
    assert closed.wait(30)
    assert len(started) <= 2


def test_a_table_read_ahead_in_chunks_equals_the_table_read_whole(tmp_path, monkeypatch):
    lines = ["enterprise,apf [W·h/W·h],model"]
    lines += [f"E{k % 7}, {5 + k / 100:.2f},M-{k:04d}" for k in range(1000)]
    path = tmp_path / "t.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    whole, _ = population.read_table(path)
    monkeypatch.setattr(population, "CHUNK_ROWS", 64)
    chunks, digest = read_table_chunks(path)
    parts = list(chunks)
    assert len(parts) == 16
    assert [len(p) for p in parts] == [64] * 15 + [40]
    joined = [row for p in parts for row in p.itertuples(index=False)]
    assert joined == list(whole.itertuples(index=False))
    assert digest.result() == population._file_sha256(path).result()


def _readers_alive() -> list[threading.Thread]:
    alive = [t for t in threading.enumerate() if t.name == "read-ahead"]
    for t in alive:
        t.join(30)
    return [t for t in alive if t.is_alive()]


@pytest.mark.parametrize("stop", ["too_many_rows", "column_refused"])
def test_a_reading_stopped_by_a_problem_closes_its_reader(tmp_path, monkeypatch, stop):
    """The problem is held (as a caller or a Dask task result holds it, with its traceback):
    the reader thread and its source are closed all the same."""
    from benchmark.catalogue import load_catalogue
    from benchmark.leaders import load_population

    lines = ["enterprise,apf [kg],model"]  # a unit of the wrong dimension: refused at its header
    lines += [f"E{k % 7},{5 + k / 100:.2f},M-{k:04d}" for k in range(1000)]
    path = tmp_path / "t.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(population, "CHUNK_ROWS", 64)
    assert not _readers_alive()
    with pytest.raises(InputError) as held:
        if stop == "too_many_rows":
            monkeypatch.setenv("BENCHMARK_MAX_TABLE_ROWS", "200")
            chunks, _ = read_table_chunks(path)
            for _chunk in chunks:
                pass
        else:
            load_population(path, load_catalogue(), "room-air-conditioner")
    assert held.value.problems
    assert not _readers_alive()


_CELLS = st.lists(st.one_of(st.none(), st.sampled_from(["", "a", "b", " a", "5.20", "甲"]),
                            st.text(max_size=4)), max_size=12)


@given(st.lists(_CELLS, max_size=5))
def test_a_column_in_pieces_is_encoded_as_the_column_joined(pieces):
    """The codes and distinct cells of a column of arrow strings read in pieces (a chunk of a
    table is several batches of pyarrow's reader) are those of the same cells in one piece."""
    text = pd.StringDtype("pyarrow", na_value=float("nan"))
    chunked = pa.chunked_array([pa.array(p, pa.large_string()) for p in pieces],
                               pa.large_string())
    in_pieces = pd.Series(pd.arrays.ArrowStringArray(chunked, dtype=text))
    joined = pd.Series(pd.arrays.ArrowStringArray(
        pa.chunked_array([chunked.combine_chunks()]), dtype=text))
    codes, uniques = _factorize(in_pieces)
    codes_joined, uniques_joined = _factorize(joined)
    assert codes.tolist() == codes_joined.tolist()
    assert uniques.to_pylist() == uniques_joined.to_pylist()
    cells = [c for p in pieces for c in p]
    assert [None if k < 0 else uniques[k].as_py() for k in codes] == cells
