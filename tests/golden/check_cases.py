"""Check the golden verdict cases as data: they parse, have the documented shape, cover every tag.

This script owns the *form* of tests/golden/cases/*.yaml (README.md in this folder): required keys,
the id equal to the file name, known tags, level ids, statuses, rule outcomes, reason and finding
codes, assumption ids, a `data_dir` that exists, the SYNTHETIC FIXTURE label in every fixture file,
and that every tag of README.md's coverage list is used by at least one case. It does not run the
engine and says nothing about whether an expectation is right: that is the runner's job.

Run it by hand (it is not collected by pytest):  .venv/bin/python tests/golden/check_cases.py
Exit status 0 when every case is well formed and every required tag is covered, 1 otherwise.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"

LEVELS = ("non_compliant", "compliant", "domestic_advanced", "domestic_leading",
          "international_advanced", "international_leading")
STATUSES = ("no_reference", "not_declared", "not_applicable", "out_of_scope")
VERDICTS = ("eligible", "not_eligible", "not_evaluable")
OUTCOMES = ("pass", "fail", "not_evaluable")
STEP_REASONS = ("no_reference_of_kind", "between_rule_uncertain", "indicative_basis",
                "edition_values_missing")
NOTICES = ("between_rule",)
RULE_REASONS = ("basic_not_met", "basic_not_declared", "core_count_low", "required_not_declared",
                "reference_withdrawn", "reference_superseded", "out_of_scope", "level_below",
                "level_not_assessable", "indicator_not_declared", "no_reference", "no_subject",
                "count_short", "count_uncertain", "score_below", "score_uncertain")
FINDINGS = ("derived_value_mismatch", "normative_reference_withdrawn",
            "normative_reference_superseded", "normative_reference_unknown")
ASSUMPTIONS = ("issue11-dates", "gb12021.2-2025-values-missing", "jp-toprunner-indicative",
               "gb18613-sub075-point", "superseded-not-withdrawn", "withdrawn-wins",
               "no-domestic-eps-values", "no-iec-2025-governs", "eu2016-eei-same-basis",
               "no-doe-level-vi-governs")
PROGRAMMES = {None: ("leader", "shenzhen"),
              "fixture-catalogue": ("fixture-score", "fixture-counting")}

# Every tag below must be covered by at least one case (README.md, "Tags").
REQUIRED_TAGS = (
    "three_valued_ladder", "counting_unknowns", "score_interval", "tolerance", "directions",
    "within", "target", "equal", "ordinal", "bonus_earned", "vacuous", "status_chain",
    "between_rule", "derived", "indicative", "notice_only_when_used", "rounding", "segment_edge",
    "edition_dates", "gate", "conjunctive", "counting", "weighted_score", "leader", "shenzhen",
    "motor", "room_ac", "refrigerator", "light_source", "eps",
)
TAGS = (*REQUIRED_TAGS, "fixture")
CASE_KEYS = {"id", "title", "covers", "worked", "date", "programme", "declaration", "expect",
             "data_dir", "assumes"}
REQUIRED_CASE_KEYS = CASE_KEYS - {"data_dir", "assumes"}


def _level_problems(where: str, exp: object) -> list[str]:
    if not isinstance(exp, dict):
        return [f"{where}: expected a mapping"]
    problems = []
    forms = [k for k in ("level", "lowest", "status") if k in exp]
    if len(forms) != 1:
        return [f"{where}: give exactly one of level / lowest+highest / status"]
    allowed = {"level", "lowest", "highest", "status", "vacuous", "reasons", "notices"}
    problems += [f"{where}: unknown key {k!r}" for k in exp if k not in allowed]
    if "status" in exp:
        if exp["status"] not in STATUSES:
            problems.append(f"{where}: unknown status {exp['status']!r}")
        if set(exp) - {"status"}:
            problems.append(f"{where}: a status takes no other key")
    for key in ("level", "lowest", "highest"):
        if key in exp and exp[key] not in LEVELS:
            problems.append(f"{where}: unknown level {exp[key]!r}")
    if "lowest" in exp:
        if "highest" not in exp:
            problems.append(f"{where}: lowest without highest")
        elif (exp["highest"] in LEVELS and exp["lowest"] in LEVELS
              and LEVELS.index(exp["lowest"]) >= LEVELS.index(exp["highest"])):
            problems.append(f"{where}: lowest must be below highest (else write level)")
    if "vacuous" in exp and exp["vacuous"] is not True:
        problems.append(f"{where}: vacuous is written only as true")
    problems += [f"{where}: unknown step reason {r!r}" for r in exp.get("reasons", ())
                 if r not in STEP_REASONS]
    problems += [f"{where}: unknown notice {n!r}" for n in exp.get("notices", ())
                 if n not in NOTICES]
    return problems


def _interval_problems(where: str, exp: object) -> list[str]:
    if not isinstance(exp, dict) or set(exp) != {"lowest", "highest"}:
        return [f"{where}: expected {{lowest, highest}}"]
    lo, hi = exp["lowest"], exp["highest"]
    if not all(isinstance(v, (int, float)) for v in (lo, hi)) or not 0 <= lo <= hi <= 100:
        return [f"{where}: expected numbers 0 ≤ lowest ≤ highest ≤ 100"]
    return []


def _rule_problems(where: str, exp: object) -> list[str]:
    if not isinstance(exp, dict) or "outcome" not in exp:
        return [f"{where}: expected a mapping with outcome"]
    problems = [f"{where}: unknown key {k!r}" for k in exp
                if k not in ("outcome", "reasons", "score", "bonus")]
    if exp["outcome"] not in OUTCOMES:
        problems.append(f"{where}: unknown outcome {exp['outcome']!r}")
    reasons = exp.get("reasons", [])
    problems += [f"{where}: unknown reason {r!r}" for r in reasons if r not in RULE_REASONS]
    if exp["outcome"] != "pass" and "reasons" not in exp:
        problems.append(f"{where}: a rule that does not pass names its reasons")
    for key in ("score", "bonus"):
        if key in exp:
            problems += _interval_problems(f"{where}/{key}", exp[key])
    return problems


def case_problems(path: Path) -> tuple[list[str], set[str]]:
    """Every problem of one case file, and the tags it covers."""
    where = path.name
    try:
        case = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        return [f"{where}: not YAML: {exc}"], set()
    if not isinstance(case, dict):
        return [f"{where}: expected a mapping"], set()
    problems = [f"{where}: missing {k}" for k in sorted(REQUIRED_CASE_KEYS - set(case))]
    problems += [f"{where}: unknown key {k!r}" for k in sorted(set(case) - CASE_KEYS)]
    if case.get("id") != path.stem:
        problems.append(f"{where}: id {case.get('id')!r} is not the file name")
    covers = case.get("covers") or []
    problems += [f"{where}: unknown tag {t!r}" for t in covers if t not in TAGS]
    problems += [f"{where}: unknown assumption {a!r}" for a in case.get("assumes", ())
                 if a not in ASSUMPTIONS]
    data_dir = case.get("data_dir")
    if data_dir is not None and not (HERE / data_dir).is_dir():
        problems.append(f"{where}: data_dir {data_dir!r} does not exist")
    if case.get("programme") not in PROGRAMMES.get(data_dir, ()):
        problems.append(f"{where}: programme {case.get('programme')!r} is not one of "
                        f"{PROGRAMMES.get(data_dir, ())} for data_dir {data_dir!r}")
    if (data_dir == "fixture-catalogue") != ("fixture" in covers):
        problems.append(f"{where}: tag fixture if and only if data_dir is fixture-catalogue")
    if not isinstance(case.get("date"), dt.date):
        problems.append(f"{where}: date is not a YYYY-MM-DD date")
    declaration = case.get("declaration") or {}
    if declaration.get("schema") != "declaration/1":
        problems.append(f"{where}: declaration lacks schema: declaration/1")
    expect = case.get("expect") or {}
    problems += [f"{where}: expect: unknown key {k!r}" for k in expect
                 if k not in ("verdict", "indicators", "rules", "findings")]
    if expect.get("verdict") not in VERDICTS:
        problems.append(f"{where}: expect.verdict {expect.get('verdict')!r} unknown")
    for ind, exp in (expect.get("indicators") or {}).items():
        problems += _level_problems(f"{where}: indicators.{ind}", exp)
    for rule, exp in (expect.get("rules") or {}).items():
        problems += _rule_problems(f"{where}: rules.{rule}", exp)
    problems += [f"{where}: unknown finding {f!r}" for f in expect.get("findings") or ()
                 if f not in FINDINGS]
    problems += _verdict_consistency(where, expect)
    return problems, set(covers)


def _verdict_consistency(where: str, expect: dict) -> list[str]:
    """The listed rule outcomes must not contradict the verdict (docs/verdicts.md §5)."""
    outcomes = {e.get("outcome") for e in (expect.get("rules") or {}).values()
                if isinstance(e, dict)}
    verdict = expect.get("verdict")
    if "fail" in outcomes and verdict != "not_eligible":
        return [f"{where}: a listed rule fails but the verdict is {verdict}"]
    if "not_evaluable" in outcomes and verdict == "eligible":
        return [f"{where}: a listed rule is not evaluable but the verdict is eligible"]
    if verdict == "not_eligible" and "fail" not in outcomes:
        return [f"{where}: not_eligible but no listed rule fails"]
    return []


def fixture_problems() -> list[str]:
    return [f"{p.relative_to(HERE)}: not labelled SYNTHETIC FIXTURE"
            for p in sorted((HERE / "fixture-catalogue").rglob("*.yaml"))
            if "SYNTHETIC FIXTURE" not in p.read_text(encoding="utf-8")]


def main() -> int:
    problems: list[str] = []
    covered: dict[str, int] = {tag: 0 for tag in TAGS}
    paths = sorted(CASES.glob("*.yaml"))
    for path in paths:
        case_probs, tags = case_problems(path)
        problems += case_probs
        for tag in tags & set(covered):
            covered[tag] += 1
    problems += [f"tag {tag!r} is covered by no case" for tag in REQUIRED_TAGS if not covered[tag]]
    problems += fixture_problems()
    for line in problems:
        print(line)
    print(f"{len(paths)} cases; tags: "
          + ", ".join(f"{tag} {n}" for tag, n in sorted(covered.items())))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
