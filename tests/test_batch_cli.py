"""`benchmark evaluate` at the size a certification body works at, through click's CliRunner: a
folder of 25 declarations and a 1,000-row table. Verdicts of table rows equal the one-by-one
evaluation of the same row written as a declaration file (the same text, the same reader)."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from benchmark.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "declarations"
DATE = "2026-11-23"
RATINGS = [0.75, 1.1, 1.5, 2.2, 3, 4, 5.5, 7.5, 11, 15, 18.5, 22, 1.3, 0.6, 250]


def run(*args) -> object:
    return CliRunner().invoke(main, [str(a) for a in args])


def motor_rows(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        rows.append({"enterprise": f"电机{i % 37}有限公司", "standard": f"Q/DJ {i}-2025",
                     "标准名称": "三相异步电动机",
                     "model": f"0{i:05d}", "rated_power [kW]": rng.choice(RATINGS),
                     "poles": rng.choice([2, 4, 6, 8]),
                     "efficiency": f"≥ {rng.uniform(78, 97):.1f} %",
                     "noise": f"≤ {rng.randint(55, 80)} dB(A)",
                     "vibration": f"≤ {rng.choice([1.2, 1.8, 2.8])} mm/s",
                     "mandatory_conformity": rng.choice(["是", "是", "是", "否"]),
                     "normative_references": rng.choice(["GB 18613-2020",
                                                         "GB 18613-2012; GB/T 1032-2012"])})
    return rows


def declaration(row: dict) -> dict:
    return {"schema": "declaration/1", "enterprise": {"name": row["enterprise"]},
            "standard": {"number": row["standard"], "title": "三相异步电动机",
                         "normative_references": [r.strip() for r in
                                                  row["normative_references"].split(";")]},
            "product": {"category": "three-phase-induction-motor", "model": row["model"],
                        "parameters": {"rated_power": f"{row['rated_power [kW]']} kW",
                                       "poles": row["poles"]}},
            "indicators": {k: row[k] for k in ("efficiency", "noise", "vibration",
                                               "mandatory_conformity")}}


def test_a_folder_of_25_declarations(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shipped = sorted(EXAMPLES.glob("*.yaml"))
    for k in range(25):
        doc = yaml.safe_load(shipped[k % len(shipped)].read_text(encoding="utf-8"))
        doc["standard"]["number"] += f"-{k}"
        (folder / f"d{k:02d}.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True),
                                               encoding="utf-8")
    out = tmp_path / "out"
    res = run("evaluate", folder, "--date", DATE, "--format", "json,md", "-o", out)
    assert res.exit_code == 0, res.output
    assert len(list(out.glob("*.json"))) == 25 and len(list(out.glob("*.zh.md"))) == 25
    with (out / "summary.csv").open(encoding="utf-8-sig") as fh:
        summary = list(csv.DictReader(fh))
    assert len(summary) == 25
    # the same declaration always gets the same verdict, whatever its place in the batch
    by_file = {}
    for row in summary:
        by_file.setdefault(shipped[int(Path(row["file"]).stem[1:]) % len(shipped)].name,
                           set()).add(row["verdict"])
    assert all(len(v) == 1 for v in by_file.values())
    assert (out / "audit.sqlite").exists()


@pytest.fixture(scope="module")
def table_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("table")
    rows = motor_rows(1000, seed=11)
    path = tmp / "motors.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    out = tmp / "out"
    res = run("evaluate", path, "--set", "three-phase-induction-motor", "--date", DATE,
              "--format", "json", "--reports", "all", "--no-audit", "-o", out)
    return rows, res, out, tmp


def test_a_table_of_1000_rows(table_run):
    _rows, res, out, _ = table_run
    assert res.exit_code == 0, res.output
    with (out / "summary.csv").open(encoding="utf-8-sig") as fh:
        summary = list(csv.DictReader(fh))
    assert len(summary) == 1000 and len(list(out.glob("motors-row*.json"))) == 1000
    assert [s["model"] for s in summary[:3]] == ["000000", "000001", "000002"]  # text kept
    verdicts = {s["verdict"] for s in summary}
    assert verdicts == {"eligible", "not_eligible", "not_evaluable"}


@pytest.mark.parametrize("k", [0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987])
def test_table_rows_equal_one_by_one_evaluation(table_run, k, tmp_path):
    rows, res, out, _ = table_run
    assert res.exit_code == 0, res.output
    table = json.loads(next(out.glob(f"motors-row{k + 1}-*.json")).read_text(encoding="utf-8"))
    decl = tmp_path / f"row{k}.yaml"
    decl.write_text(yaml.safe_dump(declaration(rows[k]), allow_unicode=True), encoding="utf-8")
    one = run("evaluate", decl, "--date", DATE, "--format", "json", "--no-audit",
              "-o", tmp_path / "o")
    assert one.exit_code == 0, one.output
    single = json.loads((tmp_path / "o" / f"row{k}.json").read_text(encoding="utf-8"))
    assert table["verdict"] == single["verdict"]
    assert [(i["id"], i["level_lowest"], i["level_highest"]) for i in table["indicators"]] == \
        [(i["id"], i["level_lowest"], i["level_highest"]) for i in single["indicators"]]
    assert [(r["id"], r["outcome"], [x["code"] for x in r["reasons"]]) for r in table["rules"]] \
        == [(r["id"], r["outcome"], [x["code"] for x in r["reasons"]]) for r in single["rules"]]
