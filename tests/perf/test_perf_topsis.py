"""TOPSIS on 100,000 standards × 10 indicators, kernel to kernel: `benchmark.ranking.topsis`
(shape checks only) against pymcdm's TOPSIS with `validation=False` (its default validation also
checks every alternative for dominance, which ours does not: not compared). Asserts the same
closeness and ranking; prints min / median of 7 runs and the ratio.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import spread, timed
from pymcdm import normalizations
from pymcdm.methods import TOPSIS

from benchmark.ranking import competition_rank, topsis

N_ROWS, N_COLUMNS = 100_000, 10
PYMCDM_NORMALISATION = {"vector": normalizations.vector_normalization,
                        "minmax": normalizations.minmax_normalization}


@pytest.mark.parametrize("normalisation", ["vector", "minmax"])
def test_topsis_kernel_against_pymcdm(normalisation):
    rng = np.random.default_rng(2024)
    matrix = rng.uniform(1.0, 100.0, size=(N_ROWS, N_COLUMNS))
    weights = rng.dirichlet(np.ones(N_COLUMNS))
    signs = np.array([1, -1] * (N_COLUMNS // 2))
    method = TOPSIS(PYMCDM_NORMALISATION[normalisation])
    our_times, ours = timed(lambda: topsis(matrix, weights, signs, normalisation), 7)
    their_times, theirs = timed(lambda: method(matrix, weights, signs, validation=False), 7)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(competition_rank([ours]), competition_rank([theirs]))
    print(f"\n[perf] TOPSIS {N_ROWS:,} × {N_COLUMNS} ({normalisation}), kernel to kernel: ours "
          f"{spread(our_times)}; pymcdm (validation=False) {spread(their_times)} → "
          f"pymcdm / ours {min(their_times) / min(our_times):.2f}")
