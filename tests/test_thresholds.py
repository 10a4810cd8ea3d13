"""Tests of benchmark.thresholds: hand-computed thresholds, tiers with a floor, the seeded
bootstrap, method parsing, small-sample warnings, and properties (mirror, shuffle, improvement)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark.errors import InputError
from benchmark.thresholds import (
    ThresholdMethod,
    _position,
    _resampled_position_cdf,
    bootstrap_ci,
    minimum_sample,
    parse_method,
    percentile,
    sample_warning,
    threshold,
    tiers,
    top_k,
    top_runner,
)

ONE_TO_20 = np.arange(1.0, 21.0)


# --- percentile ------------------------------------------------------------------------------
# numpy "higher" on the goodness: position ceil((1 − p/100)·(n − 1)) of the sorted goodness.

def test_percentile_one_to_twenty_higher_is_better():
    assert percentile(ONE_TO_20, +1, 5) == 20.0    # 0.95·19 = 18.05 → position 19 → 20
    assert percentile(ONE_TO_20, +1, 10) == 19.0   # 0.90·19 = 17.1 → position 18 → 19
    assert percentile(ONE_TO_20, +1, 50) == 11.0   # 0.50·19 = 9.5 → position 10 → 11
    assert percentile(ONE_TO_20, +1, 100) == 1.0   # everyone reaches the worst value


def test_percentile_one_to_twenty_lower_is_better():
    assert percentile(ONE_TO_20, -1, 5) == 1.0
    assert percentile(ONE_TO_20, -1, 10) == 2.0
    assert percentile(ONE_TO_20, -1, 50) == 10.0


def test_percentile_is_a_declared_value_stricter_than_linear():
    x = np.array([1.0, 2.0, 4.0, 8.0])
    assert percentile(x, +1, 40) == 4.0  # linear would give 0.6·3 = 1.8 → 2 + 0.8·2 = 3.6


def test_percentile_ignores_nan_and_empty_is_nan():
    assert percentile(np.append(ONE_TO_20, [np.nan, np.nan]), +1, 10) == 19.0
    assert math.isnan(percentile([np.nan], +1, 5))
    with pytest.raises(ValueError):
        percentile(ONE_TO_20, +1, 0)
    with pytest.raises(ValueError):
        percentile(ONE_TO_20, 0, 5)


# --- top-k and Top Runner ------------------------------------------------------------------------

def test_top_k():
    assert top_k(ONE_TO_20, +1, 3) == 18.0
    assert top_k(ONE_TO_20, -1, 3) == 3.0
    assert top_k(ONE_TO_20, +1, 20) == 1.0
    assert math.isnan(top_k(ONE_TO_20, +1, 21))


def test_top_k_includes_ties_at_the_kth_value():
    x = np.array([10.0, 9.0, 9.0, 9.0, 5.0, np.nan])
    t = top_k(x, +1, 2)
    assert t == 9.0
    assert np.count_nonzero(x >= t) == 4  # the three 9s all reach it


def test_top_runner():
    assert top_runner(ONE_TO_20, +1, 0.03) == pytest.approx(20.6)
    assert top_runner(ONE_TO_20, -1, 0.03) == pytest.approx(0.97)
    assert top_runner([np.nan, 4.0], +1, 0.0) == 4.0
    assert math.isnan(top_runner([np.nan], +1, 0.1))


# --- tiers -----------------------------------------------------------------------------------

def test_tiers_by_quantiles_one_to_twenty():
    bounds, tier = tiers(ONE_TO_20, +1, 4)
    # tier t: percentile 25·t → positions ceil(14.25), ceil(9.5), ceil(4.75), 0 → 16, 11, 6, 1
    assert bounds.tolist() == [16.0, 11.0, 6.0, 1.0]
    assert tier.tolist() == [4] * 5 + [3] * 5 + [2] * 5 + [1] * 5


def test_tiers_with_floor_higher_is_better():
    bounds, tier = tiers(ONE_TO_20, +1, 4, floor=6)
    # eligible 6..20 (15 values): positions ceil(10.5), 7, ceil(3.5) → 17, 13, 10; lowest = floor
    assert bounds.tolist() == [17.0, 13.0, 10.0, 6.0]
    assert tier.tolist() == [0] * 5 + [4] * 4 + [3] * 3 + [2] * 4 + [1] * 4


def test_tiers_with_floor_lower_is_better():
    bounds, tier = tiers(ONE_TO_20, -1, 4, floor=15)
    # eligible 1..15, goodness −15..−1: positions 11, 7, 4 → 4, 8, 11; lowest = floor 15
    assert bounds.tolist() == [4.0, 8.0, 11.0, 15.0]
    assert tier.tolist() == [1] * 4 + [2] * 4 + [3] * 3 + [4] * 4 + [0] * 5


def test_tiers_equal_values_share_a_tier_and_nan_has_none():
    x = np.array([5.0, 5.0, 5.0, 5.0, 1.0, 1.0, np.nan])
    bounds, tier = tiers(x, +1, 2)
    assert bounds.tolist() == [5.0, 1.0]
    assert tier.tolist() == [1, 1, 1, 1, 2, 2, 0]


def test_tiers_fixed_edges_raised_to_floor():
    x = np.array([12.0, 5.0, 4.0, 2.0])
    bounds, tier = tiers(x, +1, 3, edges=[0.0, 10.0, 5.0], floor=3.0)
    assert bounds.tolist() == [10.0, 5.0, 3.0]
    assert tier.tolist() == [1, 2, 3, 0]
    with pytest.raises(ValueError):
        tiers(x, +1, 2, edges=[0.0, 10.0, 5.0])


def test_tiers_nobody_meets_the_floor():
    bounds, tier = tiers([1.0, 2.0], +1, 2, floor=5.0)
    assert np.isnan(bounds).all()
    assert tier.tolist() == [0, 0]


# --- bootstrap ---------------------------------------------------------------------------------

def test_bootstrap_reproducible_and_seed_dependent():
    x = np.random.default_rng(0).normal(size=500)
    a = bootstrap_ci(x, +1, 5, n_resamples=400, seed=3)
    assert a == bootstrap_ci(x, +1, 5, n_resamples=400, seed=3)
    assert a != bootstrap_ci(x, +1, 5, n_resamples=400, seed=4)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_resampled_threshold_position_distribution_is_exact(n):
    # all n**n resamples of n positions, counted: the r-th smallest drawn position's distribution
    grid = np.array(np.meshgrid(*[np.arange(n)] * n, indexing="ij")).reshape(n, -1).T
    ordered = np.sort(grid, axis=1)
    for r in range(n):
        exact = np.cumsum(np.bincount(ordered[:, r], minlength=n)) / n ** n
        lo, cdf = _resampled_position_cdf(n, r)
        assert lo == 0
        np.testing.assert_allclose(cdf, exact, rtol=0, atol=1e-14)


@pytest.mark.parametrize("n", [200, 10_000, 1_000_000])
@pytest.mark.parametrize("p", [0.1, 5, 50, 99.9])
def test_resampled_position_window_holds_all_the_mass(n, p):
    lo, cdf = _resampled_position_cdf(n, _position(n, p))
    assert cdf[0] < 1e-16 or lo == 0
    assert cdf[-1] > 1 - 1e-15


@settings(deadline=None)
@given(st.integers(1, 3000), st.floats(0.1, 100))
def test_bootstrap_position_is_the_percentile_position(n, p):
    x = np.arange(float(n))
    assert _position(n, p) == percentile(x, +1, p)


def test_bootstrap_ends_are_declared_values_in_order():
    x = np.random.default_rng(1).normal(size=300)
    for sign in (+1, -1):
        low, high = bootstrap_ci(x, sign, 10, n_resamples=200, seed=0)
        assert low <= high
        assert low in x and high in x


def test_bootstrap_of_a_constant_sample_is_that_value():
    assert bootstrap_ci([7.0] * 30, -1, 5, n_resamples=50) == (7.0, 7.0)
    assert all(math.isnan(v) for v in bootstrap_ci([np.nan], +1, 5))


# --- methods as text -------------------------------------------------------------------------

def test_parse_method_valid():
    assert parse_method("percentile:5") == ThresholdMethod("percentile", 5.0)
    assert parse_method(" TopK : 10 ") == ThresholdMethod("topk", 10.0)
    assert parse_method("toprunner:0.03") == ThresholdMethod("toprunner", 0.03)
    assert parse_method("tiers:5") == ThresholdMethod("tiers", 5.0)
    assert str(parse_method("topk:10")) == "topk:10"
    assert str(parse_method("toprunner:0.03")) == "toprunner:0.03"


@pytest.mark.parametrize("text", [
    "percentile", "percentile:", "percentile:abc", "median:5", "percentile:0", "percentile:120",
    "topk:2.5", "topk:0", "tiers:0", "toprunner:1.5", "toprunner:-0.1", "percentile:nan", "",
])
def test_parse_method_invalid(text):
    with pytest.raises(InputError) as excinfo:
        parse_method(text)
    problem = excinfo.value.problems[0]
    assert problem.code == "method_invalid"
    assert "percentile:" in problem.hint


# --- sample size -------------------------------------------------------------------------------

def test_minimum_sample_rules_of_thumb():
    assert minimum_sample("percentile", 5) == 200
    assert minimum_sample("topk", 10) == 20
    assert minimum_sample("tiers", 5) == 25
    assert minimum_sample("toprunner", 0.03) == 10


def test_sample_warning():
    assert sample_warning(199, "percentile:5") is not None
    assert sample_warning(200, "percentile:5") is None
    assert sample_warning(19, "topk:10") is not None
    assert sample_warning(20, "topk:10") is None
    assert "needs at least 10" in sample_warning(5, "topk:10")
    assert sample_warning(24, "tiers:5") is not None
    assert sample_warning(25, "tiers:5") is None
    assert sample_warning(0, "toprunner:0.03") is not None


# --- the entry function ------------------------------------------------------------------------

def test_threshold_percentile_with_interval_and_warning():
    x = np.append(ONE_TO_20, np.nan)
    r = threshold(x, +1, "percentile:5", seed=1, n_resamples=200)
    assert (r.value, r.n) == (20.0, 20)
    assert r.ci_low <= r.ci_high <= 20.0
    assert "only 20 values" in r.warning
    assert r == threshold(x, +1, "percentile:5", seed=1, n_resamples=200)


def test_threshold_other_methods():
    assert threshold(ONE_TO_20, -1, "topk:3").value == 3.0
    r = threshold(ONE_TO_20, +1, parse_method("toprunner:0.1"))
    assert r.value == pytest.approx(22.0)
    assert math.isnan(r.ci_low) and r.warning is None
    r = threshold(ONE_TO_20, +1, "tiers:4", floor=6)
    assert r.edges == (17.0, 13.0, 10.0, 6.0)
    assert r.value == 17.0
    assert r.warning is None


# --- properties --------------------------------------------------------------------------------

values_st = st.lists(st.one_of(st.integers(-50, 50).map(float), st.just(math.nan)),
                     min_size=1, max_size=40)


@settings(deadline=None)
@given(values_st, st.sampled_from([1, -1]), st.floats(0.5, 100))
def test_percentile_mirror(values, sign, p):
    x = np.array(values)
    assert percentile(x, sign, p) == pytest.approx(-percentile(-x, -sign, p), nan_ok=True)


@settings(deadline=None)
@given(values_st, st.sampled_from([1, -1]), st.integers(1, 5), st.randoms(use_true_random=False),
       st.one_of(st.none(), st.integers(-20, 20).map(float)))
def test_tiers_unchanged_by_shuffling_rows(values, sign, k, random, floor):
    x = np.array(values)
    perm = np.array(random.sample(range(len(x)), len(x)))
    bounds, tier = tiers(x, sign, k, floor=floor)
    bounds_p, tier_p = tiers(x[perm], sign, k, floor=floor)
    np.testing.assert_array_equal(bounds, bounds_p)
    np.testing.assert_array_equal(tier[perm], tier_p)


def _tier_order(tier: np.ndarray) -> np.ndarray:
    """Smaller is better: tier 1 best, no tier (0) worst."""
    return np.where(tier == 0, np.iinfo(np.int32).max, tier)


@settings(max_examples=300, deadline=None)
@given(values_st, st.sampled_from([1, -1]), st.integers(1, 5), st.data(),
       st.one_of(st.none(), st.integers(-20, 20).map(float)))
def test_improving_a_value_never_lowers_its_tier(values, sign, k, data, floor):
    # Quantile boundaries move when a value moves, but a value that reached the j-th order
    # statistic still reaches it after improving: everyone it was at least as good as, it still
    # is. So the tier never gets worse (and 0 → some tier when it comes to meet the floor).
    x = np.array(values)
    present = np.flatnonzero(~np.isnan(x))
    if present.size == 0:
        return
    i = data.draw(st.sampled_from(present.tolist()))
    step = data.draw(st.integers(1, 30))
    better = x.copy()
    better[i] += sign * step
    _, before = tiers(x, sign, k, floor=floor)
    _, after = tiers(better, sign, k, floor=floor)
    assert _tier_order(after)[i] <= _tier_order(before)[i]
