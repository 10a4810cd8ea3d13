"""The engine's faster kernels give what their definitions give: a value's tier against a
place's boundaries by one binary search (the definition: one comparison per boundary), and the
tier boundaries without the tier of every value."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark import thresholds
from benchmark.engine.standing import TOLERANCE, Place

FINITE = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


def tier_by_definition(value: float, bounds: tuple[float, ...], sign: int) -> int:
    """1 + the number of boundaries (best first) the value does not reach within the float
    hair; 0 when it reaches none, or is missing."""
    if math.isnan(value):
        return 0
    short = sum(value * sign < b * sign - TOLERANCE * max(abs(b * sign), 1.0) for b in bounds)
    return short + 1 if short < len(bounds) else 0


def place(bounds: tuple[float, ...], sign: int) -> Place:
    return Place("apf", "s", None, sign, 10, 10, bounds[0] if bounds else math.nan, bounds,
                 math.nan)


@settings(max_examples=300, deadline=None)
@given(st.lists(FINITE, min_size=1, max_size=6), st.sampled_from([1, -1]),
       st.lists(st.one_of(FINITE, st.just(math.nan), st.just(math.inf), st.just(-math.inf)),
                max_size=20), st.booleans())
def test_tier_by_binary_search_equals_one_comparison_per_boundary(bounds, sign, values, sort):
    if sort:  # boundaries best first, as a ranking gives them
        bounds = sorted(bounds, key=lambda b: -b * sign)
    near = [b + d for b in bounds for d in (0.0, 1e-12 * max(abs(b), 1.0), -1e-6)]  # ties
    near += [(b * sign - TOLERANCE * max(abs(b), 1.0)) * sign for b in bounds]  # exactly the need
    values = np.array(values + near, dtype=float)
    got = place(tuple(bounds), sign).tier(values)
    assert got.tolist() == [tier_by_definition(v, tuple(bounds), sign) for v in values]


def test_tier_with_an_unordered_or_missing_boundary_keeps_the_definition():
    values = np.array([5.0, 3.0, 1.0, math.nan])
    for bounds in ((4.0, math.nan, 2.0), (2.0, 4.0, 1.0)):
        got = place(bounds, 1).tier(values)
        assert got.tolist() == [tier_by_definition(v, bounds, 1) for v in values]


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
