"""One row of an Assessment → the evaluation a report shows. It decides nothing: levels, rule
outcomes, reasons and the verdict are read from the assessment's arrays; the comparisons with
each reference value (relation, margin, class reached) and the gaps are the same kernels applied
to that row for display.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from benchmark import __version__, wording
from benchmark.engine.assess import Assessment, IndicatorAssessment, Resolved
from benchmark.engine.compare import Method, judge, margin, relation
from benchmark.engine.levels import required_value, requirement, requirement_thresholds
from benchmark.engine.resolve import strictest
from benchmark.engine.rules import FAIL_REASONS, REASONS
from benchmark.engine.types import (
    FAIL,
    LEVEL_UNKNOWN,
    NO_REFERENCE,
    NOT_APPLICABLE,
    NOT_ASSESSABLE,
    OUT_OF_SCOPE,
    OUTCOMES,
    PASS,
    STATUSES,
    STEP_OUTCOMES,
    STEP_REASONS,
    VERDICTS,
)
from benchmark.model import Indicator, Names

INTERNATIONAL = ("international", "foreign")


def names(n: Names) -> dict[str, str]:
    return {"en": n.en, "zh": n.zh}


def text_of(n: Names | None) -> dict[str, str] | None:
    """A catalogue text (a clause, a note) as {en, zh}, or None when none is written."""
    return names(n) if n is not None else None


def explain(a: Assessment, row: int, declaration: dict[str, Any],
            declared_text: dict[str, str] | None = None, unit_assumed: frozenset = frozenset(),
            inputs: dict[str, str] | None = None) -> dict[str, Any]:
    """The evaluation of one row, JSON-ready (schema: evaluation.schema.json). `declaration`
    is the identity part as read (enterprise, standard, product …); `declared_text` the indicator
    values as written."""
    cat = a.catalogue
    iset = cat.sets[a.population.category]
    programme, ladder = a.programme, a.programme.ladder
    level_names = [names(lv.names) for lv in ladder.levels]
    code = int(a.segment_code[row])
    segment = iset.segments[code] if code >= 0 else None
    used: dict[str, dict] = {}
    indicators = []
    for ind in iset.indicators.values():
        indicators.append(_indicator(a, ind, a.indicators[ind.id], row, used,
                                     (declared_text or {}).get(ind.id), ind.id in unit_assumed,
                                     level_names))
    by_id = {i["id"]: i for i in indicators}
    rules: list[dict[str, Any]] = []
    gaps: list[dict[str, Any]] = []
    for rule in programme.rules:
        rules.append(_rule(a, rule, row, by_id, level_names, gaps))
    low, high, vac = (x[row] for x in a.overall)
    overall = None
    if low >= 0:
        graded = [i["id"] for i in indicators if i["cls"] in programme.overall_classes
                  and i["level_lowest"] is not None]
        overall = {"id": ladder.levels[low].id if low == high else None,
                   "lowest": ladder.levels[low].id, "highest": ladder.levels[high].id,
                   "vacuous": bool(vac), "indicators": graded,
                   "names": _level_label(level_names, int(low), int(high), bool(vac))}
    distribution = {lv.id: 0 for lv in ladder.levels}
    for i in indicators:
        if i["cls"] in programme.overall_classes and i["level"] is not None:
            distribution[i["level"]] += 1
    return {
        "kind": "evaluation", "schema_version": 2,
        "engine_version": __version__, "evaluation_date": a.on.isoformat(),
        "programme": {"id": programme.id, "names": names(programme.names),
                      "basis": programme.basis_kind, "statement": names(programme.statement),
                      "source": programme.source.title if programme.source else None,
                      "note": names(programme.note) if programme.note else None,
                      "ladder": [{"id": lv.id, "names": level_names[k]}
                                 for k, lv in enumerate(ladder.levels)]},
        "declaration": declaration,
        "segment": {"id": segment.id, "names": names(segment.names)} if segment else None,
        "indicators": indicators, "overall_level": overall, "distribution": distribution,
        "rules": rules, "verdict": VERDICTS[int(a.outcome[row])], "gaps": gaps,
        "findings": _findings(a, row, iset, declaration),
        "references_used": [used[k] for k in sorted(used)],
        "provenance": {"engine_version": __version__, "catalogue_sha256": cat.sha256,
                       "inputs": dict(inputs or {}), "evaluation_date": a.on.isoformat(),
                       "include_superseded": a.include_superseded},
    }


def _level_label(level_names: list, low: int, high: int, vacuous: bool) -> dict[str, str]:
    if low == high:
        return wording.text("notice_text", "vacuous_level") if vacuous else level_names[low]
    lowest = wording.text("notice_text", "vacuous_level") if vacuous else level_names[low]
    return wording.text("notice_text", "level_interval", low=lowest, high=level_names[high])


def _indicator(a: Assessment, ind: Indicator, r: IndicatorAssessment, row: int,
               used: dict, declared: str | None, assumed: bool,
               level_names: list) -> dict[str, Any]:
    ladder = a.programme.ladder
    status = int(r.status[row])
    low, high = int(r.lowest[row]), int(r.highest[row])
    value = float(r.value[row]) if np.isfinite(r.value[row]) else None
    label = r.label_at(np.array([row]))[0] if r.label is not None else None
    out: dict[str, Any] = {
        "id": ind.id, "names": names(ind.names), "cls": ind.cls, "unit": ind.unit,
        "digits": ind.digits,  # decimals the indicator is stated to (reports format with it)
        "weight": ind.weight, "direction": ind.direction, "declared": declared,
        "value": value if ind.kind != "ordinal" else None,
        "label": label if not isinstance(label, float) else None,
        "unit_assumed": assumed, "status": STATUSES[status],
        "level": ladder.levels[low].id if low >= 0 and low == high else None,
        "level_lowest": ladder.levels[low].id if low >= 0 else None,
        "level_highest": ladder.levels[high].id if high >= 0 else None,
        "vacuous": bool(r.vacuous[row]) and low >= 0,
        "level_names": (_level_label(level_names, low, high, bool(r.rests[row])) if low >= 0
                        else wording.text("notice_text", "peers_only") if status == NO_REFERENCE
                        else {"en": "—", "zh": "—"}),
        "comparisons": [], "not_covered": [], "steps": [], "notes": [], "notices": [],
        "gaps": {},
        "applicable": status != NOT_APPLICABLE, "no_reference": status == NO_REFERENCE,
        "order": list(ind.order),
    }
    notes = out["notes"]
    if assumed:
        notes.append(wording.text("notice_text", "unit_assumed", unit=ind.unit))
    if status == NOT_APPLICABLE:
        notes.append(wording.text("notice_text", "not_applicable"))
        return out
    if status == OUT_OF_SCOPE:
        notes.append(wording.text("notice_text", "out_of_scope"))
        return out
    if status == NO_REFERENCE:
        notes.append(wording.text("notice_text", "peers_only"))
    steps, step_reasons = r.steps, r.step_reasons
    if steps is None or step_reasons is None or not r.declared[row] or status == NO_REFERENCE:
        return out
    judged = r.resolved_at(row)
    if judged is None:  # not compared (out of scope)
        return out
    method = Method.of(ind)
    lo, hi = method.prepare(r.lo[row:row + 1]), method.prepare(r.hi[row:row + 1])
    applied = judged.applied
    _comparisons(a, ind, out, applied, lo, hi, method.raw, used)
    _outside_scope(out, judged, a.catalogue.sets[a.population.category].parameters)
    for k, lv in enumerate(ladder.levels[1:], start=1):
        reason = STEP_REASONS[int(step_reasons[k, row])]
        pairs = requirement_thresholds(requirement(lv), applied)
        shown = [t for _, t in pairs if np.isfinite(t.low[0])]
        if requirement(lv).of == "most_stringent":
            best = strictest(shown, method.sign, 0)
            shown = [best] if best is not None else []
        out["steps"].append({
            "level": lv.id, "outcome": STEP_OUTCOMES[int(steps[k, row])],
            "reason": reason or None,
            "thresholds": [{"reference": next(a.edition.id for a, x in pairs if x is t),
                            "op": t.op, "value": float(t.high[0] if t.op in ("ge", "gt")
                                                       else t.low[0]),
                            "class_label": t.label} for t in shown]})
    if status == LEVEL_UNKNOWN or (low < len(ladder.levels) - 1 and
                                   steps[low + 1, row] == NOT_ASSESSABLE):
        k = low + 1
        reason = STEP_REASONS[int(step_reasons[k, row])]
        missing = judged.missing
        basis = next((text_of(x.value.basis) for x in applied if x.indicative), None)
        notes.append(wording.text("step_text", reason, basis=basis,
                                  reference=", ".join(e.id for e in missing)))
    if r.rests[row] and low >= 0:
        notes.append(wording.text("notice_text", "vacuous"))
        _notice(out, "vacuous")
    if r.mismatch is not None and r.computed is not None and r.mismatch[row]:
        out["computed"] = float(r.computed[row])
    _international_held(ind, out, applied, method)
    for k in range(low + 1, len(ladder.levels)):
        if (steps[1:k + 1, row] == NOT_ASSESSABLE).any():
            break
        need, ref, strict = required_value(ladder, ladder.levels[k].id, applied, method, 0)
        if need is None or value is None or ind.kind == "ordinal":
            break
        improve_by = round((need - value) * (method.sign or 1), 10) + 0.0  # never -0.0
        out["gaps"][ladder.levels[k].id] = {
            "indicator": ind.id, "level": ladder.levels[k].id, "current": value,
            "required": need, "improve_by": improve_by,
            "unit": ind.unit, "reference": ref, "strict": strict,
            "side": "below" if (method.sign or 1) < 0 else "above",
            "at_limit": round(improve_by, ind.digits if ind.digits is not None else 9) <= 0}
    return out


def _notice(out: dict, code: str) -> None:
    if code not in out["notices"]:
        out["notices"].append(code)


def _comparisons(a: Assessment, ind: Indicator, out: dict, applied: list, lo, hi,
                 method: Method, used: dict) -> None:
    ids = {x.edition.id for x in applied}
    for x in applied:
        tops = [th for th in x.top() if np.isfinite(th.low[0])]
        if not tops:
            out["not_covered"].append({"reference": x.edition.id,
                                       "clause": text_of(x.value.clause),
                                       "message": wording.text("notice_text", "not_covered")})
            continue
        th = tops[0]
        t = float(th.ruled[0]) if np.isfinite(th.ruled[0]) else float(th.high[0])
        m = float(margin(lo, hi, th.op, np.asarray([t]), method)[0])
        reached = None
        for c in x.classes:
            if c is None:
                reached = x.value.classes[-1].label
                break
            if np.isfinite(c.low[0]) and judge(lo, hi, c.op, c.low, c.high, method)[0] == PASS:
                reached = c.label
                break
        mandatory = [judge(lo, hi, mt.op, mt.low, mt.high, method)[0]
                     for mt in x.mandatory() if np.isfinite(mt.low[0])]
        note: list[dict[str, str]] = []
        if x.edition.adoption_degree == "IDT" and x.edition.adoption_source in ids:
            note.append({"en": f"IDT {x.edition.adoption_source}",
                         "zh": f"IDT {x.edition.adoption_source}"})
        if x.indicative:
            _notice(out, "indicative")
            note.append(wording.text("notice_text", "indicative", basis=text_of(x.value.basis),
                                     method=ind.test_method or "—"))
            out["notes"].append(note[-1])
        if th.note and th.low[0] != th.high[0]:  # the between-points rule was used here
            _notice(out, "between_rule")
            out["notes"].append({"en": f"{x.edition.id}: {th.note.en}",
                                 "zh": f"{x.edition.id}：{th.note.zh}"})
        verified = x.verified(th.label)
        out["comparisons"].append({
            "reference": x.edition.id, "tier": x.edition.tier, "mandatory": x.edition.mandatory,
            "verified": verified, "clause": text_of(x.value.clause),
            "source": x.value.source.title if x.value.source else None,
            "url": x.value.source.url if x.value.source else None,
            "adoption": (f"{x.edition.adoption_degree} {x.edition.adoption_source}"
                         if x.edition.adoption_degree else None),
            "op": th.op, "threshold": t,
            "threshold_range": ([float(th.low[0]), float(th.high[0])]
                                if th.low[0] != th.high[0] else None),
            "top_class": th.label, "class_reached": reached,
            "relation": "indicative" if x.indicative else relation(float(lo[0]), float(hi[0]),
                                                                   th.op, t, method),
            "meets_top": bool(judge(lo, hi, th.op, th.low, th.high, method)[0] == PASS),
            "margin_abs": m, "margin_rel": m / abs(t) if t else None,
            "mandatory_met": (None if not mandatory else
                              False if FAIL in mandatory else
                              True if all(c == PASS for c in mandatory) else None),
            "note": ({"en": "; ".join(n["en"] for n in note),
                      "zh": "；".join(n["zh"] for n in note)} if note else None)})
        entry = used.setdefault(x.edition.id, {
            "id": x.edition.id, "titles": names(x.edition.titles), "tier": x.edition.tier,
            "mandatory": x.edition.mandatory, "in_force": x.edition.in_force.isoformat(),
            "status": a.catalogue.status_of(x.edition.id, a.on), "verified": True,
            "file": x.edition.path, "sha256": x.edition.sha256})
        entry["verified"] &= verified


def _outside_scope(out: dict, judged: Resolved, parameters: dict) -> None:
    """Values of the segment whose `where` scope excludes this product: not covered, with the
    scope said (a value applying to none of the row's chunk is not among `applied`)."""
    applies = {id(x.value): bool(x.applies[0]) for x in judged.applied}
    for edition, value in judged.values:
        if value.where and not applies.get(id(value), False):
            out["not_covered"].append({
                "reference": edition.id, "clause": text_of(value.clause),
                "message": wording.text("notice_text", "outside_scope",
                                        scope=wording.scope(value.where, parameters))})


def _international_held(ind: Indicator, out: dict, applied: list, method: Method) -> None:
    """Where the strictest international value held is weaker than the strictest domestic one,
    "international leading" only means beating what is held (issue: motors, IE4 < GB grade 1)."""
    sign = method.sign or 1
    best: dict[bool, tuple[float, str]] = {}
    for c in out["comparisons"]:
        if c["relation"] == "indicative":
            continue
        intl = c["tier"] in INTERNATIONAL
        domestic = c["tier"] in ("national", "sector", "local", "group")
        if (intl or domestic) and (intl not in best
                                   or c["threshold"] * sign > best[intl][0] * sign):
            best[intl] = (c["threshold"], c["reference"])
    if True in best and False in best and best[True][0] * sign < best[False][0] * sign:
        _notice(out, "international_held")
        out["notes"].append(wording.text("notice_text", "international_held",
                                         reference=best[True][1]))


def _rule(a: Assessment, rule, row: int, by_id: dict, level_names: list, gaps: list) -> dict:
    o = a.outcomes[rule.id]
    outcome = OUTCOMES[int(o.codes[row])]
    ladder = a.programme.ladder
    level = level_names[ladder.index(rule.level)] if rule.level else None
    reasons = []
    date = a.on.isoformat()

    def reason(code: str, **values: Any) -> dict:
        fields = {k: values.pop(k, None) for k in ("indicator_id", "observed", "required",
                                                   "gap", "unit", "observed_text", "side",
                                                   "at_limit")}
        shown = fields["observed_text"] or fields["observed"]
        return {"rule": rule.id, "code": code,
                "message": wording.text("reason_text", code, **values,
                                        observed=_shown(shown),
                                        required=_shown(fields["required"]), level=level,
                                        date=date),
                "indicator": fields["indicator_id"], "observed": _plain(fields["observed"]),
                "required": _plain(fields["required"]), "gap": fields["gap"],
                "unit": fields["unit"], "side": fields["side"],
                "at_limit": fields["at_limit"]}

    if outcome != "pass":
        subject_reasons = False
        listed = o.subjects.items() if rule.kind in ("gate", "conjunctive", "ranking_place",
                                                     "composite_place") else ()
        for ind_id, codes in listed:
            c = int(codes[row])
            if not c or (outcome == "fail") != (REASONS[c] in FAIL_REASONS):
                continue  # a failed rule is explained by what fails, not by what is unknown
            subject_reasons = True
            i = by_id[ind_id]
            code = REASONS[c]
            gap = i["gaps"].get(rule.level) if rule.level else None
            if code == "level_below" and gap:
                gaps.append(gap) if gap not in gaps else None
            detail = next((n for n in i["notes"] if n), None) if code == "level_not_assessable" \
                else None
            if rule.kind == "ranking_place":
                reasons.append(reason(code, **_place(a, o, rule, ind_id, i, row)))
                continue
            reasons.append(reason(
                code, indicator=i["names"], indicator_id=ind_id, detail=detail,
                observed=i["value"] if i["value"] is not None else i["declared"],
                observed_text=(level_names[ladder.index(i["level_highest"])]
                               if code == "level_below" else None),
                required=gap["required"] if gap else None,
                gap=gap["improve_by"] if gap else None, unit=i["unit"],
                side=gap["side"] if gap else None, at_limit=gap["at_limit"] if gap else None))
        rc = REASONS[int(o.reason[row])]
        if rule.check == "no_withdrawn_references":
            for ref in a.population_references(row):
                status = a.catalogue.status_of(ref, a.on)
                if status in ("withdrawn", "superseded"):
                    reasons.append(reason(f"reference_{status}", reference=ref, observed=ref))
        elif rule.check == "references_in_force":
            for ref in a.population_references(row):
                status = a.catalogue.status_of(ref, a.on)
                if status in ("unknown", "not_yet_in_force"):
                    code = "reference_unknown" if status == "unknown" else "reference_not_in_force"
                    if outcome == "fail" and code == "reference_unknown":
                        continue  # a failed rule is explained by what fails
                    reasons.append(reason(code, reference=ref, observed=ref))
        elif rc == "standard_number_malformed":
            number = a.population.fields["standard_number"][row]
            reasons.append(reason(rc, observed=str(number), detail=" / ".join(
                f.get("example") or f["type"] for f in rule.forms)))
        elif rc == "out_of_scope":
            reasons.append(reason(rc, detail=_segments_detail(a, row)))
        elif rc and not subject_reasons:
            values: dict[str, Any] = {}
            if rc == "core_count_low":
                n = sum(1 for i in by_id.values() if i["cls"] == "core" and i["declared"]
                        and i["applicable"])
                values = {"observed": n, "required": rule.at_least}
            elif rc in ("count_short", "count_uncertain") and o.reached is not None:
                certain, possible = (int(x[row]) for x in o.reached)
                values = {"observed": certain if rc == "count_uncertain" else possible,
                          "high": possible, "required": rule.at_least}
            elif rc in ("below_composite_cutoff", "no_composite_peers"):
                values = _composite_values(o, rule, row)
            elif (rc in ("score_below", "score_uncertain") and o.score_low is not None
                  and o.score_high is not None):
                pending = [by_id[i]["names"] for i, c in o.subjects.items() if c[row]]
                values = {"low": _fmt(o.score_low[row]), "high": _fmt(o.score_high[row]),
                          "required": rule.pass_mark,
                          "detail": {lang: "、".join(p[lang] for p in pending) if lang == "zh"
                                     else ", ".join(p[lang] for p in pending)
                                     for lang in ("zh", "en")},
                          "gap": (round(rule.pass_mark - float(o.score_high[row]), 2)
                                  if rc == "score_below" else None)}
            reasons.append(reason(rc, **values))
        if rule.kind == "counting" and outcome == "fail":
            for ind_id in (rule.indicators or ()):
                gap = by_id.get(ind_id, {}).get("gaps", {}).get(rule.level)
                if gap and gap not in gaps:
                    gaps.append(gap)
    score = None
    out = {"id": rule.id, "kind": rule.kind, "outcome": outcome, "reasons": reasons,
           "description": names(rule.description) if rule.description else None}
    if o.score_low is not None and o.score_high is not None:
        low, high = float(o.score_low[row]), float(o.score_high[row])
        score = low if low == high else None
        out.update(score=score, score_low=low, score_high=high)
        if o.bonus_low is not None and o.bonus_high is not None:
            out["bonus"] = {"lowest": float(o.bonus_low[row]), "highest": float(o.bonus_high[row])}
    else:
        out["score"] = None
    if o.composite is not None and np.isfinite(o.composite["peers"][row]):
        out["composite"] = _composite_values(o, rule, row)
    return out


def _composite_values(o, rule, row: int) -> dict:
    """What a composite_place rule shows: the applicant's score and place among M peers, the
    cut-off place (top N or top p %) and the score there, and the gap to it."""
    c = {k: float(v[row]) for k, v in o.composite.items()}
    gap = c["cutoff_score"] - c["score"]
    short = _round(gap) if math.isfinite(gap) and gap > 0 else None
    return {"observed": _round(c["score"]), "place": int(c["place"]) if c["place"] > 0 else None,
            "n": int(c["peers"]), "cutoff": int(c["cutoff"]), "top": rule.top,
            "top_percent": rule.top_percent, "required": _round(c["cutoff_score"]),
            "gap": short, "shortfall": short or 0}


def _place(a: Assessment, o, rule, ind_id: str, i: dict, row: int) -> dict:
    """The values a ranking_place reason shows: the applicant's value or margin, the threshold or
    tier boundary required, its tier, the gap, the method and sample."""
    ctx = a.context
    code = int(a.segment_code[row])
    place = ctx.place(ind_id, a.segment_ids[code] if code >= 0 else "") if ctx else None
    r = a.indicators[ind_id]
    values: dict[str, Any] = {"indicator": i["names"], "indicator_id": ind_id,
                              "unit": place.unit if place else i["unit"]}
    if place is None or ctx is None:
        return values
    from benchmark.engine.standing import ranked_value

    value = float(ranked_value(r, ctx.basis, a.margin_reference(ind_id))[row])
    required, tier = (float(o.places[ind_id][0][row]), int(o.places[ind_id][1][row])) \
        if ind_id in o.places else (math.nan, 0)
    gap = (required - value) * place.sign if math.isfinite(required) and math.isfinite(value) \
        else None
    values.update(observed=_round(value), required=_round(required),
                  gap=_round(gap) if gap is not None and gap > 0 else None, tier=tier,
                  tiers=len(place.bounds), best=int(rule.tier or 1), method=ctx.method,
                  n=place.n, detail=_suppressed(place.suppressed),
                  unit_shown=values["unit"] or "",
                  shortfall=_round(gap) if gap is not None and gap > 0 else 0)
    return values


def _suppressed(why: dict | None) -> dict[str, str] | None:
    """Why a ranking is not published ({code, n, value}), in words (zh and en)."""
    if why is None:
        return None
    value = why.get("value")
    return wording.text("notice_text", f"ranking_{why['code']}", n=why["n"],
                        value=None if value is None else f"{value:g}")


def _round(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(f"{x:.6g}")


def _segments_detail(a: Assessment, row: int) -> dict[str, str]:
    """The parameters the segments are defined on, as declared (or missing), and the segments,
    in zh and en."""
    iset = a.catalogue.sets[a.population.category]
    needed = sorted({k for s in iset.segments for k in s.where})
    declared = {}
    for k in needed:
        v = a.population.parameters.get(k)
        x = v[row] if v is not None else None
        missing = x is None or (isinstance(x, float) and np.isnan(x))
        declared[k] = "—" if missing else x
    given = wording.scope({k: [x] for k, x in declared.items()}, iset.parameters)
    scopes = [(s.names, wording.scope(s.where, iset.parameters)) for s in iset.segments]
    return {"zh": f"{given['zh']}；分段：" + " | ".join(f"{n.zh}：{w['zh']}" for n, w in scopes),
            "en": f"{given['en']}; segments: " + " | ".join(f"{n.en}: {w['en']}"
                                                          for n, w in scopes)}


def _findings(a: Assessment, row: int, iset, declaration: dict) -> list[dict]:
    out = []
    for ind in iset.indicators.values():
        r = a.indicators[ind.id]
        if r.mismatch is not None and r.computed is not None and r.mismatch[row]:
            declared = float(a.population.values[ind.id][row])
            computed = float(r.computed[row])
            out.append({"code": "derived_value_mismatch", "indicator": ind.id,
                        "declared": declared, "computed": computed,
                        "message": wording.text("finding_text", "derived_value_mismatch",
                                                indicator=names(ind.names),
                                                observed=_fmt(declared),
                                                required=_fmt(computed, 4),
                                                detail=ind.derived.source)})
    for ref in a.population_references(row):
        status = a.catalogue.status_of(ref, a.on)
        if status in ("withdrawn", "superseded", "unknown"):
            out.append({"code": "normative_reference_" + status, "reference": ref,
                        "message": wording.text("finding_text", "normative_reference_" + status,
                                                reference=ref, date=a.on.isoformat())})
    return out


def _fmt(x: float, digits: int = 6) -> str:
    return f"{float(x):.{digits}g}"


def _plain(x: Any) -> Any:
    """A reason's observed/required value as JSON (level names as the English name)."""
    if isinstance(x, dict):
        return x.get("en")
    return x


def _shown(x: Any) -> Any:
    if isinstance(x, float):
        return _fmt(x)
    return x
