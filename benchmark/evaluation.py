"""Evaluating declarations under a programme: the declarations of a category become one
population, the engine assesses it once, and each row is explained (benchmark.engine).

`Evaluation` is what a report renders; `to_dict()` is the JSON result.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmark.declaration import Declaration
from benchmark.engine import assess
from benchmark.engine.explain import explain, names
from benchmark.errors import InputError, Problem
from benchmark.model import Catalogue
from benchmark.population import population_of


@dataclass
class Evaluation:
    """One declaration's evaluation: every field a report shows (see evaluation.schema.json)."""

    data: dict[str, Any]

    def to_dict(self) -> dict:
        return json_safe(self.data)

    def __getattr__(self, key: str) -> Any:
        try:
            return self.__dict__["data"][key]
        except KeyError:
            raise AttributeError(key) from None


def json_safe(obj: Any) -> Any:
    """JSON-safe: no NaN/inf, floats rounded to 10 significant digits for stable output."""
    kind = type(obj)
    if kind is str or kind is int or kind is bool or obj is None:  # most values: as they are
        return obj
    if kind is float:
        return float(f"{obj:.10g}") if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return float(f"{f:.10g}") if math.isfinite(f) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def declaration_identity(decl: Declaration, catalogue: Catalogue) -> dict[str, Any]:
    iset = catalogue.sets[decl.category]
    return {"file": decl.path, "enterprise": decl.enterprise, "credit_code": decl.credit_code,
            "standard_number": decl.standard_number, "standard_title": decl.standard_title,
            "standard_type": decl.standard_type, "category": iset.id,
            "category_names": names(iset.names), "model": decl.model,
            "parameters": {pid: {"names": names(iset.parameters[pid].names), "value": value}
                           for pid, value in decl.parameter_text.items()},
            "normative_references": decl.normative_references}


def check_programme(catalogue: Catalogue, category: str, programme_id: str,
                    file: str | None = None) -> None:
    iset = catalogue.sets[category]
    if programme_id not in iset.programmes:
        raise InputError(Problem("unknown_programme",
                                 f"category {iset.id!r} has no programme {programme_id!r}",
                                 file=file, hint="one of: " + ", ".join(iset.programmes)))


def evaluate_many(decls: list[Declaration], catalogue: Catalogue, programme_id: str,
                  on: dt.date, include_superseded: bool = False,
                  contexts: dict | None = None) -> list[Evaluation]:
    """Evaluations of declarations, in their order: one assessment per category. `contexts`
    gives per category the peers' standing context relative rules judge against
    (engine.assess.peer_context)."""
    out: dict[int, Evaluation] = {}
    by_category: dict[str, list[int]] = {}
    for k, d in enumerate(decls):
        by_category.setdefault(d.category, []).append(k)
    for category, idx in by_category.items():
        check_programme(catalogue, category, programme_id, decls[idx[0]].path)
        group = [decls[k] for k in idx]
        a = assess(population_of(group, catalogue.sets[category]), catalogue, programme_id, on,
                   include_superseded, steps=True,
                   population=(contexts or {}).get(category))
        for row, k in enumerate(idx):
            d = decls[k]
            out[k] = Evaluation(explain(
                a, row, declaration_identity(d, catalogue),
                {i: v.text for i, v in d.values.items()},
                frozenset(i for i, v in d.values.items() if v.unit_assumed),
                {d.path: d.sha256}))
    return [out[k] for k in range(len(decls))]


def evaluate_declaration(decl: Declaration, catalogue: Catalogue, programme_id: str,
                         on: dt.date, include_superseded: bool = False) -> Evaluation:
    """One declaration: a population of one, assessed and explained."""
    return evaluate_many([decl], catalogue, programme_id, on, include_superseded)[0]
