"""Advancement levels: walking a programme's ladder for one indicator.

A level holds when its requirement holds and every level below it holds. A requirement compares the
declared value with a set of thresholds (the mandatory limits, the most stringent value of some
tiers, or one class of one reference). When no threshold of the kind exists, the requirement is
either passed vacuously (`if_none: pass`, noted) or not assessable, which caps the level and is said.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from benchmark.compare import AppliedValue, Method, beats, meets, round_half_even
from benchmark.model import Ladder, LevelRequirement


@dataclass
class Threshold:
    """A threshold a level was judged against, with the reference that sets it."""

    reference: str
    tier: str
    op: str
    value: float
    class_label: str | None
    clause: str | None
    verified: bool


@dataclass
class LevelStep:
    level: str
    outcome: str  # met | failed | not_assessable | vacuous
    thresholds: list[Threshold] = field(default_factory=list)
    note: str | None = None


@dataclass
class LevelResult:
    level: str | None  # None: no level could be given (e.g. nothing declared)
    index: int
    steps: list[LevelStep]
    capped_by: str | None = None  # level whose requirement could not be assessed
    failed_at: str | None = None  # first level whose requirement failed


def _threshold(a: AppliedValue, op: str, t: float, label: str | None) -> Threshold:
    return Threshold(a.edition.id, a.edition.tier, op, t, label, a.value.clause, a.verified)


def requirement_thresholds(req: LevelRequirement, applied: list[AppliedValue],
                           sign: int) -> list[Threshold]:
    """The thresholds a requirement compares with (the single strictest for most_stringent)."""
    if req.of == "mandatory":
        return [_threshold(a, op, t, lab) for a in applied for op, t, lab in a.mandatory
                if not req.tiers or a.edition.tier in req.tiers]
    if req.of == "class":
        out = []
        for a in applied:
            if a.edition.id != req.reference:
                continue
            for label, bound, t in a.classes:
                if label == req.class_label and bound is not None and np.isfinite(t):
                    out.append(_threshold(a, bound.op, t, label))
        return out
    pool = [a for a in applied
            if (not req.tiers or a.edition.tier in req.tiers)
            and (not req.references or a.edition.id in req.references)]
    candidates = [(a, a.top) for a in pool if a.top is not None]
    if not candidates:
        return []
    strict_first = {"gt": 0, "lt": 0, "ge": 1, "le": 1, "eq": 1}
    a, (op, t, label) = max(candidates, key=lambda c: (c[1][1] * (sign or 1),
                                                       -strict_first[c[1][0]]))
    return [_threshold(a, op, t, label)]


def requirement_holds(req: LevelRequirement, value: float, thresholds: list[Threshold],
                      method: Method) -> bool:
    if req.relation == "meets":
        return all(bool(meets(value, th.op, th.value, method)) for th in thresholds)
    return all(bool(beats(value, th.value, method)) for th in thresholds)


def level_of(value: float | None, applied: list[AppliedValue], ladder: Ladder,
             method: Method) -> LevelResult:
    """Walk the ladder for one declared value (canonical unit, the value the standard guarantees)."""
    if value is None or not np.isfinite(value):
        return LevelResult(None, -1, [])
    steps: list[LevelStep] = []
    index = 0
    result = LevelResult(ladder.levels[0].id, 0, steps)
    for i, level in enumerate(ladder.levels[1:], start=1):
        req = level.requires
        thresholds = requirement_thresholds(req, applied, method.sign)
        if not thresholds:
            if req.if_none == "pass":
                steps.append(LevelStep(level.id, "vacuous", [], "no reference value of this kind"))
                index = i
                continue
            steps.append(LevelStep(level.id, "not_assessable", [],
                                   "no applicable reference value of this kind"))
            result.capped_by = level.id
            break
        if requirement_holds(req, value, thresholds, method):
            steps.append(LevelStep(level.id, "met", thresholds))
            index = i
            continue
        steps.append(LevelStep(level.id, "failed", thresholds))
        result.failed_at = level.id
        break
    result.index = index
    result.level = ladder.levels[index].id
    return result


def required_value(ladder: Ladder, target: str, applied: list[AppliedValue],
                   method: Method) -> tuple[float | None, Threshold | None]:
    """The least value that reaches level `target` (every requirement up to it): the gap target.

    With the full-value method a "beats" requirement needs strictly more than the value returned."""
    best: float | None = None
    binding: Threshold | None = None
    for level in ladder.levels[1:ladder.index(target) + 1]:
        req = level.requires
        for th in requirement_thresholds(req, applied, method.sign):
            need = th.value
            if req.relation == "beats" or th.op in ("gt", "lt"):
                # beyond the tolerance; with the rounded method, by one unit of the last digit
                tol = method.tol_abs + method.tol_rel * abs(th.value)
                need = th.value + method.sign * (tol + method.step)
                if method.rounded:
                    need = float(round_half_even(need, method.digits))
            if best is None or (need - best) * method.sign > 0:
                best, binding = float(need), th
    return best, binding
