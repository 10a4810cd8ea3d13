"""Outputs and reading that scale: ranking.json and the Markdown report are bounded summaries
(their sizes do not grow with the number of rows), the per-row tables (CSV, Parquet, XLSX) hold
every row and read back identical, identity cells stay as written, a sheet past a worksheet's
rows is split (a small limit injected), tables are read in batches (Parquet, XLSX) with a credit
code checked once per distinct value per file, and limits are about rows.

The populations come from scripts/make_large_population.py (fictitious, seeded).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import jsonschema
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

import benchmark.population as population
from benchmark.catalogue import data_file, load_catalogue
from benchmark.cli import main
from benchmark.leaders import EXCLUSION_COLUMNS, PER_ROW_TABLES, rank_file
from benchmark.report import labels
from benchmark.report.ranking import (
    FIRST_FEW,
    MAX_LISTED,
    TOP_N,
    ranking_result,
    write_ranking,
)

ROOT = Path(__file__).resolve().parents[1]
SET = "room-air-conditioner"
DATE = "2026-11-23"
SCHEMA = ROOT / "benchmark" / "schemas" / "ranking.schema.json"
_spec = importlib.util.spec_from_file_location("make_large_population",
                                               ROOT / "scripts" / "make_large_population.py")
assert _spec and _spec.loader
generator = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generator)

ODD = {"型号": ["007", "=HYPERLINK(\"x\")", "KFR-35GW/007"],  # as written, neutralised in sheets
       "标准编号": ["Q/EX 0001-2025", "+Q/EX 2", "Q/EX　3"]}


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


def table(tmp_path: Path, rows: int, name: str = "ac.csv", enterprises: int = 300) -> Path:
    """`rows` rows of the generator, a few identity cells written oddly, and one unusable row."""
    frame = generator.population(rows, enterprises=enterprises)
    for column, values in ODD.items():
        frame.loc[:len(values) - 1, column] = values
    frame["apf [W·h/W·h]"] = frame["apf [W·h/W·h]"].astype(object)
    frame.loc[3, "apf [W·h/W·h]"] = "high"  # an unusable cell: reported, left out
    path = tmp_path / name
    if name.endswith(".parquet"):
        frame["apf [W·h/W·h]"] = frame["apf [W·h/W·h]"].astype(str).replace("nan", None)
        frame.to_parquet(path, index=False)
    elif name.endswith(".xlsx"):
        frame.to_excel(path, index=False)
    else:
        frame.to_csv(path, index=False, lineterminator="\n")
    return path


def rank(path: Path, out: Path, formats: str = "json,md,csv,parquet,xlsx", env=None):
    res = CliRunner().invoke(main, ["rank", str(path), "--set", SET, "--date", DATE, "--format",
                                    formats, "--lang", "en", "-o", str(out)], env=env)
    return res


def longest_list(value) -> int:
    if isinstance(value, dict):
        return max((longest_list(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return max([len(value), *(longest_list(v) for v in value)])
    return 0


def test_json_and_markdown_do_not_grow_with_rows(tmp_path):
    sizes = {}
    for n in (1_000, 20_000):
        out = tmp_path / f"r{n}"
        res = rank(table(tmp_path, n, f"ac{n}.csv"), out, "json,md")
        assert res.exit_code == 0, res.output
        result = json.loads((out / "ranking.json").read_text(encoding="utf-8"))
        assert result["population"]["usable_rows"] == n - 1
        assert result["tables"]["tiers"] == n - 1  # every row is in the table files instead
        # no list in the summary is a list of rows: each is bounded by a setting, not by n
        bound = max(TOP_N, MAX_LISTED, result["settings"]["shortlist"], len(result["thresholds"]),
                    21)
        assert longest_list(result) <= bound
        for s in result["by_segment"]:
            assert len(s["top"]) == min(TOP_N, s["ranked"])
            assert all(len(x["first"]) <= FIRST_FEW for x in s["excluded_by_reason"])
            assert sum(x["n"] for x in s["excluded_by_reason"]) == s["excluded"]
        sizes[n] = ((out / "ranking.json").stat().st_size, (out / "ranking.en.md").stat().st_size)
    # 20 times the rows: the same tables and lists, a few digits more in counts and histograms
    for small, large in zip(sizes[1_000], sizes[20_000], strict=True):
        assert large < small * 1.15, sizes


def test_per_row_tables_hold_every_row_and_read_back_identical(tmp_path):
    out = tmp_path / "out"
    res = rank(table(tmp_path, 1_000), out)
    assert res.exit_code == 0, res.output
    result = json.loads((out / "ranking.json").read_text(encoding="utf-8"))
    wb = openpyxl.load_workbook(out / "ranking.xlsx", read_only=True)
    columns = labels("en")["ranking"]["columns"]

    def header(c: str) -> str:  # a tier column names its indicator
        tier_of = result["indicator_names"].get(c.removeprefix("tier_"), {}).get("en")
        return columns["tier"].replace("{indicator}", tier_of) if tier_of else columns[c]

    for name in PER_ROW_TABLES:
        csv = pd.read_csv(out / f"{name}.csv", encoding="utf-8-sig", dtype=str,
                          keep_default_na=False)
        parquet = pd.read_parquet(out / f"{name}.parquet")
        assert len(csv) == len(parquet) == result["tables"][name] > 0
        # the same table: ids and codes in Parquet, headers and cells in words in the CSV
        kept = [c for c in parquet.columns if c not in EXCLUSION_COLUMNS]
        assert list(csv.columns) == [header(c) for c in kept] + (
            [columns["reason"]] if "reason_code" in parquet else [])
        assert csv[columns["row"]].astype(int).tolist() == parquet["row"].tolist()
    sheets = {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}
    composite = pd.read_parquet(out / "composite.parquet")
    tiers = pd.read_parquet(out / "tiers.parquet")
    counts = sorted(len(rows) - 1 for rows in sheets.values())
    assert len(composite) in counts and len(tiers) in counts  # a header and every row
    # the XLSX sheet of the tiers table: the row numbers and models of the Parquet, in order
    (tier_rows,) = [rows for rows in sheets.values() if len(rows) - 1 == len(tiers)
                    and "Model" in rows[0]]
    header = list(tier_rows[0])
    assert [r[header.index("Row")] for r in tier_rows[1:]] == tiers["row"].tolist()
    models = [r[header.index("Model")] for r in tier_rows[1:]]
    assert models == [("'" + m if m.startswith(("=", "+")) else m) for m in tiers["model"]]


def test_identity_kept_as_written(tmp_path):
    out = tmp_path / "out"
    res = rank(table(tmp_path, 1_000), out, "csv,parquet")
    assert res.exit_code == 0, res.output
    tiers = pd.read_parquet(out / "tiers.parquet")
    first = tiers[tiers["row"] <= 3].sort_values("row")
    assert first["model"].tolist() == ODD["型号"]  # "007" stays text, not 7
    assert first["standard_number"].tolist() == ODD["标准编号"]  # ideographic space kept
    raw = (out / "tiers.csv").read_text(encoding="utf-8-sig")
    assert ",007," in raw
    assert "'=HYPERLINK" in raw and "'+Q/EX 2" in raw  # a formula start is neutralised in CSV
    assert ",=HYPERLINK" not in raw


def test_sheet_split_past_the_worksheet_limit(tmp_path, cat):
    path = table(tmp_path, 1_000)
    r = rank_file(path, cat, SET, "leader", pd.Timestamp(DATE).date())
    result = ranking_result(r, r.assessment.population.inputs, cat.sha256)
    said: list[tuple[str, int]] = []
    write_ranking(r, result, ["xlsx", "csv"], tmp_path / "out", "en", max_rows=101,
                  split=lambda title, parts: said.append((title, parts)))
    wb = openpyxl.load_workbook(tmp_path / "out" / "ranking.xlsx")
    tiers = pd.read_csv(tmp_path / "out" / "tiers.csv", encoding="utf-8-sig")
    parts = [ws for ws in wb.worksheets if ws.title.startswith("Tiers")]
    assert len(parts) == -(-len(tiers) // 100) > 1
    assert ("Tiers", len(parts)) in said
    rows = []
    for k, ws in enumerate(parts, start=1):
        assert ws.title == f"Tiers ({k})" and ws.max_row <= 101
        note = ws.cell(1, 1).comment
        assert note is not None and f"Part {k} of {len(parts)}" in note.text
        assert ws.auto_filter.ref.endswith(str(ws.max_row))
        rows += [c.value for c in ws["A"][1:]]
    assert rows == tiers[labels("en")["ranking"]["columns"]["row"]].tolist()  # every row once,
    # in order, across the parts
    assert all(ws.max_row <= 101 for ws in wb.worksheets)


def test_demo_ranking_json_matches_its_schema(tmp_path):
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    res = rank(data_file("examples", "populations", "room-air-conditioners.csv"), tmp_path / "o",
               "json")
    assert res.exit_code == 0, res.output
    result = json.loads((tmp_path / "o" / "ranking.json").read_text(encoding="utf-8"))
    assert result["kind"] == "peer_ranking" and result["schema_version"] == 2
    jsonschema.validate(result, schema, cls=jsonschema.Draft202012Validator)
    result["by_segment"][0]["top"] *= 30  # a dump of rows is not a summary: the schema says so
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(result, schema, cls=jsonschema.Draft202012Validator)


def same(a, b, formulas: bool = False) -> None:
    assert a.rows.tolist() == b.rows.tolist()
    fields = {k: v.tolist() for k, v in b.fields.items()}
    if formulas:  # Excel stores "=HYPERLINK(…)" as a formula; a reader gets its (empty) value
        assert fields["model"][1] == ""
        fields["model"][1] = ODD["型号"][1]
    assert {k: v.tolist() for k, v in a.fields.items()} == fields
    for k in a.values:
        assert a.values[k].tolist() == pytest.approx(b.values[k].tolist(), nan_ok=True)
    assert [p.pointer for p in a.excluded] == [p.pointer for p in b.excluded]


def test_parquet_and_xlsx_read_in_batches_like_csv(tmp_path, cat, monkeypatch):
    csv = load_population(table(tmp_path, 700), cat)
    monkeypatch.setattr(population, "CHUNK_ROWS", 150)
    batches: list[int] = []
    real = population.population_from_frame

    def counted(frame, *args, **kwargs):
        batches.append(len(frame))
        return real(frame, *args, **kwargs)

    monkeypatch.setattr(population, "population_from_frame", counted)
    for name in ("ac.parquet", "ac.xlsx", "ac2.csv"):
        batches.clear()
        got = load_population(table(tmp_path, 700, name), cat)
        assert batches == [150, 150, 150, 150, 100], name  # never the whole table at once
        same(csv, got, formulas=name.endswith(".xlsx"))


def load_population(path, cat):
    return population.load_population(path, cat, SET)


def test_credit_code_checked_once_per_distinct_value_per_file(tmp_path, cat, monkeypatch):
    path = table(tmp_path, 900, enterprises=40)
    codes = pd.read_csv(path, dtype=str)["统一社会信用代码"]
    monkeypatch.setattr(population, "CHUNK_ROWS", 100)
    checked: list[str] = []
    real = population.check_credit_code
    monkeypatch.setattr(population, "check_credit_code",
                        lambda code: checked.append(code) or real(code))
    pop = load_population(path, cat)
    assert sorted(checked) == sorted(codes.unique())  # 9 chunks, each code once
    assert len(pop) == 899


def test_limits_are_about_rows(tmp_path, monkeypatch):
    path = table(tmp_path, 1_000)
    monkeypatch.setattr(population, "MAX_TABLE_BYTES", 1000)  # not a limit on a chunked CSV
    res = rank(path, tmp_path / "ok", "json")
    assert res.exit_code == 0, res.output
    for name in ("ac.csv", "ac.parquet"):
        big = table(tmp_path, 1_000, name)
        res = rank(big, tmp_path / "no", "json", env={"BENCHMARK_MAX_TABLE_ROWS": "500"})
        assert res.exit_code == 2 and "[table_too_many_rows]" in res.output, res.output
        assert "Traceback" not in res.output and not (tmp_path / "no").exists()
    res = rank(path, tmp_path / "no", "json", env={"BENCHMARK_MAX_TABLE_ROWS": "many"})
    assert res.exit_code == 2 and "[setting_invalid]" in res.output
