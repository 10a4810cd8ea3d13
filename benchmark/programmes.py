"""Programme rules and the verdict.

Each rule of a programme (gate, conjunctive, counting, weighted score with bonus) gives pass, fail
or not_evaluable with reasons that name the rule, the indicator, the observed and required values
and the gap. The verdict: any failed rule → not eligible; otherwise any rule not evaluable → not
evaluable (naming what is missing); otherwise eligible.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from benchmark.model import Programme, Rule

if TYPE_CHECKING:
    from benchmark.evaluation import IndicatorResult

ELIGIBLE, NOT_ELIGIBLE, NOT_EVALUABLE = "eligible", "not_eligible", "not_evaluable"


def text(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh": zh}


@dataclass
class Reason:
    rule: str
    message: dict[str, str]
    indicator: str | None = None
    observed: float | str | None = None
    required: float | str | None = None
    gap: float | None = None
    unit: str | None = None


@dataclass
class RuleResult:
    id: str
    kind: str
    outcome: str  # pass | fail | not_evaluable
    reasons: list[Reason] = field(default_factory=list)
    score: float | None = None
    description: dict[str, str] | None = None


@dataclass
class Gap:
    """What one indicator needs to reach the level a rule asks for."""

    indicator: str
    level: str
    current: float
    required: float
    improve_by: float
    unit: str | None
    reference: str | None
    strict: bool = False  # full-value method: strictly more than `required` is needed


def _subjects(rule: Rule, results: dict[str, IndicatorResult]) -> list[str]:
    """The indicators a rule judges, among those that apply to the declaration's segment."""
    if rule.indicators:
        return [i for i in rule.indicators if i in results]
    return [i for i, r in results.items() if r.cls in rule.classes]


def _level_name(programme: Programme, level_id: str) -> dict[str, str]:
    lv = programme.ladder.levels[programme.ladder.index(level_id)]
    return text(lv.names.en, lv.names.zh)


def apply_rule(rule: Rule, programme: Programme, results: dict[str, IndicatorResult],
               ctx: dict) -> tuple[RuleResult, list[Gap]]:
    out = RuleResult(rule.id, rule.kind, "pass",
                     description=text(rule.description.en, rule.description.zh) if rule.description else None)
    gaps: list[Gap] = []

    def fail(reason: Reason) -> None:
        out.outcome = "fail"
        out.reasons.append(reason)

    def unknown(reason: Reason) -> None:
        if out.outcome != "fail":
            out.outcome = "not_evaluable"
        out.reasons.append(reason)

    if rule.kind == "gate":
        _gate(rule, results, ctx, fail, unknown)
    elif rule.kind in ("conjunctive", "counting"):
        ladder = programme.ladder
        target = ladder.index(rule.level)
        lname = _level_name(programme, rule.level)
        reached, failing, missing = [], [], []
        subjects = _subjects(rule, results)
        if not subjects:
            unknown(Reason(rule.id, text("no indicator of this rule applies to the product's segment",
                                         "本规则所列指标均不适用于该产品分段")))
        for ind_id in subjects:
            r = results.get(ind_id)
            if r is None or r.value is None or r.level is None:
                missing.append(ind_id)
            elif r.level_index >= target:
                reached.append(ind_id)
            elif r.capped_by is not None and ladder.index(r.capped_by) <= target:
                missing.append(ind_id)
            else:
                failing.append(ind_id)
        if rule.kind == "conjunctive":
            for ind_id in failing:
                r = results[ind_id]
                gap = r.gaps.get(rule.level)
                fail(Reason(rule.id, text(
                    f"{r.names['en']} is {r.level_names['en']}; the rule requires {lname['en']}",
                    f"{r.names['zh']}为{r.level_names['zh']}，规则要求{lname['zh']}"),
                    ind_id, r.value, gap.required if gap else None,
                    gap.improve_by if gap else None, r.unit))
                if gap:
                    gaps.append(gap)
            for ind_id in missing:
                unknown(_missing_reason(rule, ind_id, results, lname))
        else:
            k = rule.at_least or 0
            if len(reached) < k:
                msg = text(f"{len(reached)} indicator(s) reach {lname['en']}; at least {k} required",
                           f"达到{lname['zh']}的指标{len(reached)}项，至少需要{k}项")
                if len(reached) + len(missing) >= k:
                    unknown(Reason(rule.id, msg, observed=len(reached), required=k))
                    for ind_id in missing:
                        unknown(_missing_reason(rule, ind_id, results, lname))
                else:
                    fail(Reason(rule.id, msg, observed=len(reached), required=k))
                    for ind_id in failing:
                        gap = results[ind_id].gaps.get(rule.level)
                        if gap:
                            gaps.append(gap)
    elif rule.kind == "weighted_score":
        _score(rule, programme, results, out, fail, unknown)
    return out, gaps


def _missing_reason(rule: Rule, ind_id: str, results: dict, lname: dict) -> Reason:
    r = results.get(ind_id)
    if r is None or r.value is None:
        return Reason(rule.id, text(f"{ind_id} is not declared", f"未声明指标 {ind_id}"), ind_id)
    if r.level is None:
        return Reason(rule.id, text(f"{r.names['en']}: no level could be given ("
                                    + "; ".join(n["en"] for n in r.notes) + ")",
                                    f"{r.names['zh']}：无法评定等级（" + "；".join(n["zh"] for n in r.notes) + "）"),
                      ind_id)
    return Reason(rule.id, text(
        f"{r.names['en']}: {lname['en']} cannot be assessed — no applicable reference value",
        f"{r.names['zh']}：无适用参考值，无法评定{lname['zh']}"), ind_id)


def _gate(rule: Rule, results: dict, ctx: dict, fail, unknown) -> None:
    if rule.check == "basic_pass":
        for ind_id, r in results.items():
            if r.cls != "basic":
                continue
            if r.value is None and r.label is None:
                unknown(Reason(rule.id, text(f"basic indicator {r.names['en']} is not declared",
                                             f"未声明基础指标{r.names['zh']}"), ind_id))
            elif r.label is False or (r.value is not None and r.level_index < 1):
                fail(Reason(rule.id, text(f"basic indicator {r.names['en']} is not met",
                                          f"基础指标{r.names['zh']}不符合"), ind_id, r.declared))
    elif rule.check == "core_count":
        declared = [i for i, r in results.items() if r.cls == "core" and r.declared is not None]
        if len(declared) < (rule.at_least or 0):
            fail(Reason(rule.id, text(
                f"{len(declared)} core indicator(s) declared; at least {rule.at_least} required",
                f"声明核心指标{len(declared)}项，至少需要{rule.at_least}项"),
                observed=len(declared), required=rule.at_least))
    elif rule.check == "required_present":
        for ind_id in _subjects(rule, results):  # indicators that apply to the segment
            r = results[ind_id]
            if r.declared is None:
                unknown(Reason(rule.id, text(f"required indicator {r.names['en']} is not declared",
                                             f"未声明必备指标{r.names['zh']}"), ind_id))
    elif rule.check == "no_withdrawn_references":
        for ref, status in ctx["normative_status"].items():
            if status in ("withdrawn", "superseded"):
                fail(Reason(rule.id, text(f"normative reference {ref} is {status} on {ctx['date']}",
                                          f"规范性引用文件{ref}在{ctx['date']}已{'废止' if status == 'withdrawn' else '被代替'}"),
                            observed=ref))
    elif rule.check == "in_scope":
        if ctx["segment"] is None and ctx["segment_problem"]:
            unknown(Reason(rule.id, ctx["segment_problem"]))


def _score(rule: Rule, programme: Programme, results: dict, out: RuleResult, fail, unknown) -> None:
    levels = programme.ladder.levels
    total = weight = 0.0
    for ind_id in _subjects(rule, results):
        r = results[ind_id]
        if r.declared is None:
            unknown(Reason(rule.id, text(f"{r.names['en']} is not declared", f"未声明{r.names['zh']}"),
                           ind_id))
            continue
        if r.level_index < 0 or r.no_reference:
            continue  # peers only: not scored, said in the indicator's notes
        total += r.weight * (levels[r.level_index].score or 0.0)
        weight += r.weight
    if weight == 0:
        unknown(Reason(rule.id, text("no scorable indicator", "无可计分指标")))
        return
    score = total / weight
    bonus = rule.bonus or {}
    if bonus:
        earned = 0.0
        target = programme.ladder.index(bonus["level"]) if bonus.get("level") else None
        for r in results.values():
            if r.cls not in bonus["classes"] or r.declared is None:
                continue
            if r.earns_bonus(target):
                earned += bonus["points"]
        score += min(earned, bonus.get("max", earned))
    score = round(min(score, 100.0), 2)
    out.score = score
    if out.outcome == "pass" and score < (rule.pass_mark or 0):
        fail(Reason(rule.id, text(f"weighted score {score:g} is below the pass mark {rule.pass_mark:g}",
                                  f"加权得分{score:g}低于合格线{rule.pass_mark:g}"),
                    observed=score, required=rule.pass_mark, gap=round(rule.pass_mark - score, 2)))


def verdict(rule_results: list[RuleResult]) -> str:
    outcomes = {r.outcome for r in rule_results}
    if "fail" in outcomes:
        return NOT_ELIGIBLE
    if "not_evaluable" in outcomes:
        return NOT_EVALUABLE
    return ELIGIBLE
