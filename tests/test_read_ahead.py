"""Reading the next chunk of a table while the one given is used (population._read_ahead)."""

from __future__ import annotations

import threading

import pytest

from benchmark import population
from benchmark.errors import InputError, Problem
from benchmark.population import _read_ahead, read_table_chunks


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
