"""The domain types: indicator sets, segments, indicators, reference editions and their values,
ladders of levels, programmes and their rules.

They are built from validated catalogue documents by `benchmark.catalogue` and hold no I/O.
Everything numeric is kept in the indicator's canonical unit once built.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from benchmark.formula import Formula


@dataclass(frozen=True)
class Names:
    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    @classmethod
    def of(cls, data: Mapping[str, str] | None) -> Names:
        data = data or {}
        return cls(zh=data.get("zh", ""), en=data.get("en", ""))


@dataclass(frozen=True)
class Band:
    """An interval on one parameter; each end open or closed, or absent."""

    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None

    def contains(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        ok = np.isfinite(x)
        if self.gt is not None:
            ok &= x > self.gt
        if self.ge is not None:
            ok &= x >= self.ge
        if self.lt is not None:
            ok &= x < self.lt
        if self.le is not None:
            ok &= x <= self.le
        return ok

    def overlaps(self, other: Band) -> bool:
        lo_a, lo_a_closed = _lower(self)
        lo_b, lo_b_closed = _lower(other)
        hi_a, hi_a_closed = _upper(self)
        hi_b, hi_b_closed = _upper(other)
        lo, lo_closed = max((lo_a, lo_a_closed), (lo_b, lo_b_closed),
                            key=lambda t: (t[0], not t[1]))
        hi, hi_closed = min((hi_a, hi_a_closed), (hi_b, hi_b_closed), key=lambda t: (t[0], t[1]))
        return lo < hi or (lo == hi and lo_closed and hi_closed)

    def describe(self) -> str:
        parts = []
        for op, sym in (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤")):
            v = getattr(self, op)
            if v is not None:
                parts.append(f"{sym} {v:g}")
        return " and ".join(parts)


def _lower(b: Band) -> tuple[float, bool]:
    if b.gt is not None:
        return b.gt, False
    if b.ge is not None:
        return b.ge, True
    return -np.inf, False


def _upper(b: Band) -> tuple[float, bool]:
    if b.lt is not None:
        return b.lt, False
    if b.le is not None:
        return b.le, True
    return np.inf, False


# A condition maps parameter id -> Band (quantities) or a tuple of allowed values (categories).
Condition = Mapping[str, "Band | tuple"]


def condition_of(data: Mapping[str, Any] | None) -> dict[str, Band | tuple]:
    out: dict[str, Band | tuple] = {}
    for key, spec in (data or {}).items():
        if isinstance(spec, dict):
            out[key] = Band(**{k: float(v) for k, v in spec.items()})
        elif isinstance(spec, list):
            out[key] = tuple(spec)
        else:
            out[key] = (spec,)
    return out


def condition_mask(condition: Condition, params: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    """Rows whose parameters satisfy every clause; rows missing a constrained parameter fail."""
    mask = np.ones(n, dtype=bool)
    for key, spec in condition.items():
        if key not in params:
            return np.zeros(n, dtype=bool)
        values = params[key]
        if isinstance(spec, Band):
            mask &= spec.contains(values)
        else:
            allowed = {category_key(v) for v in spec}
            if isinstance(values, pd.Categorical):
                codes, uniques = values.codes, values.categories
            else:  # one test per distinct value
                codes, uniques = pd.factorize(np.broadcast_to(values, (n,)))
            ok = np.array([category_key(u) in allowed for u in uniques] + [False], dtype=bool)
            mask &= ok[codes]  # code -1 (missing) takes the trailing False
    return mask


def category_key(value: Any) -> str:
    """Categories compare as text, so 4, "4", 4.0 and "４" are the same pole count."""
    text = unicodedata.normalize("NFKC", str(value)).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def outside_range(value: float, minimum: float | None, maximum: float | None) -> str | None:
    """How `value` lies outside the possible range [minimum, maximum] ("below the minimum 0"),
    or None when it is possible."""
    if minimum is not None and value < minimum:
        return f"below the smallest possible value {minimum:g}"
    if maximum is not None and value > maximum:
        return f"above the largest possible value {maximum:g}"
    return None


@dataclass(frozen=True)
class Parameter:
    id: str
    names: Names
    kind: str  # quantity | integer | category | boolean
    unit: str | None = None
    values: tuple = ()
    minimum: float | None = None  # possible values, in the canonical unit
    maximum: float | None = None


@dataclass(frozen=True)
class Segment:
    id: str
    names: Names
    where: dict[str, Band | tuple]


@dataclass(frozen=True)
class Indicator:
    id: str
    names: Names
    cls: str  # basic | core | innovation
    kind: str
    direction: str  # higher | lower | target | within | equal | ordinal
    unit: str | None = None
    test_method: str | None = None
    method: str = "full"  # GB/T 8170: "rounded" | "full"
    digits: int | None = None
    tol_abs: float = 0.0
    tol_rel: float = 0.0
    weight: float = 1.0
    segments: tuple[str, ...] | None = None
    target: float | None = None
    target_band: float | None = None
    order: tuple[str, ...] = ()
    derived: Formula | None = None
    derived_tol_abs: float = 0.0
    derived_tol_rel: float = 0.0
    minimum: float | None = None  # possible values, in the canonical unit
    maximum: float | None = None

    @property
    def sign(self) -> int:
        """+1 when a larger value is better, -1 when smaller is better, 0 otherwise."""
        return {"higher": 1, "lower": -1}.get(self.direction, 0)


@dataclass(frozen=True)
class Threshold:
    """A reference number: constant, formula of parameters, or table looked up on a parameter."""

    constant: float | None = None
    formula: Formula | None = None
    round: int | None = None
    table_parameter: str | None = None
    table_x: tuple[float, ...] = ()  # in the parameter's canonical unit
    table_y: tuple[float, ...] = ()
    between: str = "none"
    between_note: Names | None = None

    @property
    def assumed(self) -> bool:
        """The value between listed points comes from a rule the document does not give."""
        return (self.table_parameter is not None and self.between != "none"
                and self.between_note is not None)

    def evaluate(self, params: Mapping[str, np.ndarray], n: int) -> np.ndarray:
        """Values for n rows (in the reference value's unit); NaN where not covered."""
        return self.interval(params, n)[0] if not self.assumed else self.interval(params, n)[2]

    def interval(self, params: Mapping[str, np.ndarray],
                 n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(least, greatest, as the data's rule gives) plausible values for n rows, in the
        reference value's unit; NaN where not covered. Least and greatest differ only between
        the listed points of a table whose rule for them is an assumption (`between_note`): then
        every plausible rule — the next lower and the next higher point's value — is taken."""
        if self.constant is not None:
            out = np.full(n, self.constant, dtype=float)
            return out, out, out
        if self.formula is not None:
            missing = [p for p in self.formula.names if p not in params]
            if missing:
                out = np.full(n, np.nan)
                return out, out, out
            out = np.broadcast_to(self.formula(**{p: params[p] for p in self.formula.names}), (n,))
            out = np.where(np.isfinite(out), out, np.nan)  # overflow: no usable threshold
            if self.round is not None:
                out = np.round(out, self.round)
            return out, out, out
        if self.table_parameter not in params:
            out = np.full(n, np.nan)
            return out, out, out
        assert self.table_parameter is not None  # `None not in params` returned above
        x = np.broadcast_to(np.asarray(params[self.table_parameter], dtype=np.float64), (n,))
        xs, ys = np.asarray(self.table_x), np.asarray(self.table_y)
        ruled = table_lookup(xs, ys, x, self.between)
        if not self.assumed:
            return ruled, ruled, ruled
        lower, higher = table_lookup(xs, ys, x, "lower"), table_lookup(xs, ys, x, "higher")
        return np.fmin(lower, higher), np.fmax(lower, higher), ruled


def table_lookup(xs: np.ndarray, ys: np.ndarray, x: np.ndarray, between: str) -> np.ndarray:
    """Look x up in a table sorted by xs; NaN outside the table or between points when `none`."""
    x = np.asarray(x, dtype=float)
    out = np.full(x.shape, np.nan)
    inside = (x >= xs[0]) & (x <= xs[-1])
    exact_idx = np.clip(np.searchsorted(xs, x), 0, len(xs) - 1)
    exact = inside & np.isclose(xs[exact_idx], x, rtol=1e-9, atol=0.0)
    out[exact] = ys[exact_idx[exact]]
    rest = inside & ~exact
    if between == "linear":
        out[rest] = np.interp(x[rest], xs, ys)
    elif between == "higher":
        out[rest] = ys[np.searchsorted(xs, x[rest], side="left")]
    elif between == "lower":
        out[rest] = ys[np.searchsorted(xs, x[rest], side="right") - 1]
    return out


@dataclass(frozen=True)
class Bound:
    op: str  # ge | gt | le | lt | eq
    threshold: Threshold


@dataclass(frozen=True)
class GradeClass:
    label: str
    bound: Bound | None  # None: the catch-all worst class
    verified: bool | None = None  # None: as the value says
    note: Names | None = None


@dataclass(frozen=True)
class Source:
    title: str
    url: str | None = None
    note: Names | None = None


@dataclass(frozen=True)
class ReferenceValue:
    edition_id: str
    indicator_set: str
    indicator: str
    unit: str
    factor: float  # to the indicator's canonical unit: canonical = value * factor + offset
    offset: float
    segments: tuple[str, ...] | None
    where: dict[str, Band | tuple]
    effective_from: dt.date | None
    effective_until: dt.date | None
    limits: tuple[Bound, ...] = ()
    classes: tuple[GradeClass, ...] = ()
    minimum_class: str | None = None
    clause: Names | None = None
    source: Source | None = None
    verified: bool = False
    note: Names | None = None
    pointer: str = ""
    basis: Names | None = None  # test method / index definition, when not the indicator's own
    same_basis: bool = False  # the file's word that `basis` agrees with the indicator's method

    def in_effect(self, on: dt.date) -> bool:
        if self.effective_from and on < self.effective_from:
            return False
        return not (self.effective_until and on > self.effective_until)

    def class_bound(self, label: str) -> Bound | None:
        for c in self.classes:
            if c.label == label:
                return c.bound
        return None


@dataclass
class ReferenceEdition:
    id: str
    titles: Names
    tier: str
    body: str
    mandatory: bool
    in_force: dt.date
    published: dt.date | None = None
    withdrawn: dt.date | None = None
    supersedes: tuple[str, ...] = ()
    superseded_by: str | None = None
    adoption_source: str | None = None
    adoption_degree: str | None = None
    source: Source | None = None
    note: Names | None = None
    values: list[ReferenceValue] = field(default_factory=list)
    governs: tuple[tuple[str, str, tuple[str, ...] | None], ...] = ()  # (set, indicator, segments)
    path: str = ""
    sha256: str = ""

    def status_on(self, on: dt.date) -> str:
        """'in_force', 'not_yet_in_force' or 'withdrawn' on a date."""
        if on < self.in_force:
            return "not_yet_in_force"
        if self.withdrawn and on >= self.withdrawn:
            return "withdrawn"
        return "in_force"


@dataclass(frozen=True)
class LevelRequirement:
    relation: str  # meets | beats
    of: str  # mandatory | most_stringent | class
    tiers: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    reference: str | None = None
    class_label: str | None = None
    if_none: str = "stop"


@dataclass(frozen=True)
class Level:
    id: str
    names: Names
    requires: LevelRequirement | None = None
    score: float | None = None


@dataclass(frozen=True)
class Ladder:
    id: str
    names: Names
    levels: tuple[Level, ...]

    def index(self, level_id: str) -> int:
        for i, level in enumerate(self.levels):
            if level.id == level_id:
                return i
        raise KeyError(level_id)


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str  # gate | conjunctive | counting | weighted_score | ranking_place | composite_place
    check: str | None = None
    level: str | None = None
    classes: tuple[str, ...] = ("core",)
    indicators: tuple[str, ...] = ()
    at_least: int | None = None
    pass_mark: float | None = None
    bonus: Mapping[str, Any] | None = None
    description: Names | None = None
    place: str | None = None  # ranking_place: leader_threshold | top_tier
    tier: int | None = None  # ranking_place top_tier: the worst tier that holds (default 1)
    forms: tuple[Mapping[str, str], ...] = ()  # gate number_well_formed: {type, pattern}
    top: int | None = None  # composite_place: within the top N of the segment
    top_percent: float | None = None  # composite_place: within the top p % of the segment


@dataclass(frozen=True)
class Programme:
    id: str
    names: Names
    basis_kind: str  # official | modelled
    statement: Names
    source: Source | None
    ladder: Ladder
    overall_classes: tuple[str, ...]
    rules: tuple[Rule, ...]
    # threshold, tiers, shortlist, saturation
    peers: Mapping[str, Any] = field(default_factory=dict)
    note: Names | None = None  # the category's word on what it lists for this programme


@dataclass
class IndicatorSet:
    id: str
    names: Names
    parameters: dict[str, Parameter]
    segments: list[Segment]
    indicators: dict[str, Indicator]
    programmes: dict[str, Programme]
    path: str = ""
    sha256: str = ""


@dataclass
class Catalogue:
    root: str
    sets: dict[str, IndicatorSet]
    references: dict[str, ReferenceEdition]
    ladders: dict[str, Ladder]
    files: dict[str, str]  # relative path -> sha256
    warnings: list = field(default_factory=list)

    @cached_property
    def _successors(self) -> dict[str, set[str]]:
        """Edition id -> ids of the editions that replace it (named by either side)."""
        out: dict[str, set[str]] = {}
        for r in self.references.values():
            if r.superseded_by:
                out.setdefault(r.id, set()).add(r.superseded_by)
            for old in r.supersedes:
                out.setdefault(old, set()).add(r.id)
        return out

    def status_of(self, edition_id: str, on: dt.date) -> str:
        """in_force | not_yet_in_force | withdrawn | superseded | unknown (not in the catalogue).

        An edition is superseded from the in-force date of a successor named by either side —
        even an edition that has no file of its own, when another edition names it."""
        edition = self.references.get(edition_id)
        status = edition.status_on(on) if edition is not None else "unknown"
        if status in ("not_yet_in_force", "withdrawn"):
            return status
        for succ in self._successors.get(edition_id, ()):
            successor = self.references.get(succ)
            if successor is not None and on >= successor.in_force:
                return "superseded"
        return status

    @property
    def sha256(self) -> str:
        """One hash over every catalogue file (path and content hash), in path order."""
        import hashlib

        h = hashlib.sha256()
        for path in sorted(self.files):
            h.update(f"{path}\0{self.files[path]}\n".encode())
        return h.hexdigest()
