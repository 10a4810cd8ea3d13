"""Rule kind composite_place: within the top N or the top p % of the segment's composite ranking,
the same outcome through `rank` and `evaluate --population`, with the cut-off, the applicant's
place and the gap in the reasons; not evaluable without a population.

Hand working on the golden population (tests/golden/populations/room-ac-hp-le4500.yaml):
composite scores A 1.0, B 1.0, C 0.9, D 0.7, E 0.0 over M = 5 ranked peers; places A 1, B 1,
C 3, D 4, E 5, G 6 (G 2.00 → −2.5). Top 2 (or top 40 %: ceil(0.4·5) = 2): the score at place 2
is 1.0, so C is short by 0.1 and D by 0.3. Top 50 %: ceil(2.5) = 3, so C holds.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from benchmark.catalogue import check_catalogue, load_catalogue
from benchmark.cli import main
from benchmark.engine import FAIL, PASS, UNKNOWN, assess
from benchmark.engine.assess import peer_context
from benchmark.engine.standing import composite_cutoff
from benchmark.population import load_population

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests/golden/populations/room-ac-hp-le4500.csv"
ON = dt.date(2026, 11, 23)
SET = "room-air-conditioner"


def catalogue_with(tmp_path: Path, cutoff: str) -> Path:
    """The shipped catalogue plus a programme `composite-test` (extends leader-selection) whose
    composite rule has the given cut-off (`top: 2`, `top_percent: 40` …)."""
    root = tmp_path / "catalogue"
    for folder in ("indicator_sets", "ladders", "programmes", "reference_standards"):
        shutil.copytree(ROOT / folder, root / folder)
    (root / "programmes/composite-test.yaml").write_text(
        "schema: programme/1\nid: composite-test\nextends: leader-selection\n"
        "names: {zh: 测试, en: Test}\nrules:\n"
        f"  - {{id: composite, kind: composite_place, {cutoff}, indicators: listed}}\n",
        encoding="utf-8")
    return root


def outcomes(a, rule_id: str) -> dict[str, int]:
    names = list(a.population.fields["enterprise"])
    return dict(zip(names, a.outcomes[rule_id].codes.tolist(), strict=True))


@pytest.mark.parametrize(("cutoff", "holds"), [
    ("top: 2", {"A", "B", "F"}), ("top_percent: 40", {"A", "B", "F"}),
    ("top_percent: 50", {"A", "B", "C", "F"}), ("top: 5", {"A", "B", "C", "D", "E", "F"})])
def test_cutoff_holds_for_the_hand_worked_places(tmp_path, cutoff, holds):
    cat = load_catalogue(catalogue_with(tmp_path, cutoff))
    pop = load_population(GOLDEN, cat, SET)
    ranked = assess(pop, cat, "composite-test", ON, population="self")
    judged = assess(pop, cat, "composite-test", ON,
                    population=peer_context(pop, cat, "composite-test", ON))
    for a in (ranked, judged):
        got = outcomes(a, "composite")
        assert {k for k, v in got.items() if v == PASS} == holds
        assert {k for k, v in got.items() if v == FAIL} == set(got) - holds


def test_reasons_give_place_cutoff_and_gap_through_the_cli(tmp_path):
    root = catalogue_with(tmp_path, "top: 2")
    out = tmp_path / "eval"
    res = CliRunner().invoke(main, ["evaluate", str(GOLDEN), "--set", SET, "-p", "composite-test",
                                    "--date", ON.isoformat(), "--population", str(GOLDEN),
                                    "--data-dir", str(root), "--format", "json", "--no-audit",
                                    "-o", str(out)])
    assert res.exit_code == 0, res.output
    reports = {}
    for f in out.glob("*-row*.json"):
        r = json.loads(f.read_text(encoding="utf-8"))
        reports[r["declaration"]["enterprise"]] = r
    for name, place, gap in (("C", 3, 0.1), ("D", 4, 0.3)):
        (rule,) = [x for x in reports[name]["rules"] if x["id"] == "composite"]
        (reason,) = rule["reasons"]
        assert (rule["outcome"], reason["code"]) == ("fail", "below_composite_cutoff")
        assert reason["required"] == pytest.approx(1.0) and reason["gap"] == pytest.approx(gap)
        assert f"place {place} of 5" in reason["message"]["en"]
        assert f"第{place}位" in reason["message"]["zh"] and "第2位" in reason["message"]["zh"]
    (rule,) = [x for x in reports["A"]["rules"] if x["id"] == "composite"]
    assert rule["outcome"] == "pass" and rule["composite"]["place"] == 1
    assert rule["composite"]["cutoff"] == 2 and rule["composite"]["n"] == 5


def test_without_a_population_the_rule_is_not_evaluable_saying_so(tmp_path):
    cat = load_catalogue(catalogue_with(tmp_path, "top: 2"))
    pop = load_population(GOLDEN, cat, SET)
    a = assess(pop, cat, "composite-test", ON)
    assert set(outcomes(a, "composite").values()) == {UNKNOWN}
    from benchmark.engine.rules import REASONS

    assert {REASONS[int(x)] for x in a.outcomes["composite"].reason} == {"population_needed"}


def test_a_composite_rule_needs_exactly_one_cutoff(tmp_path):
    root = catalogue_with(tmp_path, "top: 2, top_percent: 10")
    _, report = check_catalogue(root)
    (p,) = [p for p in report.problems if p.code == "composite_cutoff_missing"]
    assert p.file.endswith("composite-test.yaml") and p.pointer == "/rules/0"


def test_cutoff_of_a_share_rounds_up_and_keeps_at_least_one_place():
    assert composite_cutoff(5, None, 40) == 2
    assert composite_cutoff(5, None, 50) == 3
    assert composite_cutoff(20, None, 5) == 1
    assert composite_cutoff(3, None, 5) == 1
    assert composite_cutoff(0, 10, None) == 0


def test_rank_and_evaluate_agree_on_a_1000_row_population(tmp_path):
    """A property at realistic size: every row's composite outcome and place are the same when
    ranked among its own rows and when judged against the same rows as a peer population."""
    root = catalogue_with(tmp_path, "top_percent: 10")
    cat = load_catalogue(root)
    rng = np.random.default_rng(7)
    base = pd.read_csv(GOLDEN).iloc[0]
    rows = pd.DataFrame([base] * 1000)
    rows["enterprise"] = [f"E{i:04d}" for i in range(1000)]
    rows["apf [W·h/W·h]"] = np.round(rng.uniform(3.0, 6.0, 1000), 2)
    rows["cooling_capacity [W]"] = rng.choice([3500, 5000, 9000], 1000)
    table = tmp_path / "big.csv"
    rows.to_csv(table, index=False)
    pop = load_population(table, cat, SET)
    ranked = assess(pop, cat, "composite-test", ON, population="self")
    judged = assess(pop, cat, "composite-test", ON,
                    population=peer_context(pop, cat, "composite-test", ON))
    a, b = ranked.outcomes["composite"], judged.outcomes["composite"]
    assert (a.codes == b.codes).all()
    assert np.array_equal(a.composite["place"], b.composite["place"], equal_nan=True)
    for code in np.unique(ranked.segment_code):
        seg = ranked.segment_code == code
        m = int(a.composite["peers"][seg][0])
        held = int((a.codes[seg] == PASS).sum())
        assert held >= composite_cutoff(m, None, 10)  # ties may add places, never remove
