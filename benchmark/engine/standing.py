"""A population's standing context: per segment and graded core indicator, the leader threshold
and the single-indicator tier boundaries computed from the population's rows — what relative rules
(`ranking_place`) judge an applicant against, and what `rank` publishes.

One function computes it (`context_of`), from an assessed population, so that `evaluate
--population` and `rank` judge the same standard against the same numbers:

  * the rows that may be ranked: they declare the indicator, fail no gate (drafting, references,
    basic indicators) and are not below the domestic mandatory value — a standard excluded from
    the ranking sets no bar (DOMAIN §5);
  * the leader threshold by the programme's method (`peers.threshold`, thresholds.threshold) and
    the tiers (`peers.tiers`, thresholds.tiers) over those rows; the lowest boundary is the
    domestic mandatory value when it is one number for the segment's ranked rows (stated as
    `floor`), else the worst ranked value (not below any ranked row's own mandatory value);
  * suppression (ranking.rank_suppressed): fewer than 2 values, or all equal — no tiers.

The composite standing (`composite_standing`, what rule kind `composite_place` judges) is read
from the same ranked values: per segment, each subject indicator min–max normalised over the
peers that may be ranked on every subject (1 = the best peer, 0 = the worst; 1 for all when they
are equal), weighted by the indicator weights; an applicant's place is 1 + the number of peers
with a strictly better score, so the same standard has the same place whether it is one of the
rows (`rank`) or judged against them (`evaluate --population`). This normalisation is this
catalogue's modelled choice (leaders.NORMALISATION), no published scheme gives it.

Where the programme ranks on the margin to a per-row reference (`peers.basis: margin`), the value
ranked is the row's relative margin to its own reference (% better than it), not the raw value.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from benchmark import ranking, thresholds

TOLERANCE = 1e-9  # relative float hair, as in compare (docs/verdicts.md §3)


@dataclass(frozen=True)
class Place:
    """The standing numbers of one indicator in one segment."""

    indicator: str
    segment: str
    unit: str | None  # the unit of `threshold` and `bounds` ("%" for a margin basis)
    sign: int
    n: int  # rows that declare it (the threshold's sample)
    ranked: int  # rows that may be ranked (the tiers' sample)
    threshold: float  # leader threshold (NaN = none)
    bounds: tuple[float, ...]  # tier boundaries, best first; () when suppressed
    floor: float  # the domestic mandatory value bounding the lowest tier (NaN = varies / none)
    suppressed: dict | None = None  # why no tiers are published (ranking.rank_suppressed)
    ci: tuple[float, float] = (math.nan, math.nan)
    warning: dict | None = None  # the small-sample warning (thresholds.sample_warning_code)

    def reaches(self, value: np.ndarray) -> np.ndarray:
        """At least as good as the leader threshold (ties reach it)."""
        t = self.threshold
        hair = TOLERANCE * max(abs(t), 1.0)
        return np.isfinite(value) & ((value - t) * self.sign >= -hair)

    def tier(self, value: np.ndarray) -> np.ndarray:
        """The tier of each value against the boundaries (1 = best; 0 = below the lowest one or
        not declared); all 0 when suppressed."""
        value = np.asarray(value, dtype=float)
        if not self.bounds:
            return np.zeros(value.shape, dtype=np.int32)
        s = value * self.sign
        b = np.asarray(self.bounds) * self.sign
        hair = TOLERANCE * np.maximum(np.abs(b), 1.0)
        ok = ~np.isnan(s)
        every = s.ndim == 1 and bool(ok.all())  # the values ranked: none left out, none copied
        # number of boundaries the value does not reach; tier = 1 + that; all k = no tier
        present = s if every else s[ok]
        # a count of at most len(b) boundaries: in two bytes where that holds it
        short: np.ndarray = np.zeros(len(present), dtype=np.int16 if len(b) < 1 << 15 else np.int64)
        for bound in b - hair:  # a boundary at a time: no rows × boundaries matrix
            short += present < bound
        tier = np.where(short < len(b), short + 1, 0)
        if every:
            return tier.astype(np.int32)
        out = np.zeros(value.shape, dtype=np.int32)
        out[ok] = tier
        return out


class RankedValues(Mapping):
    """Indicator → the ranked value of each population row, NaN where the row may not be ranked.
    Kept as the value array (shared with the assessment) and a mask of the rows that may be
    ranked; the NaN-filled array is made when read, so the context holds one bool per row and
    indicator instead of a float."""

    def __init__(self) -> None:
        self._kept: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def keep(self, indicator: str, value: np.ndarray, ranked: np.ndarray) -> None:
        self._kept[indicator] = (value, ranked)

    def __getitem__(self, indicator: str) -> np.ndarray:
        value, ranked = self._kept[indicator]
        return np.where(ranked, value, np.nan)

    def __iter__(self) -> Iterator[str]:
        return iter(self._kept)

    def __len__(self) -> int:
        return len(self._kept)


@dataclass
class PopulationContext:
    """Places per (indicator, segment id), with how they were computed and from what."""

    method: str
    tiers: int
    basis: str  # "value" | "margin"
    places: dict[tuple[str, str], Place] = field(default_factory=dict)
    source: str | None = None  # the population file
    sha256: str | None = None
    # per indicator: the ranked value of each population row, NaN where the row may not be
    # ranked; and the rows' segments (what the composite standing reads)
    values: RankedValues = field(default_factory=RankedValues)
    weights: dict[str, float] = field(default_factory=dict)
    signs: dict[str, int] = field(default_factory=dict)
    segment_code: np.ndarray | None = None
    segment_ids: tuple[str, ...] = ()

    def place(self, indicator: str, segment: str) -> Place | None:
        return self.places.get((indicator, segment))


@dataclass(frozen=True)
class CompositeStanding:
    """Applicants' composite places among one segment's peers (arrays over the applicants)."""

    score: np.ndarray  # composite score, NaN when a subject is not declared
    place: np.ndarray  # 1 = best; 0 = no score
    peers: int  # M: peers with a composite score
    cutoff: int  # the worst place that holds (0 = no peers)
    cutoff_score: float  # the score of the peer at the cut-off place (NaN = no peers)


def composite_cutoff(peers: int, top: int | None, top_percent: float | None) -> int:
    """The worst composite place that is within the top N, or the top p % of M peers:
    ceil(p × M / 100), at least 1 (the rounding is an assumption: no scheme gives it)."""
    if peers == 0:
        return 0
    if top is not None:
        return int(top)
    assert top_percent is not None
    return max(1, math.ceil(float(top_percent) * peers / 100.0 - TOLERANCE))


def composite_standing(ctx: PopulationContext, subjects: list[str], segment: str,
                       applicant: np.ndarray, top: int | None,
                       top_percent: float | None) -> CompositeStanding:
    """The composite place of each applicant (rows of `applicant`: one ranked value per subject,
    NaN = not declared) among the segment's peers of the context."""
    assert ctx.segment_code is not None
    code = ctx.segment_ids.index(segment) if segment in ctx.segment_ids else -1
    in_seg = ctx.segment_code == code
    peer = np.column_stack([ctx.values[s][in_seg] for s in subjects]) if subjects else \
        np.zeros((0, 0))
    peer = peer[~np.isnan(peer).any(axis=1)] if peer.size else np.zeros((0, len(subjects)))
    signs = np.array([ctx.signs[s] for s in subjects], dtype=float)
    weights = np.array([ctx.weights.get(s, 1.0) for s in subjects], dtype=float)
    n_app = len(applicant)
    if len(peer) == 0 or not subjects:
        return CompositeStanding(np.full(n_app, np.nan), np.zeros(n_app, dtype=np.int32), 0, 0,
                                 math.nan)
    weights = weights / weights.sum()
    best = (peer * signs).max(axis=0)
    worst = (peer * signs).min(axis=0)
    span = best - worst

    def score(m: np.ndarray) -> np.ndarray:
        oriented = m * signs
        with np.errstate(divide="ignore", invalid="ignore"):
            norm = np.where(span > 0, (oriented - worst) / np.where(span > 0, span, 1.0), 1.0)
        return (norm * weights).sum(axis=1)

    peer_score = score(peer)
    app_score = score(applicant)
    app_score[np.isnan(applicant).any(axis=1)] = np.nan
    hair = TOLERANCE * np.maximum(np.abs(app_score), 1.0)
    better = (peer_score[None, :] > (app_score + hair)[:, None]).sum(axis=1)
    place = np.where(np.isnan(app_score), 0, better + 1).astype(np.int32)
    cutoff = composite_cutoff(len(peer), top, top_percent)
    ordered = np.sort(peer_score)[::-1]
    return CompositeStanding(app_score, place, len(peer), cutoff,
                             float(ordered[min(cutoff, len(ordered)) - 1]))


def segment_positions(codes: np.ndarray) -> dict[int, np.ndarray]:
    """The positions of each code (a row's segment, …), ascending within a code and codes in
    ascending order: one sort, not one mask over the whole population per segment; as int32
    when the rows fit (half the memory of the sort's int64 positions)."""
    if not len(codes):
        return {}
    order = np.argsort(codes, kind="stable")
    if len(codes) <= np.iinfo(np.int32).max:
        order = order.astype(np.int32)
    ordered = codes[order]  # sorted: each code starts where it differs from the one before
    starts = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
    present = ordered[np.concatenate([[0], starts])]
    return {int(k): part for k, part in zip(present, np.split(order, starts), strict=True)}


def ranked_indicators(inds: dict) -> list:
    """The indicators ranked: graded core quantities with a direction."""
    return [r for r in inds.values() if r.cls == "core" and r.label is None and r.sign != 0]


def ranked_value(r, basis: str, reference: np.ndarray | None) -> np.ndarray:
    """The value ranked for each row: the guaranteed value, or with a margin basis the relative
    margin to the row's own reference in % (positive = better; NaN without a reference)."""
    if basis != "margin":
        return r.value
    if reference is None:
        return np.full(len(r.value), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        m = (r.value - reference) * r.sign / np.abs(reference) * 100.0
    m[~np.isfinite(m)] = np.nan
    return m


def context_of(inds: dict, segment_code: np.ndarray, segment_ids: tuple[str, ...],
               gate_failed: np.ndarray, peers: dict, floors=None, references=None,
               seed: int = 0, n_resamples: int = 1000, method: str | None = None,
               k_tiers: int | None = None,
               segments: dict[int, np.ndarray] | None = None) -> PopulationContext:
    """The standing context of an assessed population. `floors(ind_id, rows)` gives the domestic
    mandatory value per row (NaN = none); `references(ind_id)` the per-row reference of a margin
    basis. `method` and `k_tiers` override the programme's `peers` settings; `segments` is
    `segment_positions(segment_code)` when already made."""
    method_text = method or peers.get("threshold") or "percentile:5"
    m = thresholds.parse_method(method_text)
    k = int(m.param) if m.kind == "tiers" else int(k_tiers or peers.get("tiers", 5))
    basis = peers.get("basis", "value")
    ctx = PopulationContext(method_text, k, basis, segment_code=segment_code,
                            segment_ids=segment_ids)
    if segments is None:
        segments = segment_positions(segment_code)  # once for every indicator
    for r in ranked_indicators(inds):
        value = ranked_value(r, basis, references(r.id) if references else None)
        usable = r.applies & ~np.isnan(value)
        rankable = usable & ~gate_failed & (r.highest != 0)
        ctx.values.keep(r.id, value, rankable)
        sign = 1 if basis == "margin" else int(r.sign)  # a margin is positive when better
        ctx.weights[r.id], ctx.signs[r.id] = float(r.weight), sign
        for code, positions in segments.items():
            if not usable[positions].any():
                continue
            seg = segment_ids[code] if code >= 0 else ""
            rows = positions[rankable[positions]]
            ranked = value[rows]
            res = thresholds.threshold(ranked, sign, m, seed=seed, n_resamples=n_resamples)
            floor = math.nan
            if floors is not None and basis != "margin" and len(rows):
                f = floors(r.id, rows)
                if np.isfinite(f).all() and (f == f[0]).all():
                    floor = float(f[0])
            elif basis == "margin":
                floor = 0.0  # a margin below 0 is worse than the row's own reference
            suppressed = ranking.rank_suppressed(ranked)
            bounds: tuple[float, ...] = ()
            if suppressed is None:
                b = thresholds.tier_bounds(ranked, sign, k,
                                           floor=None if math.isnan(floor) else floor)
                bounds = tuple(float(x) for x in b)
            unit = "%" if basis == "margin" else r.unit
            ctx.places[(r.id, seg)] = Place(r.id, seg, unit, sign, res.n, len(rows),
                                            float(res.value), bounds, floor, suppressed,
                                            (res.ci_low, res.ci_high), res.warning_code)
    return ctx
