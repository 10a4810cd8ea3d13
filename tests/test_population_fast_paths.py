"""The fast paths of reading a population's cells give what the general path gives: the
plain-text check done by pyarrow (no regular expression), an arrow identity column kept as it
is when every cell is already clean, and the problems of excluded rows placed in one pass."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark.errors import Problem
from benchmark.population import (
    _clean,
    _identity_field,
    _placed,
    _plain_ascii,
    identity_text,
)

# cells an export may hold: ASCII, spaces and tabs, control characters, DEL, full-width and
# Chinese text, a no-break space, a combining accent (NFC changes it)
CELL = st.lists(st.sampled_from([*"aZ09-/. _\t\n\r\x0b\x0c\x00\x1f\x7f", "\u3000", "１", "型",
                                 "\u00a0", "e\u0301", "é"]), max_size=8).map("".join)
TRICKY = [" KFR-26", "KFR-26 ", "KFR\t26", "\tKFR", "KFR\x7f", "KFR\x00", "", " ", "１２",
          "型号", "e\u0301", "KFR-26GW/EX35", "a b", "\u3000KFR", "KFR\u00a0"]


def arrow_column(cells: list[str | None]) -> pd.Series:
    return pd.Series(pd.array(cells, dtype=pd.StringDtype("pyarrow", na_value=np.nan)))


@settings(max_examples=300, deadline=None)
@given(st.lists(CELL, max_size=12))
def test_plain_ascii_is_a_text_cleaning_leaves_alone(cells):
    found = _plain_ascii(pa.array(cells + TRICKY, pa.large_string())).to_pylist()
    for text, plain in zip(cells + TRICKY, found, strict=True):
        # ASCII, printable (no control character) and no outer space: what cleaning keeps
        assert plain == (text.isascii() and text.isprintable() and text == text.strip())
        if plain:
            assert _clean(text) == text


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), CELL), max_size=12), st.booleans())
def test_model_column_read_fast_equals_each_distinct_cell_cleaned(cells, only_plain):
    if only_plain:  # every cell clean: the fast path keeps the cells themselves
        cells = [c for c in cells if c is None or _plain_ascii(pa.array([c])).to_pylist()[0]]
    series = arrow_column(cells)
    fast = _identity_field(series, "model")
    assert isinstance(fast, pd.arrays.ArrowStringArray)
    assert list(fast) == list(identity_text(series))  # "" where a cell is empty


def test_model_column_with_tricky_cells_is_cleaned_as_before():
    series = arrow_column([*TRICKY, None])
    assert list(_identity_field(series, "model")) == list(identity_text(series))
    assert list(_identity_field(series, "model"))[:5] == ["KFR-26", "KFR-26", "KFR\t26", "KFR",
                                                          "KFR\\x7f"]


def test_excluded_rows_placed_in_one_pass_equal_problem_at():
    rows = np.array([3, 1, 7])
    fresh = Problem("value_type", "'x' is not a number", hint="a number")
    located = Problem("credit_code_checksum", "bad check digit", file="other.csv",
                      pointer="/9/code", line=4, severity="warning")
    for problem in (fresh, located):
        expected = [problem.at("table.csv", f"/{r}/apf [W/W]", r + 2) for r in rows.tolist()]
        placed = _placed(problem, "table.csv", "apf [W/W]", rows, 2)
        assert placed == expected
        assert [list(p.as_dict().items()) for p in placed] == \
            [list(p.as_dict().items()) for p in expected]  # the JSON's keys in the same order
        assert [hash(p) for p in placed] == [hash(p) for p in expected]


def test_credit_code_cells_that_read_alike_are_checked_once(tmp_path, monkeypatch):
    from benchmark import population
    from benchmark.catalogue import load_catalogue

    example = Path(__file__).resolve().parents[1] / "examples" / "populations" / \
        "room-air-conditioners.csv"
    frame = pd.read_csv(example, dtype=str, keep_default_na=False)
    wrong = frame.loc[0, "统一社会信用代码"][:-1] + "0"  # a check digit that does not fit
    frame.loc[[0, 2], "统一社会信用代码"] = [wrong, wrong + "\u3000"]  # the same text once cleaned
    path = tmp_path / "ac.csv"
    frame.to_csv(path, index=False)
    checked: list[str] = []
    real = population.check_credit_code
    monkeypatch.setattr(population, "check_credit_code",
                        lambda code: checked.append(code) or real(code))
    pop = population.load_population(path, load_catalogue(), "room-air-conditioner")
    assert checked.count(wrong) == 1 and len(checked) == len(set(checked))
    found = [(p.line, p.code) for p in pop.excluded if p.pointer.endswith("/credit_code")]
    assert found and [line for line, _ in found] == sorted(line for line, _ in found)
    assert {line for line, _ in found} == {2, 4}  # rows 1 and 3 of the file (header: line 1)
    assert 1 not in pop.rows and 3 not in pop.rows
