"""Which reference values apply, and their thresholds per row.

For one indicator and the rows of one segment: the editions in force on the evaluation date (or
also superseded ones when asked), the values in effect for the segment whose `where` scope holds
for each row, each threshold evaluated on the rows' parameters in the indicator's canonical unit
as an interval [low, high] of plausible values (docs/verdicts.md §3), whether the value is stated
on another basis (indicative only), and the editions in force whose values the catalogue lacks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from benchmark.model import (
    Bound,
    Catalogue,
    Indicator,
    Names,
    Programme,
    ReferenceEdition,
    ReferenceValue,
    condition_mask,
)

OPS = ("ge", "gt", "le", "lt", "eq")  # bounds as small integer codes in arrays; -1 = none


@dataclass
class Thresholds:
    """One bound of one reference value over n rows (canonical unit; NaN = not covered)."""

    op: str
    low: np.ndarray
    high: np.ndarray
    ruled: np.ndarray  # the value the data's own rule gives (shown in reports)
    label: str | None = None  # the grade-table class, if any
    note: Names | None = None  # the between-points rule, when it is an assumption

    @property
    def uncertain(self) -> np.ndarray | bool:
        return False if self.low is self.high else self.low != self.high


@dataclass
class Applied:
    """One reference value over n rows: where it applies and its thresholds."""

    edition: ReferenceEdition
    value: ReferenceValue
    applies: np.ndarray
    limits: list[Thresholds] = field(default_factory=list)
    classes: list[Thresholds | None] = field(default_factory=list)  # None: catch-all class
    indicative: bool = False  # stated on another basis than the indicator's test method
    _top: list[Thresholds] | None = field(default=None, repr=False)

    def top(self) -> list[Thresholds]:
        """The most stringent requirement this value sets, per row: its best class with a
        threshold there, else its first limit — as one Thresholds per op present."""
        if self._top is None:
            self._top = self._most_stringent()
        return self._top

    def _most_stringent(self) -> list[Thresholds]:
        candidates = [c for c in self.classes if c is not None] + self.limits
        n = len(self.applies)
        taken = np.zeros(n, dtype=bool)
        out: dict[str, Thresholds] = {}
        one = all(c.low is c.high for c in candidates)
        for th in candidates:
            rows = ~taken & np.isfinite(th.low)
            if not rows.any():
                continue
            if not taken.any() and (rows | ~self.applies).all():
                return [th]  # the best bound covers every row the value applies to
            taken |= rows
            if th.op not in out:
                low = np.full(n, np.nan)
                out[th.op] = Thresholds(th.op, low, low if one else np.full(n, np.nan),
                                        low if one else np.full(n, np.nan), th.label, th.note)
            acc = out[th.op]
            acc.low[rows] = th.low[rows]
            if acc.high is not acc.low:
                acc.high[rows], acc.ruled[rows] = th.high[rows], th.ruled[rows]
        return list(out.values())

    def mandatory(self) -> list[Thresholds]:
        """The legal minimums this value sets: its limits and its minimum class, in a mandatory
        document."""
        if not self.edition.mandatory:
            return []
        out = list(self.limits)
        minimum = self.value.minimum_class
        out += [c for c in self.classes if c is not None and minimum and c.label == minimum]
        return out

    def verified(self, label: str | None) -> bool:
        for c in self.value.classes:
            if c.label == label and c.verified is not None:
                return c.verified and self.value.verified
        return self.value.verified


def reference_values(catalogue: Catalogue, set_id: str, indicator_id: str,
                     segment_id: str | None, on: dt.date, include_superseded: bool = False
                     ) -> Iterator[tuple[ReferenceEdition, ReferenceValue]]:
    """(edition, value) pairs for one indicator and segment, in force and in effect on `on`
    (superseded or withdrawn editions only when `include_superseded`)."""
    for edition in catalogue.references.values():
        if not usable(catalogue, edition, on, include_superseded):
            continue
        for value in edition.values:
            if value.indicator_set != set_id or value.indicator != indicator_id:
                continue
            if not value.in_effect(on):
                continue
            if value.segments is not None and segment_id not in value.segments:
                continue
            yield edition, value


def usable(catalogue: Catalogue, edition: ReferenceEdition, on: dt.date,
           include_superseded: bool) -> bool:
    status = catalogue.status_of(edition.id, on)
    return status == "in_force" or (include_superseded and status in ("withdrawn", "superseded"))


def missing_editions(catalogue: Catalogue, set_id: str, indicator_id: str,
                     segment_id: str | None, on: dt.date,
                     include_superseded: bool = False) -> list[ReferenceEdition]:
    """Editions in force that set values for this indicator which the catalogue does not hold."""
    out = []
    for edition in catalogue.references.values():
        if not edition.governs or not usable(catalogue, edition, on, include_superseded):
            continue
        for s, ind, segments in edition.governs:
            if s == set_id and ind == indicator_id and (segments is None or
                                                        segment_id in segments):
                has = any(v.indicator_set == s and v.indicator == ind for v in edition.values)
                if not has:
                    out.append(edition)
                break
    return out


def applicable(catalogue: Catalogue, indicator: Indicator, set_id: str, segment_id: str | None,
               params: Mapping[str, np.ndarray], n: int, on: dt.date,
               include_superseded: bool = False,
               documents: frozenset[str] = frozenset()) -> list[Applied]:
    """The reference values for n rows of one segment, thresholds per row; NaN where a value
    does not apply to a row (outside its `where` scope) or cannot be evaluated there. A document
    of tier `programme` (a scheme's own grades) is one only the programme that names it compares
    with: it is left out unless it is in `documents`."""
    out = []
    for edition, value in reference_values(catalogue, set_id, indicator.id, segment_id, on,
                                           include_superseded):
        if edition.tier == "programme" and edition.id not in documents:
            continue
        applies = condition_mask(value.where, params, n)
        if not applies.any():
            continue
        indicative = (value.basis is not None and value.basis.en != indicator.test_method
                      and not value.same_basis)
        out.append(Applied(edition, value, applies,
                           [_thresholds(b, None, value, applies, params, n)
                            for b in value.limits],
                           [_thresholds(c.bound, c.label, value, applies, params, n)
                            if c.bound else None for c in value.classes], indicative))
    out.sort(key=lambda a: (a.edition.tier, a.edition.id, a.value.pointer))
    return out


def _thresholds(bound: Bound, label: str | None, value: ReferenceValue, applies: np.ndarray,
                params: Mapping[str, np.ndarray], n: int) -> Thresholds:
    """One bound of a value over n rows, in the indicator's canonical unit; NaN where the value
    does not apply."""
    low, high, ruled = bound.threshold.interval(params, n)
    if low is high:  # no assumption: one array serves as both ends
        one = np.where(applies, low * value.factor + value.offset, np.nan)
        conv = [one, one, one]
    else:
        conv = [np.where(applies, t * value.factor + value.offset, np.nan)
                for t in (low, high, ruled)]
    if value.factor < 0:  # a unit conversion that reverses order swaps the ends
        conv[0], conv[1] = conv[1], conv[0]
    note = bound.threshold.between_note if bound.threshold.assumed else None
    return Thresholds(bound.op, conv[0], conv[1], conv[2], label, note)


def programme_documents(programme: Programme) -> frozenset[str]:
    """The documents a programme's ladder names (`reference`, `references`)."""
    out: set[str] = set()
    for level in programme.ladder.levels:
        req = level.requires
        if req is not None:
            out.update(req.references)
            if req.reference:
                out.add(req.reference)
    return frozenset(out)


def strictest(candidates: list[Thresholds], sign: int, row: int) -> Thresholds | None:
    """Of thresholds at one row, the most stringent (by the direction; `gt` over `ge` at the
    same value). For display and gaps: the decision itself needs every candidate met."""
    best, key = None, None
    for th in candidates:
        t = th.high[row] if th.op in ("ge", "gt") else th.low[row]
        if not np.isfinite(t):
            continue
        k = (t * (sign or 1), th.op in ("gt", "lt"))
        if key is None or k > key:
            best, key = th, k
    return best
