"""The comparison study: for one product category, the matrix reference standards × indicators on
one unit basis (each indicator's canonical unit), the most stringent value per indicator, and how
far the best domestic value (national, sector, local, group) is from the best international or
foreign one.

Thresholds are evaluated by the engine's `resolve.applicable`, the same code that judges
declarations. A threshold that depends on a product parameter (a formula, a table, a rating
range) is evaluated at the parameters given; when one is missing the cell names it instead of a
number. Superseded and withdrawn editions are shown only on request and take no part in "most
stringent".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmark import __version__
from benchmark.catalogue import close, indicator_set
from benchmark.declaration import parameter_value
from benchmark.engine import resolve
from benchmark.engine.explain import names, text_of
from benchmark.errors import InputError, Problem
from benchmark.model import (
    Catalogue,
    Indicator,
    IndicatorSet,
    Names,
    ReferenceEdition,
    ReferenceValue,
    Segment,
    condition_mask,
)


def text(en: str, zh: str) -> dict[str, str]:
    return names(Names(zh=zh, en=en))


@dataclass
class AppliedValue:
    """One reference value at the study's parameters: its most stringent requirement and its
    legal minimums, as (op, threshold, class label) in the indicator's canonical unit."""

    edition: ReferenceEdition
    value: ReferenceValue
    top: tuple[str, float, str | None] | None
    mandatory: list[tuple[str, float, str | None]]
    verified: bool


def applicable_values(catalogue: Catalogue, iset: IndicatorSet, ind: Indicator,
                      segment: str | None, params: Mapping[str, Any], on: dt.date,
                      include_superseded: bool, documents: frozenset[str] = frozenset()
                      ) -> tuple[list[AppliedValue], list[AppliedValue]]:
    """(values with a threshold at these parameters, values without one), through the engine's
    resolve — the same thresholds a declaration is judged against (a scheme's own document, of
    tier programme, only when in `documents`)."""
    arrays = {k: np.asarray([v]) for k, v in params.items()}
    applied: list[AppliedValue] = []
    uncovered: list[AppliedValue] = []
    for a in resolve.applicable(catalogue, ind, iset.id, segment, arrays, 1, on,
                                include_superseded, documents):
        tops = [th for th in a.top() if np.isfinite(th.ruled[0])]
        top = (tops[0].op, float(tops[0].ruled[0]), tops[0].label) if tops else None
        minimums = [(th.op, float(th.ruled[0]), th.label) for th in a.mandatory()
                    if np.isfinite(th.ruled[0])]
        item = AppliedValue(a.edition, a.value, top, minimums,
                            a.verified(top[2] if top else None))
        (applied if top else uncovered).append(item)
    return applied, uncovered

DOMESTIC = ("national", "sector", "local", "group")
INTERNATIONAL = ("international", "foreign")
SCHEMA_VERSION = 1  # of study.schema.json; raised when a field changes meaning or goes
TIER_ORDER = ("national", "sector", "local", "group", "enterprise", "international", "foreign")
_STRICT = {"gt": 0, "lt": 0, "ge": 1, "le": 1, "eq": 1}


def parse_parameters(iset: IndicatorSet,
                     items: Iterable[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """`name=value` strings ("rated_power=1.5 kW", "poles=4") → canonical values and their text.
    Every problem is collected and raised together."""
    params: dict[str, Any] = {}
    texts: dict[str, str] = {}
    problems: list[Problem] = []
    for item in items:
        name, sep, raw = item.partition("=")
        name, raw = name.strip(), raw.strip()
        if not sep or not name or not raw:
            problems.append(Problem("param_syntax", f"{item!r} is not name=value",
                                    hint="e.g. --param rated_power=1.5kW"))
            continue
        param = iset.parameters.get(name)
        if param is None:
            problems.append(Problem("unknown_parameter",
                                    f"category {iset.id!r} has no parameter {name!r}",
                                    hint=close(name, iset.parameters, "known")))
            continue
        try:
            params[name] = parameter_value(param, raw)
            texts[name] = raw
        except InputError as exc:
            problems += [Problem(p.code, f"--param {name}: {p.message}", hint=p.hint)
                         for p in exc.problems]
    if problems:
        raise InputError(problems)
    return params, texts


def _needed(value: ReferenceValue, params: Mapping[str, Any]) -> list[str]:
    """Product parameters a reference value needs (its conditions and thresholds) but not given."""
    names = list(value.where)
    bounds = [b for b in value.limits] + [c.bound for c in value.classes if c.bound is not None]
    for b in bounds:
        t = b.threshold
        if t.formula is not None:
            names += list(t.formula.names)
        elif t.table_parameter:
            names.append(t.table_parameter)
    return sorted({n for n in names if n not in params})


def _class_verified(a: AppliedValue, label: str | None) -> bool:
    for c in a.value.classes:
        if c.label == label and c.verified is not None:
            return c.verified and a.value.verified
    return a.value.verified


def _entry(a: AppliedValue, ind: Indicator) -> dict:
    assert a.top is not None  # only values with a threshold at the parameters are entries
    op, t, label = a.top
    entry = {"op": op, "value": float(t), "class_label": label,
             "clause": text_of(a.value.clause),
             "verified": a.verified,
             "source_unit": a.value.unit if a.value.unit != ind.unit else None,
             "note": text_of(a.value.note), "minimum": None, "most_stringent": False}
    minimums = a.mandatory
    if minimums:
        mop, mt, mlabel = min(minimums, key=lambda m: m[1] * (ind.sign or 1))  # the least demanding
        if not (mop == op and mt == t and mlabel == label):
            entry["minimum"] = {"op": mop, "value": float(mt), "class_label": mlabel,
                                "verified": _class_verified(a, mlabel)}
    return entry


def _key(entry: dict, sign: int) -> tuple[float, int]:
    return entry["value"] * sign, -_STRICT.get(entry["op"], 1)


def _best(entries: list[tuple[str, dict]], sign: int) -> tuple[str, dict] | None:
    """The most stringent (reference, entry); among equal values a verified one is named."""
    return max(entries, key=lambda re: (_key(re[1], sign), re[1]["verified"])) if entries else None


def _cells(catalogue: Catalogue, iset: IndicatorSet, ind: Indicator, segment: str | None,
           params: Mapping[str, Any], on: dt.date, include_superseded: bool,
           wanted: set[str] | None) -> dict[str, dict]:
    """reference id → cell {status, entries, needs, verified} for one indicator in one segment;
    `verified` covers the entries shown and the values that wait for a parameter."""
    applied, uncovered = applicable_values(catalogue, iset, ind, segment, params, on,
                                           include_superseded, frozenset(wanted or ()))
    cells: dict[str, dict] = {}

    def cell(ref: str) -> dict:
        return cells.setdefault(ref, {"status": None, "entries": [], "needs": [], "flags": set(),
                                      "verified": True})

    for a in applied:
        if wanted is None or a.edition.id in wanted:
            cell(a.edition.id)["entries"].append(_entry(a, ind))
    arrays = {k: np.asarray([v]) for k, v in params.items()}
    for edition, value in resolve.reference_values(catalogue, iset.id, ind.id, segment, on,
                                                   include_superseded):
        if (edition.id not in wanted) if wanted is not None else edition.tier == "programme":
            continue  # a scheme's own document (tier programme) only when asked for
        c = cell(edition.id)
        needs = _needed(value, params)
        if needs:
            c["needs"] = sorted(set(c["needs"]) | set(needs))
            c["verified"] &= value.verified and all(k.verified is not False for k in value.classes)
        elif not condition_mask(value.where, arrays, 1)[0]:
            c["flags"].add("not_applicable")
        elif any(u.value is value for u in uncovered):
            c["flags"].add("not_covered")
    for c in cells.values():
        c["verified"] &= all(e["verified"] and (e["minimum"] or {}).get("verified", True)
                             for e in c["entries"])
        c["status"] = ("value" if c["entries"] else "needs_parameter" if c["needs"] else
                       "not_covered" if "not_covered" in c["flags"] else "not_applicable")
        del c["flags"]
    return cells


def _reference_row(catalogue: Catalogue, edition: ReferenceEdition, on: dt.date) -> dict:
    adoption = None
    if edition.adoption_degree:
        adoption = {"degree": edition.adoption_degree, "source": edition.adoption_source,
                    "source_in_catalogue": edition.adoption_source in catalogue.references}
    return {"id": edition.id, "titles": text(edition.titles.en, edition.titles.zh),
            "tier": edition.tier, "mandatory": edition.mandatory,
            "in_force": edition.in_force.isoformat(), "status": catalogue.status_of(edition.id, on),
            "superseded_by": edition.superseded_by, "supersedes": list(edition.supersedes),
            "adoption": adoption, "source": edition.source.title if edition.source else None,
            "verified": True, "file": edition.path, "sha256": edition.sha256}


def compare_study(catalogue: Catalogue, set_id: str, on: dt.date, segment: str | None = None,
                  references: Iterable[str] | None = None, parameters: Iterable[str] = (),
                  include_superseded: bool = False) -> dict:
    """The comparison study of one category as a JSON-safe dict (see the module docstring)."""
    iset = indicator_set(catalogue, set_id)
    problems: list[Problem] = []
    try:
        params, param_text = parse_parameters(iset, parameters)
    except InputError as exc:
        problems += exc.problems
    wanted = list(dict.fromkeys(references or []))
    problems += [Problem("unknown_reference", f"unknown reference {r!r}",
                        hint=close(r, catalogue.references) or "see `benchmark list references`")
                for r in wanted if r not in catalogue.references]
    problems += [Problem("reference_not_in_category", f"{r!r} has no values for {set_id!r}")
                 for r in wanted if r in catalogue.references
                 and not any(v.indicator_set == set_id for v in catalogue.references[r].values)]
    if segment is not None and segment not in {s.id for s in iset.segments}:
        problems.append(Problem("unknown_segment",
                                f"category {set_id!r} has no segment {segment!r}",
                                hint=close(segment, [s.id for s in iset.segments], "known")))
    if problems:
        raise InputError(problems)
    if segment is not None:
        segments = [s for s in iset.segments if s.id == segment]
    else:  # every segment the given parameters do not rule out
        arrays = {k: np.asarray([v]) for k, v in params.items()}
        segments = [s for s in iset.segments if condition_mask(
            {k: w for k, w in s.where.items() if k in params}, arrays, 1)[0]]
    indicators = [ind for ind in iset.indicators.values() if ind.kind == "quantity"]
    wanted_set = set(wanted) if wanted else None
    refs: dict[str, dict] = {}
    out_segments = []
    shown: list[Segment | None] = [*segments] or [None]  # a category without segments: one
    for seg in shown:
        seg_id = seg.id if seg else None
        by_ind = {ind.id: _cells(catalogue, iset, ind, seg_id, params, on, include_superseded,
                                 wanted_set) for ind in indicators}
        ref_ids = sorted({r for cells in by_ind.values() for r in cells},
                         key=lambda r: (TIER_ORDER.index(catalogue.references[r].tier)
                                        if catalogue.references[r].tier in TIER_ORDER else 99, r))
        for r in ref_ids:
            refs.setdefault(r, _reference_row(catalogue, catalogue.references[r], on))
        summary = {ind.id: _summarise(ind, by_ind[ind.id], refs) for ind in indicators}
        for cells in by_ind.values():
            for r, c in cells.items():
                refs[r]["verified"] &= c["verified"]
        out_segments.append({
            "id": seg_id, "names": text(seg.names.en, seg.names.zh) if seg else None,
            "rows": [{"reference": r,
                      "cells": {ind.id: by_ind[ind.id].get(r) for ind in indicators}}
                     for r in ref_ids],
            "summary": summary})
    names = {pid: text(p.names.en, p.names.zh) for pid, p in iset.parameters.items()}
    not_shown = [{"reference": r, "status": catalogue.status_of(r, on)}
                 for r in wanted if r not in refs]
    return {
        "kind": "comparison_study", "schema_version": SCHEMA_VERSION,
        "engine_version": __version__,
        "evaluation_date": on.isoformat(),
        "category": {"id": iset.id, "names": text(iset.names.en, iset.names.zh)},
        "parameters": {pid: {"names": names[pid], "value": param_text[pid],
                             "canonical": params[pid], "unit": iset.parameters[pid].unit}
                       for pid in param_text},
        "parameter_names": names,
        "include_superseded": include_superseded,
        "references_requested": wanted or None, "not_shown": not_shown,
        "indicators": [{"id": ind.id, "names": text(ind.names.en, ind.names.zh), "unit": ind.unit,
                        "direction": ind.direction, "cls": ind.cls, "digits": ind.digits}
                       for ind in indicators],
        "references": [refs[r] for r in sorted(refs, key=lambda r: (
            TIER_ORDER.index(refs[r]["tier"]) if refs[r]["tier"] in TIER_ORDER else 99, r))],
        "segments": out_segments,
        "provenance": {"engine_version": __version__, "catalogue_sha256": catalogue.sha256,
                       "evaluation_date": on.isoformat(), "include_superseded": include_superseded,
                       "parameters": dict(param_text)},
    }


def _summarise(ind: Indicator, cells: dict[str, dict], refs: dict[str, dict]) -> dict:
    """Most stringent value (marked on its entries), best domestic vs best international."""
    sign = ind.sign
    needs = sorted({n for c in cells.values() for n in c["needs"]})
    out: dict[str, Any] = {"most_stringent": None, "best_domestic": None,
                           "best_international": None, "difference_abs": None,
                           "difference_rel": None, "comparison": None, "needs": needs}
    if not sign:
        return out
    current = [(r, e) for r, c in cells.items() for e in c["entries"]
               if refs[r]["status"] == "in_force"]
    best = _best(current, sign)
    if best is None:
        return out
    top = _key(best[1], sign)
    for _, e in current:
        if _key(e, sign) == top:
            e["most_stringent"] = True

    def brief(item: tuple[str, dict] | None) -> dict | None:
        if item is None:
            return None
        r, e = item
        return {"reference": r, "tier": refs[r]["tier"], "op": e["op"], "value": e["value"],
                "class_label": e["class_label"], "verified": e["verified"]}

    out["most_stringent"] = brief(best)
    dom = _best([x for x in current if refs[x[0]]["tier"] in DOMESTIC], sign)
    intl = _best([x for x in current if refs[x[0]]["tier"] in INTERNATIONAL], sign)
    out["best_domestic"], out["best_international"] = brief(dom), brief(intl)
    if dom and intl:
        d, i = dom[1]["value"], intl[1]["value"]
        diff = (i - d) * sign  # > 0: the international value is stricter, domestic lags
        eps = 1e-9 * max(1.0, abs(d), abs(i))
        out["difference_abs"] = round(diff, 10)
        out["difference_rel"] = round(diff / abs(d), 10) if d else None
        out["comparison"] = "lags" if diff > eps else "leads" if diff < -eps else "same"
    return out
