"""Long-form platform exports (one row per standard × indicator: 标准编号, 指标名称, 指标值, 单位)
pivoted by a mapping's `long_form` option (benchmark/longform.py): the golden population written
in long form ranks exactly as the wide one; duplicates and conflicting units are located errors,
all reported together, exit 2."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from benchmark.cli import main, told

WIDE = Path(__file__).parent / "golden" / "populations" / "room-ac-hp-le4500.csv"
IDENTITY = {"enterprise": "企业", "standard": "标准编号", "标准名称": "标准名称", "model": "型号",
            "normative_references": "引用文件"}
MAPPING = {"schema": "mapping/1", "category": "room-air-conditioner",
           "long_form": {"key": "标准编号", "indicator": "指标名称", "value": "指标值",
                         "unit": "单位"},
           "columns": {"企业": {"field": "enterprise"}, "标准编号": {"field": "standard_number"},
                       "标准名称": {"field": "standard_title"}, "型号": {"field": "model"},
                       "引用文件": {"field": "normative_references"}}}


def long_rows() -> list[dict]:
    wide = pd.read_csv(WIDE, dtype=str)
    rows = []
    for rec in wide.to_dict("records"):
        ident = {IDENTITY[k]: rec[k] for k in IDENTITY}
        for header, value in rec.items():
            if header in IDENTITY:
                continue
            m = re.fullmatch(r"(.+?) \[(.+)\]", header)
            name, unit = (m[1], m[2]) if m else (header, "")
            rows.append({**ident, "指标名称": name, "指标值": value, "单位": unit})
    return rows


def write(tmp_path: Path, rows: list[dict]) -> tuple[Path, Path]:
    table, mapping = tmp_path / "long.csv", tmp_path / "long.mapping.yaml"
    pd.DataFrame(rows).to_csv(table, index=False)
    mapping.write_text(yaml.safe_dump(MAPPING, allow_unicode=True), encoding="utf-8")
    return table, mapping


def rank(table: Path, out: Path, mapping: Path | None = None):
    args = ["rank", str(table), "--set", "room-air-conditioner", "-p", "leader-selection",
            "--date", "2026-11-23", "--format", "parquet", "-o", str(out)]
    return CliRunner().invoke(main, args + (["--mapping", str(mapping)] if mapping else []))


def test_the_long_form_ranks_as_the_wide_table(tmp_path):
    table, mapping = write(tmp_path, long_rows())
    assert len(pd.read_csv(table)) == 7 * 10  # seven standards × ten indicators and parameters
    long_res, wide_res = rank(table, tmp_path / "long", mapping), rank(WIDE, tmp_path / "wide")
    assert long_res.exit_code == 0, long_res.output
    assert wide_res.exit_code == 0, wide_res.output
    for name in ("tiers.parquet", "thresholds.parquet", "composite.parquet"):
        a = pd.read_parquet(tmp_path / "long" / name).drop(columns=["row"], errors="ignore")
        b = pd.read_parquet(tmp_path / "wide" / name).drop(columns=["row"], errors="ignore")
        pd.testing.assert_frame_equal(a, b)
    composite = pd.read_parquet(tmp_path / "long" / "composite.parquet")
    assert sorted(composite["enterprise"]) == ["A", "B"]


def test_duplicates_and_unit_conflicts_are_located_and_reported_together(tmp_path):
    rows = long_rows()
    apf = next(i for i, r in enumerate(rows) if r["指标名称"] == "apf" and r["企业"] == "C")
    rows.append(dict(rows[apf]))  # the same standard × indicator again: a duplicate
    eer = next(i for i, r in enumerate(rows) if r["指标名称"] == "eer" and r["企业"] == "D")
    rows.append({**rows[eer], "单位": "kW/kW"})  # again, in another unit
    title = next(i for i, r in enumerate(rows) if r["企业"] == "E")
    rows[title] = {**rows[title], "标准名称": "另一个名称"}  # identity differs within a standard
    table, mapping = write(tmp_path, rows)
    res = rank(table, tmp_path / "out", mapping)
    assert res.exit_code == 2 and "Traceback" not in res.output
    out = res.output
    n = len(rows)  # the duplicate is line n (header line 1), the unit conflict line n + 1
    assert f"long.csv:{n} 指标名称: error [long_form_duplicate]" in out
    assert f"already on line {apf + 2}" in out
    assert f"long.csv:{n + 1} 指标名称: error [long_form_unit_conflict]" in out
    assert out.count("error [") == 3  # all together, each once
    assert "long_form_unit_conflict" in out and "'kW/kW'" in out
    assert "long_form_conflict" in out and "另一个名称" in out
    assert told("zh", "input_errors", errors=3) in out and not (tmp_path / "out").exists()


@pytest.mark.parametrize("missing", ["指标名称", "指标值"])
def test_a_missing_long_form_column_is_named(tmp_path, missing):
    rows = [{k: v for k, v in r.items() if k != missing} for r in long_rows()]
    table, mapping = write(tmp_path, rows)
    res = rank(table, tmp_path / "out", mapping)
    assert res.exit_code == 2 and "column_missing" in res.output and missing in res.output
