"""`benchmark verify` on a peer ranking (ranking.json): ranked again from the table and mapping
its provenance names, with its recorded settings; an edited field, a changed table and a dataset
of parts each said so."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from benchmark.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "populations"
ON = "2026-11-23"


def run(*args) -> object:
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def table(tmp_path_factory) -> Path:
    """1,000 room ACs drawn from the example (APF jittered, models unique), as an export."""
    base = pd.read_csv(EXAMPLES / "room-air-conditioners.csv", dtype=str, keep_default_na=False)
    rng = np.random.default_rng(7)
    frame = base.iloc[rng.integers(0, len(base), 1000)].reset_index(drop=True)
    apf = pd.to_numeric(frame["apf [W·h/W·h]"], errors="coerce")
    frame["apf [W·h/W·h]"] = np.where(apf.notna(), (apf * rng.uniform(0.97, 1.03, 1000))
                                      .round(2).astype(str), frame["apf [W·h/W·h]"])
    frame["型号"] = frame["型号"] + "-" + pd.Series(np.arange(1000)).astype(str)
    path = tmp_path_factory.mktemp("verify") / "room-ac.csv"
    frame.to_csv(path, index=False)
    return path


def ranked(table: Path, out: Path, *extra) -> Path:
    result = run("rank", table, "--set", "room-air-conditioner", "--date", ON, "--format",
                 "json", "-o", out, "-q", *extra)
    assert result.exit_code == 0, result.output
    return out / "ranking.json"


@pytest.mark.parametrize("extra", [(), ("-p", "leader-selection", "--method", "percentile:10",
                                        "--shortlist", "3", "--tiers", "4", "--seed", "3")])
def test_a_ranking_verifies_with_its_recorded_settings(table, tmp_path, extra):
    report = ranked(table, tmp_path / "out", *extra)
    prov = json.loads(report.read_text(encoding="utf-8"))["provenance"]
    assert prov["population"] == {"file": str(table), "mapping": None}
    assert prov["include_superseded"] is False
    result = run("verify", report)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{report}: matches"


def test_a_ranking_with_a_mapping_verifies(tmp_path):
    table = tmp_path / "registry.csv"
    mapping = tmp_path / "registry.mapping.yaml"
    shutil.copy(EXAMPLES / "registry-refrigerators.csv", table)
    shutil.copy(EXAMPLES / "registry-refrigerators.mapping.yaml", mapping)
    out = tmp_path / "out"
    result = run("rank", table, "--set", "household-refrigerator", "--mapping", mapping,
                 "--date", ON, "--format", "json", "-o", out, "-q")
    assert result.exit_code == 0, result.output
    prov = json.loads((out / "ranking.json").read_text(encoding="utf-8"))["provenance"]
    assert prov["population"] == {"file": str(table), "mapping": str(mapping)}
    result = run("verify", out / "ranking.json")
    assert result.exit_code == 0, result.output


def test_an_edited_threshold_is_named_by_its_pointer(table, tmp_path):
    report = ranked(table, tmp_path / "out")
    data = json.loads(report.read_text(encoding="utf-8"))
    was = data["thresholds"][0]["threshold"]
    data["thresholds"][0]["threshold"] = was + 1
    report.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = run("verify", report)
    assert result.exit_code == 1
    assert "/thresholds/0/threshold: error [report_field_changed]" in result.output


def test_a_changed_table_is_said_and_explains_the_differences(table, tmp_path):
    copy = tmp_path / "room-ac.csv"
    shutil.copy(table, copy)
    report = ranked(copy, tmp_path / "out")
    frame = pd.read_csv(copy, dtype=str, keep_default_na=False)
    frame = frame.iloc[: len(frame) // 2]
    frame.to_csv(copy, index=False)
    result = run("verify", report)
    assert result.exit_code == 1
    assert "[input_changed]" in result.output
    assert "[result_changed]" in result.output and "[report_field_changed]" not in result.output


def test_a_ranking_of_a_dataset_has_its_hashes_checked_not_ranked_again(table, tmp_path):
    folder = tmp_path / "dataset" / "category=room-air-conditioner"
    folder.mkdir(parents=True)
    frame = pd.read_csv(table, dtype=str, keep_default_na=False)
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), 2)):
        frame.iloc[rows].to_parquet(folder / f"part-{i}.parquet", index=False)
    report = ranked(tmp_path / "dataset", tmp_path / "out")
    assert "population" not in json.loads(report.read_text(encoding="utf-8"))["provenance"]
    result = run("verify", report)
    assert result.exit_code == 0, result.output
    assert "warning [not_recomputed]" in result.output
