"""Programme-defined thresholds: a programme's levels are the grades of its own document (tier
`programme`). The shipped examples are modelled (illustrative values, `modelled: true`,
`verified: false`); the tests assert what those files say:

  T/EXAMPLE 001-2026 (reference_standards/EXAMPLE_T-leader-room-ac.yaml), APF, hp_le4500:
    领跑 ≥ 5.50, 先进 ≥ 5.00, 基准 ≥ 4.50 → APF 5.20 is at the 先进 grade, short of 领跑 by 0.30;
  SZ-EXAMPLE room air conditioner 2026: advanced indicator APF ≥ 5.50 → APF 5.20 fails it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from benchmark.catalogue import check_catalogue, load_catalogue
from benchmark.cli import main

ROOT = Path(__file__).resolve().parents[1]
DECL = ROOT / "examples/declarations/room-ac-kfr-32gw.yaml"


def evaluate(programme: str, tmp_path: Path) -> dict:
    out = tmp_path / programme
    res = CliRunner().invoke(main, ["evaluate", str(DECL), "-p", programme, "--date",
                                    "2026-11-23", "--format", "json", "--no-audit",
                                    "-o", str(out)])
    assert res.exit_code == 0, res.output
    (report,) = [json.loads(f.read_text(encoding="utf-8")) for f in out.glob("*.json")]
    return report


def apf(report: dict) -> dict:
    inds = report["indicators"]
    return next(i for i in (inds if isinstance(inds, list) else inds.values())
                if i["id"] == "apf")


def test_the_examples_are_marked_modelled_and_unverified():
    for name in ("EXAMPLE_T-leader-room-ac.yaml", "EXAMPLE_SZ-rules-room-ac.yaml"):
        data = yaml.safe_load((ROOT / "reference_standards" / name).read_text(encoding="utf-8"))
        assert (data["tier"], data["modelled"], data["verified"]) == ("programme", True, False)
        assert "示例" in data["titles"]["zh"] and "illustrative" in data["titles"]["en"]
    cat = load_catalogue()
    for rid in ("T/EXAMPLE 001-2026", "SZ-EXAMPLE room air conditioner 2026"):
        values = cat.references[rid].values
        assert values and all(v.verified is False for v in values)


def test_leader_levels_are_the_grades_of_its_group_standard(tmp_path):
    report = evaluate("leader-grades-example", tmp_path)
    assert apf(report)["level"] == "grade_advanced"  # 5.00 ≤ 5.20 < 5.50
    (rule,) = [r for r in report["rules"] if r["id"] == "graded-core-leading"]
    assert rule["outcome"] == "fail" and report["verdict"] == "not_eligible"
    assert "Leader grade (T/EXAMPLE 001-2026)" in rule["reasons"][0]["message"]["en"]
    gaps = [g for g in report["gaps"] if g.get("indicator") == "apf"]
    assert gaps and gaps[0]["required"] == pytest.approx(5.50)
    assert gaps[0]["improve_by"] == pytest.approx(0.30)


def test_shenzhen_level_is_its_evaluation_rules_value(tmp_path):
    report = evaluate("shenzhen-rules-example", tmp_path)
    assert apf(report)["level"] == "compliant"  # 5.20 < 5.50: the rules' advanced value
    (rule,) = [r for r in report["rules"] if r["id"] == "advanced-indicators"]
    assert rule["outcome"] == "fail"


def test_the_examples_apply_only_to_the_category_they_name():
    cat = load_catalogue()
    for sid, iset in cat.sets.items():
        has = {"leader-grades-example", "shenzhen-rules-example"} <= set(iset.programmes)
        assert has == (sid == "room-air-conditioner"), sid


def test_a_modelled_document_claiming_to_be_verified_is_refused(tmp_path):
    for folder in ("indicator_sets", "ladders", "programmes", "reference_standards"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    path = tmp_path / "reference_standards/EXAMPLE_T-leader-room-ac.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("verified: false",
                                                             "verified: true"),
                    encoding="utf-8")
    _, report = check_catalogue(tmp_path)
    assert any(p.file.endswith("EXAMPLE_T-leader-room-ac.yaml") and p.severity == "error"
               for p in report.problems)
