"""Unit normalisation of 1,000,000 values of one indicator arriving in six units, the array way
on both sides.

Ours: `population.unit_codes` factorises the unit labels (one cached (factor, offset) per distinct
unit), `population.to_canonical` multiplies. pint used the array way, as its documentation
advises: one `Quantity` over the numpy array of each unit's values, `.to(canonical)`, results put
back in place. The labels come as a pandas `str` column, as `read_csv` gives them; both sides
start from the same values and labels. Asserts the results agree; prints min / median of
BENCH_RUNS runs and the ratio. (A per-value pint loop, ~50–75 µs a value, is not a fair peer.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from conftest import spread, timed

from benchmark.population import to_canonical as convert
from benchmark.population import unit_codes
from benchmark.units import ureg

N_VALUES = 1_000_000
CANONICAL = "kWh/a"
SOURCE_UNITS = ["kWh/a", "MJ/a", "kWh/year", "Wh/d", "GJ/a", "kJ/d"]  # annual energy as declared


def ours(values: np.ndarray, labels: pd.Series) -> np.ndarray:
    codes, pairs, bad = unit_codes(labels, None, CANONICAL)
    assert not bad
    return convert(values, codes, pairs)


def pint_arrays(values: np.ndarray, labels: pd.Series) -> np.ndarray:
    codes, names = pd.factorize(labels)
    out = np.empty_like(values)
    for k, unit in enumerate(names):
        rows = codes == k
        out[rows] = ureg.Quantity(values[rows], unit).to(CANONICAL).magnitude
    return out


def test_unit_normalisation_against_pint_arrays():
    rng = np.random.default_rng(7)
    values = rng.uniform(50.0, 2000.0, size=N_VALUES)
    labels = pd.Series(rng.choice(np.array(SOURCE_UNITS, dtype=object), size=N_VALUES), dtype="str")
    ours(values[:10], labels[:10])  # warm both sides' unit caches
    pint_arrays(values[:10], labels[:10])
    our_times, converted = timed(lambda: ours(values, labels), 5)
    pint_times, by_pint = timed(lambda: pint_arrays(values, labels), 5)
    np.testing.assert_allclose(converted, by_pint, rtol=1e-12)
    mj = (labels == "MJ/a").to_numpy()
    np.testing.assert_allclose(converted[mj], values[mj] / 3.6)  # 1 kWh = 3.6 MJ
    print(f"\n[perf] units {N_VALUES:,} values in {len(SOURCE_UNITS)} units → {CANONICAL}, "
          f"from text labels: ours {spread(our_times)}; pint on whole arrays (a Quantity per "
          f"unit) {spread(pint_times)} → pint / ours {min(pint_times) / min(our_times):.1f}×")
