"""A population assessed under a programme: the one place where levels, rule outcomes and the
verdict of every row are decided, over arrays (a declaration is a population of one).

Per indicator and segment (a chunk of rows at a time): the declared interval, derived values
recomputed (the worse of computed and declared is judged), the reference values that apply, the
ladder walk; then every rule of the programme through its registered kind, and the verdict.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from benchmark.engine import levels, resolve
from benchmark.engine.compare import Method, judge
from benchmark.engine.levels import requirement
from benchmark.engine.rules import (
    RELATIVE_KINDS,
    RULE_KINDS,
    RuleInputs,
    RuleOutcome,
    distinct_values,
)
from benchmark.engine.standing import PopulationContext, context_of, segment_positions
from benchmark.engine.types import (
    ASSESSED,
    FAIL,
    LEVEL_UNKNOWN,
    NO_REFERENCE,
    NOT_APPLICABLE,
    NOT_COMPARED,
    NOT_DECLARED,
    OUT_OF_SCOPE,
    PASS,
    VERDICTS,
)
from benchmark.heap import reused_heap
from benchmark.model import (
    Band,
    Catalogue,
    Indicator,
    IndicatorSet,
    Programme,
    ReferenceEdition,
    ReferenceValue,
    condition_mask,
)

if TYPE_CHECKING:
    from benchmark.population import Population

CHUNK_ROWS = 1 << 17  # rows whose thresholds are held at once


@dataclass
class Resolved:
    """The references one chunk of rows (of one segment) was judged against."""

    rows: np.ndarray  # population row numbers, ascending
    applied: list[resolve.Applied]  # values applying to some of the rows, thresholds per row
    missing: list[ReferenceEdition]  # editions in force whose values the catalogue lacks
    values: list[tuple[ReferenceEdition, ReferenceValue]]  # every value in effect (any scope)


@dataclass
class IndicatorAssessment:
    """One indicator over the population rows. An array of one byte a row (ROW_FLAGS) every row
    of which holds the same value is that value held once (`one_value`, read-only)."""

    id: str
    cls: str
    kind: str
    weight: float
    sign: int
    unit: str | None
    value: np.ndarray  # canonical value the standard guarantees (judged); NaN = not declared
    lo: np.ndarray  # the declared interval judged (ordinal grades as ranks)
    hi: np.ndarray
    applies: np.ndarray  # bool: the indicator applies to the row's segment
    declared: np.ndarray  # bool
    status: np.ndarray  # int8, types.STATUSES
    lowest: np.ndarray  # int8 ladder index; -1 = no level
    highest: np.ndarray  # int8 ladder index; -1 = no level
    vacuous: np.ndarray  # bool: a step was vacuous (no domestic mandatory limit applies)
    rests: np.ndarray  # bool: the lowest level rests on the vacuous step
    steps: np.ndarray | None = None  # (levels, n) step outcomes, where compared
    step_reasons: np.ndarray | None = None
    top_class: np.ndarray | None = None  # bool: reaches the best class of a grade table
    has_reference: np.ndarray | None = None  # bool: a reference value applies to the row
    computed: np.ndarray | None = None  # derived value computed from the declared raw values
    mismatch: np.ndarray | None = None  # bool: computed and declared disagree
    label: np.ndarray | pd.Categorical | None = None  # booleans / ordinal grades as declared
    order: tuple[str, ...] = ()
    # with steps: what each chunk of rows was judged against (what an explanation shows)
    resolved: list[Resolved] = field(default_factory=list, repr=False)

    @property
    def level(self) -> np.ndarray:
        """The level surely reached (the lower end of the interval)."""
        return self.lowest

    @property
    def no_reference(self) -> np.ndarray:
        return self.status == NO_REFERENCE

    def label_at(self, rows: np.ndarray) -> np.ndarray:
        """The labels of `rows` (positions) as declared (`label_objects`)."""
        return label_objects(self.label, rows)

    def resolved_at(self, row: int) -> Resolved | None:
        """What one row was judged against (kept with steps), as a chunk of that one row."""
        for chunk, keep, _ in self.resolved_of(np.array([row])):
            return Resolved(np.array([row]), chunk_applied(chunk, keep), chunk.missing,
                            chunk.values)
        return None

    def resolved_of(self, rows: np.ndarray) -> Iterator[tuple[Resolved, np.ndarray, np.ndarray]]:
        """For the `rows` (positions, ascending), each chunk judging some of them: (the chunk,
        the places of those rows in it, their places in `rows`)."""
        for chunk in self.resolved:
            if not len(chunk.rows):
                continue
            pos = np.minimum(np.searchsorted(chunk.rows, rows), len(chunk.rows) - 1)
            at = np.flatnonzero(chunk.rows[pos] == rows)
            if len(at):
                yield chunk, pos[at], at


@dataclass
class Assessment:
    population: Population
    programme: Programme
    on: dt.date
    segment_ids: tuple[str, ...]  # the category's segments, in catalogue order
    segment_code: np.ndarray  # index into segment_ids per row; -1 = no segment found
    indicators: dict[str, IndicatorAssessment]
    outcomes: dict[str, RuleOutcome]
    withdrawn: np.ndarray
    superseded: np.ndarray
    catalogue: Catalogue
    references: list[str] = field(default_factory=list)  # editions that gave a threshold
    include_superseded: bool = False
    context: PopulationContext | None = None  # the peers relative rules were judged against
    margins: dict[str, np.ndarray] = field(default_factory=dict, repr=False)  # by indicator

    @property
    def rules(self) -> dict[str, np.ndarray]:
        """Rule id → outcome per row (PASS | UNKNOWN | FAIL)."""
        return {rid: o.codes for rid, o in self.outcomes.items()}

    @cached_property
    def outcome(self) -> np.ndarray:
        """The worst rule outcome per row: PASS (eligible), UNKNOWN or FAIL."""
        worst = np.zeros(len(self.segment_code), dtype=np.int8)
        for o in self.outcomes.values():
            np.maximum(worst, o.codes, out=worst)
        return worst

    @property
    def verdict(self) -> np.ndarray:
        """eligible | not_evaluable | not_eligible per row."""
        return self.verdict_at(slice(None))

    def verdict_at(self, rows: slice | np.ndarray) -> np.ndarray:
        """eligible | not_evaluable | not_eligible for `rows`."""
        return np.array(VERDICTS, dtype=object)[self.outcome[rows]]

    @cached_property
    def segments(self) -> dict[int, np.ndarray]:
        """The rows of each segment code (`standing.segment_positions`), made once for the
        assessment, its standing context, its ranking and the ranking's summaries."""
        return segment_positions(self.segment_code)

    @cached_property
    def gate_failed(self) -> np.ndarray:
        """bool per row: some gate rule of the programme fails (the row may not be ranked)."""
        return gates_failed(self.programme, self.outcomes, len(self.segment_code))

    @cached_property
    def segment(self) -> np.ndarray:
        """Segment id per row ("" = none found)."""
        return np.array([*self.segment_ids, ""], dtype=object)[self.segment_code]

    @property
    def score(self) -> np.ndarray | None:
        """The lowest possible weighted score per row, when the programme has one."""
        for o in self.outcomes.values():
            if o.score_low is not None:
                return o.score_low
        return None

    def population_references(self, row: int) -> list[str]:
        """The normative references a row cites, as written."""
        from benchmark.population import split_references

        texts = self.population.fields.get("normative_references")
        return split_references(str(texts[row])) if texts is not None else []

    @cached_property
    def overall(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The overall level per row as an interval (the lowest level of the graded indicators of
        the programme's overall classes; -1 where none is graded) and whether its lower end rests
        on a vacuous level."""
        n = len(self.segment_code)
        top = len(self.programme.ladder.levels)
        low, high = np.full(n, top, dtype=np.int8), np.full(n, top, dtype=np.int8)
        vac = np.zeros(n, dtype=bool)
        for r in self.indicators.values():
            if r.cls not in self.programme.overall_classes:
                continue
            graded = r.applies & (r.lowest >= 0)
            new_low = graded & (r.lowest < low)
            vac = np.where(new_low, r.rests, vac | (graded & (r.lowest == low) & r.rests))
            low = np.where(graded, np.minimum(low, r.lowest), low)
            high = np.where(graded, np.minimum(high, r.highest), high)
        none = low == top
        low[none], high[none] = -1, -1
        return low, high, vac & ~none

    def __getstate__(self) -> dict:
        """Pickled (a Dask worker's assessment) without a segment's rows and the rows failing a
        gate: found again from the codes and outcomes when asked for."""
        state = dict(vars(self))
        state.pop("segments", None)
        state.pop("gate_failed", None)
        return state

    def margin_reference(self, ind_id: str) -> np.ndarray | None:
        """The per-row reference a margin basis ranks against (None: the programme ranks on the
        value)."""
        return margin_reference(self.catalogue, self.catalogue.sets[self.population.category],
                                self.programme, self.population.parameters, self.segment_code,
                                self.on, self.include_superseded, self.margins, ind_id)

    def earned(self, r: IndicatorAssessment) -> np.ndarray:
        """Rows where an indicator surely earns the programme's bonus (what earns it is the
        programme's `bonus.level`; declaring earns nothing by itself)."""
        for rule in self.programme.rules:
            if rule.bonus and r.cls in rule.bonus["classes"]:
                target = self.programme.ladder.index(rule.bonus["level"])
                return r.applies & (r.lowest >= target)
        return np.zeros(len(self.segment_code), dtype=bool)


# --- assessment ------------------------------------------------------------------------------


def segments_of(iset: IndicatorSet, params: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    """The index of each row's segment in `iset.segments` (-1 when it falls in none, or in more
    than one)."""
    out = np.full(n, -1, dtype=np.int16)
    hits = np.zeros(n, dtype=np.int8)
    params = _categories_coded(params, [s.where for s in iset.segments])
    for i, s in enumerate(iset.segments):
        mask = condition_mask(s.where, params, n)
        out[mask] = i
        hits += mask
    out[hits != 1] = -1
    return out


def gates_failed(programme: Programme, outcomes: dict[str, RuleOutcome], n: int) -> np.ndarray:
    """bool per row of `n`: some gate rule of `programme` fails in `outcomes`."""
    failed = np.zeros(n, dtype=bool)
    for rule in programme.rules:
        if rule.kind == "gate":
            failed |= outcomes[rule.id].codes == FAIL
    return failed


def _categories_coded(params: Mapping[str, np.ndarray],
                      conditions: list) -> Mapping[str, np.ndarray]:
    """`params` with each text parameter that `conditions` test only against categories (an
    object array, not yet categorical) coded once as a pandas Categorical, as a table's reader
    holds one: each condition then tests its distinct values, not the whole column again."""
    banded = {k for c in conditions for k, spec in c.items() if isinstance(spec, Band)}
    coded = None
    for c in conditions:
        for key, spec in c.items():
            values = params.get(key)
            if (isinstance(spec, Band) or key in banded or not isinstance(values, np.ndarray)
                    or values.dtype != object or values.ndim != 1):
                continue
            if coded is None:
                coded = dict(params)
            if coded[key] is values:
                codes, uniques = pd.factorize(values)
                coded[key] = pd.Categorical.from_codes(codes, uniques)
    return params if coded is None else coded


def assess(pop, catalogue: Catalogue, programme_id: str, on: dt.date,
           include_superseded: bool = False, steps: bool = False, population=None,
           peer_options: dict | None = None, progress=lambda rows: None) -> Assessment:
    """Levels, rule outcomes and verdict for every row of `pop` under a programme. With `steps`
    the outcome and reason of every ladder step is kept per row too (what an explanation shows;
    a ranking needs only the levels). Relative rules (`ranking_place`) judge each row against
    `population` (an engine.standing.PopulationContext, see `peer_context`), or against `pop`'s
    own rows with "self" (what `rank` does; `peer_options` overrides the programme's method,
    tiers, seed); without one they are not assessable. `progress(rows)` is told the share of the
    work done, in rows, after each indicator."""
    with reused_heap(len(pop)):
        return _assess(pop, catalogue, programme_id, on, include_superseded, steps, population,
                       peer_options, progress)


def _assess(pop, catalogue: Catalogue, programme_id: str, on: dt.date, include_superseded: bool,
            steps: bool, population, peer_options: dict | None, progress) -> Assessment:
    iset = catalogue.sets[pop.category]
    programme = iset.programmes[programme_id]
    n = len(pop)
    segment = segments_of(iset, pop.parameters, n)
    in_scope = (segment >= 0) if iset.segments else np.ones(n, dtype=bool)
    used: set[str] = set()
    inds: dict[str, IndicatorAssessment] = {}
    segments = segment_positions(segment)  # once for every indicator, the context and ranking
    # the rows of each segment, and the parameters of each segment's chunk of rows, taken once
    shared: dict = {"segments": segments}
    for done, ind in enumerate(iset.indicators.values()):  # derived ones read earlier ones
        progress(n * done // len(iset.indicators))
        inds[ind.id] = held_once(_indicator(ind, pop, catalogue, iset, programme, segment,
                                            in_scope, on, include_superseded, used, inds, steps,
                                            shared), ROW_FLAGS)
    cited = _cited(pop)
    withdrawn, superseded = _normative_status(cited, catalogue, on, n)
    seg_ids = tuple(s.id for s in iset.segments)
    inputs = RuleInputs(
        programme, inds, in_scope, withdrawn, superseded, segment, seg_ids, None, cited,
        lambda ref: catalogue.status_of(ref, on), pop.fields.get("standard_number"))
    margins: dict[str, np.ndarray] = {}  # shared with the Assessment: computed once each
    if (programme.peers.get("margin_reference") or {}).get("tiers"):
        inputs.margin_references = lambda ind_id: margin_reference(
            catalogue, iset, programme, pop.parameters, segment, on, include_superseded, margins,
            ind_id)
    outcomes = {rule.id: RULE_KINDS[rule.kind](rule, inputs) for rule in programme.rules
                if rule.kind not in RELATIVE_KINDS}
    failed = None
    if population == "self":  # ranked among its own rows (`rank`)
        failed = gates_failed(programme, outcomes, n)
        population = context_of(
            inds, segment, seg_ids, failed, dict(programme.peers),
            floors=lambda ind_id, rows: mandatory_values(
                catalogue, iset, programme, iset.indicators[ind_id], pop.parameters, segment,
                rows, on, include_superseded),
            references=inputs.margin_references, segments=segments,
            **(peer_options or {}))
    inputs.population = population
    for rule in programme.rules:
        if rule.kind in RELATIVE_KINDS:
            outcomes[rule.id] = RULE_KINDS[rule.kind](rule, inputs)
    outcomes = {rule.id: _outcome_held_once(outcomes[rule.id]) for rule in programme.rules}
    out = Assessment(pop, programme, on, seg_ids, segment, inds, outcomes, withdrawn,
                     superseded, catalogue, sorted(used), include_superseded, population,
                     margins)
    out.segments = segments  # what the assessment made, kept (its cached property)
    if failed is not None:  # gates are not relative rules: the same rows fail them
        out.gate_failed = failed
    return out


# what an indicator holds per row in one byte: held once where every row holds the same
ROW_FLAGS = ("applies", "declared", "status", "lowest", "highest", "vacuous", "rests",
             "top_class", "has_reference", "mismatch")


def one_value(x: np.ndarray) -> np.ndarray:
    """`x` (one value per row) as its one value broadcast to every row (read-only, one item
    held) where every row holds the same, else `x` itself: an indicator that applies to every
    row, no row resting on a vacuous level, a rule every row passes hold no array per row."""
    if x.ndim != 1 or not len(x) or x.strides == (0,):
        return x
    # most arrays that differ do so in their first rows: those compared first
    if not (x[:ONE_VALUE_HEAD] == x[0]).all() or not (x == x[0]).all():
        return x
    return np.broadcast_to(x[:1].copy(), x.shape)


ONE_VALUE_HEAD = 1 << 12  # rows `one_value` compares before the whole array


def held_once(obj, names: tuple[str, ...]):
    """`obj` with each of its arrays `names` (None: not made) as `one_value`."""
    for name in names:
        x = getattr(obj, name)
        if x is not None:
            setattr(obj, name, one_value(x))
    return obj


def _outcome_held_once(o: RuleOutcome) -> RuleOutcome:
    """A rule's outcome, reason and subjects' reasons per row, each `one_value`."""
    held_once(o, ("codes", "reason"))
    o.subjects = {k: one_value(v) for k, v in o.subjects.items()}
    return o


def _cited(pop) -> tuple[np.ndarray, list[list[str]]] | None:
    """The normative references each row cites: (index per row into the distinct lists, the
    distinct lists), each distinct text split once."""
    texts = pop.fields.get("normative_references")
    if texts is None:
        return None
    from benchmark.population import split_references

    codes, uniques = distinct_values(texts)
    return codes, [split_references(str(u)) for u in uniques]


def _normative_status(cited: tuple[np.ndarray, list[list[str]]] | None, catalogue: Catalogue,
                      on: dt.date, n: int) -> tuple[np.ndarray, np.ndarray]:
    if cited is None:
        return np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    codes, lists = cited
    statuses = [{catalogue.status_of(ref, on) for ref in refs} for refs in lists]
    withdrawn = np.array([("withdrawn" in s) for s in statuses], dtype=bool)[codes]
    superseded = np.array([("superseded" in s) for s in statuses], dtype=bool)[codes]
    return withdrawn, superseded


def not_declared(n: int) -> np.ndarray:
    """The value of an indicator that no row declares as a number (a yes/no label, a column
    the table lacks): NaN for each of `n` rows, one float shared by every row (read-only), not a
    float64 array of NaN per row (7.6 MiB at 1M rows)."""
    return np.broadcast_to(np.float64(np.nan), (n,))


def _per_label(label, of) -> np.ndarray:
    """`of(label)` per row: of each distinct label once where the labels are coded (a table's,
    pd.Categorical; no code: not given), else of each row's (a declaration's, objects)."""
    if isinstance(label, pd.Categorical):
        return np.array([*map(of, label.categories), of(None)])[label.codes]
    return np.array([of(x) for x in label])


def _given(x) -> bool:
    """A label (yes/no or grade) is given: neither None nor ""."""
    return x is not None and not (isinstance(x, str) and x == "")


def _yes(x) -> bool:
    """A yes/no label says yes: it is the boolean True (not 1 or 1.0, which equal it)."""
    return isinstance(x, bool | np.bool_) and bool(x)


def label_objects(label, rows: np.ndarray) -> np.ndarray:
    """The labels of `rows` (positions) as declared, objects: True/False (None where none is
    given), a grade's text."""
    if isinstance(label, pd.Categorical):
        taken = label[rows]
        return np.array([*taken.categories.tolist(), None], dtype=object)[taken.codes]
    return np.asarray(label, dtype=object)[rows]


def _declared(ind: Indicator, pop, n: int):
    """(guaranteed value, lo, hi, declared, label) for one indicator."""
    label = pop.labels.get(ind.id)
    if label is not None:
        declared = _per_label(label, _given).astype(bool)
        if ind.kind == "ordinal":
            rank = {g: float(i) for i, g in enumerate(ind.order)}
            value = _per_label(label, lambda x: rank.get(x, np.nan)).astype(float)
        else:
            value = not_declared(n)
        return value, value, value, declared, label
    value = (np.asarray(pop.values[ind.id], dtype=float) if ind.id in pop.values
             else not_declared(n))
    lo, hi = pop.intervals.get(ind.id, (value, value))
    return value, lo, hi, ~np.isnan(value), None


def _indicator(ind: Indicator, pop, catalogue: Catalogue, iset: IndicatorSet,
               programme: Programme, segment: np.ndarray, in_scope: np.ndarray, on: dt.date,
               include_superseded: bool, used: set[str],
               earlier: dict[str, IndicatorAssessment], keep_steps: bool,
               shared: dict) -> IndicatorAssessment:
    """One indicator assessed over the population; `shared` keeps what every indicator uses
    (the rows of each segment, each chunk's parameters), made once."""
    n = len(pop)
    value, lo, hi, declared, label = _declared(ind, pop, n)
    ids = [s.id for s in iset.segments]
    # by segment code (-1, the last entry: no segment found, the indicator applies)
    applies = (np.ones(n, dtype=bool) if ind.segments is None else
               np.array([s in ind.segments for s in ids] + [True])[segment])
    out = IndicatorAssessment(
        ind.id, ind.cls, ind.kind, ind.weight, ind.sign, ind.unit, value, lo, hi, applies,
        declared, np.full(n, ASSESSED, dtype=np.int8), np.full(n, -1, dtype=np.int8),
        np.full(n, -1, dtype=np.int8), np.zeros(n, dtype=bool), np.zeros(n, dtype=bool),
        label=label, order=ind.order)
    if not declared.all():  # (a mask on no row makes no pass)
        out.status[~declared] = NOT_DECLARED
    if not applies.all():
        out.status[~applies] = NOT_APPLICABLE
    if ind.kind == "boolean":
        if label is not None:
            flag = _per_label(label, _yes).astype(bool)
            ok = declared & applies
            out.lowest[ok] = out.highest[ok] = flag[ok].astype(np.int8)
        return out
    if ind.derived is not None:
        _derive(ind, out, pop, earlier)
    compared = applies & in_scope  # undeclared rows too: whether a reference would apply
    if not in_scope.all():
        out.status[declared & applies & ~in_scope] = OUT_OF_SCOPE
    if ind.kind not in ("quantity", "ordinal"):
        out.status[compared & declared] = NOT_COMPARED
        return out
    k = len(programme.ladder.levels)
    if keep_steps:
        out.steps = np.zeros((k, n), dtype=np.int8)
        out.step_reasons = np.zeros((k, n), dtype=np.int8)
    out.top_class = np.zeros(n, dtype=bool)
    out.has_reference = np.zeros(n, dtype=bool)
    method = Method.of(ind)
    for seg, positions in shared["segments"].items():
        seg_rows = positions[compared[positions]]
        if not len(seg_rows):
            continue
        for rows in np.array_split(seg_rows, -(-len(seg_rows) // CHUNK_ROWS)):
            _levels(ind, out, rows, pop, catalogue, iset.id, ids[seg] if seg >= 0 else None,
                    programme, method, on, include_superseded, used, shared)
    return out


class RowParameters(Mapping):
    """The parameters of some rows, each taken from the population's when first read: the
    references of an indicator read few of a population's parameters."""

    def __init__(self, params: Mapping[str, np.ndarray], rows: np.ndarray) -> None:
        self._params, self._rows = params, rows
        self._taken: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        taken = self._taken.get(name)
        if taken is None:
            taken = self._taken[name] = self._params[name][self._rows]
        return taken

    def __contains__(self, name: object) -> bool:
        return name in self._params

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)


def _row_parameters(pop, rows: np.ndarray, cache: dict) -> Mapping[str, np.ndarray]:
    """The parameters of `rows` (one segment's chunk), taken once per assessment and shared by
    every indicator (a segment's chunks are the same rows for each indicator that applies)."""
    key = (len(rows), int(rows[0]), int(rows[-1])) if len(rows) else (0, 0, 0)
    hit = cache.get(key)
    if hit is not None and (hit[0] is rows or np.array_equal(hit[0], rows)):
        return hit[1]
    params = RowParameters(pop.parameters, rows)
    cache[key] = (rows, params)
    return params


def _derive(ind: Indicator, out: IndicatorAssessment, pop, earlier: dict) -> None:
    """A derived indicator (EEI = annual energy / standard annual energy × 100) computed from the
    declared raw values; the worse of computed and declared is judged (docs/verdicts.md §7)."""
    n = len(out.value)
    inputs = {}
    formula = ind.derived
    if formula is None:
        return
    for name in formula.names:
        if name in pop.parameters and pop.parameters[name].dtype.kind == "f":
            inputs[name] = pop.parameters[name]
        elif name in earlier:
            inputs[name] = earlier[name].value
        else:
            return
    with np.errstate(all="ignore"):
        computed = np.broadcast_to(np.asarray(formula(**inputs), dtype=float), (n,)).copy()
    computed[~np.isfinite(computed)] = np.nan
    tol = ind.derived_tol_abs + ind.derived_tol_rel * np.abs(computed) + 1e-9
    both = out.declared & ~np.isnan(computed)
    out.computed = computed
    out.mismatch = both & (np.abs(computed - out.value) > tol)
    if ind.sign:
        worse = np.where(both, np.fmin(out.value * ind.sign, computed * ind.sign) * ind.sign,
                         out.value)
        out.value = worse
        out.lo = out.hi = worse


def _levels(ind: Indicator, out: IndicatorAssessment, rows: np.ndarray, pop,
            catalogue: Catalogue, set_id: str, segment_id: str | None, programme: Programme,
            method: Method, on: dt.date, include_superseded: bool, used: set[str],
            shared: dict | None = None) -> None:
    """Resolve the references and walk the ladder for `rows` (of one segment): rows not
    declared only learn whether a reference applies to them."""
    params = _row_parameters(pop, rows, {} if shared is None else shared)
    m = len(rows)
    applied = resolve.applicable(catalogue, ind, set_id, segment_id, params, m, on,
                                 include_superseded, resolve.programme_documents(programme))
    missing = resolve.missing_editions(catalogue, set_id, ind.id, segment_id, on,
                                       include_superseded)
    if out.steps is not None:
        out.resolved.append(Resolved(rows, applied, missing, list(resolve.reference_values(
            catalogue, set_id, ind.id, segment_id, on, include_superseded))))
    has_reference, top_class = out.has_reference, out.top_class
    if has_reference is None or top_class is None:
        raise ValueError(f"{ind.id}: the arrays of a compared indicator were not made")
    covered = np.full(m, bool(missing))
    for a in applied:
        for th in a.limits + [c for c in a.classes if c is not None]:
            finite = np.isfinite(th.low)
            if finite.any():
                used.add(a.edition.id)
            covered |= finite
    has_reference[rows] = covered
    declared = out.declared[rows]
    judged = covered & declared
    if not covered.all():
        out.status[rows[~covered & declared]] = NO_REFERENCE
    if not judged.all():
        rows, keep = rows[judged], np.flatnonzero(judged)
    else:
        keep = np.arange(m)
    if not len(rows):
        return
    lo = method.prepare(out.lo[rows])  # rounded once
    hi = lo if out.hi is out.lo else method.prepare(out.hi[rows])
    method = method.raw
    applied = [_subset(a, keep) for a in applied] if len(keep) < m else applied
    w = levels.walk(programme.ladder, applied, missing, lo, hi, method, out.steps is not None)
    out.lowest[rows], out.highest[rows] = w.lowest, w.highest
    for flag, chunk in ((out.vacuous, w.vacuous), (out.rests, w.rests)):
        if chunk.any():  # (all False as made: a chunk of none set makes no scatter)
            flag[rows] = chunk
    if out.steps is not None and out.step_reasons is not None:
        out.steps[:, rows], out.step_reasons[:, rows] = w.steps, w.reasons
    out.status[rows] = np.where(w.lowest == w.highest, ASSESSED, LEVEL_UNKNOWN)
    for a in applied:
        best = next((c for c in a.classes if c is not None), None)
        if best is not None:
            top_class[rows] |= judge(lo, hi, best.op, best.low, best.high, method) == PASS


def chunk_applied(chunk: Resolved, keep: np.ndarray) -> list[resolve.Applied]:
    """The values applying to the rows at places `keep` of `chunk`, thresholds for those rows."""
    return [_subset(x, keep) for x in chunk.applied]


def _subset(a: resolve.Applied, keep: np.ndarray) -> resolve.Applied:
    def cut(th):
        return None if th is None else resolve.Thresholds(th.op, th.low[keep], th.high[keep],
                                                          th.ruled[keep], th.label, th.note)
    return resolve.Applied(a.edition, a.value, a.applies[keep], [cut(t) for t in a.limits],
                           [cut(c) for c in a.classes], a.indicative)


def domestic_threshold(a: Assessment, indicator_id: str, rows: np.ndarray) -> np.ndarray:
    """The most stringent domestic reference value (canonical; NaN = none) for `rows`, all of one
    segment. "Domestic" is what the ladder says: the tiers of its first most-stringent
    requirement."""
    iset = a.catalogue.sets[a.population.category]
    return domestic_values(a.catalogue, iset, a.programme, iset.indicators[indicator_id],
                           a.population.parameters, a.segment_code, rows, a.on,
                           a.include_superseded)


def domestic_values(catalogue: Catalogue, iset: IndicatorSet, programme: Programme,
                    ind: Indicator, params: dict, segment: np.ndarray, rows: np.ndarray,
                    on: dt.date, include_superseded: bool) -> np.ndarray:
    """`domestic_threshold` for `rows` (all of one segment) from the parts of an assessment."""
    domestic = next((requirement(lv).tiers for lv in programme.ladder.levels[1:]
                     if requirement(lv).of == "most_stringent"), ())
    return _strictest(catalogue, iset, ind, params, segment, rows, on, include_superseded,
                      tuple(domestic))


def mandatory_values(catalogue: Catalogue, iset: IndicatorSet, programme: Programme,
                     ind: Indicator, params: dict, segment: np.ndarray, rows: np.ndarray,
                     on: dt.date, include_superseded: bool) -> np.ndarray:
    """The domestic legal minimum (NaN = none) for `rows` (all of one segment): the strictest
    limit or minimum class of the mandatory references of the tiers the ladder's mandatory step
    names — the value the lowest tier of a ranking may not be below."""
    tiers = next((requirement(lv).tiers for lv in programme.ladder.levels[1:]
                  if requirement(lv).of == "mandatory"), ())
    return _strictest(catalogue, iset, ind, params, segment, rows, on, include_superseded,
                      tuple(tiers), mandatory=True)


def margin_reference(catalogue: Catalogue, iset: IndicatorSet, programme: Programme,
                     params: dict, segment: np.ndarray, on: dt.date, include_superseded: bool,
                     memo: dict[str, np.ndarray], ind_id: str) -> np.ndarray | None:
    """The per-row reference a margin basis ranks against (the programme's
    `peers.margin_reference.tiers`; None: the programme ranks on the value), kept in `memo`:
    computed once per indicator, not per rule or row explained."""
    tiers = (programme.peers.get("margin_reference") or {}).get("tiers")
    if not tiers:
        return None
    if ind_id not in memo:
        memo[ind_id] = reference_values(catalogue, iset, iset.indicators[ind_id], params,
                                        segment, on, include_superseded, tuple(tiers))
    return memo[ind_id]


def reference_values(catalogue: Catalogue, iset: IndicatorSet, ind: Indicator, params: dict,
                     segment: np.ndarray, on: dt.date, include_superseded: bool,
                     tiers: tuple[str, ...]) -> np.ndarray:
    """Per row, the most stringent value of the reference `tiers` that applies to it (NaN =
    none): the per-row basis of a programme that ranks on the margin to it."""
    out = np.full(len(segment), np.nan)
    for code in np.unique(segment):
        rows = np.flatnonzero(segment == code)
        out[rows] = _strictest(catalogue, iset, ind, params, segment, rows, on,
                               include_superseded, tiers)
    return out


def _strictest(catalogue: Catalogue, iset: IndicatorSet, ind: Indicator, params: dict,
               segment: np.ndarray, rows: np.ndarray, on: dt.date, include_superseded: bool,
               tiers: tuple[str, ...], mandatory: bool = False) -> np.ndarray:
    n = len(rows)
    best = np.full(n, np.nan)
    if not n:
        return best
    code = segment[rows[0]]
    sub = RowParameters(params, rows)
    sign = ind.sign or 1
    seg_ids = [s.id for s in iset.segments]
    for item in resolve.applicable(catalogue, ind, iset.id, seg_ids[code] if code >= 0 else None,
                                   sub, n, on, include_superseded):
        if tiers and item.edition.tier not in tiers:
            continue
        for th in (item.mandatory() if mandatory else item.top()):
            t = th.high if th.op in ("ge", "gt") else th.low
            better = np.isfinite(t) & (np.isnan(best) | (t * sign > best * sign))
            best[better] = t[better]
    return best


def peer_context(pop, catalogue: Catalogue, programme_id: str, on: dt.date,
                 include_superseded: bool = False, **peer_options) -> PopulationContext:
    """The standing context of a peer population (assessed under the programme, ranked among its
    own rows): what `evaluate --population` judges each applicant's relative rules against."""
    a = assess(pop, catalogue, programme_id, on, include_superseded, population="self",
               peer_options=peer_options)
    context = a.context
    if context is None:  # "self" always gives one
        raise ValueError("the peers' standing context was not computed")
    context.source, context.sha256 = pop.path, pop.sha256
    return context
