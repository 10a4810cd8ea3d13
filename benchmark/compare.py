"""Comparing declared values with reference thresholds: the kernels and the resolution of which
reference values apply.

Kernels are pure functions over numpy arrays (a single declaration is a population of one):
GB/T 8170-2008 rounding (round half to even on the decimal value), the rounded-value and
full-value methods, tolerance, and the relations meets / beats / equal with signed margins
(positive = better). `applicable_thresholds` picks, for one declaration, the reference values in
force on the evaluation date for its segment and product parameters and evaluates their thresholds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from benchmark.model import Bound, Catalogue, Indicator, ReferenceEdition, ReferenceValue, condition_mask

# --- kernels ---------------------------------------------------------------------------------


def round_half_even(x: np.ndarray, digits: int) -> np.ndarray:
    """GB/T 8170 rounding to `digits` decimals: a dropped 5 (with nothing after it) rounds to the
    even digit. Values that print as an exact half in decimal (85.25, 2.675) count as halves even
    though their binary float is a hair off."""
    x = np.asarray(x, dtype=float)
    scale = 10.0 ** digits
    y = x * scale
    floor = np.floor(y)
    frac = y - floor
    half = np.isclose(frac, 0.5, rtol=0.0, atol=1e-9 * np.maximum(1.0, np.abs(y)))
    even_up = np.where(np.mod(floor, 2) == 0, floor, floor + 1)
    return np.where(half, even_up, np.round(y)) / scale


@dataclass(frozen=True)
class Method:
    """How one indicator is compared: direction sign, GB/T 8170 method and tolerance."""

    sign: int  # +1 higher is better, -1 lower is better
    rounded: bool = False
    digits: int = 0
    tol_abs: float = 0.0
    tol_rel: float = 0.0

    @classmethod
    def of(cls, indicator: Indicator) -> Method:
        return cls(sign=indicator.sign, rounded=indicator.method == "rounded",
                   digits=indicator.digits or 0, tol_abs=indicator.tol_abs, tol_rel=indicator.tol_rel)

    def prepare(self, value: np.ndarray) -> np.ndarray:
        value = np.asarray(value, dtype=float)
        return round_half_even(value, self.digits) if self.rounded else value

    def tolerance(self, threshold: np.ndarray) -> np.ndarray:
        threshold = np.asarray(threshold, dtype=float)
        # a hair of float slack so 85.3 (declared) equals 85.3 (computed and rounded)
        return self.tol_abs + self.tol_rel * np.abs(threshold) + 1e-9 * np.maximum(1.0, np.abs(threshold))

    @property
    def step(self) -> float:
        """The smallest improvement the method can see (one unit of the last rounded digit)."""
        return 10.0 ** -self.digits if self.rounded else 0.0


def margin(value: np.ndarray, threshold: np.ndarray, method: Method) -> np.ndarray:
    """Signed distance, positive when `value` is better than `threshold`."""
    return (method.prepare(value) - np.asarray(threshold, dtype=float)) * method.sign


def is_equal(value: np.ndarray, threshold: np.ndarray, method: Method) -> np.ndarray:
    return np.abs(margin(value, threshold, method)) <= method.tolerance(threshold)


def meets(value: np.ndarray, op: str, threshold: np.ndarray, method: Method) -> np.ndarray:
    """Does `value` satisfy the bound `op threshold`? Equal within tolerance satisfies ge/le/eq
    and fails gt/lt. NaN thresholds (not covered) give False."""
    v = method.prepare(value)
    t = np.asarray(threshold, dtype=float)
    eq = np.abs(v - t) <= method.tolerance(t)
    if op == "ge":
        out = (v > t) | eq
    elif op == "gt":
        out = (v > t) & ~eq
    elif op == "le":
        out = (v < t) | eq
    elif op == "lt":
        out = (v < t) & ~eq
    elif op == "eq":
        out = eq
    else:
        raise ValueError(op)
    return out & np.isfinite(t) & np.isfinite(v)


def beats(value: np.ndarray, threshold: np.ndarray, method: Method) -> np.ndarray:
    """Strictly better than `threshold` beyond tolerance."""
    t = np.asarray(threshold, dtype=float)
    return (margin(value, t, method) > method.tolerance(t)) & np.isfinite(t)


def relation(value: float, threshold: float, op: str, method: Method) -> str:
    """better | equal | worse for one pair, or not_covered when there is no threshold."""
    if not np.isfinite(threshold):
        return "not_covered"
    if is_equal(value, threshold, method):
        return "equal"
    return "better" if margin(value, threshold, method) > 0 else "worse"


def class_reached(value: float, bounds: list[tuple[str, Bound | None, float]], method: Method) -> str | None:
    """The best class whose bound the value meets (classes listed best first)."""
    for label, bound, threshold in bounds:
        if bound is None:
            return label
        if meets(value, bound.op, threshold, method):
            return label
    return None


# --- which reference values apply --------------------------------------------------------------


@dataclass
class AppliedValue:
    """One reference value that applies to a declaration, its thresholds evaluated (canonical)."""

    edition: ReferenceEdition
    value: ReferenceValue
    limits: list[tuple[str, float]] = field(default_factory=list)  # (op, threshold)
    classes: list[tuple[str, Bound | None, float]] = field(default_factory=list)
    covered: bool = True

    @property
    def top(self) -> tuple[str, float, str | None] | None:
        """The most stringent requirement this value sets: (op, threshold, class label)."""
        for label, bound, t in self.classes:
            if bound is not None and np.isfinite(t):
                return bound.op, t, label
        finite = [(op, t) for op, t in self.limits if np.isfinite(t)]
        if not finite:
            return None
        return finite[0][0], finite[0][1], None

    @property
    def mandatory(self) -> list[tuple[str, float, str | None]]:
        """Legal minimums this value sets: its limits, or its minimum class, in a mandatory document."""
        if not self.edition.mandatory:
            return []
        out = [(op, t, None) for op, t in self.limits if np.isfinite(t)]
        if self.value.minimum_class:
            for label, bound, t in self.classes:
                if label == self.value.minimum_class and bound is not None and np.isfinite(t):
                    out.append((bound.op, t, label))
        return out

    @property
    def verified(self) -> bool:
        top = self.top
        if top and top[2] is not None:
            for c in self.value.classes:
                if c.label == top[2] and c.verified is not None:
                    return c.verified and self.value.verified
        return self.value.verified


@dataclass
class AppliedArrays:
    """One reference value over n rows: where it applies and its thresholds (canonical)."""

    edition: ReferenceEdition
    value: ReferenceValue
    applies: np.ndarray  # rows whose parameters satisfy the value's `where`
    limits: list[tuple[str, np.ndarray]] = field(default_factory=list)
    classes: list[tuple[str, Bound | None, np.ndarray]] = field(default_factory=list)


def reference_values(catalogue: Catalogue, set_id: str, indicator_id: str, segment_id: str | None,
                     on: dt.date, include_superseded: bool = False):
    """(edition, value) pairs for one indicator and segment, in force and in effect on `on`
    (superseded or withdrawn editions only when `include_superseded`)."""
    for edition in catalogue.references.values():
        status = catalogue.status_of(edition.id, on)
        if status == "not_yet_in_force":
            continue
        if status in ("withdrawn", "superseded") and not include_superseded:
            continue
        for value in edition.values:
            if value.indicator_set != set_id or value.indicator != indicator_id:
                continue
            if not value.in_effect(on):
                continue
            if value.segments is not None and segment_id not in value.segments:
                continue
            yield edition, value


def applicable_arrays(catalogue: Catalogue, set_id: str, indicator_id: str, segment_id: str | None,
                      params: Mapping[str, np.ndarray], n: int, on: dt.date,
                      include_superseded: bool = False) -> list[AppliedArrays]:
    """The reference values for n rows of one segment, thresholds evaluated per row; NaN where a
    value does not apply to a row or cannot be evaluated for its parameters."""
    out = []
    for edition, value in reference_values(catalogue, set_id, indicator_id, segment_id, on,
                                           include_superseded):
        applies = condition_mask(value.where, params, n)
        if not applies.any():
            continue

        def canonical(bound: Bound | None) -> np.ndarray:
            if bound is None:
                return np.full(n, np.nan)
            t = bound.threshold.evaluate(params, n) * value.factor + value.offset  # noqa: B023
            return np.where(applies, t, np.nan)  # noqa: B023

        out.append(AppliedArrays(edition, value, applies,
                                 [(b.op, canonical(b)) for b in value.limits],
                                 [(c.label, c.bound, canonical(c.bound)) for c in value.classes]))
    return out


def applicable_values(catalogue: Catalogue, set_id: str, indicator_id: str, segment_id: str | None,
                      params: Mapping[str, object], on: dt.date,
                      include_superseded: bool = False) -> tuple[list[AppliedValue], list[AppliedValue]]:
    """Reference values for one indicator of one declaration: (applicable, not covered).

    A value applies when its edition is in force on `on` (or merely published when
    `include_superseded`), it is in effect on `on`, names the declaration's segment (or none) and
    its `where` holds for the parameters. A value whose threshold cannot be evaluated for these
    parameters (outside its table, a missing parameter) is returned as not covered.
    """
    arrays = {k: np.asarray([v]) for k, v in params.items()}
    applied, uncovered = [], []
    for a in applicable_arrays(catalogue, set_id, indicator_id, segment_id, arrays, 1, on,
                               include_superseded):
        item = AppliedValue(a.edition, a.value,
                            [(op, float(t[0])) for op, t in a.limits],
                            [(label, bound, float(t[0])) for label, bound, t in a.classes])
        item.covered = item.top is not None
        (applied if item.covered else uncovered).append(item)
    applied.sort(key=lambda a: (a.edition.tier, a.edition.id, a.value.pointer))
    return applied, uncovered
