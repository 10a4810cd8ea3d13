"""TOPSIS on 100,000 standards × 10 indicators: benchmark.ranking.topsis against pymcdm's TOPSIS.

Asserts the same ranking; prints both times and the speed-up (target: faster than pymcdm with its
default validation, which also checks every alternative for dominance). pymcdm without validation
is printed too, as the plain kernel-to-kernel comparison.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from pymcdm import normalizations
from pymcdm.methods import TOPSIS

from benchmark.ranking import competition_rank, topsis

N_ROWS, N_COLUMNS = 100_000, 10
PYMCDM_NORMALISATION = {"vector": normalizations.vector_normalization,
                        "minmax": normalizations.minmax_normalization}


@pytest.mark.parametrize("normalisation", ["vector", "minmax"])
def test_topsis_100k_against_pymcdm(normalisation, best_of, ms):
    rng = np.random.default_rng(2024)
    matrix = rng.uniform(1.0, 100.0, size=(N_ROWS, N_COLUMNS))
    weights = rng.dirichlet(np.ones(N_COLUMNS))
    signs = np.array([1, -1] * (N_COLUMNS // 2))
    method = TOPSIS(PYMCDM_NORMALISATION[normalisation])

    ours_s, ours = best_of(lambda: topsis(matrix, weights, signs, normalisation), repeat=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its dominance check warns about random matrices
        theirs_s, theirs = best_of(lambda: method(matrix, weights, signs), repeat=3)
    bare_s, bare = best_of(lambda: method(matrix, weights, signs, validation=False), repeat=5)

    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(competition_rank([ours]), competition_rank([theirs]))
    np.testing.assert_array_equal(theirs, bare)

    print(f"\nTOPSIS {N_ROWS:,} × {N_COLUMNS} ({normalisation}): ours {ms(ours_s)}; "
          f"pymcdm {ms(theirs_s)} (default validation) → {theirs_s / ours_s:,.1f}× faster; "
          f"pymcdm without validation {ms(bare_s)} → {bare_s / ours_s:,.1f}×")
