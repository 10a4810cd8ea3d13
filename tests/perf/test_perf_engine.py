"""The engine on a realistic population of the shipped catalogue: `assess` on 1,000,000 room air
conditioners and 100,000 rows of each of three other categories, and `explain` per row, against
a bare numpy floor doing the same comparisons and levels on the same arrays.

The rows are SYNTHETIC (seeded draws around typical market values, written here): benchmark
input, not data about any product. The floor gets the thresholds the engine resolved (resolving
them is not timed) and does only the comparisons of the ladder steps, the level as the first step
not met, and the grade-table class by `np.searchsorted`.

Printed: time per stage and the ratio assess / floor. Nothing is asserted about time; the
assertions check that the floor and the engine give the same levels where both decide them.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import numpy as np
import pytest

from benchmark.catalogue import load_catalogue
from benchmark.engine import assess
from benchmark.engine.assess import domestic_values, mandatory_values, reference_values
from benchmark.engine.explain import explain
from benchmark.engine.types import ASSESSED
from benchmark.population import Population

ON = dt.date(2026, 11, 23)
# category → rows, parameters ("q", low, high) uniform or ("c", choices), declared values
# (centre, spread, decimals), labels (choices), cited references
CATEGORIES: dict[str, tuple[Any, ...]] = {
    "room-air-conditioner": (1_000_000, {
        "cooling_capacity": ("q", 2000, 14000),
        "type": ("c", ["heat_pump", "heat_pump", "heat_pump", "cooling_only"]),
        "structure": ("c", ["split"]), "speed_control": ("c", ["inverter"]),
        "installation": ("c", ["wall_hung", "floor_standing"]), "region": ("c", ["general"])},
        {"apf": (4.6, 0.4, 2), "seer": (5.6, 0.5, 2), "eer": (3.6, 0.3, 2),
         "noise_indoor": (38, 2, 0), "noise_outdoor": (50, 2, 0), "refrigerant_gwp": (675, 1, 0)},
        {}, ["GB 21455-2019", "GB 21455-2019; GB 12021.3-2010"]),
    "three-phase-induction-motor": (100_000, {
        "rated_power": ("q", 0.75, 375), "poles": ("c", [2.0, 4.0, 6.0, 8.0]),
        "construction": ("c", ["general"])},
        {"efficiency": (91, 3, 1), "noise": (70, 5, 0), "vibration": (1.8, 0.3, 1)},
        {"insulation_class": ["B", "F", "H"]}, ["GB 18613-2020"]),
    "household-refrigerator": (100_000, {
        "adjusted_volume": ("q", 100, 600),
        "type": ("c", ["refrigerator_freezer", "refrigerator", "food_freezer"]),
        "standard_annual_energy": ("q", 300, 700)},
        {"annual_energy": (250, 40, 0), "eei": (45, 8, 0), "noise": (36, 3, 0),
         "refrigerant_gwp": (3, 0.1, 0)}, {}, ["GB 12021.2-2015"]),
    "external-power-supply": (100_000, {
        "rated_output_power": ("q", 1, 240), "type": ("c", ["basic_voltage", "low_voltage"]),
        "conversion": ("c", ["ac_dc"]), "operation": ("c", ["direct", "indirect"])},
        {"average_efficiency": (86, 3, 1), "no_load_power": (0.1, 0.03, 2),
         "efficiency_10pct_load": (78, 3, 1)}, {}, ["EU 2019/1782"]),
}


def population(category: str, seed: int = 20261123) -> Population:
    n, params_spec, values_spec, labels_spec, refs = CATEGORIES[category]
    rng = np.random.default_rng(seed)
    params: dict[str, np.ndarray] = {}
    for key, (kind, *rest) in params_spec.items():
        if kind == "q":
            params[key] = np.round(rng.uniform(rest[0], rest[1], n), 2)
        else:
            choices = np.array(rest[0], dtype=object if isinstance(rest[0][0], str) else float)
            params[key] = choices[rng.integers(0, len(choices), n)]
    values = {k: np.round(rng.normal(c, s, n), d) for k, (c, s, d) in values_spec.items()}
    for v in values.values():
        v[rng.random(n) < 0.05] = np.nan  # not declared
    labels = {"mandatory_conformity": np.full(n, True, dtype=object)}
    for key, grades in labels_spec.items():
        labels[key] = np.array(grades, dtype=object)[rng.integers(0, len(grades), n)]
    cited = np.array(refs, dtype=object)[rng.integers(0, len(refs), n)].astype(str)
    numbers = np.char.add("Q/XX ", (np.arange(n) % 1000).astype(str))
    fields = {"normative_references": cited, "standard_number": np.char.add(numbers, "-2025")}
    return Population("<generated>", "", category, np.arange(1, n + 1), fields, params, values,
                      labels, [])


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(None)


def step_thresholds(a, catalogue, ind_id: str) -> np.ndarray:
    """(n, 3) the per-row thresholds the ladder steps compare with: the domestic mandatory
    minimum, the strictest domestic value, the strictest international/foreign value (NaN =
    none), as the engine resolved them."""
    pop = a.population
    iset = catalogue.sets[pop.category]
    ind = iset.indicators[ind_id]
    n = len(pop)
    out = np.full((n, 3), np.nan)
    for code in np.unique(a.segment_code[a.segment_code >= 0]):
        rows = np.flatnonzero(a.segment_code == code)
        args = (catalogue, iset, a.programme, ind, pop.parameters, a.segment_code, rows, ON,
                False)
        out[rows, 0] = mandatory_values(*args)
        out[rows, 1] = domestic_values(*args)
    out[:, 2] = reference_values(catalogue, iset, ind, pop.parameters, a.segment_code, ON, False,
                                 ("international", "foreign"))
    return out


def floor(value: np.ndarray, sign: int, thresholds: np.ndarray, classes: np.ndarray) -> tuple:
    """The bare comparisons: meets (margin ≥ 0) and beats (margin > 0) for the five steps, the
    level as the first step not met, and the grade-table class reached by searchsorted."""
    m = sign * (value[:, None] - thresholds)  # (n, 3) margins
    met = np.column_stack([m[:, 0] >= 0, m[:, 1] >= 0, m[:, 1] > 0, m[:, 2] >= 0, m[:, 2] > 0])
    all_met = met.all(axis=1)
    level = np.where(all_met, met.shape[1], np.argmin(met, axis=1)).astype(np.int8)
    reached = np.searchsorted(classes, sign * value, side="right")
    return level, reached


def test_assess_against_numpy_floor(catalogue, best_of, ms):
    pop = population("room-air-conditioner")
    t_assess, a = best_of(lambda: assess(pop, catalogue, "leader", ON), repeat=2)
    judged = {i: r for i, r in a.indicators.items()
              if r.has_reference is not None and r.has_reference.any()}
    inputs = []
    for ind_id, r in judged.items():
        thresholds = step_thresholds(a, catalogue, ind_id)
        classes = np.unique(r.sign * thresholds[:, :2][np.isfinite(thresholds[:, :2])])
        inputs.append((r, thresholds, classes))

    def floors():
        return [floor(r.value, r.sign, th, classes) for r, th, classes in inputs]

    t_floor, results = best_of(floors, repeat=3)
    checked = 0
    for (r, thresholds, classes), (level, reached) in zip(inputs, results, strict=True):
        decided = (r.status == ASSESSED) & ~r.vacuous & np.isfinite(thresholds[:, :2]).all(1)
        assert np.array_equal(level[decided], r.lowest[decided]), r.id
        assert reached.max() <= len(classes)
        checked += int(decided.sum())
    assert checked > 250_000  # the levels of many rows are compared
    print(f"\n[perf] assess leader, 1M room ACs ({len(a.indicators)} indicators, "
          f"{len(judged)} with references): {ms(t_assess)}; numpy floor (their step comparisons, "
          f"levels, grade classes) {ms(t_floor)}; ratio {t_assess / t_floor:.1f}")


@pytest.mark.parametrize("category", [c for c in CATEGORIES if c != "room-air-conditioner"])
def test_assess_other_categories(catalogue, category, best_of, ms):
    pop = population(category)
    for programme in ("leader", "shenzhen"):
        t, a = best_of(lambda p=programme: assess(pop, catalogue, p, ON), repeat=2)
        verdicts = dict(zip(*np.unique(a.verdict, return_counts=True), strict=True))
        assert sum(verdicts.values()) == len(pop)
        print(f"\n[perf] assess {programme}, {len(pop):,} {category}: {ms(t)}; verdicts "
              f"{ {str(k): int(v) for k, v in verdicts.items()} }")


def test_explain_per_row(catalogue, best_of, ms):
    pop = population("room-air-conditioner")
    rows = np.arange(0, len(pop), len(pop) // 1000)
    small = Population("<generated>", "", pop.category, pop.rows[rows],
                       {k: v[rows] for k, v in pop.fields.items()},
                       {k: v[rows] for k, v in pop.parameters.items()},
                       {k: v[rows] for k, v in pop.values.items()},
                       {k: v[rows] for k, v in pop.labels.items()}, [])
    t_assess, a = best_of(lambda: assess(small, catalogue, "leader", ON, steps=True), repeat=2)
    identity = {"enterprise": {"name": "synthetic"}, "standard": {"number": "Q/XX 1-2025"},
                "product": {}}
    start = time.perf_counter()
    results = [explain(a, row, identity) for row in range(len(small))]
    t_explain = time.perf_counter() - start
    assert [x["verdict"] for x in results] == list(a.verdict)
    print(f"\n[perf] {len(small):,} room ACs with steps: assess {ms(t_assess)}; explain "
          f"{ms(t_explain)} ({t_explain / len(small) * 1e3:.2f} ms per row)")
