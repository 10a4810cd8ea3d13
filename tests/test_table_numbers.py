"""A number written in a table cell is read as Python's `float` reads its text — correctly
rounded, the value the same number has in a declaration — not as pandas' own parser reads it
(an ulp off on some long digit strings)."""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark.population import _numbers

digits = st.text(alphabet="0123456789", min_size=1, max_size=20)
numbers_as_written = st.builds(
    lambda sign, whole, part, exp: f"{sign}{whole}{part}{exp}",
    st.sampled_from(["", "+", "-"]), digits,
    st.one_of(st.just(""), digits.map(lambda d: "." + d)),
    st.one_of(st.just(""), st.integers(-320, 320).map(lambda e: f"E{e}")))


@settings(max_examples=400, derandomize=True, deadline=None)
@given(st.lists(numbers_as_written, min_size=1, max_size=30))
def test_a_cell_is_read_as_float_reads_it(texts):
    for dtype in ("string[pyarrow]", object):
        read = _numbers(pd.Series(texts, dtype=dtype))
        for text, value in zip(texts, read, strict=True):
            expected = float(text)
            assert value == expected or (math.isnan(value) and math.isnan(expected)), text


def test_a_long_digit_string_pandas_reads_an_ulp_off():
    text = "+0253544476E59"  # pd.to_numeric: 2.5354447599999998e+67
    assert pd.to_numeric(pd.Series([text])).iloc[0] != float(text)  # why this test exists
    assert _numbers(pd.Series([text], dtype="string[pyarrow]"))[0] == float(text)


def test_what_is_not_a_plain_number_stays_missing():
    read = _numbers(pd.Series(["", "abc", "1_000", "１", "5,2", " 7 "], dtype="string[pyarrow]"))
    assert [math.isnan(v) for v in read[:5]] == [True] * 5
    assert read[5] == 7.0
