"""Organisational scored schemes and assessments: the model and the loaders.

A **scheme** (schema `org-scheme/1`, folder `schemes/`) is an indicator tree dimension → item →
criterion. Each criterion has full points, an optional weight (a criterion counts points × its own
weight × its item's × its dimension's), a scoring kind (`yes_no`, `graded` 0..points in steps,
`proportion` of the points), the evidence it requires, and may be a knock-out criterion. A grade
ladder gives each grade's minimum total; the scheme's rules (missing evidence, knock-out, grade
boundary, self above review) each say whether a document gives them or they are assumptions.

An **assessment** (schema `org-assessment/1`) is one organisation's self-assessment (value and
evidence references per criterion) and the reviewer's value, note and the evidence not found.

Loading checks what the schema cannot (unique ids, the points adding up to the total, the ladder
increasing, values of the criterion's kind and range, known evidence ids, the credit code) and
reports every problem together. Values become the **share** of the criterion's points attained
(0..1), so scoring (`score.py`) works on arrays only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from benchmark.catalogue import text_form
from benchmark.credit_code import check_credit_code
from benchmark.errors import Hint, InputError, Problem, worded
from benchmark.loading import (
    Document,
    non_finite_problems,
    pointer_join,
    read_document,
    schema_problems,
)
from benchmark.model import Names
from benchmark.organisation.score import SchemeArrays

KINDS = ("yes_no", "graded", "proportion")
HAIR = 1e-9  # float slack when a value is checked against a step or a bound


@dataclass(frozen=True)
class Evidence:
    id: str
    names: Names


@dataclass(frozen=True)
class Criterion:
    """One scored criterion; `weight` is the combined weight (own × item × dimension)."""

    id: str
    names: Names
    kind: str
    points: float
    weight: float
    dimension: str
    item: str
    evidence: tuple[Evidence, ...] = ()
    step: float = 1.0
    digits: int = 2
    knock_out_min: float | None = None  # points the review must give; None: not a knock-out
    basis: str = "modelled"
    source: str | None = None
    guidance: dict | None = None

    @property
    def weighted_points(self) -> float:
        return self.points * self.weight

    @property
    def knock_out_share(self) -> float:
        """The share of the points a knock-out criterion needs (NaN when not a knock-out)."""
        if self.knock_out_min is None:
            return math.nan
        return 1.0 if self.points == 0 else self.knock_out_min / self.points


@dataclass(frozen=True)
class Group:
    """A node of the tree above the criteria: a dimension (`children`: its items, Groups) or an
    item (`children`: its criterion ids)."""

    id: str
    names: Names
    weight: float
    children: tuple
    basis: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Grade:
    id: str
    names: Names
    min: float
    source: str | None = None
    verified: bool = True


@dataclass(frozen=True)
class Scheme:
    id: str
    names: Names
    basis: str
    statement: Names
    total_points: float
    rules: dict
    grades: tuple[Grade, ...]
    below_grades: dict
    dimensions: tuple[Group, ...]
    criteria: tuple[Criterion, ...]
    path: str
    sha256: str
    version: str | None = None
    sources: tuple[dict, ...] = ()

    @cached_property
    def index(self) -> dict[str, int]:
        return {c.id: k for k, c in enumerate(self.criteria)}

    @cached_property
    def arrays(self) -> SchemeArrays:
        dims = {d.id: k for k, d in enumerate(self.dimensions)}
        return SchemeArrays(
            points=np.array([c.points for c in self.criteria], dtype=float),
            weight=np.array([c.weight for c in self.criteria], dtype=float),
            dimension=np.array([dims[c.dimension] for c in self.criteria], dtype=np.int64),
            n_dimensions=len(self.dimensions),
            knock_out=np.array([c.knock_out_share for c in self.criteria], dtype=float),
            grade_min=np.array([g.min for g in self.grades], dtype=float),
            tolerance=float(self.rules["self_above_review"].get("tolerance", 0.0)),
        )


@dataclass
class Assessment:
    """One organisation's assessment, values already turned into shares of the points."""

    path: str
    sha256: str
    scheme_id: str
    organisation: dict
    info: dict
    self_share: dict[str, float] = field(default_factory=dict)
    self_value: dict[str, Any] = field(default_factory=dict)
    self_evidence: dict[str, dict[str, str]] = field(default_factory=dict)
    review_share: dict[str, float] = field(default_factory=dict)
    review_value: dict[str, Any] = field(default_factory=dict)
    review_note: dict[str, str] = field(default_factory=dict)
    reviewed: set[str] = field(default_factory=set)
    evidence_not_found: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def missing_evidence(self, criterion: Criterion) -> list[str]:
        """Required evidence ids not listed by the self-assessment or not found by the reviewer,
        in the scheme's order."""
        listed = self.self_evidence.get(criterion.id, {})
        not_found = set(self.evidence_not_found.get(criterion.id, ()))
        return [e.id for e in criterion.evidence if e.id not in listed or e.id in not_found]


# --- loading a scheme ------------------------------------------------------------------------


def _read(path: str | Path, schema: str, display: str | None) -> Document:
    doc, problems = read_document(path, display)
    if doc is not None and not [p for p in problems if p.severity == "error"]:
        problems += schema_problems(doc, schema) + non_finite_problems(doc)
    if doc is None or any(p.severity == "error" for p in problems):
        raise InputError(problems)
    return doc


def _divides(step: float, value: float) -> bool:
    ratio = value / step
    return abs(ratio - round(ratio)) <= HAIR * max(1.0, abs(ratio))


def scheme_from_document(doc: Document) -> Scheme:
    """The scheme of a schema-valid document, or InputError with every problem found."""
    data = doc.data
    problems: list[Problem] = []
    seen: dict[str, str] = {}

    def unique(kind: str, ident: str, pointer: str) -> None:
        key = f"{kind}:{ident}"
        if key in seen:
            problems.append(doc.problem("duplicate_id", f"{kind} id {ident!r} is used twice "
                                        f"(first at {seen[key]})", pointer + "/id"))
        seen.setdefault(key, pointer)

    criteria: list[Criterion] = []
    dimensions: list[Group] = []
    for d, dim in enumerate(data["dimensions"]):
        dptr = f"/dimensions/{d}"
        unique("dimension", dim["id"], dptr)
        items = []
        for i, item in enumerate(dim["items"]):
            iptr = f"{dptr}/items/{i}"
            unique("item", item["id"], iptr)
            ids = []
            for c, crit in enumerate(item["criteria"]):
                cptr = f"{iptr}/criteria/{c}"
                unique("criterion", crit["id"], cptr)
                criterion = _criterion(doc, crit, cptr, dim, item, problems)
                criteria.append(criterion)
                ids.append(criterion.id)
            items.append(_group(item, tuple(ids)))
        dimensions.append(_group(dim, tuple(items)))
    total = sum(c.weighted_points for c in criteria)
    if abs(total - data["total_points"]) > HAIR * max(1.0, total):
        problems.append(doc.problem(
            "points_total_mismatch", f"the criteria give {total:g} weighted points; the scheme "
            f"says total_points {data['total_points']:g}", "/total_points",
            "make points × weights add up to total_points"))
    grades = [Grade(g["id"], Names.of(g["names"]), float(g["min"]), g.get("source"),
                    g.get("verified", True))
              for g in data["grades"]]
    for k, grade in enumerate(grades):
        unique("grade", grade.id, f"/grades/{k}")
        if k and grade.min <= grades[k - 1].min:
            problems.append(doc.problem("grades_not_increasing",
                                        f"grade {grade.id!r} starts at {grade.min:g}, not above "
                                        f"{grades[k - 1].id!r} ({grades[k - 1].min:g})",
                                        f"/grades/{k}/min", "list grades lowest first"))
        if grade.min > data["total_points"]:
            problems.append(doc.problem("grade_unreachable",
                                        f"grade {grade.id!r} needs {grade.min:g} of "
                                        f"{data['total_points']:g} points", f"/grades/{k}/min"))
    if data["below_grades"]["id"] in {g.id for g in grades}:
        problems.append(doc.problem("duplicate_id", "below_grades uses a grade's id",
                                    "/below_grades/id"))
    if problems:
        raise InputError(problems)
    return Scheme(id=data["id"], names=Names.of(data["names"]), basis=data["basis"],
                  statement=Names.of(data["statement"]), total_points=float(data["total_points"]),
                  rules=data["rules"], grades=tuple(grades), below_grades=data["below_grades"],
                  dimensions=tuple(dimensions), criteria=tuple(criteria), path=doc.path,
                  sha256=doc.sha256, version=data.get("version"),
                  sources=tuple(_source(s) for s in data.get("sources", ())))


def _source(source: dict) -> dict:
    """A cited source with its title, what was read there and its note as {zh, en} (a plain
    string reads the same in both languages)."""
    out = dict(source)
    for key in ("title", "read", "note"):
        text = text_form(source.get(key))
        if text is not None:
            out[key] = {"zh": text.zh, "en": text.en}
    return out


def _group(node: dict, children: tuple) -> Group:
    return Group(node["id"], Names.of(node["names"]), float(node.get("weight", 1.0)), children,
                 node.get("basis"), node.get("source"))


def _criterion(doc: Document, crit: dict, pointer: str, dim: dict, item: dict,
               problems: list[Problem]) -> Criterion:
    kind, points = crit["kind"], float(crit["points"])
    step = float(crit.get("step", 1.0))
    knock = crit.get("knock_out", False)
    knock_min = points if knock is True else (float(knock["min"]) if knock else None)
    if kind != "graded" and "step" in crit:
        problems.append(doc.problem("option_wrong_kind", "step applies to graded criteria only",
                                    pointer + "/step"))
    if kind != "proportion" and "digits" in crit:
        problems.append(doc.problem("option_wrong_kind",
                                    "digits applies to proportion criteria only",
                                    pointer + "/digits"))
    if points == 0 and not (kind == "yes_no" and knock is True):
        problems.append(doc.problem("points_zero", "only a yes/no knock-out gate may have 0 points",
                                    pointer + "/points", "give the criterion its points"))
    if kind == "graded" and points > 0 and not _divides(step, points):
        problems.append(doc.problem("step_not_dividing", f"step {step:g} does not divide the "
                                    f"points {points:g}", pointer + "/step"))
    if isinstance(knock, dict) and knock_min is not None and knock_min > points:
        problems.append(doc.problem("knock_out_above_points", f"knock-out minimum {knock_min:g} "
                                    f"is above the criterion's {points:g} points",
                                    pointer + "/knock_out/min"))
    evidence_ids = [e["id"] for e in crit["evidence"]]
    for k, ident in enumerate(evidence_ids):
        if ident in evidence_ids[:k]:
            problems.append(doc.problem("duplicate_id", f"evidence id {ident!r} is used twice",
                                        f"{pointer}/evidence/{k}/id"))
    weight = (float(crit.get("weight", 1.0)) * float(item.get("weight", 1.0))
              * float(dim.get("weight", 1.0)))
    return Criterion(
        id=crit["id"], names=Names.of(crit["names"]), kind=kind, points=points, weight=weight,
        dimension=dim["id"], item=item["id"],
        evidence=tuple(Evidence(e["id"], Names.of(e["names"])) for e in crit["evidence"]),
        step=step, digits=int(crit.get("digits", 2)), knock_out_min=knock_min,
        basis=crit.get("basis", "modelled"), source=crit.get("source"),
        guidance=crit.get("guidance"))


def load_scheme(path: str | Path, display: str | None = None) -> Scheme:
    """Read, validate and check one scheme file; InputError lists every problem."""
    return scheme_from_document(_read(path, "org-scheme", display))


# --- loading an assessment -------------------------------------------------------------------


def _share(doc: Document, criterion: Criterion, value: Any, pointer: str,
           problems: list[Problem]) -> float | None:
    """The share of the criterion's points a value gives, or None with a problem."""
    def wrong(expected: str) -> None:
        problems.append(doc.problem("value_wrong_kind", f"criterion {criterion.id!r} is "
                                    f"{criterion.kind}: expected {expected}, got {value!r}",
                                    pointer, f"write {expected}"))

    if criterion.kind == "yes_no":
        if not isinstance(value, bool):
            wrong("true or false")
            return None
        return 1.0 if value else 0.0
    if criterion.kind == "graded":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            wrong(f"points from 0 to {criterion.points:g}")
            return None
        if not -HAIR <= value <= criterion.points + HAIR:
            problems.append(doc.problem("value_out_of_range",
                                        f"{value:g} points is outside 0..{criterion.points:g} for "
                                        f"criterion {criterion.id!r}", pointer))
            return None
        if not _divides(criterion.step, value):
            problems.append(doc.problem("value_not_on_step",
                                        f"{value:g} points is not a multiple of the step "
                                        f"{criterion.step:g} of criterion {criterion.id!r}",
                                        pointer))
            return None
        return float(value) / criterion.points
    if isinstance(value, dict):
        if value["count"] > value["of"]:
            problems.append(doc.problem("value_out_of_range",
                                        f"count {value['count']} is more than of {value['of']}",
                                        pointer + "/count"))
            return None
        share = Decimal(value["count"]) / Decimal(value["of"])
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        wrong("a share from 0 to 1, or {count: k, of: n}")
        return None
    elif not 0 <= value <= 1:
        problems.append(doc.problem("value_out_of_range", f"share {value:g} is outside 0..1 for "
                                    f"criterion {criterion.id!r}", pointer,
                                    "write 0.9 for 90 %, or {count: 9, of: 10}"))
        return None
    else:
        share = Decimal(repr(float(value)))
    attained = (share * Decimal(repr(criterion.points))).quantize(
        Decimal(1).scaleb(-criterion.digits), rounding=ROUND_HALF_EVEN)
    return float(attained) / criterion.points


def assessment_from_document(doc: Document, scheme: Scheme) -> Assessment:
    """The assessment of a schema-valid document under `scheme`; InputError lists every
    problem (unknown scheme or criteria, values of the wrong kind or range, unknown evidence ids,
    a wrong credit code)."""
    data = doc.data
    problems: list[Problem] = []
    if data["scheme"] != scheme.id:
        problems.append(doc.problem("scheme_mismatch", f"the assessment is under scheme "
                                    f"{data['scheme']!r}, not {scheme.id!r}", "/scheme"))
    org = dict(data["organisation"])
    for p in check_credit_code(org["credit_code"]):
        problems.append(p.at(doc.path, "/organisation/credit_code",
                             doc.line("/organisation/credit_code")))
    out = Assessment(path=doc.path, sha256=doc.sha256, scheme_id=data["scheme"], organisation=org,
                     info=dict(data.get("assessment") or {}))
    by_id = {c.id: c for c in scheme.criteria}
    for cid, entry in data["criteria"].items():
        pointer = pointer_join("/criteria", cid)
        criterion = by_id.get(cid)
        if criterion is None:
            problems.append(doc.problem("criterion_unknown", f"scheme {scheme.id!r} has no "
                                        f"criterion {cid!r}", pointer,
                                        _nearest(cid, list(by_id)),
                                        **worded("no_such_criterion", scheme=scheme.id,
                                                 id=cid)))
            continue
        known = {e.id for e in criterion.evidence}
        own = entry.get("self") or {}
        review = entry.get("review") or {}
        if "value" in own:
            share = _share(doc, criterion, own["value"], pointer + "/self/value", problems)
            if share is not None:
                out.self_share[cid] = share
                out.self_value[cid] = own["value"]
        evidence = own.get("evidence") or {}
        for ident in evidence:
            if ident not in known:
                choices = ", ".join(sorted(known))
                problems.append(doc.problem("evidence_unknown", f"criterion {cid!r} requires no "
                                            f"evidence {ident!r}",
                                            pointer_join(pointer + "/self/evidence", ident),
                                            Hint("one of: " + choices, "one_of", choices=choices)
                                            if known else Hint("this criterion requires no "
                                                               "evidence", "no_evidence"),
                                            **worded("evidence_not_required", criterion=cid,
                                                     id=ident)))
        out.self_evidence[cid] = {k: v for k, v in evidence.items() if k in known}
        for k, ident in enumerate(review.get("evidence_not_found") or []):
            if ident not in known:
                problems.append(doc.problem("evidence_unknown", f"criterion {cid!r} requires no "
                                            f"evidence {ident!r}",
                                            f"{pointer}/review/evidence_not_found/{k}",
                                            **worded("evidence_not_required", criterion=cid,
                                                     id=ident)))
        not_found = tuple(i for i in review.get("evidence_not_found") or [] if i in known)
        if not_found:
            out.evidence_not_found[cid] = not_found
        if "value" in review:
            share = _share(doc, criterion, review["value"], pointer + "/review/value", problems)
            if share is not None:
                out.review_share[cid] = share
                out.review_value[cid] = review["value"]
        if "value" in review or not_found:
            out.reviewed.add(cid)
        if review.get("note"):
            out.review_note[cid] = review["note"]
    if problems:
        raise InputError(problems)
    return out


def _nearest(word: str, choices: list[str]) -> Hint | None:
    """The one choice spelt most like `word`, as a hint worded in labels.yaml `reading_hints`
    (`did_you_mean`)."""
    import difflib

    close = difflib.get_close_matches(word, choices, n=1)
    return Hint(f"did you mean {close[0]!r}?", "did_you_mean", matches=close[0]) if close \
        else None


def read_assessment(path: str | Path, display: str | None = None) -> Document:
    """The schema-valid document of an assessment file (InputError otherwise)."""
    return _read(path, "org-assessment", display)


def load_assessment(path: str | Path, scheme: Scheme, display: str | None = None) -> Assessment:
    return assessment_from_document(read_assessment(path, display), scheme)


def shipped_scheme_files(data_dir: str | Path | None = None) -> list[Path]:
    """The scheme files `find_scheme` looks through (for `benchmark validate` with no paths)."""
    from benchmark.organisation.assess import SCHEME_SUFFIXES, scheme_folders

    return [p for folder in scheme_folders(data_dir) if folder.is_dir()
            for p in sorted(folder.iterdir())
            if p.suffix.lower() in SCHEME_SUFFIXES and not p.name.startswith(".")]


def validate_organisation_files(paths: list[Path],
                                data_dir: str | Path | None = None) -> list[Problem]:
    """Every problem of scheme and assessment files (for `benchmark validate`). An assessment is
    checked against the scheme it names, looked up among the given schemes, then by id."""
    from benchmark.organisation.assess import find_scheme

    problems: list[Problem] = []
    schemes: dict[str, Scheme] = {}
    docs: list[Document] = []
    for path in paths:
        doc, found = read_document(path)
        if doc is None or any(p.severity == "error" for p in found):
            problems += found
            continue
        kind = "org-scheme" if doc.data.get("schema") == "org-scheme/1" else "org-assessment"
        found += schema_problems(doc, kind) + non_finite_problems(doc)
        problems += found
        if any(p.severity == "error" for p in found):
            continue
        if kind == "org-assessment":
            docs.append(doc)
            continue
        try:
            scheme = scheme_from_document(doc)
            schemes[scheme.id] = scheme
        except InputError as exc:
            problems += exc.problems
    for doc in docs:
        try:
            scheme = schemes.get(doc.data["scheme"]) or find_scheme(doc.data["scheme"], data_dir)
            assessment_from_document(doc, scheme)
        except InputError as exc:
            problems += [p.at(doc.path, "/scheme", doc.line("/scheme")) for p in exc.problems]
    return problems
