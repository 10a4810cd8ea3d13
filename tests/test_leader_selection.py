"""Leader selection is relative (DOMAIN §5 "公开—排行—领跑"): a golden population whose leaders,
tiers, threshold, exclusions and suppression are worked by hand from GB 21455-2019 Table 2 (APF,
heat pump, CC ≤ 4500 W: grade 1 = 5.00, minimum grade 5 = 3.30) and the thresholds module's
documented quantile rule; the same leaders through `rank` and `evaluate --population`.

Hand working (segment hp_le4500, programme leader, peers.threshold percentile:5, tiers 5):
  rows that may be ranked on APF: A 5.50, B 5.50, C 5.40, D 5.20, E 4.50 — F cites the withdrawn
  GB 12021.3-2004 (gate references-valid fails), G 2.00 is below the minimum grade 3.30.
  Goodness sorted: 4.5, 5.2, 5.4, 5.5, 5.5 (n = 5). Top 5 %: position ceil(0.95·4) = 4 → 5.50.
  Tier t boundary: position ceil((1 − t/5)·4): t=1 → 4 (5.50), t=2 → 3 (5.50), t=3 → 2 (5.40),
  t=4 → 1 (5.20), t=5 → the GB minimum 3.30 (stated floor). Tiers: A, B 1; C 3; D 4; E 5.
  Leaders: rule graded-core-leading needs APF > 5.00 (E fails); rule leader-threshold needs
  APF ≥ 5.50 (C short by 0.10, D by 0.30). Leaders: A and B. EER (4.0), indoor (36) and
  outdoor noise (48) are equal everywhere: their rankings are suppressed.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from benchmark.catalogue import load_catalogue
from benchmark.cli import main
from benchmark.engine import assess
from benchmark.engine.rules import RULE_KINDS
from benchmark.leaders import rank_population
from benchmark.population import load_population

ON = dt.date(2026, 11, 23)
SET = "room-air-conditioner"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def row(name, apf, ni=36, no=48, refs="GB 21455-2019"):
    return {"enterprise": name, "standard": f"Q/{name}KT 001-2025", "标准名称": "房间空气调节器",
            "model": f"KFR-35GW/{name}",
            "cooling_capacity [W]": 3500, "type": "heat_pump", "structure": "split",
            "speed_control": "inverter", "mandatory_conformity": "是", "apf [W·h/W·h]": apf,
            "eer [W/W]": 4.0, "noise_indoor [dB(A)]": ni, "noise_outdoor [dB(A)]": no,
            "refrigerant_gwp": 675, "normative_references": refs}


GOLDEN = [row("A", 5.50), row("B", 5.50), row("C", 5.40), row("D", 5.20), row("E", 4.50),
          row("F", 5.60, refs="GB 12021.3-2004"), row("G", 2.00)]
LEADERS = {"A", "B"}


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "golden.csv"
    pd.DataFrame(GOLDEN).to_csv(path, index=False)
    return path


def test_minimum_grade_and_grade_1_are_the_cited_values(cat):
    gb = cat.references["GB 21455-2019"]
    (apf,) = [v for v in gb.values if v.indicator == "apf" and v.segments == ("hp_le4500",)]
    classes = {c.label: c.bound.threshold.constant for c in apf.classes}
    assert apf.minimum_class == "5" and classes["5"] == 3.30 and classes["1"] == 5.00


def test_rank_gives_the_hand_worked_leaders_tiers_and_exclusions(cat, table, tmp_path):
    pop = load_population(table, cat, SET)
    r = rank_population(assess(pop, cat, "leader-selection", ON, population="self"))
    assert set(r.composite["enterprise"]) == LEADERS
    t = r.thresholds.set_index("indicator").loc["apf"]
    assert (t["n"], t["threshold"], t["floor"]) == (5, 5.50, 3.30)
    assert t["edges"] == [5.50, 5.50, 5.40, 5.20, 3.30]
    tiers = r.tiers.set_index("enterprise")["tier_apf"].to_dict()
    assert tiers == {"A": 1, "B": 1, "C": 3, "D": 4, "E": 5, "F": 0, "G": 0}
    why = r.excluded.astype(str).set_index("enterprise")
    assert set(why.index) == {"F", "G"}
    assert why.loc["F", ["reason_code", "gates"]].tolist() == ["gate_failed", "references-valid"]
    assert why.loc["G", ["reason_code", "indicators"]].tolist() == ["below_mandatory", "apf"]
    assert set(r.suppressed["indicator"]) == {"eer", "noise_indoor", "noise_outdoor"}
    assert set(r.suppressed["reason"]) == {"all_equal"}
    # the publishable APF board: tier, boundary, floor stated, enterprise, standard and model
    board = r.boards[r.boards.indicator == "apf"]
    assert [(x.tier, x.boundary, x.enterprise, x.standard_number, x.model)
            for x in board.itertuples()] == [
        (1, 5.50, "A", "Q/AKT 001-2025", "KFR-35GW/A"), (1, 5.50, "B", "Q/BKT 001-2025",
                                                         "KFR-35GW/B"),
        (3, 5.40, "C", "Q/CKT 001-2025", "KFR-35GW/C"), (4, 5.20, "D", "Q/DKT 001-2025",
                                                         "KFR-35GW/D"),
        (5, 3.30, "E", "Q/EKT 001-2025", "KFR-35GW/E")]
    assert (board["floor"] == 3.30).all()
    assert r.boards[r.boards.indicator == "eer"].empty  # suppressed: no board
    # the CLI gives the same leaders
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["rank", str(table), "--set", SET, "-p", "leader-selection",
                                    "--date", ON.isoformat(),
                                    "--format", "json,parquet", "-o", str(out)])
    assert res.exit_code == 0, res.output
    composite = pd.read_parquet(out / "composite.parquet")
    assert set(composite["enterprise"]) == LEADERS


def test_evaluate_with_population_gives_the_same_verdicts_with_threshold_and_gap(table, tmp_path):
    out = tmp_path / "eval"
    res = CliRunner().invoke(main, ["evaluate", str(table), "--set", SET, "-p", "leader-selection",
                                    "--date", ON.isoformat(), "--population", str(table),
                                    "--format", "json", "--no-audit", "-o", str(out)])
    assert res.exit_code == 0, res.output
    reports = {}
    for f in out.glob("*-row*.json"):  # the row reports (not the table's summary.json)
        report = json.loads(f.read_text(encoding="utf-8"))
        reports[report["declaration"]["enterprise"]] = report
    assert {k for k, v in reports.items() if v["verdict"] == "eligible"} == LEADERS
    for name, gap in (("C", 0.10), ("D", 0.30)):
        (rule,) = [x for x in reports[name]["rules"] if x["id"] == "leader-threshold"]
        (reason,) = rule["reasons"]
        assert rule["outcome"] == "fail" and reason["code"] == "below_leader_threshold"
        assert reason["required"] == 5.50 and reason["gap"] == pytest.approx(gap)
        assert "5.5" in reason["message"]["en"] and "percentile:5" in reason["message"]["en"]


def test_without_population_the_relative_rule_is_not_evaluable(cat, table):
    pop = load_population(table, cat, SET)
    a = assess(pop, cat, "leader-selection", ON)
    o = a.outcomes["leader-threshold"]
    assert set(o.codes.tolist()) == {1}  # UNKNOWN everywhere
    assert {int(x) for x in o.reason} == {__import__("benchmark.engine.rules", fromlist=["R"]).R[
        "population_needed"]}
    assert a.verdict[0] == "not_evaluable"  # A would be a leader, but nobody ranked it


def test_top_tier_place(cat, table):
    """place: top_tier with tier 3 holds for A, B, C (tiers 1, 1, 3) and fails D and E."""
    pop = load_population(table, cat, SET)
    a = assess(pop, cat, "leader-selection", ON, population="self")
    rule = next(r for r in a.programme.rules if r.id == "leader-threshold")
    from dataclasses import replace

    from benchmark.engine.rules import RuleInputs

    x = RuleInputs(a.programme, a.indicators, a.segment_code >= 0, a.withdrawn, a.superseded,
                   a.segment_code, a.segment_ids, a.context)
    o = RULE_KINDS["ranking_place"](replace(rule, place="top_tier", tier=3), x)
    names = list(pop.fields["enterprise"])
    fails = {names[i] for i in range(len(names)) if o.codes[i] == 2}
    assert {"D", "E"} <= fails and not fails & {"A", "B", "C"}
    required, tier = o.places["apf"]
    assert required[names.index("D")] == 5.40 and tier[names.index("D")] == 4


def test_issue_example_below_every_threshold_is_not_eligible(tmp_path):
    """The issue's case: the shipped 3.2 kW heat pump (APF 5.20) evaluated against the shipped
    population, whose top 5 % of the hp_le4500 segment's ranked APF values is above 5.20."""
    out = tmp_path / "out"
    res = CliRunner().invoke(main, [
        "evaluate", str(EXAMPLES / "declarations/room-ac-kfr-32gw.yaml"), "-p", "leader-selection",
        "--date", ON.isoformat(), "--population",
        str(EXAMPLES / "populations/room-air-conditioners.csv"), "--format", "json",
        "--no-audit", "-o", str(out)])
    assert res.exit_code == 0, res.output
    (report,) = [json.loads(f.read_text(encoding="utf-8")) for f in out.glob("*.json")]
    (rule,) = [x for x in report["rules"] if x["id"] == "leader-threshold"]
    assert report["verdict"] == "not_eligible" and rule["outcome"] == "fail"
    reason = rule["reasons"][0]
    apf = report["peers"]["apf"]
    assert reason["required"] == pytest.approx(apf["threshold"]) or reason["required"] > 5.20
    assert reason["gap"] == pytest.approx(reason["required"] - 5.20)


# --- comprehensiveness and drafting checks (gate checks, registered in engine/rules.py) ---------

NUMBER_FORMS = (  # the forms the test names; a programme lists its own as data
    {"type": "enterprise", "pattern": r"Q/[A-Z0-9]+ [0-9]+(\.[0-9]+)?-[0-9]{4}"},
    {"type": "group", "pattern": r"T/[A-Z0-9]+ [0-9]+(\.[0-9]+)?-[0-9]{4}"},
    {"type": "national recommended", "pattern": r"GB/T [0-9]+(\.[0-9]+)*-[0-9]{4}"},
)


def gate_inputs(cat, rows):
    from benchmark.engine.rules import RuleInputs
    from benchmark.population import split_references

    pop = load_population_rows(cat, rows)
    a = assess(pop, cat, "leader-selection", ON)
    refs = [split_references(str(t)) for t in pop.fields["normative_references"]]
    return pop, RuleInputs(a.programme, a.indicators, a.segment_code >= 0, a.withdrawn,
                           a.superseded, a.segment_code, a.segment_ids, None, refs,
                           lambda ref: cat.status_of(ref, ON), pop.fields.get("standard_number"))


def load_population_rows(cat, rows):
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "pop.csv"
        pd.DataFrame(rows).to_csv(path, index=False)
        return load_population(path, cat, SET)


def test_standard_number_forms_and_comprehensiveness(cat):
    from benchmark.engine.rules import REASONS, gate
    from benchmark.model import Rule

    rows = [row("A", 5.5), dict(row("B", 5.5), standard="Q/B-KT001-2025"),
            dict(row("C", 5.5), standard="T/CAS 123-2024"), dict(row("D", 5.5), standard="")]
    rows[0].pop("eer [W/W]")
    _pop, x = gate_inputs(cat, rows)
    o = gate(Rule("number", "gate", check="number_well_formed", forms=NUMBER_FORMS), x)
    assert [REASONS[int(c)] for c in o.reason] == ["", "standard_number_malformed", "",
                                                   "standard_number_missing"]
    assert o.codes.tolist() == [0, 2, 0, 1]
    o = gate(Rule("comprehensive", "gate", check="comprehensive", indicators=("apf", "eer")), x)
    assert o.codes.tolist() == [2, 0, 0, 0]  # A does not declare EER
    assert REASONS[int(o.subjects["eer"][0])] == "not_comprehensive"


def test_references_in_force_on_the_date(cat):
    from benchmark.engine.rules import REASONS, gate
    from benchmark.model import Rule

    rows = [row("A", 5.5), row("B", 5.5, refs="GB 21455-2019; GB/T 99999-2030")]
    _, x = gate_inputs(cat, rows)
    o = gate(Rule("refs", "gate", check="references_in_force"), x)
    assert o.codes.tolist() == [0, 1]  # a reference the catalogue does not know: not assessable
    assert REASONS[int(o.reason[1])] == "reference_unknown"
