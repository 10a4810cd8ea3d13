"""The golden populations of tests/golden/populations/: the hand-worked leaders, tiers, threshold,
exclusions and suppression of each YAML come out the same through `rank`, `evaluate
--population` and the programme cycle (`cycle`)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from benchmark.cli import main

FOLDER = Path(__file__).parent / "golden" / "populations"
CASES = sorted(FOLDER.glob("*.yaml"))
RUNS = [(case, pid) for case in CASES
        for pid in yaml.safe_load(case.read_text(encoding="utf-8"))["programmes"]]


def load(case: Path) -> dict:
    return yaml.safe_load(case.read_text(encoding="utf-8"))


def ident(run: tuple[Path, str]) -> str:
    return f"{run[0].stem}-{run[1]}"


@pytest.mark.parametrize("run", RUNS, ids=ident)
def test_rank_gives_the_hand_worked_leaders(run, tmp_path):
    case_path, pid = run
    case, want = load(case_path), load(case_path)["programmes"][pid]
    out = tmp_path / "rank"
    res = CliRunner().invoke(main, ["rank", str(FOLDER / case["population"]), "--set",
                                    case["set"], "-p", pid, "--date", case["date"],
                                    "--format", "json,parquet", "-o", str(out)])
    assert res.exit_code == 0, res.output
    # the Parquet tables keep ids and codes (the CSV and XLSX are in the report's words)
    composite = pd.read_parquet(out / "composite.parquet")
    assert sorted(composite["enterprise"]) == want["leaders"]
    tiers = pd.read_parquet(out / "tiers.parquet")
    for ind, expected in want.get("tiers", {}).items():
        assert dict(zip(tiers["enterprise"], tiers[f"tier_{ind}"], strict=True)) == expected
    thresholds = pd.read_parquet(out / "thresholds.parquet").set_index("indicator")
    for ind, value in want.get("threshold", {}).items():
        assert thresholds.loc[ind, "threshold"] == pytest.approx(value)
    for ind, value in want.get("floor", {}).items():
        assert thresholds.loc[ind, "floor"] == pytest.approx(value)
    excluded = pd.read_parquet(out / "excluded.parquet").astype(str).set_index("enterprise")
    assert set(excluded.index) == set(want.get("excluded", {}))
    for name, reason in want.get("excluded", {}).items():  # the causes' parameters, as ids
        assert excluded.loc[name, list(reason)].to_dict() == reason
    if "suppressed" in want:
        suppressed = pd.read_parquet(out / "suppressed.parquet")
        assert sorted(suppressed["indicator"]) == sorted(want["suppressed"])


def evaluate_all(case: dict, pid: str, tmp_path: Path) -> dict[str, dict]:
    table = FOLDER / case["population"]
    out = tmp_path / "eval"
    res = CliRunner().invoke(main, ["evaluate", str(table), "--set", case["set"], "-p", pid,
                                    "--date", case["date"], "--population", str(table),
                                    "--format", "json", "--no-audit", "-o", str(out)])
    assert res.exit_code == 0, res.output
    reports = {}
    for f in out.glob("*-row*.json"):
        report = json.loads(f.read_text(encoding="utf-8"))
        reports[report["declaration"]["enterprise"]] = report
    return reports


@pytest.mark.parametrize("run", RUNS, ids=ident)
def test_evaluate_with_the_population_gives_the_same_leaders_and_gaps(run, tmp_path):
    case_path, pid = run
    case, want = load(case_path), load(case_path)["programmes"][pid]
    reports = evaluate_all(case, pid, tmp_path)
    assert sorted(k for k, v in reports.items() if v["verdict"] == "eligible") == want["leaders"]
    for rule_id, gaps in want.get("gaps", {}).items():
        for name, gap in gaps.items():
            (rule,) = [r for r in reports[name]["rules"] if r["id"] == rule_id]
            assert rule["outcome"] == "fail"
            assert rule["reasons"][0]["gap"] == pytest.approx(gap)
    for name, place in want.get("composite_place", {}).items():
        (rule,) = [r for r in reports[name]["rules"] if r["kind"] == "composite_place"]
        assert rule["composite"]["place"] == place
        assert rule["composite"]["observed"] == pytest.approx(want["composite_score"][name])


@pytest.mark.parametrize("run", RUNS, ids=ident)
def test_the_cycle_lists_the_same_leaders(run, tmp_path):
    """Open → snapshot → rank → shortlist → a commitment letter from every shortlisted
    enterprise → public notice without objections → list: exactly the hand-worked leaders."""
    case_path, pid = run
    case, want = load(case_path), load(case_path)["programmes"][pid]
    state = tmp_path / "state"

    def cycle(*args: str) -> str:
        res = CliRunner().invoke(main, ["cycle", args[0], "--state", str(state), "-p", pid,
                                        "--year", "2026", *args[1:]])
        assert res.exit_code == 0, res.output
        return res.output

    cycle("open", "--field", case["set"], "--date", case["date"])
    cycle("snapshot", str(FOLDER / case["population"]), "--field", case["set"],
          "--date", case["date"])
    cycle("rank", "--date", case["date"])
    shortlisted = [line.split("\t")[2] for line in
                   cycle("shortlist", "--date", case["date"]).splitlines()]
    for number in shortlisted:
        cycle("commitment", number, "--date", case["date"])
    cycle("notice-open", "--from", case["date"], "--until", case["date"])
    cycle("notice-close", "--date", case["date"])
    out = tmp_path / "list"
    cycle("publish", "--date", case["date"], "-o", str(out))
    entries = json.loads((out / "list.json").read_text(encoding="utf-8"))["detail"]["entries"]
    assert sorted(e["enterprise"] for e in entries if e["listed"]) == want["leaders"]
