"""Assessing and ranking with fewer whole-array passes gives what the plain formulations give:
the distinct values of a coded text field, …"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmark.engine.rules import distinct_values

TEXTS = ["GB 1;GB 2", "", "GB 3", "GB 1;GB 2", None, "GB 3", "", None]


@pytest.mark.parametrize("missing", [False, True])
def test_a_coded_fields_distinct_values_are_those_of_its_texts(missing):
    texts = [t for t in TEXTS if missing or t is not None]
    coded = pd.Categorical(texts)
    codes, uniques = distinct_values(coded)
    want_codes, want = pd.factorize(np.asarray(coded, dtype=object), use_na_sentinel=False)
    # the same value per row (missing as the object it reads as), up to the order of the values
    got = [uniques[c] for c in codes]
    expected = [want[c] for c in want_codes]
    assert [str(x) for x in got] == [str(x) for x in expected]
    assert len(uniques) == len(set(map(str, uniques)))


def test_distinct_values_of_text_objects_are_pandas_factorize():
    values = np.array(TEXTS, dtype=object)
    codes, uniques = distinct_values(values)
    want_codes, want = pd.factorize(values, use_na_sentinel=False)
    np.testing.assert_array_equal(codes, want_codes)
    assert [str(u) for u in uniques] == [str(u) for u in want]
