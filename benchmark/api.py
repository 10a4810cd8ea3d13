"""The public Python API: load the catalogue, evaluate, rank, compare, validate.

Each function takes what a user has at hand — a path, a declaration, a pandas DataFrame — and
returns a result object whose fields are documented (`Evaluation`, `Ranking`, `Study`). They are
the same functions the command line calls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from benchmark.catalogue import load_catalogue as _load_catalogue
from benchmark.errors import ProblemReport
from benchmark.model import Catalogue


def load_catalogue(data_dir: str | Path | None = None) -> Catalogue:
    """The checked catalogue (the shipped one, `$BENCHMARK_DATA`, or `data_dir`)."""
    return _load_catalogue(data_dir)


def _on(on: dt.date | str | None) -> dt.date:
    if on is None:
        return dt.date.today()
    return dt.date.fromisoformat(on) if isinstance(on, str) else on


def evaluate(what: Any, programme: str = "leader", on: dt.date | str | None = None, *,
             catalogue: Catalogue | None = None, set_id: str | None = None,
             include_superseded: bool = False):
    """Evaluate a `Declaration`, a declaration file, a table file (one declaration per row; give
    `set_id`) or a pandas DataFrame of declarations (columns named as in a table; give
    `set_id`). One declaration gives an `Evaluation`; a table or a DataFrame its verdict table
    (benchmark.verdicts.verdict_table, the table `evaluate TABLE` writes): one row per
    declaration with its identity as written, segment, verdict, overall level, the level of
    every indicator, the rules that fail or cannot be assessed with their reason codes, and
    what blocks."""
    from benchmark.batch import assess_table, read_table_input
    from benchmark.declaration import Declaration, load_declaration
    from benchmark.evaluation import evaluate_declaration
    from benchmark.population import TABLE_SUFFIXES
    from benchmark.verdicts import verdict_table

    cat = catalogue or load_catalogue()
    day = _on(on)
    if isinstance(what, pd.DataFrame):
        pop = _frame_population(what, cat, set_id)
        return verdict_table(assess_table("<DataFrame>", pop, cat, programme, day,
                                          include_superseded))
    if isinstance(what, Declaration):
        return evaluate_declaration(what, cat, programme, day, include_superseded)
    path = Path(what)
    if path.suffix.lower() in TABLE_SUFFIXES:
        pop = read_table_input(path, cat, set_id, None)
        return verdict_table(assess_table(str(path), pop, cat, programme, day,
                                          include_superseded))
    return evaluate_declaration(load_declaration(path, cat), cat, programme, day,
                                include_superseded)


def _frame_population(frame: pd.DataFrame, cat: Catalogue, set_id: str | None):
    """A DataFrame of declarations read as a table population (every cell as written)."""
    from benchmark.errors import InputError, Problem
    from benchmark.population import population_from_frame, resolve_columns

    if set_id not in cat.sets:
        raise InputError(Problem("category_missing", "give set_id, the category of the rows"))
    iset = cat.sets[set_id]
    frame = frame.rename(columns=str)
    columns, problems = resolve_columns(list(frame.columns), iset, None, "<DataFrame>")
    problems = [p for p in problems if p.severity == "error"]
    if problems:
        raise InputError(problems)
    pop = population_from_frame(frame.reset_index(drop=True), iset, columns, "<DataFrame>")
    if pop.excluded:
        raise InputError(pop.excluded)
    return pop


def rank(what: str | Path | pd.DataFrame, set_id: str, programme: str = "leader",
         on: dt.date | str | None = None, *, catalogue: Catalogue | None = None,
         mapping: str | Path | None = None, **options):
    """Peer benchmarking of a population (a table file or a DataFrame) → `leaders.Ranking`
    (thresholds, tiers, exclusions, composite ranking and shortlist as DataFrames). `options`:
    method, shortlist, tiers, seed, include_superseded."""
    from benchmark.engine import assess
    from benchmark.leaders import rank_file, rank_population
    from benchmark.population import population_from_frame, resolve_columns

    cat = catalogue or load_catalogue()
    day = _on(on)
    if isinstance(what, pd.DataFrame):
        iset = cat.sets[set_id]
        columns, _ = resolve_columns(list(what.columns.map(str)), iset, None, "<DataFrame>")
        pop = population_from_frame(what.rename(columns=str).reset_index(drop=True), iset,
                                    columns, "<DataFrame>")
        a = assess(pop, cat, programme, day, options.pop("include_superseded", False))
        r = rank_population(a, **options)
    else:
        r = rank_file(what, cat, set_id, programme, day, mapping, **options)
    for name, frame in r.as_text().items():  # identity as text, not positions into it
        setattr(r, name, frame)
    return r


@dataclass
class Study:
    """A comparison study of one category: `data` is the JSON result (schema in the README);
    `references`, `indicators` and `segments` are its main tables."""

    data: dict

    @property
    def references(self) -> list[dict]:
        return self.data["references"]

    @property
    def indicators(self) -> list[dict]:
        return self.data["indicators"]

    @property
    def segments(self) -> list[dict]:
        return self.data["segments"]


def compare(set_id: str, on: dt.date | str | None = None, *, segment: str | None = None,
            references: Iterable[str] | None = None, parameters: Iterable[str] = (),
            include_superseded: bool = False, catalogue: Catalogue | None = None) -> Study:
    """The comparison study of one category: reference editions × indicators on one unit basis,
    the most stringent value per indicator, domestic against international/foreign."""
    from benchmark.study import compare_study

    cat = catalogue or load_catalogue()
    return Study(compare_study(cat, set_id, _on(on), segment, references, parameters,
                               include_superseded))


def validate(paths: Iterable[str | Path] = (), data_dir: str | Path | None = None
             ) -> ProblemReport:
    """Every problem of the catalogue (no paths) or of the given files in its context."""
    from benchmark.catalogue import validate_paths

    return validate_paths([Path(p) for p in paths], data_dir)
