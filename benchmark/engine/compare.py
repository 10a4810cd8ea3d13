"""Comparing a declared value with one threshold (GB/T 8170-2008): the kernels.

Pure functions over numpy arrays. A declared value is the interval [lo, hi] a conforming product
may have; a bound `ge`/`gt` is judged on `lo`, `le`/`lt` on `hi`, `eq` on both (docs/verdicts.md
§2). With the rounded-value method the end is rounded to the indicator's digits first (round half
to even on the decimal value). Tolerance only stops "better": equal within tolerance is equal, and
a value worse than a limit never meets it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from benchmark.engine.types import FAIL, PASS, UNKNOWN
from benchmark.model import Indicator

LOWER_ENDS = ("ge", "gt")  # bounds judged on the lower end of the declared interval


def round_half_even(x: np.ndarray, digits: int) -> np.ndarray:
    """GB/T 8170 rounding to `digits` decimals: a dropped 5 (with nothing after it) rounds to the
    even digit. Values that print as an exact half in decimal (85.25, 2.675) count as halves even
    though their binary float is a hair off."""
    x = np.asarray(x, dtype=float)
    scale = 10.0 ** digits
    y = x * scale
    floor = np.floor(y)
    half = np.abs(y - floor - 0.5) <= 1e-9 * np.maximum(1.0, np.abs(y))  # np.isclose, rtol 0
    halved = floor * 0.5  # exact: a whole number is odd when its half is not whole (no np.mod)
    odd = np.floor(halved) != halved
    return np.where(half, floor + odd, np.round(y)) / scale  # a half: up to the even digit


@dataclass(frozen=True)
class Method:
    """How one indicator is compared: direction sign, GB/T 8170 method and tolerance."""

    sign: int  # +1 higher is better, -1 lower is better, 0 neither
    rounded: bool = False
    digits: int = 0
    tol_abs: float = 0.0
    tol_rel: float = 0.0

    @classmethod
    def of(cls, indicator: Indicator) -> Method:
        sign = 1 if indicator.direction == "ordinal" else indicator.sign
        return cls(sign=sign, rounded=indicator.method == "rounded",
                   digits=indicator.digits or 0, tol_abs=indicator.tol_abs,
                   tol_rel=indicator.tol_rel)

    def prepare(self, value: np.ndarray) -> np.ndarray:
        value = np.asarray(value, dtype=float)
        return round_half_even(value, self.digits) if self.rounded else value

    def tolerance(self, threshold: np.ndarray | float) -> np.ndarray | float:
        """The band within which a value is equal to `threshold`, not better."""
        if not self.tol_rel:
            return self.tol_abs
        return self.tol_abs + self.tol_rel * np.abs(np.asarray(threshold, dtype=float))

    @property
    def raw(self) -> Method:
        """The same comparison for values already prepared (rounded once, not per threshold)."""
        return replace(self, rounded=False) if self.rounded else self

    @property
    def step(self) -> float:
        """The smallest improvement the method can see (one unit of the last rounded digit)."""
        return 10.0 ** -self.digits if self.rounded else 0.0


def _hair(t: np.ndarray) -> np.ndarray:
    """Float slack, so that 85.3 declared equals 85.3 computed and rounded."""
    return 1e-9 * np.maximum(1.0, np.abs(t))


def end(lo: np.ndarray, hi: np.ndarray, op: str) -> np.ndarray:
    """The end of the declared interval a bound is judged on."""
    return lo if op in LOWER_ENDS else hi


def margin(lo: np.ndarray, hi: np.ndarray, op: str, threshold: np.ndarray,
           method: Method) -> np.ndarray:
    """Signed distance to the bound, positive when better (`eq`: minus the larger deviation)."""
    t = np.asarray(threshold, dtype=float)
    if op == "eq":
        return -np.fmax(np.abs(method.prepare(lo) - t), np.abs(method.prepare(hi) - t))
    v = method.prepare(end(lo, hi, op))
    return v - t if op in LOWER_ENDS else t - v


def satisfies(lo: np.ndarray, hi: np.ndarray, op: str, threshold: np.ndarray, method: Method,
              beats: bool = False) -> np.ndarray:
    """Does the declared interval satisfy `op threshold` (or beat it)? `ge`/`le` are met at
    margin ≥ 0; `gt`/`lt` and beating need a margin beyond the tolerance; `eq` holds within the
    tolerance at both ends and is never beaten. NaN on either side gives False."""
    t = np.asarray(threshold, dtype=float)
    m = margin(lo, hi, op, t, method)
    hair = _hair(t)
    if op == "eq":
        ok = (m >= -(method.tolerance(t) + hair)) & (not beats)
    elif beats or op in ("gt", "lt"):
        ok = m > method.tolerance(t) + hair
    else:
        ok = m >= -hair
    return ok & np.isfinite(m)


def judge(lo: np.ndarray, hi: np.ndarray, op: str, t_low: np.ndarray, t_high: np.ndarray,
          method: Method, beats: bool = False) -> np.ndarray:
    """Three-valued: PASS when the bound holds for every plausible threshold in
    [t_low, t_high], FAIL when it holds for none, UNKNOWN otherwise. Rows with no threshold
    (NaN) are left to the caller (they come out FAIL)."""
    if t_low is t_high:  # one plausible threshold: holds or fails
        ok = satisfies(lo, hi, op, t_low, method, beats)
        return np.where(ok, PASS, FAIL).astype(np.int8)
    if op == "eq":
        a = satisfies(lo, hi, op, t_low, method, beats)
        b = satisfies(lo, hi, op, t_high, method, beats)
        holds, fails = a & b, ~a & ~b
    else:
        strict, lenient = (t_high, t_low) if op in LOWER_ENDS else (t_low, t_high)
        holds = satisfies(lo, hi, op, strict, method, beats)
        fails = ~satisfies(lo, hi, op, lenient, method, beats)
    return np.where(holds, PASS, np.where(fails, FAIL, UNKNOWN)).astype(np.int8)


def relation(lo: float, hi: float, op: str, threshold: float, method: Method) -> str:
    """better | equal | worse for one pair, or not_covered when there is no threshold."""
    if not np.isfinite(threshold):
        return "not_covered"
    m = float(margin(np.asarray([lo]), np.asarray([hi]), op, np.asarray([threshold]), method)[0])
    tol = float(method.tolerance(threshold)) + float(_hair(np.asarray(threshold)))
    if op == "eq":
        return "equal" if m >= -tol else "worse"
    if m > tol:
        return "better"
    return "equal" if m >= -float(_hair(np.asarray(threshold))) else "worse"
