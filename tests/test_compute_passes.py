"""Assessing and ranking with fewer whole-array passes gives what the plain formulations give:
the distinct values of a coded text field; a threshold, its bootstrap interval and the tier
boundaries read from the goodness sorted once (the same order statistics as a partition each);
saturation counted; GB/T 8170 rounding without np.mod, to the last bit."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark import ranking, thresholds
from benchmark.engine import compare
from benchmark.engine.rules import distinct_values
from benchmark.engine.standing import Place, segment_positions

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


# --- thresholds read from the goodness sorted once ------------------------------------------

VALUES = st.lists(st.one_of(st.floats(-50, 50, allow_nan=False).map(lambda x: round(x, 1)),
                            st.just(math.nan)), max_size=300)


def _old_bootstrap_ci(values, sign, p, n_resamples, confidence, seed):
    """bootstrap_ci as a partition of the window (the formulation before one sort)."""
    s = np.asarray(values, dtype=float).ravel() * sign
    s = s[~np.isnan(s)]
    n = s.size
    if n == 0:
        return math.nan, math.nan
    lo, cdf = thresholds._resampled_position_cdf(n, thresholds._position(n, p))
    hi = lo + cdf.size
    u = np.random.default_rng(seed).random(n_resamples)
    drawn = np.minimum(np.searchsorted(cdf, u), cdf.size - 1)
    s = np.partition(s, [lo, hi - 1])
    resampled = np.sort(s[lo:hi])[drawn] * sign
    alpha = (1.0 - confidence) / 2.0
    return (float(np.quantile(resampled, alpha, method="lower")),
            float(np.quantile(resampled, 1.0 - alpha, method="higher")))


@settings(max_examples=300, deadline=None)
@given(VALUES, st.sampled_from([1, -1]), st.sampled_from([0.5, 5.0, 10.0, 33.3, 50.0, 100.0]),
       st.integers(0, 3))
def test_a_percentile_and_its_interval_are_numpys_quantile_and_the_partitioned_window(
        values, sign, p, seed):
    s = np.asarray(values, dtype=float) * sign
    s = s[~np.isnan(s)]
    want = float(np.quantile(s, 1.0 - p / 100.0, method="higher")) * sign if s.size else math.nan
    got = thresholds.percentile(values, sign, p)
    assert (math.isnan(got) and math.isnan(want)) or got == want
    ci = thresholds.bootstrap_ci(values, sign, p, 200, 0.9, seed)
    old = _old_bootstrap_ci(values, sign, p, 200, 0.9, seed)
    np.testing.assert_array_equal(ci, old)
    res = thresholds.threshold(values, sign, f"percentile:{p}", seed, n_resamples=200,
                               confidence=0.9)
    np.testing.assert_array_equal([res.value, res.ci_low, res.ci_high], [want, *old])


@settings(max_examples=300, deadline=None)
@given(VALUES, st.sampled_from([1, -1]), st.integers(1, 7),
       st.one_of(st.none(), st.floats(-60, 60, allow_nan=False).map(lambda x: round(x, 1))))
def test_tier_bounds_from_one_sort_are_the_quantiles_of_the_eligible_values(values, sign, k,
                                                                            floor):
    s = np.asarray(values, dtype=float) * sign
    pool = s[~np.isnan(s) & (True if floor is None else s >= floor * sign)]
    want = (np.quantile(pool, 1.0 - np.arange(1, k + 1) / k, method="higher") if pool.size
            else np.full(k, math.nan))
    if floor is not None and pool.size:
        want[-1] = floor * sign
    np.testing.assert_array_equal(thresholds.tier_bounds(values, sign, k, floor=floor),
                                  want * sign)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.floats(-5, 5, allow_nan=False), st.just(math.nan)),
                          st.booleans()), max_size=60), st.sampled_from([0.0, 0.3, 0.5, 1.0]))
def test_saturation_counted_is_the_share_of_the_classes_in_the_top(pairs, limit):
    values = np.array([v for v, _ in pairs], dtype=float)
    top = np.array([t for _, t in pairs], dtype=bool)
    classes = np.where(~np.isnan(values), np.where(top, 1, 2), 0)  # the classes it once made
    got, want = ranking.saturation(values, top, limit), ranking.share_in_top(classes, 1, limit)
    assert got[1] == want[1]
    assert (math.isnan(got[0]) and math.isnan(want[0])) or got[0] == want[0]


def _old_round_half_even(x, digits):
    """compare.round_half_even as it was written with np.mod (the formulation before)."""
    x = np.asarray(x, dtype=float)
    scale = 10.0 ** digits
    y = x * scale
    floor = np.floor(y)
    frac = y - floor
    half = np.abs(frac - 0.5) <= 1e-9 * np.maximum(1.0, np.abs(y))
    even_up = np.where(np.mod(floor, 2) == 0, floor, floor + 1)
    return np.where(half, even_up, np.round(y)) / scale


EDGES = [0.25, 0.35, -0.25, -2.5, 2.5, math.nan, math.inf, -math.inf, 1e300, -0.0, 0.0, 85.25,
         2.675, 5e15 + 0.5, 0.45, -0.45, 1.05, -1e-320, 1e8 + 0.5, -3.5]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("digits", [-1, 0, 1, 2, 3])
def test_round_half_even_without_mod_is_the_formulation_with_it_to_the_last_bit(digits):
    rng = np.random.default_rng(digits + 1)
    for x in (np.array(EDGES), np.round(rng.normal(4, 0.5, 5000), 3),
              rng.normal(0, 1e6, 5000), np.round(rng.normal(0, 50, 5000), digits + 1)):
        np.testing.assert_array_equal(compare.round_half_even(x, digits).view(np.int64),
                                      _old_round_half_even(x, digits).view(np.int64))
    for v in EDGES:  # a single value: the same type and bits
        got, want = compare.round_half_even(v, digits), _old_round_half_even(v, digits)
        assert type(got) is type(want) and np.asarray(got).tobytes() == np.asarray(want).tobytes()


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 300), st.integers(0, 2**31), st.sampled_from([1, -1]),
       st.sampled_from([3, 1000, 2**40, 2**60]))
def test_whole_tie_breakers_rank_as_their_float_values(n, seed, sign, spread):
    """Whole-number tie-breakers kept whole (places counted) rank as the float keys did."""
    rng = np.random.default_rng(seed)
    primary = np.round(rng.normal(0, 1, n), 1)
    primary[rng.random(n) < 0.1] = np.nan
    whole = rng.integers(-spread, spread, n)
    got = ranking.competition_rank([primary, whole], [1, sign])
    want = ranking.competition_rank([primary, whole.astype(float)], [1, sign])
    np.testing.assert_array_equal(got, want)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.floats(-5, 5, allow_nan=False).map(lambda x: round(x, 1)),
                          st.just(math.nan)), min_size=1, max_size=80),
       st.sampled_from([1, -1]), st.integers(1, 6))
def test_a_places_tiers_of_values_all_present_are_those_of_each_value_alone(values, sign, k):
    """Tiers of values none of which is missing (the rows ranked, not copied) are the tiers each
    value has among values some of which are missing."""
    present = np.array([v for v in values if not math.isnan(v)])
    if len(present) < 2 or present.min() == present.max():
        return
    bounds = tuple(float(b) for b in thresholds.tier_bounds(present, sign, k))
    place = Place("x", "", None, sign, len(present), len(present), bounds[0], bounds, math.nan)
    with_missing = place.tier(np.array(values, dtype=float))
    got = place.tier(present)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, with_missing[~np.isnan(np.array(values, dtype=float))])
    assert (with_missing[np.isnan(np.array(values, dtype=float))] == 0).all()


@pytest.mark.parametrize("seed", range(5))
def test_segment_positions_are_each_codes_rows_ascending(seed):
    rng = np.random.default_rng(seed)
    codes = rng.integers(-1, rng.integers(1, 9), rng.integers(1, 2000)).astype(np.int16)
    got = segment_positions(codes)
    assert list(got) == sorted(int(c) for c in np.unique(codes))
    for code, rows in got.items():
        np.testing.assert_array_equal(rows, np.flatnonzero(codes == code))
    assert segment_positions(np.array([], dtype=np.int16)) == {}
