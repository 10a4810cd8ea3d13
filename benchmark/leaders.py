"""Peer benchmarking of a population: leader thresholds, single-indicator tiers, the composite
ranking and leader shortlist, the saturation check and Top Runner compliance.

It reads an `Assessment` (levels and rule outcomes per row, from `engine.assess`) and applies the
threshold and ranking kernels per indicator and segment. Products of different segments are never
ranked against each other. The result keeps pandas tables; reports render them.

Conventions (stated in every rendering):
  * Thresholds are computed per segment from the rows that may be ranked (engine/standing.py):
    those that declare the indicator and are not excluded (below).
  * Single-indicator tiers rank the rows that are not excluded: a row is excluded when it fails a
    gate rule (which includes withdrawn normative references) or is below the domestic mandatory
    requirement for that indicator (level "non-compliant"). Tier 1 is the best; there is no order
    inside a tier. A ranking is suppressed, with the reason, when it cannot discriminate.
  * The composite ranking takes eligible rows only. Weighted sum: each core indicator's relative
    margin to the strictest domestic value (the declared value where the segment has none),
    min–max normalised within the segment (1 = best), weighted by the indicator weights; an
    undeclared indicator scores 0. TOPSIS: vector-normalised declared values, benefit or cost by
    the indicator's direction, same weights; an undeclared value takes the segment's worst.
  * Competition ranking ("1, 2, 2, 4") on the weighted sum; ties are broken by, in order, the
    number of innovation indicators earned, the number of tier-1 indicators and completeness
    (core indicators declared). Rows equal on all of these share a rank.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from benchmark import ranking, thresholds
from benchmark.engine import FAIL, PASS, assess
from benchmark.engine.assess import Assessment, domestic_threshold, mandatory_values, segments_of
from benchmark.engine.standing import (
    PopulationContext,
    context_of,
    ranked_value,
)
from benchmark.errors import InputError, Problem
from benchmark.heap import arrow_released, give_back, reused_heap
from benchmark.population import arrow_chunks, decoded, is_positions, load_population

FIELDS = ("enterprise", "standard_number", "model")
NORMALISATION = {
    "weighted_sum": "min-max normalised relative margins to the strictest domestic value "
                    "(declared values where the segment has none), 1 = best",
    "topsis": "vector-normalised declared values; benefit/cost by the indicator's direction",
}
TIE_BREAKERS = ("innovation indicators earned", "tier-1 indicators", "core indicators declared")


@dataclass
class Ranking:
    """Everything peer benchmarking found, as tables (one row per item)."""

    assessment: Assessment
    method: thresholds.ThresholdMethod
    thresholds: pd.DataFrame  # indicator, segment, n, threshold, ci, warning (a code)
    tiers: pd.DataFrame  # one row per usable row: identity, segment, tier_<indicator> (0 = none)
    suppressed: pd.DataFrame  # indicator, segment, n, reason (too_few_values | all_equal)
    excluded: pd.DataFrame  # row, identity, reason_code and its parameters (_excluded)
    composite: pd.DataFrame  # eligible rows: scores, tie-breakers, rank, shortlisted
    saturation: pd.DataFrame  # indicator, segment, basis, share, n, warning (saturated)
    top_runner: pd.DataFrame | None  # maker × indicator: shipment-weighted achievement
    warnings: list[dict] = field(default_factory=list)  # {code, indicator, segment, …}
    settings: dict = field(default_factory=dict)
    # the boards ranked (indicator, segment, tier bounds); members found when asked for
    board_members: list[BoardMembers] = field(default_factory=list, repr=False)

    @cached_property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The ranking's tables as written to CSV, Parquet and XLSX, made once (composite and
        excluded with every identity field, "" where the population has none); empty tables
        left out. The identity stays as the population holds it (codes into its distinct texts,
        positions into its arrow text: no whole-table copy of the text); the writers make it
        text a chunk of rows at a time (`text_fields`)."""
        out = {}
        for name in TABLES:
            frame = getattr(self, name)
            if frame is None or frame.empty:
                continue
            if name in ("composite", "excluded"):
                missing = [f for f in FIELDS if f not in frame]
                if missing:
                    frame = frame.assign(**dict.fromkeys(missing, ""))
            out[name] = frame
        return out

    def __getstate__(self) -> dict:
        """Pickled (a Dask worker's ranking) without the tables made for writing, its identity
        as text (positions into the population's text would carry all of it)."""
        state = dict(vars(self))
        state.pop("tables", None)
        state.update(self.as_text())
        return state

    def as_text(self) -> dict[str, pd.DataFrame]:
        """The per-row tables with their identity as text, not positions into the population's
        (`_arrow_rows`), and their columns in the types they are written as (`as_written`): as
        pickled, and as the API gives them."""
        return {name: as_written(getattr(self, name)) for name in PER_ROW_TABLES}

    @cached_property
    def boards(self) -> pd.DataFrame:
        """The publishable single-indicator rankings (单指标排行榜): one row per tier member —
        indicator, segment, unit, tier, its boundary, the stated floor, enterprise, standard,
        model — built when first asked for (a board lists up to every ranked row)."""
        return _boards(self.assessment, self.tiers, self.board_members)


@dataclass
class RankingTables:
    """What writing a ranking's table files reads: its tables as written (`Ranking.tables`),
    without the assessment and population the summaries were made from, so that a command
    writing a large ranking holds the tables alone (`for_writing`)."""

    tables: dict[str, pd.DataFrame]
    # the unusable rows' problems (the excluded table holds their code and English message):
    # what their words in another language are made from (`report.ranking.unusable_problems`)
    problems: list[Problem] = field(default_factory=list)


def for_writing(r: Ranking) -> RankingTables:
    """The tables of `r` as written, for the writers once the summaries and boards are made:
    dropping `r` then lets go of the assessment's arrays (levels, margins, values per
    indicator) and of the population's values before the tables are written."""
    return RankingTables(r.tables, r.assessment.population.excluded)


TABLES = ("composite", "tiers", "thresholds", "excluded", "suppressed", "saturation", "top_runner")
PER_ROW_TABLES = ("composite", "tiers", "excluded")  # a row per population row


def text_fields(frame: pd.DataFrame) -> list[str]:
    """The identity columns of a table held as text objects (and missing cells) or as codes
    into distinct texts, which the table files store as text (Parquet `large_string`, pandas'
    own text type), decided once over the whole column, not per chunk."""
    def text(column: pd.Series) -> bool:
        if is_positions(column):  # positions into arrow text
            return True
        if isinstance(column.dtype, pd.CategoricalDtype):
            column = pd.Series(column.cat.categories)
        return (column.dtype == object
                and pd.api.types.infer_dtype(column, skipna=True) == "string")

    return [f for f in FIELDS if f in frame and text(frame[f])]


def _ident(a: Assessment, rows: np.ndarray | None = None) -> dict[str, object]:
    """Row number, the identity fields the population has, and the segment, for `rows` (all).
    The identity stays as the population holds it (codes into its distinct texts, or arrow
    text: never a Python object per row; the writers make it text a chunk at a time,
    `text_fields`)."""
    pop = a.population
    pick = (lambda x: x) if rows is None else (lambda x: x[rows])
    out: dict[str, object] = {"row": pick(pop.rows)}
    for f in FIELDS:
        if f in pop.fields:
            out[f] = (identity_column(pop.fields[f]) if rows is None
                      else _identity_at(pop.fields[f], rows))
    codes = pick(a.segment_code)
    out["segment"] = pd.Categorical.from_codes(np.where(codes < 0, len(a.segment_ids), codes),
                                               [*a.segment_ids, ""])
    return out


def identity_column(values) -> pd.Series:
    """An identity field's column of a table, kept as the population holds it (shared with it,
    not copied): codes into its distinct texts (a categorical column), arrow-backed text (a
    field distinct per row, such as `model`) or, for a population of declarations, text
    objects."""
    if isinstance(values, np.ndarray):
        return pd.Series(np.asarray(values, dtype=object), dtype=object, copy=False)
    return pd.Series(values, copy=False)


def _arrow_rows(values, at: np.ndarray):
    """Arrow text at positions `at` ("" where `at` is -1): positions into the population's own
    text (an arrow dictionary column whose dictionary is the field's one chunk, shared, not
    copied; a null position for -1, the empty text of a row with none, `as_written`): the
    writers make it text a chunk at a time (`population.decoded`). A field of more than one
    chunk (a population holds such a field as one, `population._concatenate`): the rows taken,
    and the pages arrow's pool keeps after the take given back."""
    chunks = arrow_chunks(pa.array(values))
    if len(chunks) == 1 and len(at) and len(values) < 2 ** 31:
        none = at < 0
        positions = pa.array(at.astype(np.int32, copy=False), mask=none if none.any() else None)
        return pd.arrays.ArrowExtensionArray(pa.DictionaryArray.from_arrays(positions, chunks[0]))
    taken = pd.array(values).take(at, allow_fill=True, fill_value="")
    arrow_released()
    return taken


def _identity_at(values, at: np.ndarray) -> pd.Series:
    """An identity field at positions `at` of the population ("" where `at` is -1), as the
    population holds it (`identity_column`): of a coded field, its codes at `at` only."""
    if isinstance(values, pd.Categorical):
        if "" not in values.categories:
            values = values.add_categories([""])
        codes = values.codes[at]
        codes[at < 0] = values.categories.get_loc("")
        return identity_column(pd.Categorical.from_codes(codes, dtype=values.dtype))
    if isinstance(values, np.ndarray):
        taken = np.asarray(values, dtype=object)[at]
        taken[at < 0] = ""
        return identity_column(taken)
    return identity_column(_arrow_rows(values, at))


def rank_population(a: Assessment, method: str | None = None, shortlist: int | None = None,
                    tiers: int | None = None, seed: int = 0,
                    progress=lambda rows: None) -> Ranking:
    """Thresholds, tiers, composite ranking and shortlist for an assessed population;
    `progress(rows)` is told the share of the work done, in rows, after each indicator. Its
    temporaries of a segment's rows are reused from the heap (`heap.reused_heap`)."""
    with reused_heap(len(a.segment_code)):
        return _rank_population(a, method, shortlist, tiers, seed, progress)


def _rank_population(a: Assessment, method: str | None, shortlist: int | None,
                     tiers: int | None, seed: int, progress) -> Ranking:
    settings = dict(a.programme.peers)
    method_text = method or settings.get("threshold") or "percentile:5"
    m = thresholds.parse_method(method_text)
    k_tiers = int(m.param) if m.kind == "tiers" else int(tiers or settings.get("tiers", 5))
    size = int(shortlist or settings.get("shortlist", 10))
    share_limit = float(settings.get("saturation", 0.30))
    if size < 1:
        raise InputError(Problem("shortlist_invalid", f"shortlist size {size} is not positive"))
    n = len(a.segment_code)
    seg_ids = a.segment_ids
    iset_inds = [r for r in a.indicators.values()
                 if r.cls == "core" and r.label is None and r.sign != 0]
    gate_failed = a.gate_failed
    ctx = _context(a, method_text, k_tiers, seed)
    # a tier is 0 (none) to k_tiers: one byte, as written, up to 127 tiers (--tiers allows 1000)
    tier_type = np.int8 if k_tiers <= np.iinfo(np.int8).max else np.int16
    thr_rows, supp_rows, sat_rows = [], [], []
    boards: list[BoardMembers] = []
    tier_table = _ident(a)
    tier1 = np.zeros(n, dtype=np.int8)
    leader_threshold: dict[tuple[str, str], float] = {}
    segments = a.segments
    gate_passed = ~gate_failed  # once for every indicator
    for done, r in enumerate(iset_inds):
        progress(n * done // len(iset_inds))
        value = ranked_value(r, ctx.basis, a.margin_reference(r.id))
        usable = r.applies & ~np.isnan(value)
        rankable = gate_passed & (r.highest != 0)
        tier_of = tier_table[f"tier_{r.id}"] = np.zeros(n, dtype=tier_type)
        for code, positions in segments.items():
            in_seg = positions[usable[positions]]  # the segment's usable rows, ascending
            if not len(in_seg):
                continue
            seg = seg_ids[code] if code >= 0 else ""
            place = ctx.place(r.id, seg)
            assert place is not None and r.top_class is not None  # a place per segment ranked
            leader_threshold[(r.id, seg)] = place.threshold
            thr_rows.append({"indicator": r.id, "segment": seg, "unit": place.unit,
                             "method": method_text, "basis": ctx.basis,
                             "n": place.n, "threshold": place.threshold, "ci_low": place.ci[0],
                             "ci_high": place.ci[1], "edges": list(place.bounds),
                             "floor": place.floor,
                             "warning": place.warning["code"] if place.warning else ""})
            rows = in_seg[rankable[in_seg]]
            suppressed = place.suppressed is not None
            if place.suppressed is not None:
                supp_rows.append({"indicator": r.id, "segment": seg, "n": len(rows),
                                  "reason": place.suppressed["code"]})
            ranked = value[rows]  # the tiers' and the saturation's values
            tier = place.tier(ranked)
            tier_of[rows] = tier
            boards.append(BoardMembers(r.id, seg, int(code), place.unit, tuple(place.bounds),
                                       place.floor, ctx.basis))
            top_class = r.top_class[in_seg]
            if top_class.any():  # a grade table: its top class; else tier 1
                basis = "top class"
                values = value[in_seg]
                share, warning = ranking.saturation(values, top_class, share_limit)
                classed = int(np.count_nonzero(~np.isnan(values)))
            else:
                basis = "tier 1"
                ranked_values = ranked if not suppressed else np.full(len(rows), np.nan)
                share, warning = ranking.saturation(ranked_values, tier == 1, share_limit)
                classed = int(np.count_nonzero(~np.isnan(ranked_values)))
            sat_rows.append({"indicator": r.id, "segment": seg, "basis": basis, "share": share,
                             "n": classed, "warning": "saturated" if warning else ""})
        tier1 += tier_of == 1  # once over the rows, not a gather and scatter per segment
    # Top Runner first: its per-row temporaries come while the ranking holds only its tiers
    top_runner = _top_runner(a, iset_inds, leader_threshold)
    excluded = _excluded(a, iset_inds)
    composite = _composite(a, iset_inds, tier1, size)
    return Ranking(
        assessment=a, method=m,
        thresholds=pd.DataFrame(thr_rows, columns=["indicator", "segment", "unit", "method",
                                                   "basis", "n", "threshold", "ci_low",
                                                   "ci_high", "edges", "floor", "warning"]),
        tiers=pd.DataFrame(tier_table, copy=False),
        suppressed=pd.DataFrame(supp_rows, columns=["indicator", "segment", "n", "reason"]),
        excluded=excluded, composite=composite,
        saturation=pd.DataFrame(sat_rows, columns=["indicator", "segment", "basis", "share", "n",
                                                   "warning"]),
        top_runner=top_runner,
        board_members=boards,
        warnings=ranking_warnings(thr_rows, sat_rows, m, share_limit),
        settings={"method": method_text, "tiers": k_tiers, "shortlist": size,
                  "saturation": share_limit, "seed": seed, "normalisation": NORMALISATION,
                  "tie_breakers": list(TIE_BREAKERS)})


def ranking_warnings(thr_rows: list[dict], sat_rows: list[dict], method: thresholds.ThresholdMethod,
              limit: float) -> list[dict]:
    """The ranking's warnings as reason codes with their parameters, thresholds first:
    {code, indicator, segment, …} (small samples: n, method, need; saturation: basis, share, n,
    limit). Reports and the command line put them in words."""
    out = [{"code": row["warning"], "indicator": row["indicator"], "segment": row["segment"],
            "n": int(row["n"]), "method": str(method),
            "need": thresholds.sample_need(row["warning"], method)}
           for row in thr_rows if row["warning"]]  # the code as the threshold found it
    out += [{"code": row["warning"], "indicator": row["indicator"], "segment": row["segment"],
             "basis": row["basis"], "share": row["share"], "n": row["n"], "limit": limit}
            for row in sat_rows if row["warning"]]
    return out


BOARD_COLUMNS = ("indicator", "segment", "unit", "tier", "boundary", "floor", "row", "enterprise",
                 "standard_number", "standard_title", "model", "value")


@dataclass
class BoardMembers:
    """One board: an indicator and segment ranked into tiers. Its members are the rows of the
    segment with a tier (the tiers table), found when the board is asked for."""

    indicator: str
    segment: str
    code: int  # the segment's index in the assessment's segment ids (-1 = none)
    unit: str | None
    bounds: tuple[float, ...]  # each tier's boundary, in the ranked unit
    floor: float  # the domestic mandatory value (NaN where it varies within the segment)
    basis: str  # what is ranked (engine.standing.ranked_value)


def _boards(a: Assessment, tiers: pd.DataFrame, boards: list[BoardMembers]) -> pd.DataFrame:
    """One row per tier member of each board, best tier first, in row order inside a tier (a
    tier has no order); the boundary is in the ranked unit, the lowest not below the domestic
    mandatory value (`floor`, NaN where it varies within the segment)."""
    fields = a.population.fields
    picked, tier_parts, value_parts = [], [], []
    for b in boards:
        tier = tiers[f"tier_{b.indicator}"].to_numpy()
        rows = np.flatnonzero((a.segment_code == b.code) & (tier >= 1)
                              & (tier <= len(b.bounds)))
        rows = rows[np.argsort(tier[rows], kind="stable")]
        r = a.indicators[b.indicator]
        picked.append(rows)
        tier_parts.append(tier[rows].astype(np.int64))
        value_parts.append(ranked_value(r, b.basis, a.margin_reference(b.indicator))[rows])
    sizes = [len(p) for p in picked]
    if not sum(sizes):
        return pd.DataFrame(columns=list(BOARD_COLUMNS))
    pos, tier = np.concatenate(picked), np.concatenate(tier_parts)

    def each(attr: str) -> np.ndarray:
        return np.repeat(np.array([getattr(b, attr) for b in boards], dtype=object), sizes)

    out: dict[str, object] = {
        "indicator": each("indicator"), "segment": each("segment"), "unit": each("unit"),
        "tier": tier,
        "boundary": (np.concatenate([np.asarray(b.bounds, dtype=float)[t - 1]
                                     for b, t in zip(boards, tier_parts, strict=True)])),
        "floor": np.repeat(np.array([b.floor for b in boards], dtype=float), sizes),
        "row": a.population.rows[pos].astype(np.int64)}
    for f in ("enterprise", "standard_number", "standard_title", "model"):
        out[f] = (np.asarray(fields[f][pos], dtype=object) if f in fields
                  else np.full(len(pos), "", dtype=object))
    out["value"] = np.concatenate(value_parts).astype(float)
    return pd.DataFrame(out, columns=list(BOARD_COLUMNS))


def _context(a: Assessment, method: str, k_tiers: int, seed: int) -> PopulationContext:
    """The standing context the assessment's relative rules were judged against when it was
    ranked among its own rows with the same settings; else computed from it now."""
    ctx = a.context
    if ctx is not None and ctx.source is None and (ctx.method, ctx.tiers) == (method, k_tiers):
        return ctx
    iset = a.catalogue.sets[a.population.category]
    return context_of(a.indicators, a.segment_code, a.segment_ids, a.gate_failed,
                      dict(a.programme.peers),
                      floors=lambda ind_id, rows: mandatory_values(
                          a.catalogue, iset, a.programme, iset.indicators[ind_id],
                          a.population.parameters, a.segment_code, rows, a.on,
                          a.include_superseded),
                      references=a.margin_reference, seed=seed, method=method, k_tiers=k_tiers,
                      segments=a.segments)


EXCLUSION_COLUMNS = ("reason_code", "gates", "indicators", "problem_code", "problem",
                     "problem_column")


def _excluded(a: Assessment, inds) -> pd.DataFrame:
    """Rows left out of rankings, each with why, as reason codes and their parameters (reports
    put them in words): `reason_code` the causes ("gate_failed", "below_mandatory", both joined
    by "; ", or "unusable_row"), `gates` the failed gate rules' ids and `indicators` the ids of
    the indicators below the domestic mandatory requirement (each joined by "; "), and for an
    unusable row `problem_code`, `problem` and `problem_column` (the loader's problem, its
    message and what its column holds: `problem_column`)."""
    gates = [rule for rule in a.programme.rules if rule.kind == "gate"]
    causes = [("gate_failed", rule.id) for rule in gates]
    causes += [("below_mandatory", r.id) for r in inds]
    if len(causes) > 20:
        raise ValueError("more than 20 exclusion causes")  # 2**20 combinations at most
    flags = np.zeros(len(a.segment_code), dtype=np.int32)
    outcomes = a.rules
    for bit, rule in enumerate(gates):  # a cause's mask at a time, not all of them held
        flags[outcomes[rule.id] == FAIL] |= 1 << bit
    for bit, r in enumerate(inds, start=len(gates)):
        flags[r.applies & (r.highest == 0)] |= 1 << bit
    rows = np.flatnonzero(flags)
    combos = np.flatnonzero(np.bincount(flags[rows], minlength=1))  # the combinations present
    lookup = np.zeros(combos[-1] + 1 if len(combos) else 1, dtype=np.int32)
    lookup[combos] = np.arange(len(combos))
    codes = lookup[flags[rows]]
    del flags
    held = [[c for bit, c in enumerate(causes) if int(f) >> bit & 1] for f in combos]

    def joined(kind: str | None = None) -> list[str]:
        return ["; ".join(dict.fromkeys(code if kind is None else param
                                        for code, param in h if kind in (None, code)))
                for h in held]

    texts = {"reason_code": joined(), "gates": joined("gate_failed"),
             "indicators": joined("below_mandatory")}
    if not a.population.excluded:
        out = _ident(a, rows)
        del out["segment"]
        for name, per_combo in texts.items():
            categories, of_combo = np.unique(np.asarray(per_combo, dtype=str),
                                             return_inverse=True)
            out[name] = pd.Categorical.from_codes(of_combo[codes] if len(per_combo) else codes,
                                                  categories.tolist())
        for name in ("problem_code", "problem", "problem_column"):
            out[name] = pd.Categorical.from_codes(np.zeros(len(rows), dtype=np.int8), [""])
        return pd.DataFrame(out, copy=False)
    # unusable rows too (few, listed with their problem), all in source row order
    pop = a.population
    unusable: dict[str, Any] = {
        "reason_code": ["unusable_row"] * len(pop.excluded),
        "gates": [""] * len(pop.excluded), "indicators": [""] * len(pop.excluded),
        "problem_code": [p.code for p in pop.excluded],
        "problem": [p.message for p in pop.excluded], "problem_column": _problem_columns(pop)}
    n = len(rows)
    row = np.concatenate([pop.rows[rows], np.array([int(str(p.pointer).split("/")[1])
                                                for p in pop.excluded], dtype=np.int64)])
    order = np.argsort(row, kind="stable")
    frame: dict[str, object] = {"row": row[order]}
    for f in FIELDS:
        if f in pop.fields:  # an unusable row's identity: "" (position -1)
            at = np.concatenate([rows, np.full(len(pop.excluded), -1, dtype=rows.dtype)])[order]
            frame[f] = _identity_at(pop.fields[f], at)
    for name in EXCLUSION_COLUMNS:  # categories in text order, as pandas makes them
        per_combo = texts.get(name, [""])
        names = sorted({*per_combo, *unusable[name]})
        at = pd.Index(names, dtype=object)
        of_row = np.concatenate([at.get_indexer(per_combo)[codes if name in texts
                                                           else np.zeros(n, dtype=np.int64)],
                                 at.get_indexer(unusable[name])])
        frame[name] = pd.Categorical.from_codes(of_row[order], names)
    return pd.DataFrame(frame, copy=False)


def _problem_columns(pop) -> list[str]:
    """`problem_column` of each unusable row's problem, each column as written looked up once."""
    seen: dict[str, str] = {}
    out = []
    for p in pop.excluded:
        source = str(p.pointer or "").split("/", 2)[-1]
        if source not in seen:
            seen[source] = problem_column(pop, p)
        out.append(seen[source])
    return out


def problem_column(pop, p: Problem) -> str:
    """What the column of an unusable row's problem holds (an indicator, parameter or field id),
    from its JSON pointer ("/row/column as written"); the column as written if it maps to none."""
    source = str(p.pointer or "").split("/", 2)[-1]
    return next((c.target for c in pop.columns if c.source == source and c.target), source)


COMPOSITE_COLUMNS = ("weighted_score", "topsis", "topsis_rank", "innovation", "tier1_indicators",
                     "completeness", "rank", "shortlisted")


def _composite(a: Assessment, inds, tier1: np.ndarray, size: int) -> pd.DataFrame:
    """The composite ranking of the eligible rows, segment by segment (each segment's matrices
    let go of before the next is made; the table's columns joined one at a time)."""
    eligible = a.outcome == PASS
    parts: list[tuple[np.ndarray, dict[str, np.ndarray]]] = []
    innovation = np.zeros(len(eligible), dtype=np.int8)  # a count of indicators per row
    for r in a.indicators.values():
        if r.cls == "innovation":
            innovation += a.earned(r)
    for positions in a.segments.values():  # segments in code order, rows ascending
        rows = positions[eligible[positions]]
        # the indicators in the scope of every eligible row of the segment
        cols = [r for r in inds if r.applies[rows].all()]
        if not len(rows) or not cols:
            continue
        signs = np.array([r.sign for r in cols], dtype=float)
        weights = np.array([r.weight for r in cols], dtype=float)
        weights = weights / weights.sum()
        declared = [r.value[rows] for r in cols]  # gathered once: margins and TOPSIS
        norm = ranking.normalise(np.column_stack([_margin(a, r, rows, v)
                                                  for r, v in zip(cols, declared, strict=True)]),
                                 np.ones(len(cols)), "minmax")
        score = ranking.weighted_sum(np.nan_to_num(norm, nan=0.0, copy=False), weights)
        del norm
        completeness = np.zeros(len(rows), dtype=np.int64)  # core indicators declared
        for v in declared:  # a column at a time (ranking._by_column)
            completeness += ~np.isnan(v)
        values = np.column_stack(declared)
        del declared
        if (completeness < len(cols)).any():
            missing = np.isnan(values)
            worst = np.nanmin(values * signs, axis=0) * signs
            values[missing] = np.broadcast_to(worst, values.shape)[missing]  # the segment's worst
            del missing
        closeness = (ranking.topsis(values, weights, signs, normalisation="vector")
                     if len(rows) > 1 else np.ones(len(rows)))
        del values
        keys = [score, ranking.joint_code([innovation[rows], tier1[rows], completeness])]
        rank = ranking.competition_rank(keys, [1, 1])
        order = _by_rank_then_row(rank, a.population.rows[rows])
        counted = len(rows), len(cols)  # the most a rank and a count of indicators can be
        columns = {"weighted_score": np.round(score, 10), "topsis": np.round(closeness, 10),
                   "topsis_rank": _narrow(ranking.competition_rank([closeness], 1), counted[0]),
                   "innovation": innovation[rows], "tier1_indicators": tier1[rows],
                   "completeness": _narrow(completeness, counted[1]),
                   "rank": _narrow(rank, counted[0]), "shortlisted": rank <= size}
        parts.append((rows[order], {k: v[order] for k, v in columns.items()}))
        del keys, columns, score, closeness, completeness, rank
    if not parts:
        return pd.DataFrame(columns=["row", *[f for f in FIELDS if f in a.population.fields],
                                     "segment", *COMPOSITE_COLUMNS])
    out = _ident(a, np.concatenate([rows for rows, _ in parts]))
    for name in COMPOSITE_COLUMNS:  # each column's parts let go of once joined
        out[name] = np.concatenate([columns.pop(name) for _, columns in parts])
    return pd.DataFrame(out, copy=False)


WRITTEN_TYPES = {"topsis_rank": np.int64, "innovation": np.int64, "completeness": np.int64,
                 "rank": np.int64}  # composite columns held narrower than they are written


def _narrow(values: np.ndarray, most: int) -> np.ndarray:
    """Whole numbers from 0 to `most` as the composite holds them: in the narrowest signed
    integer type that holds `most` (written as `WRITTEN_TYPES`, `as_written`)."""
    for narrow in (np.int8, np.int16, np.int32):
        if most <= np.iinfo(narrow).max:
            return values.astype(narrow)
    return values.astype(np.int64)


def as_written(frame: pd.DataFrame) -> pd.DataFrame:
    """A table (or a chunk of its rows) with its columns as written: positions into the
    population's text as the text itself (`population.decoded`), the integer columns held
    narrower (`WRITTEN_TYPES`) in the type they are written as; else `frame` itself."""
    wider = {c: t for c, t in WRITTEN_TYPES.items()
             if c in frame and frame[c].dtype.kind == "i" and frame[c].dtype != t}
    text = {c: decoded(frame[c]) for c in frame if is_positions(frame[c])}
    if text:
        frame = frame.assign(**text)
    return frame.astype(wider) if wider else frame


def _by_rank_then_row(rank: np.ndarray, row: np.ndarray) -> np.ndarray:
    """The order of rows by rank, then by row number: where the row numbers ascend (a
    population's do), one sort of a key per row that is rank × rows + the row's place (faster
    than a stable sort by rank, the same order), instead of one per key."""
    if (row[1:] > row[:-1]).all():  # rank × n + place: distinct, one per row
        n = len(rank)
        return np.argsort(rank.astype(np.int64) * n + np.arange(n), kind="quicksort")
    return np.lexsort((row, rank))


def _margin(a: Assessment, r, rows: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Relative margin to the strictest domestic value (positive = better), or the declared value
    oriented by direction when some row of the segment has no domestic value (`value`: the
    declared values of `rows`)."""
    domestic = domestic_threshold(a, r.id, rows)
    if not np.isfinite(domestic).all():
        return value * r.sign
    return (value - domestic) * r.sign / np.abs(domestic)


TOP_RUNNER_ROWS = 1 << 17  # rows whose achievements are computed at once (Top Runner)


def _top_runner(a: Assessment, inds, leader: dict) -> pd.DataFrame | None:
    """Per maker and indicator: the shipment-weighted average achievement of the leader threshold
    of each product's segment (value / threshold, inverted for lower-is-better); ≥ 1 complies.
    A chunk of rows at a time into each maker's running sums (the same sums as all rows at once,
    `ranking.ShipmentSums`): no whole-table temporaries per indicator."""
    shipments = a.population.shipments
    makers = a.population.fields.get("enterprise")
    if shipments is None or makers is None:
        return None
    out = []
    codes, names = factorized(makers, TOP_RUNNER_ROWS)
    n = len(a.segment_code)
    shipped_ok = np.isfinite(shipments) & (shipments > 0)  # once for every indicator
    for r in inds:
        per_segment = np.array([leader.get((r.id, s), np.nan) for s in (*a.segment_ids, "")])
        sums = ranking.ShipmentSums(len(names))
        for start in range(0, n, TOP_RUNNER_ROWS):
            part = slice(start, start + TOP_RUNNER_ROWS)
            target = per_segment[a.segment_code[part]]
            value = r.value[part]
            with np.errstate(divide="ignore", invalid="ignore"):
                achievement = (value / target) if r.sign > 0 else (target / value)
            ok = np.isfinite(achievement) & shipped_ok[part]
            if ok.any():
                sums.add(achievement[ok], shipments[part][ok], codes[part][ok])
        if not (sums.total > 0).any():
            continue
        mean = sums.mean()
        for g in np.flatnonzero(np.isfinite(mean)):
            out.append({"enterprise": names[g], "indicator": r.id,
                        "weighted_achievement": round(float(mean[g]), 6),
                        "complies": bool(mean[g] >= 1.0)})
    return pd.DataFrame(out, columns=["enterprise", "indicator", "weighted_achievement",
                                      "complies"])


def factorized(values, rows: int = TOP_RUNNER_ROWS) -> tuple[np.ndarray, list]:
    """`pandas.factorize(values)` a chunk of `rows` at a time: int32 codes into the distinct
    values in order of first appearance, -1 for a missing one. A chunk's hash table, not one
    sized for the whole column (pandas' is ≈ 60 MiB at 1M rows, whatever the distinct values)."""
    codes = np.empty(len(values), dtype=np.int32)
    index: dict = {}
    for start in range(0, len(values), rows):
        of_part, uniques = pd.factorize(values[start:start + rows])
        known = [index.setdefault(u, len(index)) for u in uniques]
        codes[start:start + rows] = np.array([*known, -1], dtype=np.int32)[of_part]
    return codes, list(index)


def rank_file(path, catalogue, set_id: str, programme: str, on, mapping=None,
              method: str | None = None, shortlist: int | None = None, tiers: int | None = None,
              seed: int = 0, include_superseded: bool = False,
              step=lambda stage: None, progress=lambda rows: None,
              display: str | None = None) -> Ranking:
    """Read a population table, assess every row and rank: the whole peer job for one file
    (named `display` in problems and provenance, when given). `step(stage)` is called before
    each stage (reading, assessing, ranking) and `progress(rows)` within one with the rows done
    so far, for progress."""
    if set_id in catalogue.sets and programme not in catalogue.sets[set_id].programmes:
        raise InputError(Problem("unknown_programme", f"category {set_id!r} has no programme "
                                 f"{programme!r}", hint="one of: " +
                                 ", ".join(catalogue.sets[set_id].programmes)))
    if method:
        thresholds.parse_method(method)  # a bad method is reported before any work
    step("reading")
    pop = load_population(path, catalogue, set_id, mapping, display=display, progress=progress)
    step("assessing")
    settings = catalogue.sets[set_id].programmes[programme].peers
    k_tiers = (None if method and method.startswith("tiers") else tiers)
    a = assess(pop, catalogue, programme, on, include_superseded, population="self",
               peer_options={"method": method, "k_tiers": k_tiers or settings.get("tiers"),
                             "seed": seed}, progress=progress)
    step("ranking")
    r = rank_population(a, method, shortlist, tiers, seed, progress=progress)
    give_back()  # the ranking's freed temporaries (≈ 45 MB of heap at 1M rows), before reports
    return r


def peer_distributions(pop, iset, segment_id: str | None, programme, bins: int = 20) -> dict:
    """For one applicant: the distribution of each quantity indicator among the population's
    rows of the applicant's segment, with the leader threshold by the programme's method (without
    bootstrap) — the `peers` entry of an evaluation result."""
    method = (programme.peers or {}).get("threshold") or "percentile:5"
    ids = [s.id for s in iset.segments]
    if pop.segment_codes is None:  # once per population, whatever the number of applicants
        pop.segment_codes = segments_of(iset, pop.parameters, len(pop))
    codes = pop.segment_codes
    in_segment = (codes == ids.index(segment_id)) if segment_id in ids else codes < 0
    out = {}
    for ind in iset.indicators.values():
        if ind.kind != "quantity" or ind.sign == 0 or ind.id not in pop.values:
            continue
        values = pop.values[ind.id][in_segment]
        values = values[~np.isnan(values)]
        if len(values) < 2:
            continue
        counts, edges = np.histogram(values, bins=min(bins, max(5, int(np.sqrt(len(values))))))
        res = thresholds.threshold(values, ind.sign, method, n_resamples=0)
        out[ind.id] = {"n": len(values), "edges": [float(e) for e in edges],
                       "counts": [int(c) for c in counts], "threshold": float(res.value),
                       "method": method, "unit": ind.unit, "segment": segment_id or "",
                       "source": pop.path}
    return out


def population_tables(a: Assessment,
                      thresholds_table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The tables of a ranking that span its segments, for segments ranked apart
    (benchmark.distributed) and joined: the rows left out with why (unusable rows too), and Top
    Runner compliance against each segment's leader threshold (`thresholds_table`)."""
    inds = [r for r in a.indicators.values() if r.cls == "core" and r.label is None and r.sign != 0]
    leader = {(t.indicator, t.segment): t.threshold
              for t in thresholds_table.itertuples(index=False)}
    return _excluded(a, inds), _top_runner(a, inds, leader)
