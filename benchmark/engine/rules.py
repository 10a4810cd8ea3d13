"""Programme rules: one registered function per rule kind (docs/verdicts.md §5).

Each kind takes the rule and the assessed indicators of a population and returns a `RuleOutcome`:
the outcome per row (PASS, UNKNOWN, FAIL), a rule-level reason code per row and, per subject
indicator, the reason it counts against the rule. Reason codes are stable; their wording is in
reports/labels.yaml. A rule kind that is not registered here is refused when the catalogue is
built (catalogue.check_programme), never skipped at run time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from benchmark.engine.types import FAIL, NO_REFERENCE, NOT_APPLICABLE, NOT_DECLARED, UNKNOWN
from benchmark.model import Programme, Rule

# reason codes, by index; 0 = no reason
REASONS = ("", "basic_not_met", "basic_not_declared", "basic_not_assessable", "core_count_low",
           "required_not_declared", "reference_withdrawn", "reference_superseded", "out_of_scope",
           "level_below", "level_not_assessable", "indicator_not_declared", "no_reference",
           "no_subject", "count_short", "count_uncertain", "score_below", "score_uncertain",
           "no_scorable")
R = {code: i for i, code in enumerate(REASONS)}
FAIL_REASONS = frozenset({"basic_not_met", "core_count_low", "reference_withdrawn",
                          "reference_superseded", "level_below", "count_short", "score_below"})


@dataclass
class RuleOutcome:
    codes: np.ndarray  # int8 per row: PASS | UNKNOWN | FAIL
    reason: np.ndarray  # int8 per row: index into REASONS (rule-level), 0 = none
    subjects: dict[str, np.ndarray] = field(default_factory=dict)  # indicator → reason index
    score_low: np.ndarray | None = None
    score_high: np.ndarray | None = None
    bonus_low: np.ndarray | None = None  # weighted score: bonus points surely / possibly earned
    bonus_high: np.ndarray | None = None
    reached: tuple[np.ndarray, np.ndarray] | None = None  # counting: (certain, possible)

    @classmethod
    def new(cls, n: int) -> RuleOutcome:
        return cls(np.zeros(n, dtype=np.int8), np.zeros(n, dtype=np.int8))

    def mark(self, outcome: int, rows: np.ndarray, code: str) -> None:
        """Rows take `outcome` unless already worse; the reason is the first one given for the
        worst outcome."""
        up = rows & (self.codes < outcome)
        self.codes[up] = outcome
        self.reason[up] = R[code]
        self.reason[rows & (self.codes == outcome) & (self.reason == 0)] = R[code]

    def subject(self, ind_id: str, rows: np.ndarray, code: str) -> None:
        arr = self.subjects.setdefault(ind_id, np.zeros(len(self.codes), dtype=np.int8))
        arr[rows & (arr == 0)] = R[code]


@dataclass
class RuleInputs:
    """What rules read: the programme, the indicators assessed per row, and row facts."""

    programme: Programme
    indicators: dict  # id → engine.assess.IndicatorAssessment
    in_scope: np.ndarray
    withdrawn: np.ndarray  # some normative reference is withdrawn on the date
    superseded: np.ndarray  # some normative reference is superseded on the date

    @property
    def n(self) -> int:
        return len(self.in_scope)

    def subjects(self, rule: Rule) -> list:
        if rule.indicators:
            return [self.indicators[i] for i in rule.indicators if i in self.indicators]
        return [r for r in self.indicators.values() if r.cls in rule.classes]


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
    elif rule.check == "required_present":
        for r in x.subjects(rule):
            missing = r.applies & ~r.declared
            out.mark(UNKNOWN, missing, "required_not_declared")
            out.subject(r.id, missing, "required_not_declared")
    elif rule.check == "no_withdrawn_references":
        out.mark(FAIL, x.withdrawn, "reference_withdrawn")
        out.mark(FAIL, x.superseded, "reference_superseded")
    elif rule.check == "in_scope":
        out.mark(UNKNOWN, ~x.in_scope, "out_of_scope")
    return out


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
    target = x.programme.ladder.index(rule.level)
    any_subject = np.zeros(x.n, dtype=bool)
    for r in x.subjects(rule):
        any_subject |= r.applies
        sure, _, why = _standing(r, target)
        for rows, code in why:
            out.mark(FAIL if code == "level_below" else UNKNOWN, rows, code)
            out.subject(r.id, rows, code)
    out.mark(UNKNOWN, ~any_subject, "no_subject")
    return out


def counting(rule: Rule, x: RuleInputs) -> RuleOutcome:
    """At least k subjects reach the level: fails when fewer than k may."""
    out = RuleOutcome.new(x.n)
    target = x.programme.ladder.index(rule.level)
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


def weighted_score(rule: Rule, x: RuleInputs) -> RuleOutcome:
    """The weighted mean of level scores plus the bonus, as an interval: fails when even the
    highest possible score is below the pass mark, holds when the lowest reaches it."""
    out = RuleOutcome.new(x.n)
    levels = x.programme.ladder.levels
    scores = np.array([lv.score or 0.0 for lv in levels])
    top = float(scores.max())
    low, high, weight = np.zeros(x.n), np.zeros(x.n), np.zeros(x.n)
    for r in x.subjects(rule):
        scored = r.applies & (r.status != NO_REFERENCE) & (r.status != NOT_APPLICABLE)
        if r.has_reference is not None:  # an undeclared indicator with no reference: not scored
            scored &= r.has_reference | r.declared
        known = scored & (r.lowest >= 0)
        lo = np.where(known, scores[np.clip(r.lowest, 0, None)], scores[0])
        hi = np.where(known, scores[np.clip(r.highest, 0, None)], top)
        low += np.where(scored, r.weight * lo, 0.0)
        high += np.where(scored, r.weight * hi, 0.0)
        weight += np.where(scored, r.weight, 0.0)
        out.subject(r.id, scored & ~known & (r.status == NOT_DECLARED), "indicator_not_declared")
        out.subject(r.id, scored & (lo != hi), "level_not_assessable")
    with np.errstate(invalid="ignore", divide="ignore"):
        low, high = low / weight, high / weight
    bonus = rule.bonus or {}
    if bonus:
        target = x.programme.ladder.index(bonus["level"])
        sure, may = np.zeros(x.n), np.zeros(x.n)
        for r in x.indicators.values():
            if r.cls in bonus["classes"]:
                judged = r.applies & (r.lowest >= 0)
                sure += judged & (r.lowest >= target)
                may += judged & (r.highest >= target)
        cap = bonus.get("max", np.inf)
        out.bonus_low = np.minimum(sure * bonus["points"], cap)
        out.bonus_high = np.minimum(may * bonus["points"], cap)
        low, high = low + out.bonus_low, high + out.bonus_high
    low = np.round(np.minimum(low, 100.0), 2)
    high = np.round(np.minimum(high, 100.0), 2)
    mark = rule.pass_mark or 0
    out.mark(UNKNOWN, weight == 0, "no_scorable")
    out.mark(FAIL, (weight > 0) & (high < mark), "score_below")
    out.mark(UNKNOWN, (weight > 0) & (low < mark) & (high >= mark), "score_uncertain")
    out.score_low, out.score_high = low, high
    return out


RULE_KINDS: dict[str, Callable[[Rule, RuleInputs], RuleOutcome]] = {
    "gate": gate, "conjunctive": conjunctive, "counting": counting,
    "weighted_score": weighted_score,
}
