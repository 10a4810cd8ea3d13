"""Assessing a whole population at once: segments, levels and programme rules over arrays.

This is the array form of `evaluation.evaluate_declaration` for every row of a population: the same
reference values, the same cumulative ladder, the same rules and verdict, computed per segment as
numpy operations instead of one declaration at a time (tests check both agree row by row). It keeps
what rankings need — level and grade-table class per indicator, rule outcomes and verdict per
row — not the prose of a report; the most stringent domestic value is computed on demand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from benchmark.compare import AppliedArrays, Method, applicable_arrays, beats, meets
from benchmark.model import Catalogue, Indicator, IndicatorSet, LevelRequirement, Programme, condition_mask
from benchmark.population import Population, split_references
from benchmark.programmes import ELIGIBLE, NOT_ELIGIBLE, NOT_EVALUABLE

PASS, UNKNOWN, FAIL = 0, 1, 2
CHUNK_ROWS = 1 << 17
OPS = ("ge", "gt", "le", "lt", "eq")  # bounds as small integer codes in arrays; -1 = none
_STRICT = (OPS.index("gt"), OPS.index("lt"))


@dataclass
class IndicatorLevels:
    """One indicator over the population rows."""

    id: str
    cls: str
    weight: float
    sign: int
    unit: str | None
    value: np.ndarray  # canonical value the standard guarantees; NaN = not declared
    applies: np.ndarray  # bool: the indicator applies to the row's segment
    level: np.ndarray  # int8 ladder index; -1 = no level
    capped: np.ndarray  # int8 index of the first level that could not be assessed; -1 = none
    no_reference: np.ndarray  # bool: declared, compared, but no reference value applies
    top_class: np.ndarray  # bool: reaches the best class of some grade table
    label: np.ndarray | None = None  # booleans / ordinal grades
    order: tuple[str, ...] = ()  # ordinal grades, lowest first

    @property
    def declared(self) -> np.ndarray:
        """A value or label was declared (for quantities computed when asked: one array less per
        indicator)."""
        return ~np.isnan(self.value) if self.label is None else self._labelled

    @cached_property
    def _labelled(self) -> np.ndarray:
        return np.array([x not in (None, "") for x in self.label], dtype=bool)



@dataclass
class Assessment:
    population: Population
    programme: Programme
    on: dt.date
    segment_ids: tuple[str, ...]  # the category's segments, in catalogue order
    segment_code: np.ndarray  # index into segment_ids per row; -1 = no segment found
    indicators: dict[str, IndicatorLevels]
    rules: dict[str, np.ndarray]  # rule id -> outcome per row (PASS | UNKNOWN | FAIL)
    score: np.ndarray | None  # weighted score per row (NaN where not computed)
    withdrawn: np.ndarray  # bool: some normative reference is withdrawn or superseded
    references: list[str] = field(default_factory=list)  # editions that gave a threshold
    catalogue: Catalogue | None = None
    include_superseded: bool = False

    @cached_property
    def segment(self) -> np.ndarray:
        """Segment id per row ("" = none found)."""
        return np.array(list(self.segment_ids) + [""], dtype=object)[self.segment_code]

    @cached_property
    def outcome(self) -> np.ndarray:
        """The worst rule outcome per row: PASS (eligible), UNKNOWN or FAIL."""
        worst = np.zeros(len(self.segment_code), dtype=np.int8)
        for outcome in self.rules.values():
            np.maximum(worst, outcome, out=worst)
        return worst

    @property
    def verdict(self) -> np.ndarray:
        """eligible | not_evaluable | not_eligible per row."""
        return np.array([ELIGIBLE, NOT_EVALUABLE, NOT_ELIGIBLE], dtype=object)[self.outcome]

    def reasons(self, row: int) -> list[str]:
        """Rules a row fails (or cannot be evaluated against), as 'rule: outcome'."""
        return [f"{rid}: {'fail' if out[row] == FAIL else 'not evaluable'}"
                for rid, out in self.rules.items() if out[row] != PASS]


# --- kernels -------------------------------------------------------------------------------------


def meets_ops(value: np.ndarray, ops: np.ndarray, threshold: np.ndarray, method: Method) -> np.ndarray:
    """`meets` with a (possibly different) bound per row, bounds given as OPS codes."""
    out = np.zeros(len(value), dtype=bool)
    for code, op in enumerate(OPS):
        rows = ops == code
        if rows.all():
            return meets(value, op, threshold, method)
        if rows.any():
            out[rows] = meets(value[rows], op, threshold[rows], method)
    return out


def _top(a: AppliedArrays, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the most stringent requirement of one value: its best class with a threshold,
    else its first limit (the array form of `AppliedValue.top`)."""
    t = np.full(n, np.nan)
    ops = np.full(n, -1, dtype=np.int8)
    for _, bound, th in a.classes:
        if bound is None:
            continue
        take = np.isnan(t) & np.isfinite(th)
        t[take], ops[take] = th[take], OPS.index(bound.op)
    for op, th in a.limits:
        take = np.isnan(t) & np.isfinite(th)
        t[take], ops[take] = th[take], OPS.index(op)
    return t, ops


def _mandatory(a: AppliedArrays) -> list[tuple[str, np.ndarray]]:
    if not a.edition.mandatory:
        return []
    out = list(a.limits)
    if a.value.minimum_class:
        out += [(bound.op, th) for label, bound, th in a.classes
                if label == a.value.minimum_class and bound is not None]
    return out


def _requirement(req: LevelRequirement, applied: list[AppliedArrays], tops: list, value: np.ndarray,
                 method: Method) -> tuple[np.ndarray, np.ndarray]:
    """(has a threshold, requirement holds) per row — the array form of levels.requirement_*."""
    n = len(value)
    if req.of in ("mandatory", "class"):
        pairs = []
        for a in applied:
            if req.of == "mandatory" and (not req.tiers or a.edition.tier in req.tiers):
                pairs += _mandatory(a)
            elif req.of == "class" and a.edition.id == req.reference:
                pairs += [(bound.op, th) for label, bound, th in a.classes
                          if label == req.class_label and bound is not None]
        has = np.zeros(n, dtype=bool)
        holds = np.ones(n, dtype=bool)
        for op, th in pairs:
            finite = np.isfinite(th)
            has |= finite
            ok = meets(value, op, th, method) if req.relation == "meets" else beats(value, th, method)
            holds &= ok | ~finite
        return has, holds
    sign = method.sign or 1
    best = np.full(n, np.nan)
    best_op = np.full(n, -1, dtype=np.int8)
    for a, (t, ops) in zip(applied, tops):
        if req.tiers and a.edition.tier not in req.tiers:
            continue
        if req.references and a.edition.id not in req.references:
            continue
        finite = np.isfinite(t)
        key, cur = t * sign, best * sign
        strict = np.isin(ops, _STRICT)
        better = finite & (np.isnan(best) | (key > cur) |
                           ((key == cur) & strict & ~np.isin(best_op, _STRICT)))
        best[better], best_op[better] = t[better], ops[better]
    has = np.isfinite(best)
    if req.relation == "meets":
        return has, meets_ops(value, best_op, best, method)
    return has, beats(value, best, method)


def domestic_threshold(a: Assessment, indicator_id: str, rows: np.ndarray) -> np.ndarray:
    """The most stringent domestic reference value (canonical; NaN = none) for `rows`, all of one
    segment: computed when asked, so a population does not carry it for every row. "Domestic" is
    what the ladder says: the tiers of its first most-stringent requirement (domestic advanced)."""
    r = a.indicators[indicator_id]
    domestic = next((lv.requires.tiers for lv in a.programme.ladder.levels[1:]
                     if lv.requires.of == "most_stringent"), ())
    n = len(rows)
    best = np.full(n, np.nan)
    code = a.segment_code[rows[0]] if n else -1
    params = {k: v[rows] for k, v in a.population.parameters.items()}
    for item in applicable_arrays(a.catalogue, a.population.category, indicator_id,
                                  a.segment_ids[code] if code >= 0 else None, params, n, a.on,
                                  a.include_superseded):
        if domestic and item.edition.tier not in domestic:
            continue
        t, _ = _top(item, n)
        better = np.isfinite(t) & (np.isnan(best) | (t * (r.sign or 1) > best * (r.sign or 1)))
        best[better] = t[better]
    return best


# --- assessment ------------------------------------------------------------------------------------


def segments_of(iset: IndicatorSet, params: dict[str, np.ndarray], n: int) -> np.ndarray:
    """The index of each row's segment in `iset.segments` (-1 when it falls in none, or in more
    than one)."""
    out = np.full(n, -1, dtype=np.int16)
    hits = np.zeros(n, dtype=np.int8)
    for i, s in enumerate(iset.segments):
        mask = condition_mask(s.where, params, n)
        out[mask] = i
        hits += mask
    out[hits != 1] = -1
    return out


def _indicator(ind: Indicator, pop: Population, catalogue: Catalogue, iset: IndicatorSet,
               programme: Programme, segment: np.ndarray, in_scope: np.ndarray, on: dt.date,
               include_superseded: bool, used: set[str]) -> IndicatorLevels:
    n = len(pop)
    ladder = programme.ladder
    value = pop.values.get(ind.id, np.full(n, np.nan))
    label = pop.labels.get(ind.id)
    declared = ~np.isnan(value) if label is None else np.array([x not in (None, "") for x in label])
    ids = [s.id for s in iset.segments]
    applies = (np.broadcast_to(np.True_, (n,)) if ind.segments is None else
               np.isin(segment, [i for i, s in enumerate(ids) if s in ind.segments]) | (segment < 0))
    out = IndicatorLevels(ind.id, ind.cls, ind.weight, ind.sign, ind.unit, value, applies,
                          np.full(n, -1, dtype=np.int8), np.full(n, -1, dtype=np.int8),
                          np.zeros(n, dtype=bool), np.zeros(n, dtype=bool), label,
                          ind.order)
    if ind.kind == "boolean" and label is not None:
        out.level[declared] = np.where(label[declared] == True, 1, 0)  # noqa: E712
        return out
    if ind.kind != "quantity" or ind.sign == 0:
        return out
    method = Method.of(ind)
    compared = declared & applies & in_scope
    for seg in np.unique(segment[compared]):
        seg_rows = np.flatnonzero(compared & (segment == seg))
        # a chunk of rows at a time bounds the memory of the per-row thresholds
        for rows in np.array_split(seg_rows, -(-len(seg_rows) // CHUNK_ROWS)):
            _levels(ind, out, rows, pop, catalogue, iset.id, ids[seg] if seg >= 0 else None, ladder,
                    method, on, include_superseded, used)
    return out


def _levels(ind: Indicator, out: IndicatorLevels, rows: np.ndarray, pop: Population,
            catalogue: Catalogue, set_id: str, segment_id: str | None, ladder, method: Method,
            on: dt.date, include_superseded: bool, used: set[str]) -> None:
    """Walk the ladder for `rows` (declared, in one segment): the array form of levels.level_of."""
    params = {k: v[rows] for k, v in pop.parameters.items()}
    applied = applicable_arrays(catalogue, set_id, ind.id, segment_id, params, len(rows), on,
                                include_superseded)
    tops = [_top(a, len(rows)) for a in applied]
    covered = np.zeros(len(rows), dtype=bool)
    for (t, _), a in zip(tops, applied):
        covered |= np.isfinite(t)
        if np.isfinite(t).any():
            used.add(a.edition.id)
    v = out.value[rows]
    out.no_reference[rows[~covered]] = True
    level = np.where(covered, 0, -1).astype(np.int8)
    capped = np.full(len(rows), -1, dtype=np.int8)
    alive = covered.copy()
    for i, lv in enumerate(ladder.levels[1:], start=1):
        has, holds = _requirement(lv.requires, applied, tops, v, method)
        if lv.requires.if_none == "pass":
            vacuous = alive & ~has
        else:
            vacuous = np.zeros(len(rows), dtype=bool)
            capped[alive & ~has] = i
        alive &= vacuous | (has & holds)
        level[alive] = i
    out.level[rows], out.capped[rows] = level, capped
    for a in applied:
        graded = [(bound, th) for _, bound, th in a.classes if bound is not None]
        if graded:
            bound, th = graded[0]
            out.top_class[rows] |= meets(v, bound.op, th, method)


def assess(pop: Population, catalogue: Catalogue, programme_id: str, on: dt.date,
           include_superseded: bool = False) -> Assessment:
    """Levels, rule outcomes and verdict for every row of `pop` under a programme."""
    iset = catalogue.sets[pop.category]
    programme = iset.programmes[programme_id]
    n = len(pop)
    segment = segments_of(iset, pop.parameters, n)
    in_scope = (segment >= 0) if iset.segments else np.ones(n, dtype=bool)
    used: set[str] = set()
    inds = {ind.id: _indicator(ind, pop, catalogue, iset, programme, segment, in_scope, on,
                               include_superseded, used)
            for ind in iset.indicators.values()}
    withdrawn = np.zeros(n, dtype=bool)
    if "normative_references" in pop.fields:
        codes, uniques = pd.factorize(pop.fields["normative_references"])
        bad = [any(catalogue.status_of(ref, on) in ("withdrawn", "superseded")
                   for ref in split_references(text)) for text in uniques]
        withdrawn = np.array(bad + [False], dtype=bool)[codes]
    rules: dict[str, np.ndarray] = {}
    score = None
    for rule in programme.rules:
        outcome = _Outcome(n)
        subjects = ([inds[i] for i in rule.indicators if i in inds] if rule.indicators
                    else [r for r in inds.values() if r.cls in rule.classes])
        if rule.kind == "gate":
            _gate(rule, inds, subjects, in_scope, withdrawn, outcome)
        elif rule.kind in ("conjunctive", "counting"):
            _level_rule(rule, programme, subjects, outcome)
        elif rule.kind == "weighted_score":
            score = _score(rule, programme, inds, subjects, outcome)
        rules[rule.id] = outcome.codes
    return Assessment(pop, programme, on, tuple(s.id for s in iset.segments), segment, inds, rules,
                      score, withdrawn, sorted(used), catalogue, include_superseded)


class _Outcome:
    """One rule's outcome per row: PASS until failed or found not evaluable (a fail stays)."""

    def __init__(self, n: int) -> None:
        self.codes = np.zeros(n, dtype=np.int8)

    def fail(self, mask: np.ndarray) -> None:
        self.codes[mask] = FAIL

    def unknown(self, mask: np.ndarray) -> None:
        self.codes[mask & (self.codes != FAIL)] = UNKNOWN


def _gate(rule, inds: dict, subjects: list, in_scope: np.ndarray, withdrawn: np.ndarray,
          out: _Outcome) -> None:
    """The array form of programmes._gate."""
    if rule.check == "basic_pass":
        for r in (r for r in inds.values() if r.cls == "basic"):
            out.unknown(r.applies & ~r.declared)
            bad = (r.label == False) if r.label is not None else (r.level < 1)  # noqa: E712
            out.fail(r.applies & r.declared & bad)
    elif rule.check == "core_count":
        count = np.zeros(len(in_scope), dtype=np.int16)
        for r in inds.values():
            if r.cls == "core":
                count += r.applies & r.declared
        out.fail(count < (rule.at_least or 0))
    elif rule.check == "required_present":
        for r in subjects:
            out.unknown(r.applies & ~r.declared)
    elif rule.check == "no_withdrawn_references":
        out.fail(withdrawn)
    elif rule.check == "in_scope":
        out.unknown(~in_scope)


def _level_rule(rule, programme: Programme, subjects: list, out: _Outcome) -> None:
    """Conjunctive ("all subjects reach the level") and counting ("at least k reach it")."""
    n = len(out.codes)
    target = programme.ladder.index(rule.level)
    reached = np.zeros(n, dtype=np.int16)
    missing = np.zeros(n, dtype=np.int16)
    failing = np.zeros(n, dtype=np.int16)
    any_subject = np.zeros(n, dtype=bool)
    for r in subjects:
        has_value = r.applies & ~np.isnan(r.value)
        gone = r.applies & (~has_value | (r.level < 0))
        ok = has_value & (r.level >= target)
        cap = has_value & (r.level >= 0) & ~ok & (r.capped >= 0) & (r.capped <= target)
        any_subject |= r.applies
        reached += ok
        missing += gone | cap
        failing += has_value & (r.level >= 0) & ~ok & ~cap
    out.unknown(~any_subject)
    if rule.kind == "conjunctive":
        out.fail(failing > 0)
        out.unknown(missing > 0)
    else:
        k = rule.at_least or 0
        short = reached < k
        out.unknown(short & (reached + missing >= k))
        out.fail(short & (reached + missing < k))


def _score(rule, programme: Programme, inds: dict, subjects: list, out: _Outcome) -> np.ndarray:
    """The weighted score per row (NaN where nothing is scorable), bonus included; the array
    form of programmes._score."""
    n = len(out.codes)
    scores = np.array([lv.score or 0.0 for lv in programme.ladder.levels])
    total = np.zeros(n)
    weight = np.zeros(n)
    for r in subjects:
        out.unknown(r.applies & ~r.declared)
        scored = r.applies & r.declared & (r.level >= 0) & ~r.no_reference
        np.add(total, (r.weight * scores)[r.level], out=total, where=scored)
        np.add(weight, r.weight, out=weight, where=scored)
    out.unknown(weight == 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.divide(total, weight, out=total)
    del weight
    bonus = rule.bonus or {}
    if bonus:
        target = programme.ladder.index(bonus["level"]) if bonus.get("level") else None
        earned = np.zeros(n)
        for r in inds.values():
            if r.cls in bonus["classes"]:
                np.add(earned, bonus["points"], out=earned,
                       where=r.applies & r.declared & _earns(r, target))
        score += np.minimum(earned, bonus.get("max", np.inf), out=earned)
        del earned
    score = np.round(np.minimum(score, 100.0, out=score), 2, out=score)
    out.fail((out.codes == PASS) & (score < (rule.pass_mark or 0)))
    return score


def _earns(r: IndicatorLevels, target: int | None) -> np.ndarray:
    """The array form of IndicatorResult.earns_bonus: a boolean declared true, an ordinal above
    its lowest grade, or a quantity reaching the bonus level (or merely declared without one)."""
    if r.label is not None:
        above = set(r.order[1:])
        return np.array([x is True or (bool(above) and x in above) for x in r.label], dtype=bool)
    has = ~np.isnan(r.value)
    return has if target is None else has & (r.level >= target)

