"""Programme rules: one registered function per rule kind (docs/verdicts.md §5).

Each kind takes the rule and the assessed indicators of a population and returns a `RuleOutcome`:
the outcome per row (PASS, UNKNOWN, FAIL), a rule-level reason code per row and, per subject
indicator, the reason it counts against the rule. Reason codes are stable; their wording is in
reports/labels.yaml. A rule kind that is not registered here is refused when the catalogue is
built (catalogue.check_programme), never skipped at run time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from benchmark.engine.types import FAIL, NO_REFERENCE, NOT_APPLICABLE, NOT_DECLARED, UNKNOWN
from benchmark.model import Programme, Rule

if TYPE_CHECKING:
    from benchmark.engine.standing import PopulationContext

# reason codes, by index; 0 = no reason
REASONS = ("", "basic_not_met", "basic_not_declared", "basic_not_assessable", "core_count_low",
           "required_not_declared", "reference_withdrawn", "reference_superseded", "out_of_scope",
           "level_below", "level_not_assessable", "indicator_not_declared", "no_reference",
           "no_subject", "count_short", "count_uncertain", "score_below", "score_uncertain",
           "no_scorable", "population_needed", "no_peers", "below_leader_threshold",
           "below_top_tier", "ranking_suppressed", "not_comprehensive", "reference_unknown",
           "reference_not_in_force", "standard_number_malformed", "standard_number_missing",
           "below_composite_cutoff", "no_composite_peers")
R = {code: i for i, code in enumerate(REASONS)}
FAIL_REASONS = frozenset({"basic_not_met", "core_count_low", "reference_withdrawn",
                          "reference_superseded", "level_below", "count_short", "score_below",
                          "below_leader_threshold", "below_top_tier", "not_comprehensive",
                          "reference_not_in_force", "standard_number_malformed",
                          "below_composite_cutoff"})


@dataclass
class RuleOutcome:
    codes: np.ndarray  # int8 per row: PASS | UNKNOWN | FAIL
    reason: np.ndarray  # int8 per row: index into REASONS (rule-level), 0 = none
    subjects: dict[str, np.ndarray] = field(default_factory=dict)  # indicator → reason index
    score: WeightedScore | None = None  # weighted score: the score interval, when asked for
    reached: tuple[np.ndarray, np.ndarray] | None = None  # counting: (certain, possible)
    # ranking_place: indicator → (required value per row, tier per row); NaN / 0 = none
    places: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    # composite_place, per row: score, place, peers (M), cut-off place, score at the cut-off
    composite: dict[str, np.ndarray] | None = None

    @classmethod
    def new(cls, n: int) -> RuleOutcome:
        return cls(np.zeros(n, dtype=np.int8), np.zeros(n, dtype=np.int8))

    @property
    def score_low(self) -> np.ndarray | None:
        """Weighted score: the lowest possible score per row (bonus included)."""
        return self._scored("low")

    @property
    def score_high(self) -> np.ndarray | None:
        """Weighted score: the highest possible score per row (bonus included)."""
        return self._scored("high")

    @property
    def bonus_low(self) -> np.ndarray | None:
        """Weighted score: the bonus points surely earned per row, when the rule has a bonus."""
        return self._scored("bonus_low")

    @property
    def bonus_high(self) -> np.ndarray | None:
        """Weighted score: the bonus points possibly earned per row, when the rule has one."""
        return self._scored("bonus_high")

    def _scored(self, name: str) -> np.ndarray | None:
        """One of the score interval's arrays (`ScoreArrays`), worked out when first asked for."""
        return getattr(self.score.arrays, name) if self.score is not None else None

    def mark(self, outcome: int, rows: np.ndarray, code: str) -> None:
        """Rows take `outcome` unless already worse; the reason is the first one given for the
        worst outcome."""
        if not rows.any():  # most marks hold on no row: no pass over the outcomes
            return
        up = rows & (self.codes < outcome)
        self.codes[up] = outcome
        self.reason[up] = R[code]
        self.reason[rows & (self.codes == outcome) & (self.reason == 0)] = R[code]

    def subject(self, ind_id: str, rows: np.ndarray, code: str,
                part: slice = slice(None)) -> None:
        """The subject's reason is `code` on `rows` (of the rows `part`) where it has none."""
        whole = self.subjects.get(ind_id)
        if whole is None:
            whole = self.subjects[ind_id] = np.zeros(len(self.codes), dtype=np.int8)
        if not rows.any():
            return
        arr = whole[part]
        arr[rows & (arr == 0)] = R[code]


@dataclass
class RuleInputs:
    """What rules read: the programme, the indicators assessed per row, and row facts."""

    programme: Programme
    indicators: dict  # id → engine.assess.IndicatorAssessment
    in_scope: np.ndarray
    withdrawn: np.ndarray  # some normative reference is withdrawn on the date
    superseded: np.ndarray  # some normative reference is superseded on the date
    # index into segment_ids per row; -1 = none
    segment_code: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int16))
    segment_ids: tuple[str, ...] = ()
    population: PopulationContext | None = None  # the peers
    # normative references cited: (index per row into the distinct lists, the distinct lists),
    # or one list per row
    references: tuple[np.ndarray, list[list[str]]] | list[list[str]] | None = None
    # reference → in_force | ... | unknown on the date
    reference_status: Callable[[str], str] | None = None
    numbers: np.ndarray | None = None  # standard number per row, as written
    margin_references: Callable | None = None  # indicator id → per-row reference of a margin

    def __post_init__(self) -> None:
        if isinstance(self.references, list):  # one list per row
            self.references = (np.arange(len(self.references)), self.references)

    @property
    def n(self) -> int:
        return len(self.in_scope)

    def margin_reference(self, ind_id: str) -> np.ndarray | None:
        """The per-row reference a margin basis ranks against (set by assess)."""
        return self.margin_references(ind_id) if self.margin_references is not None else None

    def subjects(self, rule: Rule) -> list:
        return subjects_of(rule, self.indicators)


def subjects_of(rule: Rule, indicators: dict) -> list:
    """The assessed indicators a rule is about: those it names, else those of its classes."""
    if rule.indicators:
        return [indicators[i] for i in rule.indicators if i in indicators]
    return [r for r in indicators.values() if r.cls in rule.classes]


def gate(rule: Rule, x: RuleInputs) -> RuleOutcome:
    out = RuleOutcome.new(x.n)
    if rule.check == "basic_pass":
        for r in (r for r in x.indicators.values() if r.cls == "basic"):
            missing = r.applies & ~r.declared
            fails = r.applies & r.declared & (r.highest < 1)
            unsure = r.applies & r.declared & (r.lowest < 1) & (r.highest >= 1)
            out.mark(UNKNOWN, missing, "basic_not_declared")
            out.mark(UNKNOWN, unsure, "basic_not_assessable")
            out.mark(FAIL, fails, "basic_not_met")
            out.subject(r.id, fails, "basic_not_met")
            out.subject(r.id, missing, "basic_not_declared")
            out.subject(r.id, unsure, "basic_not_assessable")
    elif rule.check == "core_count":
        count = np.zeros(x.n, dtype=np.int16)
        for r in x.indicators.values():
            if r.cls == "core":
                count += r.applies & r.declared
        out.mark(FAIL, count < (rule.at_least or 0), "core_count_low")
    elif rule.check in ("required_present", "comprehensive"):
        # a required indicator not declared is unknown; a standard that does not cover an
        # indicator of the scheme is not comprehensive (a fact of its text)
        outcome, code = ((UNKNOWN, "required_not_declared") if rule.check == "required_present"
                         else (FAIL, "not_comprehensive"))
        for r in x.subjects(rule):
            missing = r.applies & ~r.declared
            out.mark(outcome, missing, code)
            out.subject(r.id, missing, code)
    elif rule.check == "no_withdrawn_references":
        out.mark(FAIL, x.withdrawn, "reference_withdrawn")
        out.mark(FAIL, x.superseded, "reference_superseded")
    elif rule.check == "in_scope":
        out.mark(UNKNOWN, ~x.in_scope, "out_of_scope")
    elif rule.check == "references_in_force":
        _references_in_force(out, x)
    elif rule.check == "number_well_formed":
        _number_well_formed(rule, out, x)
    return out


def _references_in_force(out: RuleOutcome, x: RuleInputs) -> None:
    """Every normative reference cited is a known edition in force on the date: one not yet in
    force fails; one the catalogue does not know is not assessable."""
    if x.references is None or x.reference_status is None:
        return
    codes, lists = x.references  # a tuple after __post_init__
    statuses = [{x.reference_status(ref) for ref in refs} for refs in lists]
    unknown = np.array([("unknown" in s) for s in statuses], dtype=bool)
    not_yet = np.array([("not_yet_in_force" in s) for s in statuses], dtype=bool)
    out.mark(UNKNOWN, unknown[codes], "reference_unknown")
    out.mark(FAIL, not_yet[codes], "reference_not_in_force")


def distinct_values(values) -> tuple[np.ndarray, list]:
    """Text per row as (the index of each row's value into the distinct values, the distinct
    values): what `pandas.factorize(values as objects, use_na_sentinel=False)` gives, up to the
    order of the distinct values. Of a coded field (pd.Categorical, a table's) its own codes and
    categories, a missing value (code -1) as the object it reads as: no object per row made."""
    if isinstance(values, pd.Categorical):
        codes, uniques = values.codes, list(values.categories)
        missing = codes < 0
        if missing.any():
            codes = np.where(missing, len(uniques), codes)
            uniques.append(np.asarray(pd.Categorical.from_codes([-1], dtype=values.dtype),
                                      dtype=object)[0])
        return codes, uniques
    codes, found = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=False)
    return codes, list(found)


def _number_well_formed(rule: Rule, out: RuleOutcome, x: RuleInputs) -> None:
    """The standard number is written in one of the forms the rule lists (a regular expression
    per type of standard, as data): none matching fails; no number is not assessable."""
    import re

    if x.numbers is None:
        out.mark(UNKNOWN, np.ones(x.n, dtype=bool), "standard_number_missing")
        return
    forms = [re.compile(f["pattern"]) for f in (rule.forms or ())]
    codes, uniques = distinct_values(x.numbers)
    text = [str(v or "").strip() for v in uniques]
    empty = np.array([not t for t in text], dtype=bool)
    bad = np.array([bool(t) and not any(f.fullmatch(t) for f in forms) for t in text],
                   dtype=bool)
    out.mark(UNKNOWN, empty[codes], "standard_number_missing")
    out.mark(FAIL, bad[codes], "standard_number_malformed")


def _level_index(rule: Rule, x: RuleInputs) -> int:
    """The ladder index of the level a conjunctive or counting rule asks for."""
    if rule.level is None:
        raise ValueError(f"rule {rule.id} names no level")
    return x.programme.ladder.index(rule.level)


def _standing(r, target: int) -> tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, str]]]:
    """Per row, whether a subject surely reaches level `target`, may reach it, and why not."""
    judged = r.applies & (r.status != NOT_APPLICABLE)
    has_level = r.lowest >= 0
    sure = judged & has_level & (r.lowest >= target)
    below = judged & has_level & (r.highest < target)
    why = [(below, "level_below"),
           (judged & has_level & ~sure & ~below, "level_not_assessable"),
           (judged & (r.status == NOT_DECLARED), "indicator_not_declared"),
           (judged & (r.status == NO_REFERENCE), "no_reference"),
           (judged & ~has_level & (r.status != NOT_DECLARED) & (r.status != NO_REFERENCE),
            "level_not_assessable")]
    return sure, judged & ~below, why


def conjunctive(rule: Rule, x: RuleInputs) -> RuleOutcome:
    """Every subject reaches the level: fails when one surely does not."""
    out = RuleOutcome.new(x.n)
    target = _level_index(rule, x)
    any_subject = np.zeros(x.n, dtype=bool)
    for r in x.subjects(rule):
        any_subject |= r.applies
        _, _, why = _standing(r, target)
        for rows, code in why:
            out.mark(FAIL if code == "level_below" else UNKNOWN, rows, code)
            out.subject(r.id, rows, code)
    out.mark(UNKNOWN, ~any_subject, "no_subject")
    return out


def counting(rule: Rule, x: RuleInputs) -> RuleOutcome:
    """At least k subjects reach the level: fails when fewer than k may."""
    out = RuleOutcome.new(x.n)
    target = _level_index(rule, x)
    certain = np.zeros(x.n, dtype=np.int16)
    possible = np.zeros(x.n, dtype=np.int16)
    for r in x.subjects(rule):
        sure, may, why = _standing(r, target)
        certain += sure
        possible += may
        for rows, code in why:
            out.subject(r.id, rows, code)
    k = rule.at_least or 0
    out.mark(FAIL, possible < k, "count_short")
    out.mark(UNKNOWN, (certain < k) & (possible >= k), "count_uncertain")
    out.reached = (certain, possible)
    return out


class ScoreArrays(NamedTuple):
    """A weighted score per row as an interval (bonus included, capped at 100, to 2 decimals),
    the bonus points surely / possibly earned (None without a bonus) and the weight scored."""

    low: np.ndarray
    high: np.ndarray
    bonus_low: np.ndarray | None
    bonus_high: np.ndarray | None
    weight: np.ndarray


@dataclass(eq=False)
class WeightedScore:
    """A weighted-score rule's score interval per row, worked out from the assessed levels when
    first asked for (an explanation, a report): the verdict reads the arrays once and they are
    not held past it where nothing asks (`rank`: four float64 arrays, ≈ 30 MiB at 1M rows).
    The same function computes them both times (`score_arrays`), so they are the verdict's."""

    rule: Rule
    programme: Programme
    indicators: dict  # id → engine.assess.IndicatorAssessment (the assessment's own)
    n: int

    @cached_property
    def arrays(self) -> ScoreArrays:
        return score_arrays(self.rule, self.programme, self.indicators, self.n)


SCORE_ROWS = 1 << 17  # rows whose weighted score temporaries are held at once


def score_arrays(rule: Rule, programme: Programme, indicators: dict, n: int) -> ScoreArrays:
    """The weighted mean of level scores plus the bonus, as an interval, for every row."""
    parts = [arrays for _, arrays in _score_chunks(rule, programme, indicators, n)]

    def joined(name: str):
        arrays = [getattr(p, name) for p in parts]
        return None if arrays[0] is None else np.concatenate(arrays)

    return ScoreArrays(**{name: joined(name) for name in ScoreArrays._fields})


def _score_chunks(rule: Rule, programme: Programme, indicators: dict, n: int,
                  out: RuleOutcome | None = None) -> Iterator[tuple[slice, ScoreArrays]]:
    """The weighted score's arrays a chunk of rows at a time (each row's as all rows at once:
    the same sums in the same order); with `out`, each subject's reason (not declared, level not
    assessable) marked on it."""
    levels = programme.ladder.levels
    scores = np.array([lv.score or 0.0 for lv in levels])
    # level index → score; index -1 (no level: any level is possible) → the lowest / top score
    low_of = np.append(scores, scores[0])
    high_of = np.append(scores, scores.max())
    subjects = subjects_of(rule, indicators)
    bonus = rule.bonus or {}
    for start in range(0, max(n, 1), SCORE_ROWS):
        part = slice(start, min(start + SCORE_ROWS, n))
        m = part.stop - part.start
        low, high, weight = np.zeros(m), np.zeros(m), np.zeros(m)
        for r in subjects:
            applies, status, declared = r.applies[part], r.status[part], r.declared[part]
            lowest, highest = r.lowest[part], r.highest[part]
            scored = applies & (status != NO_REFERENCE) & (status != NOT_APPLICABLE)
            if r.has_reference is not None:  # undeclared, with no reference: not scored
                scored &= r.has_reference[part] | declared
            lo, hi = low_of[lowest], high_of[highest]  # lowest is -1 exactly where highest is
            w = scored * float(r.weight)
            low += w * lo
            high += w * hi
            weight += w
            if out is not None:
                out.subject(r.id, scored & (lowest < 0) & (status == NOT_DECLARED),
                            "indicator_not_declared", part)
                out.subject(r.id, scored & (lo != hi), "level_not_assessable", part)
        with np.errstate(invalid="ignore", divide="ignore"):
            low, high = low / weight, high / weight
        bonus_low = bonus_high = None
        if bonus:
            target = programme.ladder.index(bonus["level"])
            sure, may = np.zeros(m), np.zeros(m)
            for r in indicators.values():
                if r.cls in bonus["classes"]:
                    judged = r.applies[part] & (r.lowest[part] >= 0)
                    sure += judged & (r.lowest[part] >= target)
                    may += judged & (r.highest[part] >= target)
            cap = bonus.get("max", np.inf)
            bonus_low = np.minimum(sure * bonus["points"], cap)
            bonus_high = np.minimum(may * bonus["points"], cap)
            low, high = low + bonus_low, high + bonus_high
        low = np.round(np.minimum(low, 100.0), 2)
        high = np.round(np.minimum(high, 100.0), 2)
        yield part, ScoreArrays(low, high, bonus_low, bonus_high, weight)


def weighted_score(rule: Rule, x: RuleInputs) -> RuleOutcome:
    """The weighted mean of level scores plus the bonus, as an interval: fails when even the
    highest possible score is below the pass mark, holds when the lowest reaches it. Decided a
    chunk of rows at a time; the outcome keeps how to work the interval out again
    (`WeightedScore`), not its arrays."""
    out = RuleOutcome.new(x.n)
    mark = rule.pass_mark or 0
    for part, (low, high, _, _, weight) in _score_chunks(rule, x.programme, x.indicators, x.n,
                                                         out):
        rows = RuleOutcome(out.codes[part], out.reason[part])  # views: marked on `out`
        rows.mark(UNKNOWN, weight == 0, "no_scorable")
        rows.mark(FAIL, (weight > 0) & (high < mark), "score_below")
        rows.mark(UNKNOWN, (weight > 0) & (low < mark) & (high >= mark), "score_uncertain")
    out.score = WeightedScore(rule, x.programme, x.indicators, x.n)
    return out


def _population_needed(out: RuleOutcome, x: RuleInputs) -> bool:
    """A relative rule without peers is not assessable on every row (`population_needed`)."""
    if x.population is None:
        out.mark(UNKNOWN, np.ones(x.n, dtype=bool), "population_needed")
    return x.population is None


def ranking_place(rule: Rule, x: RuleInputs) -> RuleOutcome:
    """A place in the peers' ranking (engine/standing.py): every subject reaches the leader
    threshold (`place: leader_threshold`) or a tier at least as good as `tier` (`place: top_tier`,
    default tier 1) of its segment. Without a population the rule is not assessable
    (`population_needed`); a segment without peers or with a suppressed ranking too."""
    out = RuleOutcome.new(x.n)
    if _population_needed(out, x):
        return out
    from benchmark.engine.standing import ranked_value

    ctx = x.population
    assert ctx is not None and x.segment_code is not None
    best_tier = int(rule.tier or 1)
    any_subject = np.zeros(x.n, dtype=bool)
    for r in x.subjects(rule):
        any_subject |= r.applies
        reference = x.margin_reference(r.id) if ctx.basis == "margin" else None
        value = ranked_value(r, ctx.basis, reference)
        required = np.full(x.n, np.nan)
        tier = np.zeros(x.n, dtype=np.int32)
        judged = r.applies & x.in_scope & (r.status != NOT_APPLICABLE)
        undeclared = judged & (r.status == NOT_DECLARED)
        out.mark(UNKNOWN, undeclared, "indicator_not_declared")
        out.subject(r.id, undeclared, "indicator_not_declared")
        for code in np.unique(x.segment_code[judged & ~undeclared]):
            rows = judged & ~undeclared & (x.segment_code == code)
            place = ctx.place(r.id, x.segment_ids[code] if code >= 0 else "")
            if place is None or (rule.place == "leader_threshold"
                                 and not np.isfinite(place.threshold)):
                out.mark(UNKNOWN, rows, "no_peers")
                out.subject(r.id, rows, "no_peers")
                continue
            tier[rows] = place.tier(value[rows])
            if rule.place == "leader_threshold":
                required[rows] = place.threshold
                short = rows & ~place.reaches(value)
                code_short = "below_leader_threshold"
            else:
                if place.suppressed:
                    out.mark(UNKNOWN, rows, "ranking_suppressed")
                    out.subject(r.id, rows, "ranking_suppressed")
                    continue
                required[rows] = place.bounds[best_tier - 1]
                short = rows & ((tier == 0) | (tier > best_tier))
                code_short = "below_top_tier"
            out.mark(FAIL, short, code_short)
            out.subject(r.id, short, code_short)
        out.places[r.id] = (required, tier)
    out.mark(UNKNOWN, ~any_subject, "no_subject")
    return out


def composite_place(rule: Rule, x: RuleInputs) -> RuleOutcome:
    """A composite place among the segment's peers (engine/standing.composite_standing): within
    the top N (`top`) or the top p % (`top_percent`) of the peers with a composite score, on the
    subjects that apply to the segment. Without a population the rule is not assessable
    (`population_needed`); a subject not declared (`indicator_not_declared`) or a segment without
    composite peers (`no_composite_peers`) too."""
    out = RuleOutcome.new(x.n)
    if _population_needed(out, x):
        return out
    from benchmark.engine.standing import composite_standing, ranked_value

    ctx = x.population
    assert ctx is not None and x.segment_code is not None
    comp = {k: np.full(x.n, np.nan) for k in ("score", "place", "peers", "cutoff",
                                               "cutoff_score")}
    subjects = [r for r in x.subjects(rule) if r.id in ctx.values]
    judged = x.in_scope.copy()
    any_subject = np.zeros(x.n, dtype=bool)
    for r in subjects:
        rows = judged & r.applies & (r.status != NOT_APPLICABLE)
        any_subject |= rows
        undeclared = rows & (r.status == NOT_DECLARED)
        out.mark(UNKNOWN, undeclared, "indicator_not_declared")
        out.subject(r.id, undeclared, "indicator_not_declared")
    for code in np.unique(x.segment_code[judged & any_subject]):
        rows = judged & any_subject & (x.segment_code == code)
        seg = x.segment_ids[code] if code >= 0 else ""
        own = [r for r in subjects if r.applies[rows].all()]
        matrix = np.column_stack([
            ranked_value(r, ctx.basis, x.margin_reference(r.id) if ctx.basis == "margin"
                         else None)[rows] for r in own]) if own else np.zeros((rows.sum(), 0))
        st = composite_standing(ctx, [r.id for r in own], seg, matrix, rule.top,
                                rule.top_percent)
        comp["score"][rows], comp["place"][rows] = st.score, st.place
        comp["peers"][rows], comp["cutoff"][rows] = st.peers, st.cutoff
        comp["cutoff_score"][rows] = st.cutoff_score
        if st.peers == 0:
            out.mark(UNKNOWN, rows, "no_composite_peers")
            continue
        short = np.zeros(x.n, dtype=bool)
        short[rows] = (st.place > st.cutoff) & ~np.isnan(st.score)
        out.mark(FAIL, short, "below_composite_cutoff")
    out.mark(UNKNOWN, ~any_subject, "no_subject")
    out.composite = comp
    return out


RULE_KINDS: dict[str, Callable[[Rule, RuleInputs], RuleOutcome]] = {
    "gate": gate, "conjunctive": conjunctive, "counting": counting,
    "weighted_score": weighted_score, "ranking_place": ranking_place,
    "composite_place": composite_place,
}
# kinds that read the population context
RELATIVE_KINDS = frozenset({"ranking_place", "composite_place"})
