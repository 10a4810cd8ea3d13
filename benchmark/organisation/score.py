"""The scoring kernel of organisational schemes: pure functions over arrays, so a batch of
organisations is one computation (one row per organisation, one column per criterion).

Inputs are shares of each criterion's points (0..1; NaN where no value was given). Three values
throughout: a criterion the review has not scored is *not assessed* — it adds nothing to the low
total and its full weighted points to the high one, and a grade holds only when both ends of the
total reach it. Knock-out state, per organisation: 1 holds, 0 fails (some knock-out criterion is
definitely below its minimum), -1 not assessable (none fails, one is not assessed).

Grade index: -1 no grade (knocked out), 0 below the lowest grade, k the k-th grade (lowest = 1).
Totals are rounded to 1e-6 points before they are compared with the grade minimums, so a sum of
decimal points in binary floats never lands just below a boundary it reaches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DIGITS = 6
HAIR = 1e-9
KNOCKED_OUT = -1
KO_HOLDS, KO_FAILS, KO_UNKNOWN = 1, 0, -1


@dataclass(frozen=True)
class SchemeArrays:
    """A scheme as arrays: per criterion its full points, combined weight, dimension index and
    knock-out minimum share (NaN: not a knock-out); the grade minimums, lowest first; the
    tolerance (weighted points) of the self-above-review flag."""

    points: np.ndarray
    weight: np.ndarray
    dimension: np.ndarray
    n_dimensions: int
    knock_out: np.ndarray
    grade_min: np.ndarray
    tolerance: float = 0.0

    @property
    def weighted(self) -> np.ndarray:
        return self.points * self.weight


@dataclass(frozen=True)
class Scores:
    """Every intermediate of a batch, one row per organisation; reports are views of it."""

    effective: np.ndarray        # (n, c) review share after the evidence rule; NaN: not assessed
    points: np.ndarray           # (n, c) weighted points of `effective`; NaN: not assessed
    headroom: np.ndarray         # (n, c) weighted points still to gain (all when not assessed)
    self_points: np.ndarray      # (n, c) weighted points the self-assessment claims; NaN: none
    difference: np.ndarray       # (n, c) self − review as scored by the reviewer; NaN: one missing
    self_above: np.ndarray       # (n, c) bool: difference above the tolerance
    evidence_zeroed: np.ndarray  # (n, c) bool: reviewed, required evidence missing, scored 0
    low: np.ndarray              # (n,) total, not-assessed criteria at 0
    high: np.ndarray             # (n,) total, not-assessed criteria at full points
    dimension_low: np.ndarray    # (n, d)
    dimension_high: np.ndarray   # (n, d)
    self_total: np.ndarray       # (n,) self-assessed total (criteria without a self value at 0)
    knock_out: np.ndarray        # (n,) KO_HOLDS / KO_FAILS / KO_UNKNOWN
    knock_out_failed: np.ndarray   # (n, c) bool
    knock_out_unknown: np.ndarray  # (n, c) bool
    grade_low: np.ndarray        # (n,) grade index of the worst case
    grade_high: np.ndarray       # (n,) grade index of the best case

    @property
    def determinate(self) -> np.ndarray:
        return self.grade_low == self.grade_high


def grade_index(total: np.ndarray, grade_min: np.ndarray) -> np.ndarray:
    """How many grade minimums each total reaches (a minimum belongs to its grade)."""
    return np.searchsorted(np.round(grade_min, DIGITS), np.round(total, DIGITS), side="right")


def score(arrays: SchemeArrays, review: np.ndarray, reviewed: np.ndarray,
          evidence_missing: np.ndarray, self_share: np.ndarray) -> Scores:
    """Score a batch. `review` (n, c) shares the reviewer gave (NaN: none); `reviewed` (n, c) the
    reviewer looked at the criterion (gave a value or named evidence not found); `evidence_missing`
    (n, c) some required evidence is missing; `self_share` (n, c) the self-assessment (NaN: none).

    The evidence rule: a reviewed criterion with missing evidence scores 0."""
    review = np.asarray(review, dtype=float)
    weighted = arrays.weighted
    zeroed = np.asarray(reviewed, bool) & np.asarray(evidence_missing, bool)
    effective = np.where(zeroed, 0.0, review)
    assessed = ~np.isnan(effective)
    points = np.round(effective * weighted, DIGITS)
    headroom = np.round(np.where(assessed, (1.0 - np.nan_to_num(effective)) * weighted, weighted),
                        DIGITS)
    filled = np.where(assessed, points, 0.0)
    missing = np.where(assessed, 0.0, weighted)
    onehot = np.zeros((len(weighted), arrays.n_dimensions))
    onehot[np.arange(len(weighted)), arrays.dimension] = 1.0
    dimension_low = np.round(filled @ onehot, DIGITS)
    dimension_high = np.round((filled + missing) @ onehot, DIGITS)
    low = np.round(filled.sum(axis=1), DIGITS)
    high = np.round((filled + missing).sum(axis=1), DIGITS)

    self_points = np.round(np.asarray(self_share, dtype=float) * weighted, DIGITS)
    difference = np.round(self_points - review * weighted, DIGITS)
    with np.errstate(invalid="ignore"):
        self_above = np.nan_to_num(difference, nan=-np.inf) > arrays.tolerance + HAIR
    self_total = np.round(np.nansum(self_points, axis=1), DIGITS)

    is_knock = ~np.isnan(arrays.knock_out)
    need = np.nan_to_num(arrays.knock_out)
    with np.errstate(invalid="ignore"):
        failed = is_knock & assessed & (np.nan_to_num(effective) < need - HAIR)
    unknown = is_knock & ~assessed
    knock_out = np.where(failed.any(axis=1), KO_FAILS,
                         np.where(unknown.any(axis=1), KO_UNKNOWN, KO_HOLDS))
    g_low = grade_index(low, arrays.grade_min)
    g_high = grade_index(high, arrays.grade_min)
    grade_low = np.where(knock_out == KO_HOLDS, g_low, KNOCKED_OUT)
    grade_high = np.where(knock_out == KO_FAILS, KNOCKED_OUT, g_high)
    return Scores(effective=effective, points=np.where(assessed, points, np.nan),
                  headroom=headroom, self_points=self_points, difference=difference,
                  self_above=self_above, evidence_zeroed=zeroed, low=low, high=high,
                  dimension_low=dimension_low, dimension_high=dimension_high,
                  self_total=self_total, knock_out=knock_out, knock_out_failed=failed,
                  knock_out_unknown=unknown, grade_low=grade_low, grade_high=grade_high)


def competition_ranks(total: np.ndarray, ranked: np.ndarray) -> np.ndarray:
    """Rank "1, 2, 2, 4" by total, highest first, among the `ranked` rows; 0 for the others."""
    total = np.round(np.asarray(total, dtype=float), DIGITS)
    ranked = np.asarray(ranked, bool)
    pool = np.sort(total[ranked])[::-1]
    # rank = 1 + how many ranked totals are strictly higher
    higher = len(pool) - np.searchsorted(pool[::-1], total, side="right")
    return np.where(ranked, higher + 1, 0)
