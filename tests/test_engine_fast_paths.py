"""The engine's faster kernels give what their definitions give: the tier boundaries without
the tier of every value."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark import thresholds

FINITE = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(FINITE, st.just(math.nan)), max_size=40), st.sampled_from([1, -1]),
       st.integers(1, 6), st.one_of(st.none(), FINITE))
def test_tier_bounds_are_the_boundaries_tiers_gives(values, sign, k, floor):
    got = thresholds.tier_bounds(values, sign, k, floor=floor)
    want, _ = thresholds.tiers(values, sign, k, floor=floor)
    np.testing.assert_array_equal(got, want)
    edges = sorted(v for v in values if not math.isnan(v))[:k]
    if len(edges) == k:
        np.testing.assert_array_equal(thresholds.tier_bounds(values, sign, k, edges, floor),
                                      thresholds.tiers(values, sign, k, edges, floor)[0])
