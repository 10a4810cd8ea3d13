"""Ranking and evaluating a partitioned Parquet dataset, in this process or on a Dask cluster.

A dataset is a folder of Parquet files (read recursively, in path order) or a glob of them. Its
parts are one table: row numbers count on through the parts in path order, and an unusable row
is reported at its dataset row. A folder split by category the Hive way (`category=<set id>/`)
holds several categories; only the ranked category's folder is read.

With `--dask`, `rank` runs on the workers: each part is read and normalised onto canonical units
by the same reader as a single file (`population.load_population`) and its rows split by
segment; each segment's rows (its pieces of every part, in part order) are gathered on one worker
— a shuffle by segment key — and assessed and ranked there by the same functions as one file
(`engine.assess`, `leaders.rank_population`: exact percentiles, never approximate quantiles).
The driver joins the segments' rankings into the one-process ranking (`join_rankings`: rows in
row order, tables indicator by indicator and segment by segment; the rows left out and Top Runner
compliance, which span segments, computed on the joined assessment) and writes the summaries.
The workers write the composite and tiers rows as partitioned Parquet datasets
(`<table>/part-00000.parquet` …, a part per segment, in segment order); the excluded rows are one
part; every other output is the single-machine one.

`evaluate TABLE --dask` assesses each part on a worker (a verdict is per row: no shuffle), each
worker writes its part of the verdict table (`<stem>.verdicts/part-00000.parquet|csv`) and
returns the part's counts; the driver merges them into the one bounded summary.

Parts are written to temporary names first and put in place only when every part and every
other file are done (nothing is written when a part is bad); parts a previous run left in the
folder are removed.

Dask is an optional extra (`pip install 'benchmark[dask]'`); without it `--dask` is an input
error that names the extra.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import fields, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from benchmark import thresholds
from benchmark.catalogue import indicator_set
from benchmark.engine import assess
from benchmark.errors import Hint, InputError, Problem, worded
from benchmark.heap import pinned_heap
from benchmark.leaders import (
    COMPOSITE_COLUMNS,
    Ranking,
    population_tables,
    rank_population,
    ranking_warnings,
)
from benchmark.model import Catalogue, Names
from benchmark.population import ROW_MEMBERS, Population, _concatenate, load_population

if TYPE_CHECKING:
    from benchmark.engine.assess import Assessment
    from benchmark.report.ranking import Written

PER_ROW_TABLES = ("composite", "tiers", "excluded")  # a row per table row: written in parts
GLOB_CHARACTERS = frozenset("*?[")


def is_dataset(path: str | Path) -> bool:
    """A folder or a glob (a partitioned dataset), not one table file ("data [1].csv" is a file
    when it exists) or standard input."""
    text = str(path)
    return Path(text).is_dir() or (not Path(text).exists() and bool(GLOB_CHARACTERS & set(text)))


def dataset_parts(path: str | Path, set_id: str) -> list[Path]:
    """The Parquet files of a dataset in path order: a glob's matches, or a folder's files found
    recursively (hidden and `_`-prefixed files such as `_metadata` left out), within
    `category=<set_id>/` when the folder is split by category."""
    text = str(path)
    root = Path(text)
    if root.is_dir():
        split = sorted(p for p in root.glob("category=*") if p.is_dir())
        if split:
            root = root / f"category={set_id}"
            if not root.is_dir():
                names = [p.name[9:] for p in split]
                raise InputError(Problem(
                    "dataset_category_missing", f"the dataset has no folder for {set_id!r}",
                    file=text, hint=Hint("categories: " + ", ".join(names), "dataset_categories",
                                         choices=", ".join(names)),
                    **worded("no_category_folder", category=set_id)))
        found = [p for p in root.rglob("*.parquet") if p.is_file()
                 and not any(part[0] in "._" for part in p.relative_to(root).parts)]
    else:
        found = [Path(p) for p in glob.glob(text, recursive=True)
                 if Path(p).is_file() and p.endswith(".parquet")]
    parts = sorted(found, key=str)
    if not parts:
        raise InputError(Problem("dataset_empty", "no Parquet file in the dataset", file=text,
                                 hint=Hint("a folder of .parquet files, or a glob such as "
                                           "'export/*.parquet'", "parquet_dataset"),
                                 **worded("no_parquet_file")))
    return parts


@lru_cache(maxsize=4)
def _catalogue(data_dir: str | None) -> Catalogue:
    from benchmark.catalogue import load_catalogue

    return load_catalogue(data_dir)


def read_part(part: str, data_dir: str | None, set_id: str,
              mapping: str | None) -> Population | InputError:
    """One part read onto canonical units (run on a worker: the catalogue is loaded there once).
    A file-level problem is returned, not raised, so that every part's problems are reported."""
    import pyarrow.parquet as pq

    try:
        pop = load_population(part, _catalogue(data_dir), set_id, mapping)
    except InputError as exc:
        return exc
    pop.rows_read = pq.ParquetFile(part).metadata.num_rows  # usable or not
    return pop


def join_parts(parts: list[Population | InputError], dataset: str) -> Population:
    """The parts as one population: rows numbered on through the parts, unusable rows reported
    at their dataset row, every part's table digest kept in `inputs`."""
    problems = [p for part in parts if isinstance(part, InputError) for p in part.problems]
    if any(p.severity == "error" for p in problems):
        raise InputError(list(dict.fromkeys(problems)))  # a problem of every part said once
    pops = [part for part in parts if isinstance(part, Population)]
    inputs = {k: v for pop in pops for k, v in pop.inputs.items()}
    warnings = list(dict.fromkeys(w for pop in pops for w in pop.warnings))
    offset = 0
    for pop in pops:
        pop.rows = pop.rows + np.int32(offset)
        pop.excluded = [_moved(p, offset, dataset) for p in pop.excluded]
        offset += pop.rows_read
    pop = _concatenate(pops)
    pop.path = dataset
    pop.sha256 = hashlib.sha256("".join(f"{k}\0{v}\n" for k, v in inputs.items())
                                .encode()).hexdigest()
    pop.inputs, pop.warnings, pop.rows_read = inputs, warnings, offset
    return pop


def _moved(p: Problem, offset: int, dataset: str) -> Problem:
    """A row problem of a part, placed at its dataset row ("/row/column")."""
    _, row, *rest = str(p.pointer).split("/", 2)
    return replace(p, file=dataset, line=None, pointer="/".join(["", str(int(row) + offset),
                                                                 *rest]))


@contextlib.contextmanager
def dask_client(address: str | None) -> Iterator[Any]:
    """A client of the scheduler at `address`, or of a cluster started here for the block:
    `local` (a worker per core) or `local:N` (N workers), one thread each, in processes; None
    (this process only) when `address` is None."""
    if address is None:
        yield None
        return
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise InputError(Problem("dask_not_installed", "--dask needs the optional extra 'dask'",
                                 hint="pip install 'benchmark[dask]'")) from None
    if address == "local" or address.startswith("local:"):
        count = address.partition(":")[2]
        if count and not (count.isdigit() and 1 <= int(count) <= 1024):
            raise InputError(Problem("dask_address_invalid", f"--dask {address!r}: the number "
                                     "of workers is 1 to 1024", hint="local, local:4 or an "
                                     "address such as tcp://10.0.0.5:8786"))
        with LocalCluster(n_workers=int(count) if count else None, threads_per_worker=1,
                          processes=True, dashboard_address=":0") as cluster, \
                Client(cluster) as client:
            yield client
        return
    try:
        client = Client(address, timeout=10)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(Problem("dask_unreachable", f"no Dask scheduler at {address!r}: {exc}",
                                 hint="local[:N] starts a cluster on this machine")) from None
    with client:
        yield client


def load_dataset(path: str | Path, set_id: str, data_dir: str | Path | None = None,
                 mapping: str | Path | None = None, client: Any = None) -> Population:
    """A dataset's parts read (on `client`'s workers, else here) and joined in part order."""
    parts = [str(p) for p in dataset_parts(path, set_id)]
    args = (_text(data_dir), set_id, _text(mapping))
    if client is None:
        read = [read_part(p, *args) for p in parts]
    else:
        read = client.gather(client.map(read_part, parts, *[[a] * len(parts) for a in args],
                                        pure=False))
    return join_parts(read, str(path))


def rank_dataset(path: str | Path, catalogue: Catalogue, set_id: str, programme: str, on,
                 data_dir: str | Path | None = None, mapping: str | Path | None = None,
                 method: str | None = None, shortlist: int | None = None,
                 tiers: int | None = None, seed: int = 0, include_superseded: bool = False,
                 client: Any = None, step=lambda stage: None,
                 parts_dir: str | Path | None = None) -> tuple[Ranking, list[tuple[str, str]]]:
    """`leaders.rank_file` for a dataset: the same checks first, then the parts read. Without
    `client`, here, assessed and ranked as one population. With `client`, on its workers: each
    part read and its rows split by segment, each segment's rows gathered on one worker and
    assessed and ranked there (`rank_segment`), the segments' rankings joined here
    (`join_rankings`); with `parts_dir` the workers write the per-row Parquet parts there
    (staged: put in place by `write_ranking_parts`). `catalogue` is the one in `data_dir`
    (each worker loads it). Returns the ranking and the staged parts."""
    from benchmark.evaluation import check_programme

    iset = indicator_set(catalogue, set_id)
    check_programme(catalogue, set_id, programme)
    if method:
        thresholds.parse_method(method)  # a bad method is reported before any work
    settings = iset.programmes[programme].peers
    k_tiers = None if method and method.startswith("tiers") else tiers
    options = {"method": method, "k_tiers": k_tiers or settings.get("tiers"), "seed": seed}
    step("reading")
    if client is None:
        pop = load_dataset(path, set_id, data_dir, mapping, client)
        step("assessing")
        a = assess(pop, catalogue, programme, on, include_superseded, population="self",
                   peer_options=options)
        step("ranking")
        return rank_population(a, method, shortlist, tiers, seed), []
    return _rank_on_cluster(client, str(path), catalogue, set_id, programme, on, data_dir,
                            mapping, include_superseded, options, (method, shortlist, tiers, seed),
                            step, parts_dir)


def _rank_on_cluster(client: Any, dataset: str, catalogue: Catalogue, set_id: str, programme: str,
                     on, data_dir, mapping, include_superseded: bool, options: dict,
                     ranking: tuple, step,
                     parts_dir) -> tuple[Ranking, list[tuple[str, str]]]:
    pinned_heap()  # the segments' arrays, used up as joined, go back to the system
    parts = [str(p) for p in dataset_parts(dataset, set_id)]
    args = (_text(data_dir), set_id, _text(mapping))
    read = client.map(split_part, parts, part_offsets(parts), [dataset] * len(parts),
                      *[[a] * len(parts) for a in args], pure=False)
    metas = client.gather(client.map(_first, read, pure=False))
    problems = [p for m in metas if m["error"] is not None for p in m["error"].problems]
    if problems:
        raise InputError(list(dict.fromkeys(problems)))  # a problem of every part said once
    step("assessing")
    codes = sorted({c for m in metas for c in m["codes"]})  # the segments' order in one process
    segments = []
    for index, code in enumerate(codes):
        size = sum(m["sizes"].get(code, 0) for m in metas)
        pieces = [client.submit(_piece, r, code, pure=False)
                  for r, m in zip(read, metas, strict=True) if code in m["codes"]]
        segments.append(client.submit(
            rank_segment, pieces, args[0], set_id, programme, on, include_superseded, options,
            ranking, None if parts_dir is None else str(parts_dir), index, pure=False,
            priority=size))  # the largest segments first: they take longest
    done = gathered(client, segments, lambda result: result[1])
    del read
    step("ranking")
    pop = _dataset_population(metas, dataset)
    if not done:  # no usable row: nothing to place, ranked here
        a = assess(pop, catalogue, programme, on, include_superseded, population="self",
                   peer_options=options)
        return rank_population(a, *ranking), []
    return (join_rankings([r for r, _ in done], pop, catalogue),
            [s for _, staged in done for s in staged])


def _text(path: str | Path | None) -> str | None:
    return None if path is None else str(path)


def part_offsets(parts: list[str]) -> list[int]:
    """The dataset row each part starts at: the rows of the parts before it (Parquet metadata,
    nothing read)."""
    import pyarrow.parquet as pq

    sizes = [pq.ParquetFile(p).metadata.num_rows for p in parts]
    return [int(x) for x in np.cumsum([0, *sizes[:-1]])]


def gathered(client: Any, futures: list, staged: Callable[[Any], list[tuple[str, str]]],
             back: Callable[[Any], None] | None = None) -> list:
    """The results of the workers' `futures`; when one fails, the files the finished ones
    `staged` (taken from a result by `staged`) are removed before the error goes on. `back`
    is given each result as it comes back (progress), in the order they finish. The results
    are fetched one at a time (a segment's ranking is large: the driver holds the bytes of one
    in transit, not of all)."""
    from dask.distributed import as_completed

    try:
        got = {}  # each result fetched once, as it comes back
        for future in as_completed(futures):
            got[future.key] = future.result()
            if back is not None:
                back(got[future.key])
        return [got[f.key] for f in futures]
    except BaseException:
        for f in futures:
            if f.status == "finished":
                discard(staged(f.result()))
        raise


def _first(pair: tuple) -> Any:
    return pair[0]


def _piece(pair: tuple, code: int) -> Population:
    return pair[1][code]


def split_part(part: str, offset: int, dataset: str, data_dir: str | None, set_id: str,
               mapping: str | None) -> tuple[dict, dict[int, Population]]:
    """One part read onto canonical units (`read_part`) with its rows numbered on from `offset`,
    split by segment (run on a worker): (what the driver needs — problems, inputs, rows read,
    the segments present — and each segment's rows)."""
    from benchmark.engine.assess import segments_of

    pop = read_part(part, data_dir, set_id, mapping)
    if isinstance(pop, InputError):
        return {"error": pop, "codes": []}, {}
    pop.rows = pop.rows + pop.rows.dtype.type(offset)
    excluded = [_moved(p, offset, dataset) for p in pop.excluded]
    codes = segments_of(_catalogue(data_dir).sets[set_id], pop.parameters, len(pop))
    pieces = {int(c): _rows_of(pop, np.flatnonzero(codes == c)) for c in np.unique(codes)}
    return {"error": None, "codes": sorted(pieces),
            "sizes": {c: len(piece) for c, piece in pieces.items()}, "excluded": excluded,
            "inputs": pop.inputs, "warnings": pop.warnings, "rows_read": pop.rows_read,
            "empty": _rows_of(pop, np.zeros(0, dtype=np.int64))}, pieces


def rank_segment(pieces: list[Population], data_dir: str | None, set_id: str, programme: str,
                 on, include_superseded: bool, options: dict, ranking: tuple,
                 parts_dir: str | None,
                 index: int) -> tuple[Ranking, list[tuple[str, str]]]:
    """One segment's rows (its pieces of every part, in part order) assessed and ranked among
    themselves (run on a worker): thresholds by the same exact percentiles as one process. With
    `parts_dir`, its composite and tiers rows written as part `index` of those datasets
    (staged). The ranking comes back without the catalogue (the driver has it), the excluded
    rows (the driver computes them over all segments); its boards are found in the driver from
    the joined tiers (`Ranking.boards`)."""
    from benchmark.report.ranking import table_frames, table_parquet

    catalogue = _catalogue(data_dir)
    pop = _concatenate(pieces, keep=True)
    a = assess(pop, catalogue, programme, on, include_superseded, population="self",
               peer_options=options)
    r = rank_population(a, *ranking)
    staged = []
    if parts_dir is not None:
        frames = table_frames(r)
        staged = stage([(Path(parts_dir) / name / f"part-{index:05d}.parquet",
                         table_parquet(frames[name])) for name in ("composite", "tiers")
                        if name in frames])
    r.assessment = replace(a, catalogue=cast(Catalogue, None), context=None, margins={})
    r.excluded = r.excluded.iloc[:0]
    r.tiers = r.tiers[[c for c in r.tiers if c.startswith("tier_")]]  # identity: the driver's
    if len(r.composite):
        r.composite = r.composite[["row", *COMPOSITE_COLUMNS]]
    return r, staged




def _pick(x: Any, rows: np.ndarray) -> Any:
    """`x` (a per-row array, Categorical, or a dict or tuple of them) at `rows`; rows on the last
    axis (an indicator's ladder steps are levels × rows)."""
    if x is None:
        return None
    if isinstance(x, dict):
        return {k: _pick(v, rows) for k, v in x.items()}
    if isinstance(x, tuple):
        return tuple(_pick(v, rows) for v in x)
    if isinstance(x, np.ndarray) and x.ndim > 1:
        return x[..., rows]
    return x[rows]


def _join(items: list[Any], order: np.ndarray | None = None) -> Any:
    """Per-row values of consecutive pieces as one (`_pick`'s kinds), rows taken in `order`.
    The pieces are used up: each array leaves `items` (and a dict's piece its dict) as it is
    joined, so that the pieces of a member are let go of once it is joined."""
    x = items[0]
    if x is None:
        return None
    if isinstance(x, dict):
        return {k: _join([i.pop(k) for i in items], order) for k in list(x)}
    if isinstance(x, tuple):
        columns = [[i[k] for i in items] for k in range(len(x))]
        items.clear()
        return tuple(_join(column, order) for column in columns)
    if isinstance(x, pd.Categorical):
        joined = pd.api.types.union_categoricals(items)
    else:
        joined = np.concatenate(items, axis=-1)
    items.clear()
    return joined if order is None else _pick(joined, order)


def _population_members(parts: list[Assessment]) -> dict[tuple[str, str], tuple[str, str, int]]:
    """The indicators' arrays that are their population's own in every segment (an indicator's
    value and declared interval are the population's values): (indicator, member) → (the
    population's member, key, element of an interval). They are let go of in the segments
    here, and taken from the joined population: shared with it as in one process, not joined
    a second time, and their pieces freed as the population is joined."""
    def arrays(pop: Population) -> dict[int, tuple[str, str, int]]:
        out = {id(a): (name, key, 0) for name in ("values", "parameters", "labels")
               for key, a in getattr(pop, name).items()}
        out.update({id(a): ("intervals", key, end) for key, pair in pop.intervals.items()
                    for end, a in enumerate(pair)})
        return out

    held = [arrays(p.population) for p in parts]
    shared: dict[tuple[str, str], tuple[str, str, int]] = {}
    for k, first in parts[0].indicators.items():
        for f in fields(first):
            where = {held[i].get(id(getattr(p.indicators[k], f.name)))
                     for i, p in enumerate(parts)}
            one = where.pop() if len(where) == 1 else None
            if one is not None:
                shared[(k, f.name)] = one
    for p in parts:
        for k, name in shared:
            setattr(p.indicators[k], name, None)
    return shared


def _rows_of(pop: Population, rows: np.ndarray) -> Population:
    """The population's rows `rows` (their problems, inputs and warnings stay with the part)."""
    return replace(pop, excluded=[], warnings=[], inputs={}, segment_codes=None,
                   **{name: _pick(getattr(pop, name), rows) for name in ROW_MEMBERS})


def _dataset_population(metas: list[dict], dataset: str) -> Population:
    """The empty population of the dataset with every part's unusable rows (at their dataset
    rows), inputs and warnings: what the joined ranking's population carries besides rows."""
    inputs = {k: v for m in metas for k, v in m["inputs"].items()}
    pop = replace(metas[0]["empty"], path=dataset, excluded=[p for m in metas
                                                             for p in m["excluded"]],
                  warnings=list(dict.fromkeys(w for m in metas for w in m["warnings"])),
                  inputs=inputs, rows_read=sum(m["rows_read"] for m in metas))
    pop.sha256 = hashlib.sha256("".join(f"{k}\0{v}\n" for k, v in inputs.items())
                                .encode()).hexdigest()
    return pop


def join_rankings(rankings: list[Ranking], base: Population, catalogue: Catalogue) -> Ranking:
    """The rankings of a population's segments (in segment order) as the ranking one process
    makes of the whole: the assessment's rows in row order; per indicator and segment tables
    indicator by indicator, segments in order; the tiers in row order, the composite segment by
    segment, their identity taken from the joined population as one process takes it
    (`rank_segment` sends none); the rows left out and Top Runner compliance computed on the
    joined assessment. The segments' assessments are used up as they are joined (each member
    let go of once joined): the driver holds one assessment, as one process does."""
    from benchmark.engine.assess import IndicatorAssessment
    from benchmark.engine.rules import RuleOutcome
    from benchmark.leaders import _ident

    parts = [r.assessment for r in rankings]
    for r in rankings:
        r.assessment = cast(Any, None)  # held by `parts` alone, let go of as joined
    rows = np.concatenate([p.population.rows for p in parts])
    order = np.argsort(rows, kind="stable")
    del rows
    shared = _population_members(parts)
    pieces = [p.population for p in parts]
    for p in parts:
        p.population = cast(Any, None)  # held by `pieces` alone, let go of as joined
    pop = _concatenate(pieces, order)
    pop = replace(pop, path=base.path, sha256=base.sha256, excluded=base.excluded,
                  warnings=base.warnings, inputs=base.inputs, rows_read=base.rows_read)
    first = parts[0]

    def joined(objs: list, kind: type, indicator: str = "") -> Any:
        out: dict[str, Any] = {}
        for f in fields(kind):
            value = getattr(objs[0], f.name)
            if f.name == "resolved":
                out[f.name] = []
            elif (indicator, f.name) in shared:
                name, key, end = shared[(indicator, f.name)]
                out[f.name] = (pop.intervals[key][end] if name == "intervals"
                               else getattr(pop, name)[key])
            elif _per_row(value):
                out[f.name] = used_up(objs, f.name)
            else:
                out[f.name] = value
        return kind(**out)

    def used_up(objs: list, name: str) -> Any:  # joined, and let go of in the segments
        items = [getattr(o, name) for o in objs]
        for o in objs:
            setattr(o, name, None)
        return _join(items, order)

    references = sorted({x for p in parts for x in p.references})
    a = replace(first, population=pop, catalogue=catalogue, context=None, margins={},
                segment_code=used_up(parts, "segment_code"),
                withdrawn=used_up(parts, "withdrawn"), superseded=used_up(parts, "superseded"),
                indicators={k: joined([p.indicators.pop(k) for p in parts], IndicatorAssessment,
                                      k) for k in list(first.indicators)},
                outcomes={k: joined([p.outcomes.pop(k) for p in parts], RuleOutcome)
                          for k in list(first.outcomes)},
                references=references)
    for o in a.outcomes.values():  # a score interval is worked out of the joined levels
        if o.score is not None:
            o.score = replace(o.score, indicators=a.indicators, n=len(order))
    rank_of = {r.id: k for k, r in enumerate(a.indicators.values())}

    def by_indicator(name: str) -> pd.DataFrame:
        frames = [getattr(r, name) for r in rankings]
        frame = pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)
        return frame.sort_values("indicator", key=lambda s: s.map(rank_of), kind="stable",
                                 ignore_index=True)

    tiers = _ident(a)  # tier columns of the segments, joined in row order
    for name in list(rankings[0].tiers):
        tiers[name] = _join([r.tiers.pop(name).to_numpy() for r in rankings], order)
    composites = [r.composite for r in rankings if len(r.composite)]
    if composites:  # segment by segment; its rows' identity from the joined population
        composite = _ident(a, np.searchsorted(a.population.rows, np.concatenate(
            [c["row"].to_numpy() for c in composites])))
        for name in COMPOSITE_COLUMNS:
            composite[name] = np.concatenate([c.pop(name).to_numpy() for c in composites])
    thresholds_table, saturation = by_indicator("thresholds"), by_indicator("saturation")
    seg_code = {s: k for k, s in enumerate(a.segment_ids)}  # a board's segment in the join
    excluded, top_runner = population_tables(a, thresholds_table)
    warnings = ranking_warnings(thresholds_table.to_dict(orient="records"),
                                saturation.to_dict(orient="records"), rankings[0].method,
                                rankings[0].settings["saturation"])
    return Ranking(
        assessment=a, method=rankings[0].method, thresholds=thresholds_table,
        tiers=pd.DataFrame(tiers, copy=False),
        suppressed=by_indicator("suppressed"), excluded=excluded,
        composite=(pd.DataFrame(composite, copy=False) if composites
                   else rankings[0].composite),
        saturation=saturation, top_runner=top_runner,
        board_members=sorted((replace(b, code=seg_code.get(b.segment, -1))
                              for r in rankings for b in r.board_members),
                             key=lambda b: rank_of[b.indicator]),
        warnings=warnings, settings=rankings[0].settings)


def _per_row(x: Any) -> bool:
    """A member of an assessment with a value per row (arrays, or dicts and tuples of them)."""
    if isinstance(x, dict):
        return bool(x) and all(_per_row(v) for v in x.values())
    if isinstance(x, tuple):
        return bool(x) and all(_per_row(v) for v in x)
    return isinstance(x, (np.ndarray, pd.Categorical))


@contextlib.contextmanager
def discarded_on_error(staged: list[tuple[str, str]]) -> Iterator[None]:
    """Staged parts removed when the block fails (nothing of a failed run is left)."""
    try:
        yield
    except BaseException:
        discard(staged)
        raise


def write_ranking_parts(r: Written, result: dict, formats: list[str], out_dir: str | Path,
                        staged: list[tuple[str, str]], lang: str = "zh",
                        template_dir: str | None = None,
                        extra: list[tuple[str, str | bytes]] | None = None) -> list[Path]:
    """`report.ranking.write_ranking`, with the per-row Parquet tables as partitioned datasets:
    the composite and tiers parts the workers `staged` (a part per segment, in segment order)
    and the excluded rows in one part (staged here); all files (and `extra`: the boards) written
    or none. Given the tables alone (`leaders.for_writing`), the driver writes them without
    holding the assessment, as one process does."""
    from benchmark.report import check_formats, write_all
    from benchmark.report.ranking import RANK_FORMATS, ranking_outputs, table_frames, table_parquet

    with discarded_on_error(staged):
        if formats or not extra:
            check_formats(formats, RANK_FORMATS)
        outputs = ranking_outputs(r, result, [f for f in formats if f != "parquet"], lang,
                                  template_dir)
        outputs += list(extra or [])
        if "parquet" in formats:
            frames = table_frames(r)
            outputs += [(f"{name}.parquet", table_parquet(frame))
                        for name, frame in frames.items() if name not in PER_ROW_TABLES]
            if "excluded" in frames:
                staged += stage([(Path(out_dir) / "excluded" / "part-00000.parquet",
                                  table_parquet(frames["excluded"]))])
        written = write_all([(Path(out_dir) / name, content) for name, content in outputs])
    return place_parts(staged) + written


# --- evaluate TABLE --dask: verdict tables per part ------------------------------------------

DATASET_TABLE_FORMATS = ("csv", "parquet")  # written in parts; an XLSX is one sheet


def check_dataset_evaluation(inputs: list, table_formats: list[str], reports: str | None) -> None:
    """What `evaluate --dask` needs and cannot do, said before any work: one dataset; no XLSX
    (one worksheet holds the whole table) and no individual reports (made in one process, for
    the rows asked for)."""
    problems = []
    if len(inputs) != 1 or not is_dataset(inputs[0]):
        problems.append(Problem("dask_needs_dataset", "--dask evaluates one Parquet dataset",
                                file=", ".join(str(f) for f in inputs),
                                hint="a folder of .parquet files, or a glob such as "
                                     "'export/*.parquet'"))
    if any(f not in DATASET_TABLE_FORMATS for f in table_formats):
        problems.append(Problem("dask_table_format", "with --dask the verdict table is written "
                                "in parts as csv or parquet", hint="--table-format csv,parquet"))
    if reports not in (None, "none"):
        problems.append(Problem("dask_reports", "with --dask no individual reports are written",
                                hint="evaluate the rows you want reports for without --dask "
                                     "(--reports IDS)"))
    if problems:
        raise InputError(problems)


def verdict_part(part: str, index: int, offset: int, data_dir: str | None, set_id: str,
                 mapping: str | None, programme: str, on: dt.date, include_superseded: bool,
                 context: Any, folder: str, table_formats: list[str], lang: str,
                 template_dir: str | None, name: str) -> tuple | InputError:
    """One part read, assessed and its verdict table written to temporary files beside the
    targets (run on a worker), a chunk of rows at a time: (staged files, the part's
    `verdict_counts`). Row numbers count on from `offset` (the rows of the parts before it). A
    bad part is returned, not raised, so that every part's problems are reported together."""
    from benchmark.batch import assess_table, read_table_input
    from benchmark.report import labels
    from benchmark.verdicts import csv_writer, headers, parquet_writer, table_counts, words

    catalogue = _catalogue(data_dir)
    try:
        pop = read_table_input(part, catalogue, set_id, None if mapping is None else Path(mapping),
                               keep_text=False)
    except InputError as exc:
        return exc
    pop.rows = pop.rows + pop.rows.dtype.type(offset)
    a = assess_table(name, pop, catalogue, programme, on, include_superseded, context)
    files: list[tuple[Path, Any]] = []
    if "parquet" in table_formats:
        files.append((Path(folder) / f"part-{index:05d}.parquet", parquet_writer(a)))
    if "csv" in table_formats:
        L = labels(lang, template_dir)
        W = words(a, L, lang)
        files.append((Path(folder) / f"part-{index:05d}.csv",
                      csv_writer(a, W, headers(a, L, W.indicators))))
    return stage(files), table_counts(a)


def stage(files: list[tuple[Path, Any]]) -> list[tuple[str, str]]:
    """Each file (bytes, or a function writing a binary file: streamed) written to a temporary
    file beside its target and synced once for all: (temporary, target) pairs, put in place by
    `place_parts`; none left behind when one cannot be written."""
    from benchmark.report import sync_files

    staged: list[tuple[str, str]] = []
    try:
        for path, content in files:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            staged.append((tmp, str(path)))
            with os.fdopen(fd, "wb") as fh:
                content(fh) if callable(content) else fh.write(content)
            os.chmod(tmp, 0o644)
        sync_files([Path(tmp) for tmp, _ in staged])
    except BaseException:
        discard(staged)
        raise
    return staged


def discard(staged: list[tuple[str, str]]) -> None:
    """Staged files removed, and the folders made for them when left empty."""
    for tmp, _ in staged:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    for folder in sorted({Path(tmp).parent for tmp, _ in staged}):
        with contextlib.suppress(OSError):
            folder.rmdir()  # only when empty


def place_parts(staged: list[tuple[str, str]]) -> list[Path]:
    """Staged parts renamed into place; in each folder written, the part files a previous run
    left (and this one did not write) removed, so that the folder is this run's dataset."""
    placed = []
    for tmp, target in staged:
        os.replace(tmp, target)
        placed.append(Path(target))
    written = set(placed)
    for folder in sorted({p.parent for p in placed}):
        for old in folder.glob("part-*"):
            if old not in written and old.suffix in (".parquet", ".csv"):
                old.unlink()
    return placed


def evaluate_dataset(path: str | Path, set_id: str | None, programme: str, on: dt.date,
                     out_dir: str | Path, table_formats: list[str], lang: str = "zh",
                     data_dir: str | Path | None = None, mapping: str | Path | None = None,
                     include_superseded: bool = False, template_dir: str | None = None,
                     population: str | Path | None = None,
                     population_mapping: str | Path | None = None,
                     client: Any = None, progress: Callable[[int], None] = lambda rows: None
                     ) -> tuple[dict, list[Path], Names]:
    """`evaluate TABLE` of a dataset: each part assessed (on `client`'s workers when given, else
    here) and its verdict table written as a part of `<stem>.verdicts/`; the summary merged here
    and written as `<stem>.summary.json` and `.LANG.md`. The rows are those of one process
    evaluating the parts as one table. `progress(rows)` is told the rows of the parts written
    so far, as each comes back. Returns the summary, the files written and the programme's
    names."""
    from benchmark.batch import safe_stem
    from benchmark.engine.assess import peer_context
    from benchmark.evaluation import check_programme
    from benchmark.population import load_population, read_mapping
    from benchmark.report import labels, write_all
    from benchmark.verdicts import added_counts, counts_summary, summary_json, summary_markdown

    catalogue = _catalogue(_text(data_dir))
    category = set_id or (read_mapping(mapping).get("category") if mapping else None)
    if category is None:
        raise InputError(Problem("category_missing", "the table names no product category",
                                 file=str(path), hint="give --set CATEGORY, or `category:` in "
                                 "the mapping file"))
    iset = indicator_set(catalogue, category)
    check_programme(catalogue, category, programme, str(path))
    parts = [str(p) for p in dataset_parts(path, category)]
    context = None
    if population is not None:
        peers = load_population(population, catalogue, category, population_mapping)
        context = peer_context(peers, catalogue, programme, on, include_superseded)
    name = str(path)
    stem = Path(out_dir) / safe_stem(name)
    folder = str(stem.with_name(f"{stem.name}.verdicts"))
    args: list[Any] = [_text(data_dir), category, _text(mapping), programme, on,
                       include_superseded, context, folder, list(table_formats), lang,
                       template_dir, name]
    indexes, starts = list(range(len(parts))), part_offsets(parts)
    written_rows = 0

    def back(result: tuple | InputError) -> None:
        nonlocal written_rows
        if not isinstance(result, InputError):
            written_rows += result[1]["rows"]
            progress(written_rows)

    done: list[Any] = []
    if client is None:
        for p, i, o in zip(parts, indexes, starts, strict=True):
            done.append(verdict_part(p, i, o, *args))
            back(done[-1])
    else:
        if context is not None:  # sent to every worker once, not once per part
            args[6] = client.scatter(context, broadcast=True)
        futures = client.map(verdict_part, parts, indexes, starts,
                             *[[a] * len(parts) for a in args], pure=False)
        done = gathered(client, futures,
                        lambda result: [] if isinstance(result, InputError) else result[0], back)
    staged = [s for d in done if not isinstance(d, InputError) for s in d[0]]
    problems = [p for d in done if isinstance(d, InputError) for p in d.problems]
    if problems:
        discard(staged)
        raise InputError(list(dict.fromkeys(problems)))
    L = labels(lang, template_dir)
    summary = counts_summary(added_counts([d[1] for d in done]), name, programme, on, {
        "selection": "none", "written": 0,
        "note": L["verdict_table"]["reports_written"].format(n=0, selection="none")})
    try:
        written = write_all([
            (stem.with_name(f"{stem.name}.summary.json"), summary_json(summary)),
            (stem.with_name(f"{stem.name}.summary.{lang}.md"), summary_markdown(summary, L))])
    except BaseException:
        discard(staged)
        raise
    return summary, place_parts(staged) + written, iset.programmes[programme].names
