"""Populations: reading tables (encodings, header units, unit columns, mapping files, bad rows) and
the array assessment, which must agree row by row with evaluating each row as a declaration."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmark.catalogue import load_catalogue
from benchmark.engine import assess
from benchmark.errors import InputError
from benchmark.population import load_population

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "populations" / "room-air-conditioners.csv"
ON = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


def write(tmp_path: Path, name: str, rows: list[dict], encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False, encoding=encoding)
    return path


MOTOR_ROWS = [
    {"enterprise": "甲电机有限公司", "standard": "Q/JDJ 1-2025", "标准名称": "三相异步电动机", "model": "M1", "rated_power [kW]": 1.5, "poles": 4,
     "efficiency [%]": 90.6, "noise [dB(A)]": 62, "mandatory_conformity": "是"},
    {"enterprise": "乙电机有限公司", "standard": "Q/YDJ 2-2025", "标准名称": "三相异步电动机", "model": "M2", "rated_power [kW]": 7.5, "poles": 2,
     "efficiency [%]": 91.0, "noise [dB(A)]": 70, "mandatory_conformity": "否"},
]


# --- reading -------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_encodings_are_read_the_same(tmp_path, cat, encoding):
    pop = load_population(write(tmp_path, "m.csv", MOTOR_ROWS, encoding), cat,
                          "three-phase-induction-motor")
    assert list(pop.fields["enterprise"]) == ["甲电机有限公司", "乙电机有限公司"]
    assert pop.values["efficiency"].tolist() == [90.6, 91.0]
    assert list(pop.labels["mandatory_conformity"]) == [True, False]


def test_header_units_convert_to_canonical(tmp_path, cat):
    rows = [dict(MOTOR_ROWS[0], **{"rated_power [W]": 1500})]
    del rows[0]["rated_power [kW]"]
    rows[0]["efficiency [%]"] = None
    rows[0]["efficiency"] = "0.906"  # a plain number without unit: the canonical unit (%)
    del rows[0]["efficiency [%]"]
    pop = load_population(write(tmp_path, "m.csv", rows), cat, "three-phase-induction-motor")
    assert pop.parameters["rated_power"][0] == pytest.approx(1.5)
    assert pop.values["efficiency"][0] == pytest.approx(0.906)


def test_unit_column_gives_each_row_its_unit(tmp_path, cat):
    rows = [dict(MOTOR_ROWS[0], **{"rated_power": 1500, "rated_power unit": "W"}),
            dict(MOTOR_ROWS[1], **{"rated_power": 7.5, "rated_power unit": "kW"}),
            dict(MOTOR_ROWS[1], **{"rated_power": 10, "rated_power unit": "hp"})]
    for r in rows:
        del r["rated_power [kW]"]
    pop = load_population(write(tmp_path, "m.csv", rows), cat, "three-phase-induction-motor")
    assert pop.parameters["rated_power"] == pytest.approx([1.5, 7.5, 7.4569987], rel=1e-6)


def test_mapping_file_reads_a_foreign_export(tmp_path, cat):
    export = write(tmp_path, "registry.csv", [
        {"Brand": "Acme", "Model Number": "R-1", "Adjusted Volume (ft3)": 14.126,
         "Annual Energy Use (kWh/yr)": 380, "Product Class": "refrigerator_freezer"}])
    mapping = tmp_path / "map.yaml"
    mapping.write_text("""schema: mapping/1
category: household-refrigerator
columns:
  Brand: {field: enterprise}
  Model Number: {field: model}
  Adjusted Volume (ft3): {parameter: adjusted_volume, unit: ft^3}
  Annual Energy Use (kWh/yr): {indicator: annual_energy, unit: kWh/a}
  Product Class: {parameter: type}
""", encoding="utf-8")
    pop = load_population(export, cat, "household-refrigerator", mapping)
    assert pop.parameters["adjusted_volume"][0] == pytest.approx(14.126 * 28.316846592, rel=1e-9)
    assert pop.values["annual_energy"][0] == pytest.approx(380)
    assert pop.fields["model"][0] == "R-1"


def test_mapping_errors_are_all_reported_with_location(tmp_path, cat):
    export = write(tmp_path, "registry.csv", [{"A": 1, "B": 2}])
    mapping = tmp_path / "map.yaml"
    mapping.write_text("schema: mapping/1\ncolumns:\n  A: {indicator: annual_energy, unit: kg}\n"
                       "  B: {indicator: no_such}\n  C: {field: model}\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_population(export, cat, "household-refrigerator", mapping)
    codes = {p.code for p in exc.value.problems}
    assert {"unit_dimension_mismatch", "unknown_indicator", "column_missing"} <= codes
    assert all(p.file for p in exc.value.problems)
    assert any(p.line == 5 for p in exc.value.problems if p.code == "column_missing")
    (unit,) = [p for p in exc.value.problems if p.code == "unit_dimension_mismatch"]
    assert unit.file.endswith("map.yaml") and unit.line == 3  # where the mapping names the unit


def test_bad_rows_are_reported_and_left_out(cat):
    pop = load_population(EXAMPLE, cat, "room-air-conditioner")
    assert len(pop) == 39
    (bad,) = pop.excluded
    assert (bad.code, bad.line, bad.pointer) == ("requirement_unreadable", 9, "/8/apf [W·h/W·h]")
    assert 8 not in pop.rows.tolist()
    assert pop.values["apf"][pop.rows.tolist().index(6)] == pytest.approx(5.20)  # "≥５．２０"


def test_table_limits(tmp_path, cat, monkeypatch):
    import benchmark.population as population
    monkeypatch.setenv("BENCHMARK_MAX_TABLE_BYTES", "100")  # a byte limit the user sets
    big = tmp_path / "big.csv"
    with big.open("wb") as fh:
        fh.truncate(1000)  # sparse: refused from its size, never read
    with pytest.raises(InputError) as exc:
        load_population(big, cat, "room-air-conditioner")
    assert exc.value.problems[0].code == "file_too_large"
    monkeypatch.delenv("BENCHMARK_MAX_TABLE_BYTES")
    monkeypatch.setattr(population, "MAX_TABLE_BYTES", 100)  # CSV is read in chunks: no byte
    assert len(load_population(EXAMPLE, cat, "room-air-conditioner")) == 39  # limit by default
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError) as exc:
        load_population(empty, cat, "room-air-conditioner")
    assert exc.value.problems[0].code == "file_empty"


def test_table_rows_are_read_by_the_population_reader(tmp_path, cat):
    from benchmark.batch import read_table_input, table_results

    path = write(tmp_path, "m.csv", MOTOR_ROWS)
    pop = read_table_input(path, cat, "three-phase-induction-motor", None)
    results = [r for _, r in table_results(str(path), pop, cat, "leader", ON)]
    assert [r["declaration"]["enterprise"] for r in results] == ["甲电机有限公司", "乙电机有限公司"]
    eff = next(i for i in results[0]["indicators"] if i["id"] == "efficiency")
    assert eff["declared"] == "90.6 %"
    assert results[0]["declaration"]["file"].endswith("m.csv#row1")


def test_identity_fields_stay_text_exactly_as_written(tmp_path, cat):
    """Regression: a model 059586611100 lost its leading zero, and 128779.0 became 128779."""
    rows = [dict(MOTOR_ROWS[0], model="059586611100"), dict(MOTOR_ROWS[1], model="128779.0"),
            dict(MOTOR_ROWS[1], model="128779")]
    path = tmp_path / "m.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    pop = load_population(path, cat, "three-phase-induction-motor")
    assert list(pop.fields["model"]) == ["059586611100", "128779.0", "128779"]


def test_table_row_problems_name_line_and_column(tmp_path, cat):
    rows = [dict(MOTOR_ROWS[0]), dict(MOTOR_ROWS[1], **{"efficiency [%]": "≤ 91"})]
    res = run_cli("evaluate", write(tmp_path, "m.csv", rows), "--set",
                  "three-phase-induction-motor", "-o", tmp_path / "out")
    assert res.exit_code == 2
    assert "m.csv:3 /2/efficiency [%]: error [bound_direction_mismatch]" in res.output


def test_withdrawn_normative_reference_fails_the_gate(cat):
    pop = load_population(EXAMPLE, cat, "room-air-conditioner")
    a = assess(pop, cat, "leader", ON)
    refs = pop.fields["normative_references"]
    withdrawn = np.array(["12021.3" in r for r in refs])
    assert withdrawn.any() and (~withdrawn).any()
    assert (a.rules["references-valid"] == 2).tolist() == withdrawn.tolist()


# --- `benchmark evaluate` on a table: one report per row ------------------------------------------


def run_cli(*args):
    from click.testing import CliRunner

    from benchmark.cli import main

    return CliRunner().invoke(main, [str(a) for a in args])


def test_evaluate_a_spreadsheet_one_report_per_row(tmp_path):
    rows = [dict(MOTOR_ROWS[0]), dict(MOTOR_ROWS[1], model="../../etc/passwd")]
    table = tmp_path / "motors.xlsx"
    pd.DataFrame(rows).to_excel(table, index=False)
    out = tmp_path / "out"
    res = run_cli("evaluate", table, "--set", "three-phase-induction-motor", "--date", "2026-11-23",
                  "-o", out)
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in out.iterdir())
    assert names == ["audit.sqlite", "audit.sqlite.anchor", "motors-row1-M1.json",
                     "motors-row1-M1.zh.md",
                     "motors-row2-_etc_passwd.json", "motors-row2-_etc_passwd.zh.md",
                     "motors.summary.json", "motors.summary.zh.md", "motors.verdicts.csv",
                     "motors.verdicts.parquet", "motors.verdicts.zh.xlsx", "summary.csv"]
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary["model"]) == ["M1", "../../etc/passwd"]
    assert all(p.resolve().parent == out.resolve() for p in out.iterdir())


def test_evaluate_a_table_with_a_bad_row_writes_nothing(tmp_path):
    rows = [dict(MOTOR_ROWS[0]), dict(MOTOR_ROWS[1], **{"efficiency [%]": "high"})]
    out = tmp_path / "out"
    res = run_cli("evaluate", write(tmp_path, "m.csv", rows), "--set",
                  "three-phase-induction-motor", "-o", out)
    assert res.exit_code == 2
    assert "m.csv:3 /2/efficiency [%]" in res.output and "requirement_unreadable" in res.output
    assert "Traceback" not in res.output and not out.exists()


def test_evaluate_a_table_needs_its_category(tmp_path):
    res = run_cli("evaluate", write(tmp_path, "m.csv", MOTOR_ROWS), "-o", tmp_path / "out")
    assert res.exit_code == 2 and "category_missing" in res.output


def test_rank_command_writes_every_table(tmp_path):
    out = tmp_path / "out"
    res = run_cli("rank", EXAMPLE, "--set", "room-air-conditioner", "--date", "2026-11-23",
                  "--format", "json,csv,xlsx,md", "--lang", "en", "-o", out)
    assert res.exit_code == 0, res.output
    names = {p.name for p in out.iterdir()}
    assert {"ranking.json", "ranking.xlsx", "ranking.en.md", "composite.csv", "tiers.csv",
            "thresholds.csv", "excluded.csv"} <= names
    import json
    result = json.loads((out / "ranking.json").read_text(encoding="utf-8"))
    assert result["population"] == {"usable_rows": 39, "unusable_rows": 1,
                                    "verdicts": result["population"]["verdicts"]}
    assert result["provenance"]["inputs"][str(EXAMPLE)] == load_population(
        EXAMPLE, load_catalogue(), "room-air-conditioner").sha256
    again = tmp_path / "again"
    run_cli("rank", EXAMPLE, "--set", "room-air-conditioner", "--date", "2026-11-23",
            "--format", "json,csv,xlsx,md", "--lang", "en", "-o", again)
    for name in names:  # byte-identical on a second run
        assert (out / name).read_bytes() == (again / name).read_bytes(), name


def test_rank_command_bad_method_is_an_input_error(tmp_path):
    res = run_cli("rank", EXAMPLE, "--set", "room-air-conditioner", "--method", "best:3",
                  "-o", tmp_path / "out")
    assert res.exit_code == 2 and "method_invalid" in res.output and not (tmp_path / "out").exists()


def test_evaluate_with_a_population_shows_peers(tmp_path, cat):
    import json

    out = tmp_path / "out"
    res = run_cli("evaluate", ROOT / "examples/declarations/room-ac-kfr-32gw.yaml", "--population",
                  EXAMPLE, "--format", "json,html", "--date", "2026-11-23", "-o", out)
    assert res.exit_code == 0, res.output
    result = json.loads((out / "room-ac-kfr-32gw.json").read_text(encoding="utf-8"))
    pop = load_population(EXAMPLE, cat, SET_AC := "room-air-conditioner")
    a = assess(pop, cat, "leader", ON)
    in_segment = (a.segment == result["segment"]["id"]) & ~np.isnan(pop.values["apf"])
    peers = result["peers"]["apf"]
    assert peers["n"] == int(in_segment.sum()) == sum(peers["counts"])
    # top 5 % of 16
    assert peers["threshold"] == pytest.approx(np.max(pop.values["apf"][in_segment]))
    assert str(EXAMPLE) in result["provenance"]["inputs"]
    html = (out / "room-ac-kfr-32gw.zh.html").read_text(encoding="utf-8")
    assert html.count("<svg") > len(result["indicators"]) - 3  # bullet charts and peer histograms
    assert pop.category == SET_AC


def test_impossible_values_exclude_their_rows(tmp_path, cat):
    rows = [dict(MOTOR_ROWS[0]), dict(MOTOR_ROWS[1], **{"efficiency [%]": 104.0}),
            dict(MOTOR_ROWS[0], **{"rated_power [kW]": -1.5})]
    pop = load_population(write(tmp_path, "m.csv", rows), cat, "three-phase-induction-motor")
    assert pop.rows.tolist() == [1]
    assert [(p.code, p.line) for p in pop.excluded] == [("value_out_of_range", 3),
                                                        ("value_out_of_range", 4)]
    ind = cat.sets["three-phase-induction-motor"].indicators["efficiency"]
    assert ind.maximum is not None and ind.maximum < 104.0  # the bound the catalogue sets


def test_reading_in_chunks_gives_the_same_population(cat, monkeypatch):
    import benchmark.population as population

    whole = load_population(EXAMPLE, cat, "room-air-conditioner")
    monkeypatch.setattr(population, "CHUNK_ROWS", 7)  # 40 rows: six chunks, the bad row in the 2nd
    chunked = load_population(EXAMPLE, cat, "room-air-conditioner")
    assert chunked.rows.tolist() == whole.rows.tolist()
    assert [(p.code, p.line, p.pointer) for p in chunked.excluded] == \
        [(p.code, p.line, p.pointer) for p in whole.excluded]
    for name in ("values", "parameters", "fields", "labels"):
        a, b = getattr(whole, name), getattr(chunked, name)
        assert a.keys() == b.keys()
        for key in a:
            assert list(pd.Series(a[key]).astype(str)) == list(pd.Series(b[key]).astype(str)), key
    assert whole.sha256 == chunked.sha256


def test_model_read_in_chunks_is_held_as_one_arrow_chunk(cat, monkeypatch):
    import pyarrow as pa

    import benchmark.population as population

    whole = load_population(EXAMPLE, cat, "room-air-conditioner")
    monkeypatch.setattr(population, "CHUNK_ROWS", 7)  # six chunks of the 40 rows
    chunked = load_population(EXAMPLE, cat, "room-air-conditioner")
    model = chunked.fields["model"]
    assert isinstance(model, pd.arrays.ArrowStringArray)
    assert model.dtype == whole.fields["model"].dtype
    assert pa.chunked_array(pa.array(model)).num_chunks == 1  # rows taken later join nothing
    assert list(model) == list(whole.fields["model"])
    order = np.arange(len(model))[::-1]
    assert list(model[order]) == list(whole.fields["model"])[::-1]


def test_foreign_registry_export_read_through_its_mapping(cat, tmp_path):
    folder = ROOT / "examples" / "populations"
    export = folder / "registry-refrigerators.csv"
    mapping = folder / "registry-refrigerators.mapping.yaml"
    pop = load_population(export, cat, "household-refrigerator", mapping)
    raw = pd.read_csv(export, dtype=str, keep_default_na=False)
    (bad,) = pop.excluded  # the "n/a" cell
    assert (bad.line, raw.loc[bad.line - 2, "Annual Energy Use (kWh/yr)"]) == (6, "n/a")
    kept = raw.drop(index=bad.line - 2)
    assert pop.parameters["adjusted_volume"] == pytest.approx(
        kept["Adjusted Volume (ft3)"].astype(float).to_numpy() * 28.316846592)  # ft³ → L
    words = {"Refrigerator-freezer": "refrigerator_freezer", "All-refrigerator": "refrigerator",
             "Upright freezer": "food_freezer"}
    assert list(pop.parameters["type"]) == [words[w] for w in kept["Product Class"]]
    res = run_cli("rank", export, "--set", "household-refrigerator", "--mapping", mapping,
                  "--date", "2026-11-23", "--format", "json,md", "-o", tmp_path / "out")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "out" / "ranking.zh.md").exists()
