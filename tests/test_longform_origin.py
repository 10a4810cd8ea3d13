"""A long-form export's row problems point at the export's own lines, and the population keeps
the export's SHA-256 (benchmark/longform.py `Origin`), not those of the pivoted temporary table.

The export is the golden population tests/golden/populations/room-ac-hp-le4500 written one row
per standard × indicator (tests/test_longform.py), with two cells spoiled.
"""

from __future__ import annotations

import hashlib
import json

from click.testing import CliRunner
from test_longform import long_rows, write

from benchmark.catalogue import load_catalogue
from benchmark.cli import main
from benchmark.population import load_population


def spoiled(tmp_path):
    rows = long_rows()
    apf = next(i for i, r in enumerate(rows) if r["指标名称"] == "apf" and r["企业"] == "C")
    rows[apf] = {**rows[apf], "指标值": "abc"}  # not a number
    eer = next(i for i, r in enumerate(rows) if r["指标名称"] == "eer" and r["企业"] == "D")
    rows[eer] = {**rows[eer], "指标值": "-5"}  # below the smallest possible value
    table, mapping = write(tmp_path, rows)
    return table, mapping, apf + 2, eer + 2  # the export's lines: header on line 1


def test_row_problems_point_at_the_exports_line_and_value_column(tmp_path):
    table, mapping, apf_line, eer_line = spoiled(tmp_path)
    pop = load_population(table, load_catalogue(), "room-air-conditioner", mapping)
    found = {(p.code, p.line, p.pointer, p.file) for p in pop.excluded}
    assert found == {
        ("requirement_unreadable", apf_line, f"/{apf_line - 1}/指标值", str(table)),
        ("value_out_of_range", eer_line, f"/{eer_line - 1}/指标值", str(table)),
    }
    assert len(pop) == 5  # seven standards, two unusable


def test_the_population_keeps_the_exports_sha256(tmp_path):
    table, mapping, _, _ = spoiled(tmp_path)
    export = hashlib.sha256(table.read_bytes()).hexdigest()
    pop = load_population(table, load_catalogue(), "room-air-conditioner", mapping)
    assert pop.sha256 == export
    assert pop.inputs[str(table)] == export


def test_the_ranking_names_the_exports_sha256(tmp_path):
    table, mapping, apf_line, _ = spoiled(tmp_path)
    out = tmp_path / "out"
    res = CliRunner().invoke(main, [
        "rank", str(table), "--mapping", str(mapping), "--set", "room-air-conditioner",
        "-p", "leader-selection", "--date", "2026-11-23", "--format", "json", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert f"{table}:{apf_line} /{apf_line - 1}/指标值" in res.output
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(out.glob("*.json")))
    assert hashlib.sha256(table.read_bytes()).hexdigest() in text
    assert "wide.csv" not in text and "benchmark-longform-" not in text
    json.loads((out / "ranking.json").read_text(encoding="utf-8"))
