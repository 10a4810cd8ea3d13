"""Unit normalisation of 1,000,000 values of one indicator arriving in several units.

The array way is the project's own: `population.unit_codes` factorises the unit labels (one cached
(factor, offset) per distinct unit from `units.conversion`), `population.to_canonical` multiplies
(and adds an offset where a unit has one). The labels come as a pandas `str` column, as `read_csv`
gives them. The baseline is the per-value pint loop `ureg.Quantity(v, unit).to(canonical)` with the
unit as text, as one would write it; a stricter baseline with units parsed once is printed too.
Both are timed on a 20,000-value subsample. Asserts that the results agree on the subsample;
prints the per-value speed-ups (target ≥ 1000×, against the text-unit loop).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmark.population import to_canonical as convert
from benchmark.population import unit_codes
from benchmark.units import parse_unit, ureg

N_VALUES, N_SUBSAMPLE = 1_000_000, 20_000
CANONICAL = "kWh/a"
SOURCE_UNITS = ["kWh/a", "MJ/a", "kWh/year", "Wh/d", "GJ/a", "kJ/d"]  # annual energy as declared


def to_canonical(values: np.ndarray, unit_labels: pd.Series, canonical: str) -> np.ndarray:
    codes, pairs, bad = unit_codes(unit_labels, None, canonical)
    assert not bad
    return convert(values, codes, pairs)


def per_value_pint(values: np.ndarray, unit_labels, canonical: str) -> np.ndarray:
    return np.array([ureg.Quantity(v, u).to(canonical).magnitude
                     for v, u in zip(values.tolist(), list(unit_labels))])


def per_value_pint_parsed(values: np.ndarray, unit_labels, canonical: str) -> np.ndarray:
    target = parse_unit(canonical)
    return np.array([ureg.Quantity(v, parse_unit(u)).to(target).magnitude
                     for v, u in zip(values.tolist(), list(unit_labels))])


def test_unit_normalisation_1m(best_of, ms):
    rng = np.random.default_rng(7)
    values = rng.uniform(50.0, 2000.0, size=N_VALUES)
    labels = pd.Series(rng.choice(np.array(SOURCE_UNITS, dtype=object), size=N_VALUES), dtype="str")
    per_value_pint(values[:10], labels[:10], CANONICAL)  # warm the parse and conversion caches
    to_canonical(values[:10], labels[:10], CANONICAL)

    array_s, converted = best_of(lambda: to_canonical(values, labels, CANONICAL), repeat=5)
    codes, pairs, _ = unit_codes(labels, None, CANONICAL)
    codes_s, from_codes = best_of(lambda: convert(values, codes, pairs), repeat=5)
    pick = rng.choice(N_VALUES, size=N_SUBSAMPLE, replace=False)
    pint_s, by_pint = best_of(lambda: per_value_pint(values[pick], labels.iloc[pick], CANONICAL),
                              repeat=2)
    parsed_s, _ = best_of(lambda: per_value_pint_parsed(values[pick], labels.iloc[pick],
                                                        CANONICAL), repeat=2)
    assert np.allclose(converted[pick], by_pint, rtol=1e-12, atol=0.0)
    np.testing.assert_array_equal(converted, from_codes)
    mj = (labels == "MJ/a").to_numpy()
    assert np.allclose(converted[mj], values[mj] / 3.6)  # 1 kWh = 3.6 MJ

    per_pint, per_parsed = pint_s / N_SUBSAMPLE, parsed_s / N_SUBSAMPLE
    per_array = array_s / N_VALUES
    print(f"\nunits {N_VALUES:,} values in {len(SOURCE_UNITS)} units → {CANONICAL}: "
          f"pint per value (unit as text) {per_pint * 1e6:,.1f} µs, (unit parsed once) "
          f"{per_parsed * 1e6:,.1f} µs; array way from text labels {ms(array_s)} "
          f"({per_array * 1e9:,.0f} ns/value) → {per_pint / per_array:,.0f}× per value "
          f"(target ≥ 1000×; {per_parsed / per_array:,.0f}× against pre-parsed units); from "
          f"factorised codes {ms(codes_s)} → {per_pint / (codes_s / N_VALUES):,.0f}×")
