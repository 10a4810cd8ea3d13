"""`report.ranking.reason_combinations`, the one kernel that says which combination of reason
codes and parameters each excluded row has (used by the summaries, the tables in words and the
boards): every row's code names a combination holding that row's own texts, and the combinations
are distinct — whatever the columns' kinds (categories, text with missing cells, many distinct
values)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark.report.ranking import reason_combinations

TEXTS = st.sampled_from(["", "gate_failed", "below_mandatory", "gate_failed; below_mandatory",
                         "apf", "eer; apf", "unusable_row", None])


def _text(x: object) -> str:
    return "" if x is None or (isinstance(x, float) and np.isnan(x)) else str(x)


@settings(max_examples=200, deadline=None)
@given(st.data(), st.integers(0, 40), st.lists(st.booleans(), min_size=1, max_size=6))
def test_each_row_code_names_its_own_texts(data, n, categorical):
    values = [data.draw(st.lists(TEXTS, min_size=n, max_size=n)) for _ in categorical]
    columns = [pd.Series(v, dtype="category" if c else object)
               for v, c in zip(values, categorical, strict=True)]
    codes, combos = reason_combinations(columns)
    assert len(codes) == len(values[0])
    assert len(set(combos)) == len(combos)
    for i in range(len(codes)):
        assert combos[codes[i]] == tuple(_text(v[i]) for v in values)
    assert set(combos) == {tuple(_text(v[i]) for v in values) for i in range(len(codes))}


def test_many_distinct_values_do_not_overflow_the_key():
    # six columns of 2,000 distinct texts each: 2,001**6 > 2**62 combination numbers
    n = 2_000
    columns = [pd.Series([f"{k}-{(i * (k + 1)) % n}" for i in range(n)], dtype=object)
               for k in range(6)]
    codes, combos = reason_combinations(columns)
    assert len(combos) == n
    for i in (0, 1, 999, n - 1):
        assert combos[codes[i]] == tuple(c[i] for c in columns)


def test_no_rows():
    codes, combos = reason_combinations([pd.Series([], dtype=object)] * 3)
    assert len(codes) == 0 and combos == []
