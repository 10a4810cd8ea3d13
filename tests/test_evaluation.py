"""Evaluating declarations: golden cases from cited tables, GB/T 8170 boundaries, programme rules,
not-evaluable cases, determinism and the `evaluate` command.

Motor thresholds are IEC 60034-30-1 classes as given by the EU 2019/1781 formulas (UK SI 2021/745
Schedule 16 Table 28): 4-pole 1.5 kW IE2 82.8, IE3 85.3, IE4 88.2 (the latter computed from the
cited coefficients); GB 18613-2020 4-pole 1.5 kW grades 1/2/3 = 90.4/88.2/85.3.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark.catalogue import load_catalogue
from benchmark.cli import main
from benchmark.credit_code import expected_check_character
from benchmark.declaration import load_declaration
from benchmark.engine.compare import Method, round_half_even, satisfies
from benchmark.evaluation import evaluate_declaration
from benchmark.report import labels, render_json, render_markdown

DATE = dt.date(2026, 11, 23)
CODE = "91330100MA2XXXXX1" + expected_check_character("91330100MA2XXXXX1")


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def motor(tmp_path: Path, efficiency="≥ 90.6 %", rated_power="1.5 kW", poles=4, **extra) -> Path:
    indicators = {"mandatory_conformity": "符合", "noise": "不大于 62 dB(A)",
                  "vibration": "≤1.8 mm/s"}
    if efficiency is not None:
        indicators["efficiency"] = efficiency
    indicators.update(extra)
    params = {"poles": poles, "construction": "general"}  # EU 2019/1781 floors depend on it
    if rated_power is not None:
        params["rated_power"] = rated_power
    doc = {"enterprise": {"name": "测试电机有限公司", "credit_code": CODE},
           "standard": {"number": "Q/TEST 001-2025", "title": "三相异步电动机",
                        "normative_references": ["GB 18613-2020"]},
           "product": {"category": "three-phase-induction-motor", "model": "T-1",
                       "parameters": params},
           "indicators": indicators}
    path = tmp_path / f"motor-{len(list(tmp_path.iterdir()))}.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def run(catalogue, path: Path, programme="leader") -> dict:
    decl = load_declaration(path, catalogue)
    return evaluate_declaration(decl, catalogue, programme, DATE).to_dict()


def efficiency(result: dict) -> dict:
    return next(i for i in result["indicators"] if i["id"] == "efficiency")


def comparison(result: dict, reference: str, classes: bool = True) -> dict:
    return next(c for c in efficiency(result)["comparisons"]
                if c["reference"] == reference and (c["top_class"] is not None) == classes)


# --- golden: classes from the cited formulas and tables ---------------------------------------

@pytest.mark.parametrize("power, poles, declared, ie_class, gb_grade", [
    ("1.5 kW", 4, "≥ 85.3 %", "IE3", "3"),      # exactly IE3 = GB grade 3 = 85.3
    ("1.5 kW", 4, "≥ 82.8 %", "IE2", None),     # IE2 82.8: below GB grade 3 → no GB grade
    ("1.5 kW", 4, "≥ 88.2 %", "IE4", "2"),      # IE4 = GB grade 2 = 88.2
    ("7.5 kW", 2, "≥ 90.1 %", "IE3", "3"),      # IE3 2-pole 7.5 kW = GB grade 3 = 90.1
    ("7.5 kW", 2, "≥ 91.7 %", "IE4", "2"),      # GB grade 2 2-pole 7.5 kW = 91.7 = IE4
    ("7500 W", 2, "≥ 91.7 %", "IE4", "2"),      # same rating written in W
    ("11 kW", 6, "≥ 90.3 %", "IE3", "3"),       # GB grade 3 6-pole 11 kW = 90.3
    ("1.5 kW", 4, "≥ 81.0 %", "below IE2", None),
])
def test_motor_classes(catalogue, tmp_path, power, poles, declared, ie_class, gb_grade):
    result = run(catalogue, motor(tmp_path, declared, power, poles))
    assert comparison(result, "EU 2019/1781")["class_reached"] == ie_class
    assert comparison(result, "GB 18613-2020")["class_reached"] == gb_grade


def test_gb_minimum_is_grade_3(catalogue, tmp_path):
    ok = run(catalogue, motor(tmp_path, "≥ 85.3 %"))
    low = run(catalogue, motor(tmp_path, "≥ 85.2 %"))
    assert comparison(ok, "GB 18613-2020")["mandatory_met"] is True
    assert comparison(low, "GB 18613-2020")["mandatory_met"] is False
    assert efficiency(ok)["level"] == "compliant"
    assert efficiency(low)["level"] == "non_compliant"


# --- GB/T 8170: rounded-value and full-value methods at the boundary ---------------------------

@pytest.mark.parametrize("value, digits, expected", [
    (85.25, 1, 85.2),   # dropped 5 after an even digit: stays
    (85.35, 1, 85.4),   # dropped 5 after an odd digit: goes up
    (85.251, 1, 85.3),  # more than half
    (2.675, 2, 2.68),   # decimal half even though the float is a hair below
    (-1.25, 1, -1.2),
])
def test_round_half_even(value, digits, expected):
    assert float(round_half_even(value, digits)) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("declared, rounded_meets, full_meets", [
    (85.3, True, True),     # on the boundary: equal meets "≥"
    (85.26, True, False),   # rounds to 85.3 under the rounded-value method only
    (85.25, False, False),  # rounds to 85.2
    (85.29999, True, False),
])
def test_boundary_under_both_methods(declared, rounded_meets, full_meets):
    ie3 = 85.3
    assert bool(meets(declared, "ge", ie3, Method(sign=1, rounded=True, digits=1))) is rounded_meets
    assert bool(meets(declared, "ge", ie3, Method(sign=1))) is full_meets


def test_rounded_method_in_an_evaluation(catalogue, tmp_path):
    """Efficiency is compared by the rounded-value method to 0.1 %: 85.26 counts as 85.3 (IE3)."""
    result = run(catalogue, motor(tmp_path, "≥ 85.26 %"))
    assert comparison(result, "EU 2019/1781")["class_reached"] == "IE3"
    assert comparison(result, "EU 2019/1781", classes=False)["relation"] == "equal"


def meets(value, op, threshold, method):
    return satisfies(value, value, op, threshold, method)


def test_strict_bound_and_equal_is_not_better():
    lower = Method(sign=-1)
    assert bool(meets(30.0, "lt", 30.0, lower)) is False  # EU noise class A is "< 30"
    assert bool(meets(29.9, "lt", 30.0, lower)) is True
    with_tolerance = Method(sign=1, tol_abs=0.05)
    assert bool(meets(85.26, "gt", 85.3, with_tolerance)) is False  # equal within tolerance


# --- levels and rules --------------------------------------------------------------------------

def test_leader_eligible_with_reasons_and_provenance(catalogue, tmp_path):
    path = motor(tmp_path, "≥ 90.6 %")
    result = run(catalogue, path)
    assert result["verdict"] == "eligible"
    # IEC 60034-30-1:2025, in force, has no values in the catalogue: above domestic leading the
    # level is not assessable (edition_values_missing), never judged on the 2014 classes
    eff = efficiency(result)
    assert (eff["level_lowest"], eff["level_highest"]) == ("domestic_leading",
                                                         "international_leading")
    assert result["overall_level"]["lowest"] == "domestic_leading"
    assert set(result["provenance"]["inputs"]) == {str(path)}
    assert len(result["provenance"]["catalogue_sha256"]) == 64
    used = {r["id"]: r for r in result["references_used"]}
    assert used["GB 18613-2020"]["verified"] is False  # grade 1 is unverified → the report says so


def test_shenzhen_conjunctive_failure_on_one_indicator(catalogue, tmp_path):
    """87.0 % misses IE4 (88.2) and GB grade 1 (90.4). The ladder is cumulative, so international
    advanced also needs domestic leading: beating 90.4 by one rounded step, 90.5 %."""
    result = run(catalogue, motor(tmp_path, "≥ 87.0 %"), programme="shenzhen")
    assert result["verdict"] == "not_eligible"
    failed = [r for r in result["rules"] if r["outcome"] == "fail"]
    assert [r["id"] for r in failed] == ["advanced-indicators"]
    reason = failed[0]["reasons"][0]
    assert reason["indicator"] == "efficiency"
    assert reason["observed"] == pytest.approx(87.0)
    assert reason["required"] == pytest.approx(90.5)
    assert reason["gap"] == pytest.approx(3.5)
    gap = next(g for g in result["gaps"] if g["indicator"] == "efficiency")
    assert gap["level"] == "international_advanced" and gap["unit"] == "%"


def test_not_evaluable_outside_every_segment(catalogue, tmp_path):
    result = run(catalogue, motor(tmp_path, "≥ 97 %", rated_power="2000 kW"))
    assert result["verdict"] == "not_evaluable"
    assert result["segment"] is None
    messages = " ".join(x["message"]["en"] for r in result["rules"] for x in r["reasons"])
    assert "outside every segment" in messages and "Rated output power" in messages


def test_not_evaluable_names_the_missing_required_indicator(catalogue, tmp_path):
    result = run(catalogue, motor(tmp_path, efficiency=None), programme="shenzhen")
    assert result["verdict"] == "not_evaluable"
    missing = [x for r in result["rules"] for x in r["reasons"] if x["indicator"] == "efficiency"]
    assert missing and "not declared" in missing[0]["message"]["en"]


def test_too_few_core_indicators_fails_the_leader_gate(catalogue, tmp_path):
    result = run(catalogue, motor(tmp_path, efficiency=None))
    assert result["verdict"] == "not_eligible"
    gate = next(r for r in result["rules"] if r["id"] == "core-count")
    assert gate["outcome"] == "fail" and gate["reasons"][0]["observed"] == 2


def test_missing_parameter_is_not_evaluable(catalogue, tmp_path):
    result = run(catalogue, motor(tmp_path, rated_power=None))
    assert result["verdict"] == "not_evaluable"
    messages = " ".join(x["message"]["en"] for r in result["rules"] for x in r["reasons"])
    assert "Rated output power" in messages


def test_indicator_without_reference_gets_no_level(catalogue, tmp_path):
    result = run(catalogue, motor(tmp_path))
    noise = next(i for i in result["indicators"] if i["id"] == "noise")
    assert noise["level"] is None and noise["no_reference"] is True
    assert "peers only" in noise["notes"][0]["en"]


def test_evaluation_date_selects_minimums_in_force(catalogue, tmp_path):
    """EU 2019/1781's IE4 minimum for 75–200 kW applies from 2023-07-01 only."""
    path = motor(tmp_path, "≥ 95.0 %", rated_power="90 kW", poles=4)
    decl = load_declaration(path, catalogue)
    before = evaluate_declaration(decl, catalogue, "leader", dt.date(2022, 1, 1)).to_dict()
    after = evaluate_declaration(decl, catalogue, "leader", DATE).to_dict()

    def limits(r):
        return sorted(c["threshold"] for c in efficiency(r)["comparisons"]
                      if c["reference"] == "EU 2019/1781" and c["top_class"] is None)

    assert len(limits(after)) == len(limits(before)) + 1


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=80.0, max_value=95.0), st.floats(min_value=0.0, max_value=3.0))
def test_raising_a_value_never_lowers_its_level(catalogue, a, delta):
    """Both ends of the level interval are monotone in the declared value."""
    import numpy as np

    from benchmark.engine.levels import walk
    from benchmark.engine.resolve import applicable

    iset = catalogue.sets["three-phase-induction-motor"]
    ladder = iset.programmes["leader"].ladder
    ind = iset.indicators["efficiency"]
    params = {"rated_power": np.array([1.5, 1.5]), "poles": np.array([4, 4])}
    applied = applicable(catalogue, ind, iset.id, "p4", params, 2, DATE)
    v = np.array([a, a + delta])
    w = walk(ladder, applied, [], v, v, Method.of(ind))
    assert w.lowest[1] >= w.lowest[0] and w.highest[1] >= w.highest[0]


# --- outputs -----------------------------------------------------------------------------------

def test_reports_are_deterministic(catalogue, tmp_path):
    path = motor(tmp_path, "≥ 87.0 %")
    first, second = run(catalogue, path), run(catalogue, path)
    assert render_json(first) == render_json(second)
    assert render_markdown(first, "zh") == render_markdown(second, "zh")


def test_markdown_report_in_both_languages(catalogue, tmp_path):
    result = run(catalogue, motor(tmp_path, "≥ 87.0 %"), programme="shenzhen")
    zh, en = render_markdown(result, "zh"), render_markdown(result, "en")
    assert "不符合条件" in zh and "额定效率" in zh
    assert "NOT ELIGIBLE" in en and "Rated efficiency" in en
    assert "improve by 3.5 percentage points" in en  # the gap of a percentage, in points


def test_markdown_escapes_input_text(catalogue, tmp_path):
    path = motor(tmp_path)
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["enterprise"]["name"] = "<script>alert(1)</script> | x"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    md = render_markdown(run(catalogue, path), "en")
    assert "<script>" not in md and "\\<script\\>" in md


def test_evaluate_command_writes_reports_only_under_output(tmp_path):
    decl = motor(tmp_path, "≥ 87.0 %")
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["evaluate", str(decl), "--programme", "shenzhen",
                                    "--date", "2026-11-23", "--lang", "en", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert res.output.startswith(labels("en")["ranking"]["not_eligible"])  # the verdict in words
    written = sorted(p.name for p in out.iterdir())
    assert written == ["audit.sqlite", "audit.sqlite.anchor", f"{decl.stem}.en.md",
                       f"{decl.stem}.json", "summary.csv"]
    data = json.loads((out / f"{decl.stem}.json").read_text(encoding="utf-8"))
    assert data["verdict"] == "not_eligible"


def test_evaluate_refuses_bad_input_and_writes_nothing(tmp_path):
    good = motor(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text(encoding="utf-8").replace("≤1.8 mm/s", "≤1.8 kg")
                   .replace("1.5 kW", "1.5 kWw"), encoding="utf-8")
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["evaluate", str(good), str(bad), "--date", "2026-11-23",
                                    "-o", str(out)])
    assert res.exit_code == 2
    assert "unit_dimension_mismatch" in res.output and "unit_unknown" in res.output
    assert "Traceback" not in res.output
    assert not out.exists()


def test_bad_credit_code_is_reported(catalogue, tmp_path):
    path = motor(tmp_path)
    wrong = CODE[:-1] + ("0" if CODE[-1] != "0" else "1")
    path.write_text(path.read_text(encoding="utf-8").replace(CODE, wrong), encoding="utf-8")
    res = CliRunner().invoke(main, ["validate", str(path)])
    assert res.exit_code == 2
    assert "credit_code_check_digit" in res.output


@pytest.mark.parametrize("programme, declared", [("leader", "≥ 90.6 %"), ("shenzhen", "≥ 87.0 %"),
                                                  ("leader", None)])
def test_json_follows_the_published_schema(catalogue, tmp_path, programme, declared):
    from benchmark.loading import validator

    result = json.loads(render_json(run(catalogue, motor(tmp_path, declared), programme)))
    errors = list(validator("evaluation").iter_errors(result))
    assert errors == []
    result["verdict"] = "probably"
    assert list(validator("evaluation").iter_errors(result))  # the schema can fail


def test_each_indicator_carries_the_digits_of_its_indicator_set(catalogue, tmp_path):
    """Reports format numbers with the indicator's digits: the evaluation gives the set's."""
    result = run(catalogue, motor(tmp_path))
    iset = catalogue.sets["three-phase-induction-motor"]
    assert {i["id"]: i["digits"] for i in result["indicators"]} == \
        {ind.id: ind.digits for ind in iset.indicators.values()}
    efficiency = next(i for i in result["indicators"] if i["id"] == "efficiency")
    assert efficiency["digits"] == 1  # comparison: {method: rounded, digits: 1}


def test_rule_with_no_applicable_indicator_is_not_evaluable_not_passed():
    """A conjunctive rule whose listed indicators do not apply to the segment must not pass."""
    import numpy as np

    from benchmark.engine.rules import REASONS, RuleInputs, conjunctive
    from benchmark.model import Ladder, Level, Names, Programme, Rule

    ladder = Ladder("l", Names("l", "l"),
                    (Level("a", Names("a", "a")), Level("b", Names("b", "b"))))
    rule = Rule("all-core", "conjunctive", level="b", indicators=("apf",))
    prog = Programme("p", Names("p", "p"), "modelled", Names("s", "s"), None, ladder,
                     ("core",), (rule,))
    none = np.zeros(1, dtype=bool)
    result = conjunctive(rule, RuleInputs(prog, {}, ~none, none, none))
    assert result.codes[0] == 1 and REASONS[result.reason[0]] == "no_subject"


def test_indicator_outside_its_segments_is_not_required(catalogue, tmp_path):
    """SEER applies to cooling-only units: a heat pump is not asked for it."""
    seer = catalogue.sets["room-air-conditioner"].indicators["seer"]
    example = Path(__file__).parent.parent / "examples/declarations/room-ac-kfr-32gw.yaml"
    result = run(catalogue, example)
    assert result["segment"]["id"] not in seer.segments  # precondition: a heat-pump segment
    reasons = [x for r in result["rules"] for x in r["reasons"]]
    assert not any(x["indicator"] == "seer" for x in reasons)
    seer_row = next(i for i in result["indicators"] if i["id"] == "seer")
    assert seer_row["applicable"] is False


def refrigerator(tmp_path: Path, eei: str, annual: str | None = None) -> Path:
    src = Path(__file__).parent.parent / "examples/declarations/refrigerator-bcd-400.yaml"
    doc = yaml.safe_load(src.read_text(encoding="utf-8"))
    doc["indicators"]["eei"] = eei
    if annual is None:
        doc["indicators"].pop("annual_energy")
    else:
        doc["indicators"]["annual_energy"] = annual
    path = tmp_path / f"fridge-{len(list(tmp_path.iterdir()))}.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("eei, eu_class", [
    ("≤ 41 %", "A"),     # EU 2019/2016 Annex II Table 1: A is EEI ≤ 41
    ("≤ 41.5 %", "B"),   # B is 41 < EEI ≤ 51 (rounded to whole %: 41.5 → 42, half to even)
    ("≤ 51 %", "B"),     # upper edge of B is closed
    ("≤ 51.6 %", "C"),
    ("≤ 41.4 %", "A"),   # GB/T 8170 rounded-value method to whole %: 41.4 → 41
])
def test_refrigerator_eei_against_eu_classes(catalogue, tmp_path, eei, eu_class):
    result = run(catalogue, refrigerator(tmp_path, eei))
    row = next(i for i in result["indicators"] if i["id"] == "eei")
    eu = next(c for c in row["comparisons"] if c["reference"] == "EU 2019/2016")
    assert eu["class_reached"] == eu_class


def test_declared_eei_that_disagrees_with_its_raw_values_is_a_finding(catalogue, tmp_path):
    """EEI = annual energy / standard annual energy × 100: 200 / 550.8 → 36.3, not 41."""
    bad = run(catalogue, refrigerator(tmp_path, "≤ 41 %", annual="≤ 200 kWh/a"))
    good = run(catalogue, refrigerator(tmp_path, "≤ 36.3 %", annual="≤ 200 kWh/a"))
    finding = [f for f in bad["findings"] if f["code"] == "derived_value_mismatch"]
    assert finding and finding[0]["computed"] == pytest.approx(36.31, abs=0.01)
    assert not [f for f in good["findings"] if f["code"] == "derived_value_mismatch"]
