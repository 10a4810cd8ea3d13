"""The ladder walk over arrays, three-valued (docs/verdicts.md §4).

For the rows of one segment and one indicator: each level's requirement gives a step outcome per
row (met, failed, not assessable with its reason, or vacuous), and the rows' level is the interval
[lowest, highest]: lowest is the level below the first step that is not met (or vacuous), highest
the level below the first failed step. A step that fails after an unassessable one still fails.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmark.engine.compare import Method, judge, round_half_even
from benchmark.engine.resolve import Applied, Thresholds, strictest
from benchmark.engine.types import (
    BETWEEN_RULE_UNCERTAIN,
    EDITION_VALUES_MISSING,
    FAIL,
    FAILED,
    INDICATIVE_BASIS,
    MET,
    NO_REFERENCE_OF_KIND,
    NOT_ASSESSABLE,
    PASS,
    UNKNOWN,
    VACUOUS,
)
from benchmark.model import Ladder, Level, LevelRequirement, ReferenceEdition


@dataclass
class Walk:
    """The ladder walked for n rows."""

    steps: np.ndarray  # (levels, n) int8 step outcome; row 0 (the lowest level) is always MET
    reasons: np.ndarray  # (levels, n) int8 reason a step is not assessable
    lowest: np.ndarray  # int8 ladder index
    highest: np.ndarray  # int8 ladder index
    vacuous: np.ndarray  # bool: some step was vacuous (no domestic mandatory limit applies)
    rests: np.ndarray  # bool: the lowest level rests on that vacuous step


_STEP_OF = np.array([0, 0, 0], dtype=np.int8)  # outcome code → step outcome
_STEP_OF[PASS], _STEP_OF[UNKNOWN], _STEP_OF[FAIL] = MET, NOT_ASSESSABLE, FAILED


def requirement(level: Level) -> LevelRequirement:
    """What a level above the lowest requires (the lowest level requires nothing)."""
    if level.requires is None:
        raise ValueError(f"level {level.id} has no requirement: only the lowest level may not")
    return level.requires


def requirement_thresholds(req: LevelRequirement, applied: list[Applied]
                           ) -> list[tuple[Applied, Thresholds]]:
    """The thresholds a requirement compares with; for `most_stringent` every candidate's top
    (meeting the strictest is meeting them all)."""
    out = []
    for a in applied:
        if req.of == "mandatory":
            if not req.tiers or a.edition.tier in req.tiers:
                out += [(a, th) for th in a.mandatory()]
        elif req.of == "class":
            if a.edition.id == req.reference:
                out += [(a, th) for th in a.classes
                        if th is not None and th.label == req.class_label]
        elif ((not req.tiers or a.edition.tier in req.tiers)
              and (not req.references or a.edition.id in req.references)):
            out += [(a, th) for th in a.top()]
    return out


def _missing_here(req: LevelRequirement, missing: list[ReferenceEdition]) -> bool:
    for e in missing:
        if req.of == "mandatory" and not e.mandatory:
            continue
        if req.of == "class" and e.id != req.reference:
            continue
        if req.tiers and e.tier not in req.tiers:
            continue
        if req.references and e.id not in req.references:
            continue
        return True
    return False


def step(req: LevelRequirement, applied: list[Applied], missing: list[ReferenceEdition],
         lo: np.ndarray, hi: np.ndarray, method: Method) -> tuple[np.ndarray, np.ndarray]:
    """One requirement over n rows: (step outcome, reason when not assessable)."""
    n = len(lo)
    worst = np.zeros(n, dtype=np.int8)
    reason = np.zeros(n, dtype=np.int8)
    has = np.zeros(n, dtype=bool)
    beats = req.relation == "beats"
    for a, th in requirement_thresholds(req, applied):
        finite = np.isfinite(th.low)
        if not finite.any():
            continue
        has |= finite
        code = judge(lo, hi, th.op, th.low, th.high, method, beats)
        why = np.where(th.uncertain, BETWEEN_RULE_UNCERTAIN, 0) if th.low is not th.high else 0
        if a.indicative:  # another basis: never awards nor withholds a level
            code = np.full(n, UNKNOWN, dtype=np.int8)
            why = np.full(n, INDICATIVE_BASIS)
        code = np.where(finite, code, PASS).astype(np.int8)
        first_unknown = (code == UNKNOWN) & (reason == 0)
        reason[first_unknown] = why[first_unknown] if isinstance(why, np.ndarray) else why
        np.maximum(worst, code, out=worst)
    if _missing_here(req, missing):  # an edition in force whose values are not in hand
        reason[(worst == PASS) | (reason == 0)] = EDITION_VALUES_MISSING
        worst[worst == PASS] = UNKNOWN
        has[:] = True
    out = _STEP_OF[worst]
    none = ~has
    if req.if_none == "pass":
        out[none] = VACUOUS
    else:
        out[none] = NOT_ASSESSABLE
        reason[none] = NO_REFERENCE_OF_KIND
    reason[out != NOT_ASSESSABLE] = 0
    return out, reason


def walk(ladder: Ladder, applied: list[Applied], missing: list[ReferenceEdition],
         lo: np.ndarray, hi: np.ndarray, method: Method, keep_steps: bool = True) -> Walk:
    """The ladder for n rows; with `keep_steps` every step's outcome and reason per row too.
    Steps above the first failed one decide nothing and carry no reason."""
    n = len(lo)
    k = len(ladder.levels)
    steps = np.zeros((k, n), dtype=np.int8)  # left empty (0) without keep_steps
    reasons = np.zeros((k, n), dtype=np.int8)
    lowest = np.zeros(n, dtype=np.int8)
    highest = np.zeros(n, dtype=np.int8)
    certain = np.ones(n, dtype=bool)
    possible = np.ones(n, dtype=bool)
    vacuous = np.zeros(n, dtype=bool)
    rests = np.zeros(n, dtype=bool)
    for i, level in enumerate(ladder.levels[1:], start=1):
        s, why = step(requirement(level), applied, missing, lo, hi, method)
        if keep_steps:
            why[~possible] = 0
            steps[i], reasons[i] = s, why
        is_vacuous = s == VACUOUS
        vacuous |= is_vacuous
        certain &= (s == MET) | is_vacuous
        possible &= s != FAILED
        lowest[certain] = i
        rests[certain] = is_vacuous[certain]
        highest[possible] = i
    return Walk(steps, reasons, lowest, highest, vacuous, rests)


def required_value(ladder: Ladder, target: str, applied: list[Applied], method: Method,
                   row: int) -> tuple[float | None, str | None, bool]:
    """The least value (in the direction of improvement) that reaches level `target` at one
    row — every requirement up to it, at the strict end of each threshold: (value, the
    reference that binds, strictly more than the value is needed)."""
    best: float | None = None
    binding: str | None = None
    strict = False
    sign = method.sign or 1
    for level in ladder.levels[1:ladder.index(target) + 1]:
        req = requirement(level)
        pairs = requirement_thresholds(req, applied)
        th = strictest([t for _, t in pairs], sign, row)
        if th is None:
            continue
        a = next(a for a, t in pairs if t is th)
        t = float(th.high[row] if th.op in ("ge", "gt") else th.low[row])
        need, exceed = t, False
        if req.relation == "beats" or th.op in ("gt", "lt"):
            tol = float(method.tolerance(t))
            need = t + sign * (tol + method.step)
            if method.rounded:
                need = float(round_half_even(np.asarray(need), method.digits))
            exceed = not method.rounded
        if best is None or (need - best) * sign > 0:
            best, binding, strict = need, a.edition.id, exceed
    return best, binding, strict


def required_values(ladder: Ladder, target: str, applied: list[Applied], method: Method
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`required_value` for every row of `applied` at once: (the least value reaching level
    `target`, NaN where no threshold applies; the binding reference's id, "" where none;
    strictly more than the value is needed)."""
    n = len(applied[0].applies) if applied else 0
    sign = method.sign or 1
    best = np.full(n, np.nan)
    binding = np.full(n, "", dtype=object)
    strict = np.zeros(n, dtype=bool)
    for level in ladder.levels[1:ladder.index(target) + 1]:
        req = requirement(level)
        t = np.full(n, np.nan)  # the strictest threshold of this level per row, as strictest()
        key_strict = np.zeros(n, dtype=bool)
        ref = np.full(n, "", dtype=object)
        for a, th in requirement_thresholds(req, applied):
            value = np.asarray(th.high if th.op in ("ge", "gt") else th.low, dtype=float)
            is_strict = th.op in ("gt", "lt")
            better = np.isfinite(value) & (np.isnan(t) | (value * sign > t * sign)
                                           | ((value == t) & is_strict & ~key_strict))
            t[better], key_strict[better], ref[better] = value[better], is_strict, a.edition.id
        need, exceed = t.copy(), np.zeros(n, dtype=bool)
        moved = key_strict | (req.relation == "beats")
        if moved.any():
            tol = np.asarray(method.tolerance(t), dtype=float)
            shifted = t + sign * (tol + method.step)
            if method.rounded:
                finite = np.isfinite(shifted)
                shifted[finite] = round_half_even(shifted[finite], method.digits)
            need = np.where(moved, shifted, t)
            exceed = moved & (not method.rounded)
        take = np.isfinite(need) & (np.isnan(best) | ((need - best) * sign > 0))
        best[take], binding[take], strict[take] = need[take], ref[take], exceed[take]
    return best, binding, strict
