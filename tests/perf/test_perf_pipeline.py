"""The whole peer pipeline on 1,000,000 rows × 10 core indicators, against a bare numpy floor on
the same arrays, and its peak memory against the size of its float64 value matrix.

The catalogue here is SYNTHETIC (written to a temporary folder by this benchmark): ten core
indicators, three segments, a mandatory national grade table and a foreign reference for half of
them. Its numbers are benchmark fixtures, not reference data. Values arrive in two or three source
units per indicator, each row naming its unit in a unit column.

Printed: pipeline time / floor time (target ≤ 4) and peak traced memory / value matrix size
(target ≤ 3). Nothing is asserted about time; the assertions check the pipeline's results.
"""

from __future__ import annotations

import datetime as dt
import gc
import shutil
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats
import yaml

from benchmark.catalogue import load_catalogue
from benchmark.engine import assess
from benchmark.leaders import rank_population
from benchmark.population import population_from_frame, resolve_columns

ROOT = Path(__file__).resolve().parents[2]
N = 1_000_000
K = 10
ON = dt.date(2026, 11, 23)
# (unit, canonical, factor of each source unit to canonical): several source units per indicator
UNITS = [("%", {"%": 1.0, "1": 100.0}), ("W", {"W": 1.0, "kW": 1000.0, "mW": 0.001}),
         ("kWh/a", {"kWh/a": 1.0, "MJ/a": 1 / 3.6}), ("dB(A)", {"dB(A)": 1.0}),
         ("lm/W", {"lm/W": 1.0}), ("%", {"%": 1.0, "1": 100.0}), ("W", {"W": 1.0, "kW": 1000.0}),
         ("kWh/a", {"kWh/a": 1.0, "MJ/a": 1 / 3.6}), ("mm/s", {"mm/s": 1.0, "m/s": 1000.0}),
         ("%", {"%": 1.0, "1": 100.0})]
DIRECTION = ["higher", "lower", "lower", "lower", "higher", "higher", "lower", "lower", "lower",
             "higher"]
CENTRE = [85.0, 0.3, 200.0, 40.0, 100.0, 90.0, 0.5, 150.0, 2.0, 80.0]


def synthetic_catalogue(folder: Path) -> Path:
    shutil.copytree(ROOT / "ladders", folder / "ladders")
    (folder / "indicator_sets").mkdir()
    (folder / "reference_standards").mkdir()
    names = lambda s: {"zh": s, "en": s}  # noqa: E731
    inds = [{"id": "conformity", "names": names("conformity"), "class": "basic", "kind": "boolean",
             "direction": "equal"}]
    for j in range(K):
        inds.append({"id": f"x{j}", "names": names(f"x{j}"), "class": "core", "kind": "quantity",
                     "direction": DIRECTION[j], "unit": UNITS[j][0], "weight": 1})
    segments = [{"id": f"s{c}", "names": names(f"s{c}"), "where": {"type": f"t{c}"}} for c in range(3)]
    iset = {"schema": "indicator-set/1", "id": "synthetic", "names": names("synthetic"),
            "parameters": {"power": {"names": names("power"), "kind": "quantity", "unit": "kW"},
                           "type": {"names": names("type"), "kind": "category",
                                    "values": ["t0", "t1", "t2"]}},
            "segments": segments, "indicators": inds,
            "programmes": {"leader": {"indicators": [f"x{j}" for j in range(K)]}}}
    programme = {"schema": "programme/1", "id": "leader", "names": names("leader"),
                 "basis": {"kind": "modelled", "statement": names("synthetic")},
                 "ladder": "cn-advancement",
                 "rules": [{"id": "basic", "kind": "gate", "check": "basic_pass"},
                           {"id": "count", "kind": "gate", "check": "core_count", "at_least": 3},
                           {"id": "scope", "kind": "gate", "check": "in_scope"},
                           {"id": "lead", "kind": "counting", "level": "domestic_leading",
                            "at_least": 3, "indicators": "listed"},
                           {"id": "score", "kind": "weighted_score", "pass_mark": 50}]}
    (folder / "programmes").mkdir()
    (folder / "programmes" / "leader.yaml").write_text(yaml.safe_dump(programme,
                                                                      allow_unicode=True))
    (folder / "indicator_sets" / "synthetic.yaml").write_text(yaml.safe_dump(iset, allow_unicode=True))
    for tier, mandatory, shift in (("national", True, 0.0), ("foreign", False, 0.04)):
        values = []
        for j in range(0, K, 1 if tier == "national" else 2):
            sign = 1 if DIRECTION[j] == "higher" else -1
            grade = lambda q: round(CENTRE[j] * (1 + sign * (q + shift)), 4)  # noqa: E731
            for c in range(3):
                op = "ge" if sign > 0 else "le"
                values.append({"indicator_set": "synthetic", "indicator": f"x{j}",
                               "segments": [f"s{c}"], "unit": UNITS[j][0], "clause": "synthetic",
                               "verified": True, **({"minimum_class": "3"} if mandatory else {}),
                               "classes": [{"label": str(g + 1), op: grade(q)}
                                           for g, q in enumerate((0.04, 0.0, -0.04))]})
        ref = {"schema": "reference-standard/1", "id": f"SYN {tier}", "titles": names("synthetic"),
               "tier": tier, "body": "synthetic", "mandatory": mandatory,
               "dates": {"in_force": "2020-01-01"}, "verified": True,
               "source": {"title": "synthetic benchmark fixture"}, "values": values}
        (folder / "reference_standards" / f"SYN_{tier}.yaml").write_text(
            yaml.safe_dump(ref, allow_unicode=True))
    return folder


def population_frame(rng: np.random.Generator) -> tuple[pd.DataFrame, list[np.ndarray]]:
    """The table as it arrives: values in mixed source units, a unit column per indicator."""
    cols: dict[str, object] = {"type": pd.Categorical.from_codes(rng.integers(0, 3, N),
                                                                 ["t0", "t1", "t2"]),
                               "power": rng.uniform(1, 100, N), "conformity": np.full(N, "是")}
    canonical = []
    for j in range(K):
        sign = 1 if DIRECTION[j] == "higher" else -1
        value = CENTRE[j] * (1 + sign * rng.normal(0.0, 0.04, N))
        canonical.append(value)
        labels = list(UNITS[j][1])
        codes = rng.integers(0, len(labels), N)
        factors = np.array([UNITS[j][1][u] for u in labels])
        cols[f"x{j}"] = value / factors[codes]
        cols[f"x{j} unit"] = pd.Categorical.from_codes(codes, labels)
    return pd.DataFrame(cols), canonical


def floor_run(frame: pd.DataFrame, edges: list[np.ndarray]) -> None:
    """The bare numpy floor: a unit factor multiply, searchsorted on grade edges, rankdata."""
    for j in range(K):
        factors = np.array([UNITS[j][1][u] for u in frame[f"x{j} unit"].cat.categories])
        v = frame[f"x{j}"].to_numpy() * factors[frame[f"x{j} unit"].cat.codes.to_numpy()]
        np.searchsorted(edges[j], v)
        scipy.stats.rankdata(v)


def pipeline(frame, iset, columns, catalogue):
    pop = population_from_frame(frame, iset, columns)
    a = assess(pop, catalogue, "leader", ON)
    return rank_population(a, method="percentile:5", shortlist=10)


def best_of(fn, repeat=2) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    catalogue = load_catalogue(synthetic_catalogue(tmp_path_factory.mktemp("cat")))
    iset = catalogue.sets["synthetic"]
    frame, canonical = population_frame(np.random.default_rng(1))
    columns, problems = resolve_columns(list(frame.columns), iset)
    assert not [p for p in problems if p.severity == "error"], problems
    return catalogue, iset, frame, canonical, columns


def test_pipeline_against_numpy_floor(setup):
    catalogue, iset, frame, canonical, columns = setup
    edges = [np.sort(np.asarray(CENTRE[j] * np.array([0.96, 1.0, 1.04]))) for j in range(K)]
    floor = best_of(lambda: floor_run(frame, edges), repeat=3)
    result = {}
    full = best_of(lambda: result.setdefault("r", pipeline(frame, iset, columns, catalogue)), 2)
    r = result["r"]
    pop = r.assessment.population
    for j in range(K):  # normalised on the way: every value back on its canonical unit
        np.testing.assert_allclose(pop.values[f"x{j}"], canonical[j], rtol=1e-12)
    assert len(r.composite) > 0 and r.composite["shortlisted"].sum() >= 10 * 3 - 3
    print(f"\n[perf] pipeline 1M x {K}: {full:.2f} s; numpy floor {floor:.2f} s; "
          f"ratio {full / floor:.2f} (target <= 4)")


def test_pipeline_peak_memory(setup):
    catalogue, iset, frame, _, columns = setup
    matrix_bytes = N * K * 8
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    r = pipeline(frame, iset, columns, catalogue)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(r.assessment.population) == N
    print(f"\n[perf] peak traced memory of the pipeline {peak / 2**20:.0f} MiB; float64 value "
          f"matrix {matrix_bytes / 2**20:.0f} MiB; ratio {peak / matrix_bytes:.2f} (target <= 3; "
          "baseline = interpreter and input table, allocated before tracing)")
