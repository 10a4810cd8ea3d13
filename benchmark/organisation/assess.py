"""Assessing organisations under a scheme: finding the scheme, scoring a batch in one kernel call
and turning the arrays into one result per organisation and a ranked list.

A result (`kind: organisation_assessment`, a JSON-safe dict) holds the totals per dimension and
item, the grade (or the interval of grades when criteria are not assessed, or no grade when a
knock-out criterion fails), what separates it from the next grade, each criterion's self and
review values, the findings (codes and parameters; their wording is in reports/labels.yaml), the
scheme's assumptions, and its provenance: the assessment and scheme files with their SHA-256 and
the date. A result never depends on the other organisations of its batch; the ranked list does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmark import __version__
from benchmark.audit import AuditTrail
from benchmark.catalogue import data_file, default_data_dir
from benchmark.engine.explain import names
from benchmark.errors import InputError, Problem
from benchmark.organisation.scheme import Assessment, Scheme, load_scheme
from benchmark.organisation.score import (
    KNOCKED_OUT,
    KO_FAILS,
    KO_HOLDS,
    Scores,
    competition_ranks,
    score,
)

KIND = "organisation_assessment"
SCHEMA_VERSION = 1  # of organisation.schema.json
SCHEME_SUFFIXES = (".yaml", ".yml", ".json")


def scheme_folders(data_dir: str | Path | None = None) -> list[Path]:
    """Where schemes are looked up by id: DATA_DIR/schemes (or $BENCHMARK_DATA), then the shipped
    `schemes/`."""
    folders = [Path(data_dir) / "schemes"] if data_dir else [default_data_dir() / "schemes"]
    shipped = data_file("schemes")
    if shipped.resolve() not in {f.resolve() for f in folders}:
        folders.append(shipped)
    return folders


def _display(path: Path) -> str:
    """A shipped scheme is named `schemes/FILE`, wherever the package is installed."""
    shipped = data_file("schemes").resolve()
    return f"schemes/{path.name}" if path.resolve().parent == shipped else str(path)


def find_scheme(ref: str | Path, data_dir: str | Path | None = None) -> Scheme:
    """The scheme `ref` names: a file, or the id of a scheme in `scheme_folders`."""
    path = Path(ref)
    if path.suffix.lower() in SCHEME_SUFFIXES and path.is_file():
        return load_scheme(path, _display(path))
    ids: list[str] = []
    for folder in scheme_folders(data_dir):
        for candidate in sorted(folder.glob("*")) if folder.is_dir() else []:
            if candidate.suffix.lower() not in SCHEME_SUFFIXES or candidate.name.startswith("."):
                continue
            scheme = load_scheme(candidate, _display(candidate))
            if scheme.id == str(ref):
                return scheme
            ids.append(scheme.id)
    raise InputError(Problem("scheme_not_found", f"no scheme {str(ref)!r}",
                             hint="one of: " + ", ".join(sorted(set(ids))) if ids else
                             "give a scheme file with --scheme"))


# --- one batch, one kernel call ----------------------------------------------------------------


def batch_scores(scheme: Scheme, assessments: list[Assessment]) -> Scores:
    """The kernel's arrays for the batch."""
    n, c = len(assessments), len(scheme.criteria)
    review = np.full((n, c), np.nan)
    own = np.full((n, c), np.nan)
    reviewed = np.zeros((n, c), bool)
    missing = np.zeros((n, c), bool)
    for r, a in enumerate(assessments):
        for k, criterion in enumerate(scheme.criteria):
            review[r, k] = a.review_share.get(criterion.id, np.nan)
            own[r, k] = a.self_share.get(criterion.id, np.nan)
            reviewed[r, k] = criterion.id in a.reviewed
            missing[r, k] = bool(a.missing_evidence(criterion))
    return score(scheme.arrays, review, reviewed, missing, own)


def _num(x: float) -> float | int | None:
    """A JSON number: NaN → None, whole numbers as int, else rounded to 6 decimals."""
    if x is None or not np.isfinite(x):
        return None
    x = round(float(x), 6)
    return int(x) if x == int(x) else x


def _grade_id(scheme: Scheme, index: int) -> str:
    if index == KNOCKED_OUT:
        return "knocked_out"
    return scheme.below_grades["id"] if index == 0 else scheme.grades[index - 1].id


def assess(scheme: Scheme, assessments: list[Assessment], on: dt.date) -> list[dict]:
    """One result per assessment (same order), from one kernel call over the batch."""
    s = batch_scores(scheme, assessments)
    return [_result(scheme, a, s, r, on) for r, a in enumerate(assessments)]


def _result(scheme: Scheme, a: Assessment, s: Scores, r: int, on: dt.date) -> dict:
    criteria: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    for k, c in enumerate(scheme.criteria):
        missing = a.missing_evidence(c)
        reviewed = c.id in a.reviewed
        if c.knock_out_min is not None:
            ko_state = ("fails" if s.knock_out_failed[r, k] else
                        "not_assessable" if s.knock_out_unknown[r, k] else "holds")
        else:
            ko_state = None
        status = ("evidence_missing" if s.evidence_zeroed[r, k] else
                  "not_assessed" if np.isnan(s.points[r, k]) else "scored")
        criteria.append({
            "id": c.id, "dimension": c.dimension, "item": c.item, "names": names(c.names),
            "kind": c.kind, "points": _num(c.points), "weight": _num(c.weight),
            "weighted_points": _num(c.weighted_points),
            "knock_out": None if c.knock_out_min is None else
            {"min": _num(c.knock_out_min), "state": ko_state},
            "evidence_required": [{"id": e.id, "names": names(e.names)} for e in c.evidence],
            "self": {"value": a.self_value.get(c.id), "points": _num(s.self_points[r, k]),
                     "evidence": dict(sorted(a.self_evidence.get(c.id, {}).items()))},
            "review": {"value": a.review_value.get(c.id),
                       "points": _num(a.review_share[c.id] * c.weighted_points)
                       if c.id in a.review_share else None,
                       "note": a.review_note.get(c.id),
                       "evidence_not_found": list(a.evidence_not_found.get(c.id, ()))},
            "status": status, "score": _num(s.points[r, k]),
            "headroom": _num(s.headroom[r, k]), "evidence_missing": missing,
            "difference": _num(s.difference[r, k]), "self_above_review": bool(s.self_above[r, k]),
            "basis": c.basis, "source": c.source,
        })
        row = criteria[-1]
        if ko_state == "fails":
            findings.append({"code": "knock_out_failed", "criterion": c.id,
                             "params": {"min": row["knock_out"]["min"], "score": row["score"]}})
        elif ko_state == "not_assessable":
            findings.append({"code": "knock_out_not_assessed", "criterion": c.id, "params": {}})
        if status == "evidence_missing":
            findings.append({"code": "evidence_missing", "criterion": c.id,
                             "params": {"evidence": missing,
                                        "review_points": row["review"]["points"]}})
        elif missing and not reviewed:
            findings.append({"code": "evidence_not_listed", "criterion": c.id,
                             "params": {"evidence": missing}})
        if status == "not_assessed":
            findings.append({"code": "not_assessed", "criterion": c.id,
                             "params": {"points": row["weighted_points"]}})
        if row["self_above_review"]:
            findings.append({"code": "self_above_review", "criterion": c.id,
                             "params": {"self_points": row["self"]["points"],
                                        "review_points": row["review"]["points"],
                                        "difference": row["difference"]}})
        if c.id not in a.self_share:
            findings.append({"code": "self_missing", "criterion": c.id, "params": {}})

    low_i, high_i = int(s.grade_low[r]), int(s.grade_high[r])
    if low_i == high_i:
        status = "knocked_out" if low_i == KNOCKED_OUT else "graded"
    else:
        status = "not_assessable"
    by_id = {row["id"]: row for row in criteria}
    dimensions = []
    for d_index, d in enumerate(scheme.dimensions):
        items = []
        for item in d.children:
            rows = [by_id[cid] for cid in item.children]
            items.append({"id": item.id, "names": names(item.names), "weight": _num(item.weight),
                          "basis": item.basis, "source": item.source,
                          "low": _num(sum(x["score"] or 0 for x in rows)),
                          "high": _num(sum(x["score"] if x["score"] is not None
                                           else x["weighted_points"] for x in rows)),
                          "max": _num(sum(x["weighted_points"] for x in rows)),
                          "criteria": list(item.children)})
        dimensions.append({"id": d.id, "names": names(d.names), "weight": _num(d.weight),
                           "basis": d.basis, "source": d.source,
                           "low": _num(s.dimension_low[r, d_index]),
                           "high": _num(s.dimension_high[r, d_index]),
                           "max": _num(sum(i["max"] for i in items)), "items": items})
    grade = _grade_id(scheme, low_i) if status == "graded" else None
    return {
        "kind": KIND,
        "schema_version": SCHEMA_VERSION,
        "engine_version": __version__,
        "assessment_date": on.isoformat(),
        "organisation": dict(sorted(a.organisation.items())),
        "assessment": dict(sorted(a.info.items())),
        "scheme": _scheme_summary(scheme),
        "status": status,
        "grade": grade,
        "grade_range": {"low": _grade_id(scheme, low_i), "high": _grade_id(scheme, high_i)},
        "knock_out": {KO_HOLDS: "holds", KO_FAILS: "fails"}.get(int(s.knock_out[r]),
                                                                 "not_assessable"),
        "total": {"low": _num(s.low[r]), "high": _num(s.high[r]),
                  "max": _num(scheme.total_points), "self": _num(s.self_total[r])},
        "dimensions": dimensions,
        "criteria": criteria,
        "next_grade": _next_grade(scheme, s, r, criteria),
        "findings": findings,
        "provenance": {"engine_version": __version__, "assessment_date": on.isoformat(),
                       "assessment": a.path, "scheme": scheme.path,
                       "inputs": dict(sorted({a.path: a.sha256,
                                              scheme.path: scheme.sha256}.items()))},
    }


def _scheme_summary(scheme: Scheme) -> dict:
    return {
        "id": scheme.id, "names": names(scheme.names), "version": scheme.version,
        "basis": scheme.basis, "statement": names(scheme.statement),
        "total_points": _num(scheme.total_points),
        "grades": [{"id": g.id, "names": names(g.names), "min": _num(g.min), "source": g.source,
                    "verified": g.verified} for g in scheme.grades],
        "below_grades": scheme.below_grades,
        "rules": {k: scheme.rules[k] for k in sorted(scheme.rules)},
        "assumptions": sorted(k for k, v in scheme.rules.items() if v["basis"] == "assumption"),
        "sources": list(scheme.sources),
        "file": scheme.path, "sha256": scheme.sha256,
    }


def _next_grade(scheme: Scheme, s: Scores, r: int, criteria: list[dict]) -> dict | None:
    """What separates the organisation from the next grade above the one its assessed total
    (low end) reaches: the points needed and the criteria that could give them, most headroom
    first. With a failed knock-out criterion, the criteria that block any grade come first."""
    blocked = [row["id"] for row in criteria
               if (row["knock_out"] or {}).get("state") == "fails"]
    reached = int(np.searchsorted(np.round(scheme.arrays.grade_min, 6), round(float(s.low[r]), 6),
                                  side="right"))
    if reached >= len(scheme.grades):
        return {"grade": None, "needs": None, "candidates": [], "reachable": None,
                "blocked_by": blocked, "grade_without_knock_out": _grade_id(scheme, reached)}
    target = scheme.grades[reached]
    needs = round(target.min - float(s.low[r]), 6)
    candidates = sorted(
        ({"criterion": row["id"], "available": row["headroom"], "status": row["status"]}
         for row in criteria if row["headroom"]),
        key=lambda x: (-x["available"], x["criterion"]))
    available = sum(x["available"] for x in candidates)
    return {"grade": target.id, "needs": _num(needs), "candidates": candidates,
            "reachable": available + 1e-9 >= needs, "blocked_by": blocked,
            "grade_without_knock_out": _grade_id(scheme, reached)}


# --- the ranked, publishable list ----------------------------------------------------------


def ranked_list(results: list[dict], stems: list[str]) -> list[dict]:
    """One row per organisation: rank ("1, 2, 2, 4" by total among the organisations whose grade
    is determinate and not knocked out; none for the others, listed after), grade, total and the
    per-dimension totals. Equal totals share a rank; inside it rows are ordered by name, credit
    code and file, for a stable list."""
    totals = np.array([r["total"]["low"] for r in results], dtype=float)
    ranked = np.array([r["status"] == "graded" for r in results], bool)
    ranks = competition_ranks(totals, ranked)
    rows = []
    for result, stem, rank in zip(results, stems, ranks, strict=True):
        rows.append({
            "rank": int(rank) or None,
            "organisation": result["organisation"]["name"],
            "credit_code": result["organisation"]["credit_code"],
            "status": result["status"],
            "grade": result["grade"],
            "grade_range": result["grade_range"],
            "total": result["total"],
            "dimensions": {d["id"]: {"low": d["low"], "high": d["high"], "max": d["max"]}
                           for d in result["dimensions"]},
            "report": stem,
            "file": result["provenance"]["assessment"],
        })
    rows.sort(key=lambda x: (x["rank"] is None, x["rank"] or 0,
                             -(x["total"]["low"] or 0), x["organisation"], x["credit_code"],
                             x["file"]))
    return rows


def audit_view(result: dict) -> dict:
    """The fields `benchmark.audit.append_record` reads, for an organisation result: the
    assessment as the declaration, the scheme as the programme, status and grade."""
    prov = result["provenance"]
    return {"provenance": {"inputs": prov["inputs"], "evaluation_date": prov["assessment_date"],
                           "engine_version": prov["engine_version"]},
            "declaration": {"file": prov["assessment"]},
            "programme": {"id": f"scheme:{result['scheme']['id']}"},
            "verdict": result["status"],
            "overall_level": {"id": result["grade"] or result["grade_range"]["low"]}}


# --- a batch of files, checked before anything is written ------------------------------------


@dataclass
class OrganisationBatch:
    """What `assess_files` wrote: every file, each result with its report files, the list."""

    outputs: list[Path]
    results: list[tuple[dict, list[Path]]]
    ranked: list[dict]


def assess_files(paths: Iterable[Path], on: dt.date, out_dir: Path,
                 formats: Iterable[str] = ("json", "md"), lang: str = "zh",
                 scheme_ref: str | Path | None = None, data_dir: str | Path | None = None,
                 template_dir: str | None = None,
                 audit: AuditTrail | None = None) -> OrganisationBatch:
    """Assess assessment files (or folders of them) under one scheme — `scheme_ref` (a file or
    an id), else the scheme the assessments name — and write one report set per organisation
    plus the ranked list (CSV, XLSX, Markdown). Every input is checked first: on any problem
    InputError lists them all and nothing is written. With `audit`, the files and the audit
    records of the assessments are written as one step (`report.write_reports`, as `evaluate`
    does: each record names the ranked list's files too)."""
    from benchmark.batch import collect, safe_stem
    from benchmark.organisation.report import FORMATS, LIST_NAME, list_outputs, result_outputs
    from benchmark.organisation.scheme import assessment_from_document, read_assessment
    from benchmark.report import check_formats, write_reports

    formats = list(formats)
    check_formats(formats, FORMATS)
    files = collect(paths)
    if not files:
        raise InputError(Problem("no_input", "no assessment files found",
                                 hint="give assessment files (.yaml/.json) or a folder of them"))
    problems: list[Problem] = []
    docs = []
    for f in files:
        try:
            docs.append(read_assessment(f))
        except InputError as exc:
            problems += exc.problems
    scheme = None
    if scheme_ref is not None:
        try:
            scheme = find_scheme(scheme_ref, data_dir)
        except InputError as exc:
            problems += exc.problems
    elif docs:
        named = sorted({d.data["scheme"] for d in docs})
        if len(named) > 1:
            problems.append(Problem("scheme_mixed", "the assessments name different schemes: "
                                    + ", ".join(named), hint="assess each scheme's "
                                    "organisations separately, or give --scheme"))
        else:
            try:
                scheme = find_scheme(named[0], data_dir)
            except InputError as exc:
                problems += [p.at(docs[0].path, "/scheme", docs[0].line("/scheme"))
                             for p in exc.problems]
    assessments: list[Assessment] = []
    if scheme is not None:
        for doc in docs:
            try:
                assessments.append(assessment_from_document(doc, scheme))
            except InputError as exc:
                problems += exc.problems
    if any(p.severity == "error" for p in problems) or scheme is None:
        raise InputError(problems)
    results = assess(scheme, assessments, on)
    rendered: list[tuple[Path, str | bytes]] = []
    stems, per_result = [], []
    for a, result in zip(assessments, results, strict=True):
        stem = safe_stem(a.path)
        while stem in stems or stem == LIST_NAME:  # the ranked list's files are LIST_NAME.*
            stem += "_"
        stems.append(stem)
        first = len(rendered)
        rendered += [(out_dir / name, content)
                     for name, content in result_outputs(result, stem, formats, lang,
                                                         template_dir)]
        per_result.append((result, [path for path, _ in rendered[first:]]))
    ranked = ranked_list(results, stems)
    dims = [{"id": d.id, "names": names(d.names)} for d in scheme.dimensions]
    rendered += [(out_dir / name, content) for name, content in
                 list_outputs(ranked, results[0]["scheme"], dims, on, lang, template_dir)]
    outputs = write_reports(rendered, out_dir, audit,
                            [(audit_view(result), paths) for result, paths in per_result])
    return OrganisationBatch(outputs, per_result, ranked)
