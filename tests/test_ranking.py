"""Tests of benchmark.ranking: competition ranks with ties, normalisation, weighted sum, TOPSIS
against pymcdm, saturation, shipment-weighted means, suppression, and properties."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pymcdm import normalizations
from pymcdm.methods import TOPSIS

from benchmark.ranking import (
    competition_rank,
    normalise,
    rank_suppressed,
    saturation,
    share_in_top,
    shipment_weighted_mean,
    topsis,
    weighted_sum,
)

# --- competition ranks -------------------------------------------------------------------------


def test_competition_rank_ties():
    assert competition_rank([np.array([5.0, 3.0, 3.0, 1.0])]).tolist() == [1, 2, 2, 4]
    assert competition_rank([np.array([5.0, 3.0, 3.0, 1.0])], -1).tolist() == [4, 2, 2, 1]


def test_competition_rank_nan_primary_is_not_ranked():
    assert competition_rank([np.array([np.nan, 2.0, 7.0, np.nan])]).tolist() == [0, 2, 1, 0]
    assert competition_rank([np.array([np.nan])]).tolist() == [0]


def test_competition_rank_tie_breakers():
    score = np.array([9.0, 8.0, 8.0, 8.0, 7.0])
    noise = np.array([0.0, 40.0, 38.0, 38.0, 1.0])  # lower is better
    assert competition_rank([score, noise], [1, -1]).tolist() == [1, 4, 2, 2, 5]
    # a NaN tie-breaker ranks after present ones; two NaNs are equal
    noise = np.array([0.0, np.nan, 38.0, np.nan, 1.0])
    assert competition_rank([score, noise], [1, -1]).tolist() == [1, 3, 2, 3, 5]


# --- normalisation and weighted sum -----------------------------------------------------------


def test_minmax_oriented_and_constant_column_is_one():
    m = np.array([[1.0, 2.0, 7.0], [3.0, 4.0, 7.0], [5.0, 6.0, 7.0], [np.nan, 5.0, np.nan]])
    out = normalise(m, [1, -1, 1], "minmax")
    np.testing.assert_array_equal(out[:3], [[0.0, 1.0, 1.0], [0.5, 0.5, 1.0], [1.0, 0.0, 1.0]])
    assert np.isnan(out[3, 0]) and out[3, 1] == 0.25 and np.isnan(out[3, 2])
    assert not np.signbit(out).any()  # no −0


def test_vector_normalisation_like_pymcdm():
    m = np.array([[3.0, 3.0], [4.0, 4.0]])
    out = normalise(m, [1, -1], "vector")
    np.testing.assert_allclose(out, [[0.6, 0.4], [0.8, 0.2]])
    with_nan = normalise(np.array([[3.0], [np.nan], [4.0]]), 1, "vector")
    np.testing.assert_allclose(with_nan[[0, 2], 0], [0.6, 0.8])
    assert np.isnan(with_nan[1, 0])
    np.testing.assert_array_equal(normalise(np.zeros((2, 2)), [1, -1], "vector"), [[0, 1], [0, 1]])


def test_margin_passes_through_and_unknown_method():
    m = np.array([[0.1, -0.2]])
    np.testing.assert_array_equal(normalise(m, [1, -1], "margin"), m)
    with pytest.raises(ValueError):
        normalise(m, [1, 1], "zscore")


def test_weighted_sum():
    norm = np.array([[1.0, 0.0, np.nan], [0.5, 0.5, 0.2], [0.0, np.nan, 1.0]])
    out = weighted_sum(norm, [0.5, 0.5, 0.0])  # weight 0: the NaN in column 3 does not matter
    assert out[0] == 0.5 and out[1] == 0.5 and np.isnan(out[2])


# --- TOPSIS --------------------------------------------------------------------------------------


def test_topsis_hand_example():
    # one benefit column: the best row is the ideal (1), the worst the anti-ideal (0)
    np.testing.assert_allclose(topsis([[1.0], [3.0], [2.0]], [1.0], [1], "minmax"), [0, 1, 0.5])
    # all columns constant: every row is both ideal and anti-ideal → 1
    np.testing.assert_array_equal(topsis(np.ones((3, 2)), [0.5, 0.5], [1, -1]), [1, 1, 1])
    # a row missing a weighted value is not scored
    assert np.isnan(topsis([[1.0, 2.0], [np.nan, 3.0], [3.0, 1.0]], [0.5, 0.5], [1, 1])[1])


def _pymcdm_topsis(matrix, weights, signs, normalisation):
    function = {"vector": normalizations.vector_normalization,
                "minmax": normalizations.minmax_normalization}[normalisation]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its dominance check warns on random matrices
        return TOPSIS(function)(matrix, weights, np.asarray(signs))


@pytest.mark.parametrize("normalisation", ["vector", "minmax"])
@pytest.mark.parametrize("seed", range(5))
def test_topsis_same_ranking_as_pymcdm(seed, normalisation):
    rng = np.random.default_rng(seed)
    n, m = 200, 6
    matrix = rng.uniform(1.0, 100.0, size=(n, m))
    weights = rng.dirichlet(np.ones(m))
    signs = rng.choice([1, -1], size=m)
    signs[:2] = [1, -1]  # always mixed benefit and cost columns
    ours = topsis(matrix, weights, signs, normalisation)
    theirs = _pymcdm_topsis(matrix, weights, signs, normalisation)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(competition_rank([ours]), competition_rank([theirs]))


# --- saturation, suppression, shipment-weighted means ----------------------------------------


def test_share_in_top():
    assert share_in_top(np.array([1, 2, 0, 1, 3]), 1) [0] == 0.5   # tier 0 is not in the population
    share, warning = share_in_top(np.array([1, 2, 2, 3, 3, 3, 3]), 1)
    assert share == pytest.approx(1 / 7) and warning is None
    share, warning = share_in_top(np.array(["A", "B", "A", "C"]), "A")
    assert share == 0.5 and "top class A" in warning
    share, warning = share_in_top(np.array(list("ABBCCDDDEE")), ("A", "B"), limit=0.5, none="")
    assert share == 0.3 and warning is None
    assert math.isnan(share_in_top(np.array([0, 0]), 1)[0])


def test_saturation_at_the_limit_warns():
    values = np.array([1.0, 2.0, 3.0, np.nan, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0])
    share, warning = saturation(values, values >= 8)
    assert share == 0.3 and warning is not None
    share, warning = saturation(values, values >= 9, limit=0.3)
    assert share == 0.2 and warning is None


def test_shipment_weighted_mean():
    values = np.array([1.0, 2.0, 3.0, np.nan, 5.0])
    shipments = np.array([1.0, 3.0, 1.0, 5.0, 0.0])
    makers = np.array([0, 0, 1, 1, 3])
    out = shipment_weighted_mean(values, shipments, makers)
    assert out[0] == 1.75 and out[1] == 3.0  # (1·1 + 2·3)/4; the NaN row is left out
    assert np.isnan(out[2]) and np.isnan(out[3])  # no rows; no shipments
    with pytest.raises(ValueError):
        shipment_weighted_mean(values, -shipments, makers)
    with pytest.raises(ValueError):
        shipment_weighted_mean(values, shipments, np.array(["a", "a", "b", "b", "c"]))


def test_rank_suppressed():
    assert rank_suppressed([5.2, 5.2, np.nan, 5.2]) == {"code": "all_equal", "n": 3, "value": 5.2}
    assert rank_suppressed([1.0, np.nan]) == {"code": "too_few_values", "n": 1}
    assert rank_suppressed([]) == {"code": "too_few_values", "n": 0}
    assert rank_suppressed([1.0, 2.0]) is None


# --- properties --------------------------------------------------------------------------------

small_values = st.one_of(st.integers(0, 20).map(float), st.just(math.nan))


@st.composite
def matrix_and_perm(draw, allow_nan=True):
    n = draw(st.integers(1, 12))
    m = draw(st.integers(1, 4))
    elements = small_values if allow_nan else st.integers(1, 20).map(float)
    matrix = draw(arrays(float, (n, m), elements=elements))
    signs = np.array(draw(st.lists(st.sampled_from([1, -1]), min_size=m, max_size=m)))
    perm = np.array(draw(st.permutations(range(n))))
    return matrix, signs, perm


@settings(deadline=None)
@given(matrix_and_perm())
def test_competition_rank_unchanged_by_shuffling_rows(case):
    matrix, signs, perm = case
    keys = list(matrix.T)
    ranks = competition_rank(keys, signs)
    shuffled = competition_rank([k[perm] for k in keys], signs)
    np.testing.assert_array_equal(ranks[perm], shuffled)


@settings(deadline=None)
@given(matrix_and_perm(allow_nan=False), st.sampled_from(["vector", "minmax"]))
def test_topsis_unchanged_by_shuffling_rows(case, normalisation):
    matrix, signs, perm = case
    weights = np.full(matrix.shape[1], 1.0 / matrix.shape[1])
    closeness = topsis(matrix, weights, signs, normalisation)
    shuffled = topsis(matrix[perm], weights, signs, normalisation)
    np.testing.assert_allclose(closeness[perm], shuffled, rtol=0, atol=1e-12)  # sums reorder


@settings(deadline=None)
@given(st.lists(small_values, min_size=1, max_size=20), st.sampled_from([1, -1]), st.data())
def test_improving_a_value_never_lowers_its_competition_rank(values, sign, data):
    x = np.array(values)
    present = np.flatnonzero(~np.isnan(x))
    assume(present.size)
    i = data.draw(st.sampled_from(present.tolist()))
    better = x.copy()
    better[i] += sign * data.draw(st.integers(1, 10))
    assert competition_rank([better], sign)[i] <= competition_rank([x], sign)[i]


@settings(max_examples=300, deadline=None)
@given(matrix_and_perm(allow_nan=False), st.sampled_from(["vector", "minmax"]), st.data())
def test_improving_a_value_never_lowers_its_weighted_sum_rank(case, normalisation, data):
    # Improving x[i, j] can move column j's min, max or norm, which changes every row's
    # normalised value. What holds (values ≥ 0, weights ≥ 0): row i's normalised value in
    # column j does not fall and every other row's does not rise, so row i's score minus any
    # other row's score does not fall, and neither does its rank. For vector normalisation
    # d(x_i/‖x‖)/dx_i = (‖x‖² − x_i²)/‖x‖³ ≥ 0 is what needs the values ≥ 0.
    # Scores are compared after rounding to 9 decimals: the algebra holds exactly, the floats
    # only to ~1e-16, and a tie must not turn into a loss by rounding noise.
    matrix, signs, _ = case
    n, m = matrix.shape
    weights = np.array(data.draw(st.lists(st.integers(0, 5), min_size=m, max_size=m)), float)
    i, j = data.draw(st.integers(0, n - 1)), data.draw(st.integers(0, m - 1))
    better = matrix.copy()
    better[i, j] = max(0.0, better[i, j] + signs[j] * data.draw(st.integers(1, 10)))

    def rank(mat):
        score = weighted_sum(normalise(mat, signs, normalisation), weights)
        return competition_rank([np.round(score, 9)])

    assert rank(better)[i] <= rank(matrix)[i]


@settings(deadline=None)
@given(matrix_and_perm(allow_nan=False), st.sampled_from(["vector", "minmax"]), st.data())
def test_topsis_respects_dominance(case, normalisation, data):
    # Improving one value of one row can lower that row's TOPSIS rank (the ideal points move:
    # rank reversal), so that property is NOT asserted. What holds: a row at least as good as
    # another on every column is at least as close: its distance to the ideal is not larger
    # and to the anti-ideal not smaller, column by column.
    matrix, signs, _ = case
    _n, m = matrix.shape
    weights = np.array(data.draw(st.lists(st.integers(1, 5), min_size=m, max_size=m)), float)
    closeness = topsis(matrix, weights / weights.sum(), signs, normalisation)
    goodness = matrix * signs
    dominates = (goodness[:, None, :] >= goodness[None, :, :]).all(axis=2)
    a, b = np.nonzero(dominates)
    assert np.all(closeness[a] >= closeness[b] - 1e-12)
