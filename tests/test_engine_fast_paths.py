"""The engine's faster paths give what the plain ones give: the tier boundaries without the
tier of every value, and a large population assessed in reused heap memory."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark import heap, thresholds

FINITE = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


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


class _FakeLibc:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def mallopt(self, param: int, value: int) -> int:
        self.calls.append(("mallopt", param, value))
        return 1

    def malloc_trim(self, pad: int) -> int:
        self.calls.append(("malloc_trim", pad))
        return 1


def test_large_work_runs_in_reused_heap_then_the_threshold_is_pinned_again(monkeypatch):
    libc = _FakeLibc()
    monkeypatch.setattr(heap, "_glibc", lambda: libc)
    with pytest.raises(RuntimeError), heap.reused_heap(heap.REUSED_FROM_ROWS):
        raise RuntimeError("an assessment that fails")  # the threshold is pinned again anyway
    assert libc.calls == [("mallopt", -3, heap.LIFTED), ("mallopt", -3, 128 * 1024),
                          ("malloc_trim", 0)]
    libc.calls.clear()
    with heap.reused_heap(heap.REUSED_FROM_ROWS - 1):  # a small population: left alone
        pass
    assert libc.calls == []


def test_reused_heap_changes_no_result(monkeypatch):
    import datetime as dt
    from pathlib import Path

    from benchmark.catalogue import load_catalogue
    from benchmark.engine import assess
    from benchmark.population import load_population

    cat = load_catalogue()
    example = Path(__file__).resolve().parents[1] / "examples" / "populations" / \
        "room-air-conditioners.csv"
    runs = []
    for rows in (10 ** 9, 0):  # without the scope, then with it (reading and assessing)
        monkeypatch.setattr(heap, "REUSED_FROM_ROWS", rows)
        pop = load_population(example, cat, "room-air-conditioner")
        a = assess(pop, cat, "leader", dt.date(2026, 11, 23), population="self")
        runs.append(([p.format() for p in pop.excluded], a.verdict.tolist(),
                     {k: v.tolist() for k, v in a.rules.items()},
                     {i: (r.lowest.tolist(), r.highest.tolist()) for i, r in a.indicators.items()}))
    assert runs[0] == runs[1]


def test_the_weighted_score_decided_in_chunks_is_decided_as_all_rows_at_once(monkeypatch):
    """Chunks of 7 rows give every row the outcome, reasons, subject reasons and score interval
    (bonus included) that one chunk of all rows gives."""
    import datetime as dt
    from pathlib import Path

    from benchmark.catalogue import load_catalogue
    from benchmark.engine import assess, rules
    from benchmark.population import load_population

    cat = load_catalogue()
    example = Path(__file__).resolve().parents[1] / "examples" / "populations" / \
        "room-air-conditioners.csv"
    pop = load_population(example, cat, "room-air-conditioner")
    runs = []
    for rows in (10 ** 9, 7):
        monkeypatch.setattr(rules, "SCORE_ROWS", rows)
        a = assess(pop, cat, "leader", dt.date(2026, 11, 23))
        scored = {k: o for k, o in a.outcomes.items() if o.score is not None}
        assert scored and len(pop) > 7
        runs.append({k: (o.codes.tolist(), o.reason.tolist(),
                         {i: c.tolist() for i, c in o.subjects.items()},
                         [None if x is None else x.tobytes() for x in o.score.arrays])
                     for k, o in scored.items()})
    assert runs[0] == runs[1]
