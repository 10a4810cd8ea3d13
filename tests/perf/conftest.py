"""Shared helpers of the benchmarks (`make perf`).

Each benchmark is a test that prints figures measured in its own process — our time, a
baseline's time and their ratio — and asserts only correctness, never a time. Timing is the best
of several runs with `time.perf_counter` (the least disturbed run), via the `best_of` fixture.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest


def best_of(fn: Callable[[], Any], repeat: int = 5) -> tuple[float, Any]:
    """(best wall time in seconds over `repeat` runs, the last run's result)."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f} ms"


@pytest.fixture(name="best_of")
def best_of_fixture() -> Callable[..., tuple[float, Any]]:
    return best_of


@pytest.fixture(name="ms")
def ms_fixture() -> Callable[[float], str]:
    return ms
