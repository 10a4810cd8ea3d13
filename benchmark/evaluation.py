"""Evaluating one declaration under one programme: segment → applicable references → comparisons →
levels → rules → verdict, gaps and data-quality findings.

The `Evaluation` result keeps every intermediate; reports are renderings of `Evaluation.to_dict()`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from benchmark import __version__
from benchmark.compare import Method, applicable_values, class_reached, margin, meets, relation
from benchmark.declaration import Declaration, DeclaredValue
from benchmark.errors import InputError, Problem
from benchmark.levels import level_of, required_value
from benchmark.model import Catalogue, Indicator, IndicatorSet, Programme, condition_mask, describe_condition
from benchmark.programmes import Gap, RuleResult, apply_rule, text, verdict


@dataclass
class Comparison:
    """The declared value against one applicable reference value."""

    reference: str
    tier: str
    mandatory: bool
    verified: bool
    clause: str | None
    source: str | None
    url: str | None
    adoption: str | None
    op: str
    threshold: float
    top_class: str | None
    class_reached: str | None
    relation: str  # better | equal | worse
    meets_top: bool
    margin_abs: float
    margin_rel: float | None
    mandatory_met: bool | None
    note: str | None = None


@dataclass
class IndicatorResult:
    id: str
    names: dict[str, str]
    cls: str
    unit: str | None
    weight: float
    direction: str
    declared: str | None  # as written
    value: float | None = None  # canonical value the standard guarantees
    label: Any = None  # booleans / ordinal grades
    unit_assumed: bool = False
    comparisons: list[Comparison] = field(default_factory=list)
    not_covered: list[dict] = field(default_factory=list)
    level: str | None = None
    level_index: int = -1
    level_names: dict[str, str] = field(default_factory=lambda: text("—", "—"))
    steps: list[dict] = field(default_factory=list)
    capped_by: str | None = None
    no_reference: bool = False
    applicable: bool = True  # False: the indicator does not apply to the declaration's segment
    order: tuple[str, ...] = ()
    notes: list[dict[str, str]] = field(default_factory=list)
    gaps: dict[str, Gap] = field(default_factory=dict)

    def earns_bonus(self, target_index: int | None) -> bool:
        """Innovation bonus: a boolean declared true, an ordinal above its lowest grade, or a
        quantity reaching the bonus level (or merely declared when no level is set)."""
        if isinstance(self.label, bool):
            return self.label
        if self.order and self.label is not None:
            return self.label in self.order and self.order.index(self.label) > 0
        if self.value is None:
            return False
        return target_index is None or self.level_index >= target_index


@dataclass
class Evaluation:
    engine_version: str
    evaluation_date: str
    programme: dict
    declaration: dict
    segment: dict | None
    indicators: list[IndicatorResult]
    overall_level: dict | None
    distribution: dict[str, int]
    rules: list[RuleResult]
    verdict: str
    gaps: list[Gap]
    findings: list[dict]
    references_used: list[dict]
    provenance: dict

    def to_dict(self) -> dict:
        return json_safe(asdict(self))


def json_safe(obj: Any) -> Any:
    """JSON-safe: no NaN/inf, floats rounded to 10 significant digits for stable output."""
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


def find_segment(iset: IndicatorSet, params: dict) -> tuple[str | None, dict | None]:
    """The one segment the parameters fall in, or (None, reason) naming what is missing."""
    if not iset.segments:
        return None, None
    arrays = {k: np.asarray([v]) for k, v in params.items()}
    matches = [s for s in iset.segments if condition_mask(s.where, arrays, 1)[0]]
    if len(matches) == 1:
        return matches[0].id, None
    needed = sorted({k for s in iset.segments for k in s.where})
    missing = [k for k in needed if k not in params]
    if missing:
        names = ", ".join(missing)
        return None, text(f"product parameter(s) {names} not declared: the segment cannot be found",
                          f"未声明产品参数 {names}，无法确定适用分段")
    given = "; ".join(f"{k} = {params[k]}" for k in needed)
    scopes = " | ".join(f"{s.id}: {describe_condition(s.where)}" for s in iset.segments)
    return None, text(f"outside every segment ({given}); segments: {scopes}",
                      f"不在任何分段范围内（{given}）；分段：{scopes}")


def guaranteed(ind: Indicator, dv: DeclaredValue) -> float | None:
    """The value a declared requirement guarantees, for comparison: the worst case it allows."""
    if dv.value is None:
        return None
    req = dv.requirement
    if req is None:
        return dv.value
    if req.bound == "range":
        return dv.value if ind.sign >= 0 else dv.upper
    if req.bound == "target" and dv.tolerance is not None:
        return dv.value - ind.sign * dv.tolerance if ind.sign else dv.value
    return dv.value


def evaluate_declaration(decl: Declaration, catalogue: Catalogue, programme_id: str,
                         on: dt.date, include_superseded: bool = False) -> Evaluation:
    iset = catalogue.sets[decl.category]
    programme = iset.programmes.get(programme_id)
    if programme is None:
        raise InputError(Problem("unknown_programme",
                                 f"category {iset.id!r} has no programme {programme_id!r}",
                                 file=decl.path, hint="one of: " + ", ".join(iset.programmes)))
    ladder = programme.ladder
    segment_id, segment_problem = find_segment(iset, decl.parameters)
    in_scope = segment_id is not None or not iset.segments
    findings: list[dict] = []
    used: dict[str, dict] = {}
    results: dict[str, IndicatorResult] = {}
    # rules judge the indicators that apply to this segment; the others are listed, marked
    for ind in iset.indicators.values():
        dv = decl.values.get(ind.id)
        r = IndicatorResult(ind.id, text(ind.names.en, ind.names.zh), ind.cls, ind.unit, ind.weight,
                            ind.direction, dv.text if dv else None, order=ind.order)
        results[ind.id] = r
        if ind.segments is not None and segment_id is not None and segment_id not in ind.segments:
            r.applicable = False
            r.notes.append(text("does not apply to this segment", "该指标不适用于此分段"))
        if dv is None or not r.applicable:
            continue
        r.unit_assumed = dv.unit_assumed
        if dv.unit_assumed:
            r.notes.append(text(f"no unit written; read in {ind.unit}", f"未写单位，按{ind.unit}理解"))
        if dv.label is not None:
            r.label = dv.label
            if ind.kind == "boolean":
                r.level_index = 1 if dv.label else 0
                r.level = ladder.levels[r.level_index].id
                lv = ladder.levels[r.level_index]
                r.level_names = text(lv.names.en, lv.names.zh)
            continue
        r.value = guaranteed(ind, dv)
        if ind.sign == 0 or not in_scope:
            if not in_scope:
                r.notes.append(text("not compared: the product is out of scope", "产品不在适用范围，未比较"))
            continue
        _compare_indicator(ind, r, catalogue, iset, segment_id, decl, on, include_superseded,
                           programme, used)
    _derived_findings(iset, decl, results, findings)
    normative_status = {ref: catalogue.status_of(ref, on) for ref in decl.normative_references}
    for ref, status in normative_status.items():
        if status in ("withdrawn", "superseded"):
            findings.append({"code": "normative_reference_" + status, "reference": ref,
                             "message": text(f"normative reference {ref} is {status} on {on}",
                                             f"规范性引用文件{ref}在{on}已{'废止' if status == 'withdrawn' else '被代替'}")})
        elif status == "unknown":
            findings.append({"code": "normative_reference_unknown", "reference": ref,
                             "message": text(f"normative reference {ref} is not in the catalogue; its status was not checked",
                                             f"规范性引用文件{ref}不在目录中，未核查其状态")})
    ctx = {"date": on.isoformat(), "segment": segment_id, "segment_problem": segment_problem,
           "normative_status": normative_status}
    rule_results, gaps = [], []
    applicable = {k: r for k, r in results.items() if r.applicable}
    for rule in programme.rules:
        rr, rule_gaps = apply_rule(rule, programme, applicable, ctx)
        rule_results.append(rr)
        gaps += [g for g in rule_gaps if g not in gaps]
    overall, distribution = _overall(programme, results)
    segment = None
    if segment_id:
        seg = next(s for s in iset.segments if s.id == segment_id)
        segment = {"id": seg.id, "names": text(seg.names.en, seg.names.zh)}
    return Evaluation(
        engine_version=__version__, evaluation_date=on.isoformat(),
        programme={"id": programme.id, "names": text(programme.names.en, programme.names.zh),
                   "basis": programme.basis_kind,
                   "statement": text(programme.statement.en, programme.statement.zh),
                   "source": programme.source.title if programme.source else None,
                   "ladder": [{"id": lv.id, "names": text(lv.names.en, lv.names.zh)} for lv in ladder.levels]},
        declaration={"file": decl.path, "enterprise": decl.enterprise, "credit_code": decl.credit_code,
                     "standard_number": decl.standard_number, "standard_title": decl.standard_title,
                     "standard_type": decl.standard_type, "category": iset.id,
                     "category_names": text(iset.names.en, iset.names.zh), "model": decl.model,
                     "parameters": {pid: {"names": text(iset.parameters[pid].names.en,
                                                        iset.parameters[pid].names.zh),
                                          "value": value}
                                    for pid, value in decl.parameter_text.items()},
                     "normative_references": decl.normative_references},
        segment=segment, indicators=list(results.values()), overall_level=overall,
        distribution=distribution, rules=rule_results, verdict=verdict(rule_results), gaps=gaps,
        findings=findings, references_used=[used[k] for k in sorted(used)],
        provenance={"engine_version": __version__, "catalogue_sha256": catalogue.sha256,
                    "inputs": {decl.path: decl.sha256}, "evaluation_date": on.isoformat(),
                    "include_superseded": include_superseded})


def _compare_indicator(ind: Indicator, r: IndicatorResult, catalogue: Catalogue, iset: IndicatorSet,
                       segment_id: str | None, decl: Declaration, on: dt.date,
                       include_superseded: bool, programme: Programme, used: dict) -> None:
    method = Method.of(ind)
    applied, uncovered = applicable_values(catalogue, iset.id, ind.id, segment_id, decl.parameters,
                                           on, include_superseded)
    for a in uncovered:
        r.not_covered.append({"reference": a.edition.id, "clause": a.value.clause,
                              "message": text("no threshold for these product parameters",
                                              "该产品参数下无限值")})
    ids = {a.edition.id for a in applied}
    for a in applied:
        op, t, top_label = a.top
        m = float(margin(r.value, t, method))
        mandatory = a.mandatory
        note = None
        if a.edition.adoption_degree == "IDT" and a.edition.adoption_source in ids:
            note = f"identical adoption of {a.edition.adoption_source}: one benchmark"
        r.comparisons.append(Comparison(
            reference=a.edition.id, tier=a.edition.tier, mandatory=a.edition.mandatory,
            verified=a.verified, clause=a.value.clause,
            source=a.value.source.title if a.value.source else None,
            url=a.value.source.url if a.value.source else None,
            adoption=f"{a.edition.adoption_degree} {a.edition.adoption_source}" if a.edition.adoption_degree else None,
            op=op, threshold=t, top_class=top_label,
            class_reached=class_reached(r.value, a.classes, method) if a.classes else None,
            relation=relation(r.value, t, op, method), meets_top=bool(meets(r.value, op, t, method)),
            margin_abs=m, margin_rel=m / abs(t) if t else None,
            mandatory_met=all(bool(meets(r.value, o, th, method)) for o, th, _ in mandatory) if mandatory else None,
            note=note))
        used.setdefault(a.edition.id, {
            "id": a.edition.id, "titles": text(a.edition.titles.en, a.edition.titles.zh),
            "tier": a.edition.tier, "mandatory": a.edition.mandatory,
            "in_force": a.edition.in_force.isoformat(), "status": catalogue.status_of(a.edition.id, on),
            "verified": True, "file": a.edition.path, "sha256": a.edition.sha256})
        used[a.edition.id]["verified"] &= a.verified
        for label, bound, _ in a.classes:
            if bound is not None and bound.threshold.between_note:
                r.notes.append(text(f"{a.edition.id}: {bound.threshold.between_note}",
                                    f"{a.edition.id}：{bound.threshold.between_note}"))
                break
    if not applied:
        r.no_reference = True
        r.level_names = text("not assessed", "未评定")
        r.notes.append(text("no applicable reference value: no level; compared with peers only",
                            "无适用参考值，不评定等级，仅可与同类标准比较"))
        return
    ladder = programme.ladder
    lr = level_of(r.value, applied, ladder, method)
    r.level, r.level_index, r.capped_by = lr.level, lr.index, lr.capped_by
    lv = ladder.levels[lr.index]
    r.level_names = text(lv.names.en, lv.names.zh)
    r.steps = [{"level": s.level, "outcome": s.outcome, "note": s.note,
                "thresholds": [asdict(t) for t in s.thresholds]} for s in lr.steps]
    if lr.capped_by:
        capped = ladder.levels[ladder.index(lr.capped_by)]
        r.notes.append(text(f"{capped.names.en} and above could not be assessed: no applicable reference of that kind",
                            f"无相应参考值，{capped.names.zh}及以上等级无法评定"))
    for level in ladder.levels[lr.index + 1:]:
        need, th = required_value(ladder, level.id, applied, method)
        if need is None or (lr.capped_by and ladder.index(level.id) >= ladder.index(lr.capped_by)):
            break
        strict = not method.rounded and any(
            lv.requires.relation == "beats" for lv in ladder.levels[1:ladder.index(level.id) + 1])
        r.gaps[level.id] = Gap(ind.id, level.id, r.value, need,
                               round((need - r.value) * method.sign, 10), ind.unit,
                               th.reference if th else None, strict)


def _derived_findings(iset: IndicatorSet, decl: Declaration, results: dict, findings: list) -> None:
    """A declared derived value that disagrees with the raw values it derives from."""
    for ind in iset.indicators.values():
        if ind.derived is None or results[ind.id].value is None:
            continue
        inputs = {}
        for name in ind.derived.names:
            if name in decl.parameters and not isinstance(decl.parameters[name], str):
                inputs[name] = decl.parameters[name]
            elif name in results and results[name].value is not None:
                inputs[name] = results[name].value
        if len(inputs) < len(ind.derived.names):
            continue
        computed = float(ind.derived(**inputs))
        declared = results[ind.id].value
        tol = ind.derived_tol_abs + ind.derived_tol_rel * abs(computed) + 1e-9
        if abs(computed - declared) > tol:
            findings.append({"code": "derived_value_mismatch", "indicator": ind.id,
                             "declared": declared, "computed": computed,
                             "message": text(f"declared {ind.names.en} {declared:g} disagrees with "
                                             f"{computed:.4g} computed from {ind.derived.source}",
                                             f"声明的{ind.names.zh} {declared:g} 与按 {ind.derived.source} "
                                             f"计算的 {computed:.4g} 不一致")})


def _overall(programme: Programme, results: dict) -> tuple[dict | None, dict[str, int]]:
    ladder = programme.ladder
    graded = [r for r in results.values()
              if r.cls in programme.overall_classes and r.value is not None and r.level is not None]
    distribution = {lv.id: 0 for lv in ladder.levels}
    for r in graded:
        distribution[r.level] += 1
    if not graded:
        return None, distribution
    low = min(r.level_index for r in graded)
    lv = ladder.levels[low]
    return {"id": lv.id, "names": text(lv.names.en, lv.names.zh),
            "indicators": [r.id for r in graded]}, distribution
