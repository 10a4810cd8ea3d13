"""A column of number cells is read in one arrow cast when every cell is a plain number
(`population._arrow_numbers`), else a distinct cell at a time (`_numbers_of_texts`): the two
must give the same float bits for every cell, and a quantity column the same bad rows and
problems, whichever way it was read."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark import population
from benchmark.population import Column, _arrow_numbers, _Bad, _numbers, _numbers_of_texts

digits = st.text(alphabet="0123456789", min_size=1, max_size=25)
plain = st.builds(
    lambda sign, whole, part, exp: f"{sign}{whole}{part}{exp}",
    st.sampled_from(["", "+", "-"]), st.one_of(digits, st.just("")),
    st.one_of(st.just(""), st.just("."), digits.map(lambda d: "." + d)),
    st.one_of(st.just(""), st.integers(-400, 400).map(lambda e: f"e{e}"),
              st.integers(0, 40).map(lambda e: f"E+{e:02d}")))
odd = st.one_of(
    st.sampled_from(["≥5.20", "5,20", " 5.2", "5.2 ", "1_000", "inf", "-inf", "nan", "NaN",
                     "Infinity", "nan(1)", "+5", "１", "５．２", "1e", ".", "-", "", "0x10",
                     "≤ 3.2 W/W", "5.2 W", "1e400", "-1e400", "1e-400", "4.9E-324", "٣"]),
    st.text(alphabet="0123456789.+-eE _,≥inf５", min_size=1, max_size=8))
cells = st.one_of(plain, st.none())


def _bits(values: np.ndarray) -> list[int]:
    return np.asarray(values, dtype=np.float64).view(np.int64).tolist()


def _read_both(texts: list[str | None]) -> tuple[np.ndarray, np.ndarray]:
    series = pd.Series(texts, dtype="string[pyarrow]")
    return _numbers(series), _numbers_of_texts(series)


@settings(max_examples=500, derandomize=True, deadline=None)
@given(st.lists(cells, min_size=1, max_size=30))
def test_plain_numbers_read_in_one_cast_as_cell_by_cell(texts):
    fast, slow = _read_both(texts)
    assert _bits(fast) == _bits(slow), texts


@settings(max_examples=500, derandomize=True, deadline=None)
@given(st.lists(st.one_of(cells, odd), min_size=1, max_size=30))
def test_odd_cells_read_as_cell_by_cell(texts):
    fast, slow = _read_both(texts)
    assert _bits(fast) == _bits(slow), texts


@pytest.mark.parametrize("texts", [["5.2", "+5", "-0", "1E5", ".5", "5.", None],
                                   ["2600", "3500"], [None, None]])
def test_a_column_of_plain_numbers_is_cast(texts):
    assert _arrow_numbers(pa.array(texts, pa.large_string())) is not None


@pytest.mark.parametrize("text", ["≥5.20", "5,20", " 5.2", "1_000", "inf", "nan", "1e400", ""])
def test_a_column_with_an_odd_cell_is_read_cell_by_cell(text):
    assert _arrow_numbers(pa.array(["5.2", text], pa.large_string())) is None


def _quantities(texts: list[str | None]):
    column = Column("apf [W·h/W·h]", "indicator", "apf", unit="W·h/W·h")
    bad = _Bad()
    series = pd.Series(texts, dtype="string[pyarrow]")
    values = population._quantities(series, None, column, "W·h/W·h", None, bad)
    return _bits(values), [p.tolist() for p in bad.rows], bad.problems


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.lists(st.one_of(cells, odd), min_size=1, max_size=20))
def test_a_quantity_column_has_the_same_bad_rows_either_way(texts):
    fast = _quantities(texts)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(population, "_arrow_numbers", lambda arrow: None)
        slow = _quantities(texts)
    assert fast == slow, texts
