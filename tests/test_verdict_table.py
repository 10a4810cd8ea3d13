"""`benchmark evaluate TABLE` writes a verdict table (one row per declaration) and a bounded
summary, and individual reports only for the rows asked for. Through click's CliRunner at a
realistic size: a 1,000-row table, and a 100,000-row table generated with numpy. The verdicts are
those of the one-by-one evaluation of the same row written as a declaration (the same engine,
the same text)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from benchmark.catalogue import load_catalogue
from benchmark.cli import main
from benchmark.declaration import load_declaration
from benchmark.evaluation import evaluate_declaration
from benchmark.report import labels
from benchmark.verdicts import IDENTITY, LEVEL_PREFIX

DATE = "2026-11-23"
SET = "three-phase-induction-motor"
RATINGS = np.array([0.75, 1.1, 1.5, 2.2, 3, 4, 5.5, 7.5, 11, 15, 18.5, 22, 1.3, 0.6, 250])
REFERENCES = np.array(["GB 18613-2020", "GB 18613-2012; GB/T 1032-2012"], dtype=object)


def run(*args) -> object:
    return CliRunner().invoke(main, [str(a) for a in args])


def motor_frame(n: int, seed: int) -> pd.DataFrame:
    """n motor declarations, one per row, as a table a platform exports (cells as text)."""
    rng = np.random.default_rng(seed)
    i = np.arange(n)
    efficiency = np.char.mod("≥ %.1f %%", np.round(rng.uniform(78, 97, n), 1))
    return pd.DataFrame({
        "enterprise": np.char.add("电机", np.char.add((i % 37).astype(str), "有限公司")),
        "standard": np.char.add("Q/DJ ", np.char.add(i.astype(str), "-2025")),
        "标准名称": "三相异步电动机",
        "model": np.char.mod("0%05d", i),
        "rated_power [kW]": RATINGS[rng.integers(0, len(RATINGS), n)],
        "poles": rng.choice([2, 4, 6, 8], n),
        "efficiency": efficiency,
        "noise": np.char.mod("≤ %d dB(A)", rng.integers(55, 81, n)),
        "vibration": np.char.mod("≤ %s mm/s", rng.choice(["1.2", "1.8", "2.8"], n)),
        "mandatory_conformity": rng.choice(["是", "是", "是", "否"], n),
        "normative_references": REFERENCES[rng.integers(0, 2, n)]})


def declaration(row: dict) -> dict:
    return {"schema": "declaration/1", "enterprise": {"name": row["enterprise"]},
            "standard": {"number": row["standard"], "title": row["标准名称"],
                         "normative_references": [r.strip() for r in
                                                  row["normative_references"].split(";")]},
            "product": {"category": SET, "model": row["model"],
                        "parameters": {"rated_power": f"{row['rated_power [kW]']} kW",
                                       "poles": int(row["poles"])}},
            "indicators": {k: row[k] for k in ("efficiency", "noise", "vibration",
                                               "mandatory_conformity")}}


def one_by_one(row: dict, folder: Path, catalogue) -> dict:
    """The same row as a declaration file, evaluated on its own."""
    path = folder / f"{row['model']}.yaml"
    path.write_text(yaml.safe_dump(declaration(row), allow_unicode=True), encoding="utf-8")
    return evaluate_declaration(load_declaration(path, catalogue), catalogue, "leader",
                                pd.Timestamp(DATE).date()).to_dict()


def level_text(lowest, highest, status) -> str:
    if lowest is None:
        return status
    return lowest if lowest == highest else f"{lowest}..{highest}"


def assert_same(table_row: pd.Series, single: dict) -> None:
    assert table_row["verdict"] == single["verdict"]
    overall = single["overall_level"] or {}
    assert table_row["overall_level"] == level_text(overall.get("lowest"),
                                                    overall.get("highest"), "")
    for i in single["indicators"]:
        assert table_row[LEVEL_PREFIX + i["id"]] == level_text(
            i["level_lowest"], i["level_highest"], i["status"]), i["id"]
    failed = {r["id"] for r in single["rules"] if r["outcome"] == "fail"}
    shown = {t.split(":")[0] for t in table_row["failed_rules"].split("; ") if t}
    assert shown == failed
    codes = {x["code"] for r in single["rules"] if r["outcome"] == "fail" for x in r["reasons"]}
    assert {t.split(":")[1].split("(")[0] for t in table_row["failed_rules"].split("; ")
            if ":" in t} <= codes


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="module")
def table_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("verdicts")
    frame = motor_frame(1000, seed=3)
    frame.loc[5, "model"] = "128779"
    frame.loc[6, "model"] = "128779.0"
    frame.loc[7, "enterprise"] = '=HYPERLINK("http://x","y")'
    path = tmp / "motors.csv"
    frame.to_csv(path, index=False)
    out = tmp / "out"
    res = run("evaluate", path, "--set", SET, "--date", DATE, "--format", "json",
              "--no-audit", "--lang", "en", "-o", out)
    return frame, res, out, tmp


def test_one_row_per_declaration_identity_as_written(table_run):
    frame, res, out, _ = table_run
    assert res.exit_code == 0, res.output
    table = pd.read_parquet(out / "motors.verdicts.parquet")
    assert len(table) == 1000 and list(table["row"]) == list(range(1, 1001))
    assert list(table["model"]) == list(frame["model"])  # 000000, 128779 vs 128779.0
    assert table.loc[6, "model"] == "128779.0" and table.loc[0, "model"] == "000000"
    assert list(table["standard_number"]) == list(frame["standard"])
    assert table.loc[7, "enterprise"] == frame.loc[7, "enterprise"]  # Parquet: as written
    assert set(table["verdict"]) == {"eligible", "not_eligible", "not_evaluable"}
    assert set(table["category"]) == {SET}
    assert list(out.glob("*.json")) == [out / "motors.summary.json"]  # no reports beyond 100


def test_csv_has_a_bom_neutralised_text_and_the_same_rows(table_run):
    frame, _, out, _ = table_run
    raw = (out / "motors.verdicts.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    csv = pd.read_csv(io.StringIO(raw.decode("utf-8-sig")), dtype=str, keep_default_na=False)
    assert len(csv) == 1000
    assert list(csv.columns[:6]) == ["Row", "Enterprise", "Unified social credit code",
                                     "Standard number", "Standard name", "Model"]
    assert csv.loc[7, "Enterprise"] == "'" + frame.loc[7, "enterprise"]
    assert list(csv["Model"]) == list(frame["model"])


def test_xlsx_reads_back(table_run):
    frame, _, out, _ = table_run
    wb = openpyxl.load_workbook(out / "motors.verdicts.en.xlsx", read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 1001 and rows[0][:2] == ("Row", "Enterprise")
    assert rows[1][0] == 1 and rows[1][5] == "000000" and rows[7][5] == "128779.0"
    assert rows[8][1] == "'" + frame.loc[7, "enterprise"]  # text, never a formula
    parquet = pd.read_parquet(out / "motors.verdicts.parquet")  # codes; the workbook: words
    L = labels("en")
    assert [r[8] for r in rows[1:]] == [L[v] for v in parquet["verdict"]]


@pytest.mark.parametrize("k", [0, 1, 2, 3, 5, 6, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987])
def test_verdicts_equal_one_by_one_evaluation(table_run, catalogue, k, tmp_path):
    frame, _, out, _ = table_run
    table = pd.read_parquet(out / "motors.verdicts.parquet")
    single = one_by_one(frame.iloc[k].to_dict(), tmp_path, catalogue)
    assert_same(table.iloc[k], single)


def test_summary_is_bounded_and_adds_up(table_run):
    _, res, out, _ = table_run
    summary = json.loads((out / "motors.summary.json").read_text(encoding="utf-8"))
    assert summary["rows"] == 1000
    assert sum(summary["by_verdict"].values()) == 1000
    assert sum(summary["by_category"].values()) == 1000
    assert sum(sum(v.values()) for v in summary["by_segment"].values()) == 1000
    assert sum(summary["by_level"].values()) == 1000
    assert 0 < len(summary["top_reasons"]) <= 10
    table = pd.read_parquet(out / "motors.verdicts.parquet")
    failing = table["failed_rules"].str.contains(":level_below(", regex=False).sum()
    assert {r["reason"]: r["count"] for r in summary["top_reasons"]}["level_below"] == failing
    assert summary["reports"]["written"] == 0
    assert "no individual reports" in res.stderr and "1000 rows" in res.stderr
    md = (out / "motors.summary.en.md").read_text(encoding="utf-8")
    assert "000000" not in md and "no individual reports" in md  # counts, never the rows


def test_same_inputs_same_bytes(table_run, tmp_path):
    _, _, out, tmp = table_run
    again = tmp_path / "again"
    res = run("evaluate", tmp / "motors.csv", "--set", SET, "--date", DATE, "--format", "json",
              "--no-audit", "--lang", "en", "-o", again)
    assert res.exit_code == 0, res.output
    for name in ("motors.verdicts.csv", "motors.verdicts.parquet", "motors.verdicts.en.xlsx",
                 "motors.summary.json", "motors.summary.en.md"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("small")
    path = tmp / "m50.csv"
    motor_frame(50, seed=5).to_csv(path, index=False)
    res = run("evaluate", path, "--set", SET, "--date", DATE, "--format", "json", "--no-audit",
              "--table-format", "parquet", "-o", tmp / "default")
    assert res.exit_code == 0, res.output
    return path, pd.read_parquet(tmp / "default" / "m50.verdicts.parquet"), tmp


def reports_of(folder: Path) -> set[str]:
    return {json.loads(p.read_text(encoding="utf-8"))["declaration"]["model"]
            for p in folder.glob("m50-row*.json")}


def test_a_small_table_gets_every_report_by_default(small):
    _, table, tmp = small
    assert reports_of(tmp / "default") == set(table["model"])


@pytest.mark.parametrize("selection", ["all", "none", "eligible", "not-eligible",
                                       "not-evaluable"])
def test_reports_by_verdict(small, selection, tmp_path):
    path, table, _ = small
    res = run("evaluate", path, "--set", SET, "--date", DATE, "--format", "json", "--no-audit",
              "--reports", selection, "-o", tmp_path)
    assert res.exit_code == 0, res.output
    want = (table if selection == "all" else table.iloc[:0] if selection == "none" else
            table[table["verdict"] == selection.replace("-", "_")])
    assert reports_of(tmp_path) == set(want["model"])
    summary = json.loads((tmp_path / "m50.summary.json").read_text(encoding="utf-8"))
    assert summary["reports"]["written"] == len(want)


def test_reports_by_row_number_and_model(small, tmp_path):
    path, table, _ = small
    res = run("evaluate", path, "--set", SET, "--date", DATE, "--format", "json", "--no-audit",
              "--reports", "3,000007", "-o", tmp_path)
    assert res.exit_code == 0, res.output
    assert reports_of(tmp_path) == {table.loc[2, "model"], "000007"}


@pytest.mark.parametrize("value, code", [("all,3", "reports_invalid"), (",", "reports_invalid"),
                                         ("", "reports_invalid"),
                                         ("999,nosuchmodel", "reports_unknown_id")])
def test_a_bad_reports_value_is_refused_before_any_output(small, value, code, tmp_path):
    path, _, _ = small
    out = tmp_path / "out"
    res = run("evaluate", path, "--set", SET, "--date", DATE, "--no-audit", "--reports", value,
              "-o", out)
    assert res.exit_code == 2
    assert code in res.output and "Traceback" not in res.output
    assert not out.exists() or not any(out.iterdir())


def test_bad_options_are_reported_together(small, tmp_path):
    path, _, _ = small
    res = run("evaluate", path, "--set", SET, "--date", DATE, "--no-audit", "--reports", "all,",
              "--table-format", "csv,ods", "--format", "json,doc", "-o", tmp_path / "out")
    assert res.exit_code == 2
    for code in ("reports_invalid", "table_format_unknown", "format_unknown"):
        assert code in res.output
    assert not (tmp_path / "out").exists()


def test_a_folder_of_declarations_keeps_one_report_each(tmp_path):
    frame = motor_frame(25, seed=9)
    folder = tmp_path / "in"
    folder.mkdir()
    for row in frame.to_dict("records"):
        (folder / f"{row['model']}.yaml").write_text(
            yaml.safe_dump(declaration(row), allow_unicode=True), encoding="utf-8")
    res = run("evaluate", folder, "--date", DATE, "--format", "json", "--no-audit",
              "-o", tmp_path / "out")
    assert res.exit_code == 0, res.output
    assert len(list((tmp_path / "out").glob("0*.json"))) == 25
    res = run("evaluate", folder, "--date", DATE, "--format", "json", "--no-audit",
              "--reports", "000004", "-o", tmp_path / "one")
    assert res.exit_code == 0, res.output
    assert [p.name for p in (tmp_path / "one").glob("0*.json")] == ["000004.json"]


def test_python_api_gives_the_same_table(table_run):
    import benchmark

    _frame, _, out, tmp = table_run
    written = pd.read_parquet(out / "motors.verdicts.parquet")
    from_file = benchmark.evaluate(tmp / "motors.csv", "leader", DATE, set_id=SET)
    assert list(from_file.columns) == list(written.columns)
    pd.testing.assert_frame_equal(from_file, written)
    from_frame = benchmark.evaluate(pd.read_csv(tmp / "motors.csv", dtype=str), "leader", DATE,
                                    set_id=SET)
    assert list(from_frame.columns) == list(written.columns)
    assert list(from_frame["verdict"]) == list(written["verdict"])
    assert set(IDENTITY) <= set(written.columns)


def test_100000_rows_through_the_cli(catalogue, tmp_path):
    frame = motor_frame(100_000, seed=17)
    path = tmp_path / "export.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "out"
    res = run("evaluate", path, "--set", SET, "--date", DATE, "--no-audit",
              "--table-format", "csv,parquet", "-o", out)
    assert res.exit_code == 0, res.output
    table = pd.read_parquet(out / "export.verdicts.parquet")
    assert len(table) == 100_000 and list(table["model"][:2]) == ["000000", "000001"]
    assert not list(out.glob("export-row*"))
    rng = np.random.default_rng(1)
    for k in sorted(rng.choice(100_000, 12, replace=False)):
        assert_same(table.iloc[int(k)], one_by_one(frame.iloc[int(k)].to_dict(), tmp_path,
                                                   catalogue))


def test_standard_input_gets_a_verdict_table_named_stdin(tmp_path):
    text = motor_frame(20, seed=2).to_csv(index=False)
    res = CliRunner().invoke(main, ["evaluate", "-", "--set", SET, "--date", DATE, "--no-audit",
                                    "--format", "json", "--table-format", "csv",
                                    "-o", str(tmp_path)], input=text)
    assert res.exit_code == 0, res.output
    table = pd.read_csv(tmp_path / "stdin.verdicts.csv", encoding="utf-8-sig", dtype=str)
    assert len(table) == 20 and len(list(tmp_path.glob("*-row*.json"))) == 20


def test_labels_of_a_template_folder_are_read_again_when_they_change(tmp_path):
    """Labels are cached per run, keyed by the file: a changed labels.yaml is read again."""
    from benchmark.report import labels

    folder = tmp_path / "tpl"
    folder.mkdir()
    own = folder / "labels.yaml"
    own.write_text("en:\n  verdict: Outcome\n", encoding="utf-8")
    assert labels("en", str(folder))["verdict"] == "Outcome"
    own.write_text("en:\n  verdict: Decision, as changed\n", encoding="utf-8")
    assert labels("en", str(folder))["verdict"] == "Decision, as changed"
    assert labels("en")["verdict"] == "Verdict"
    own.unlink()
    assert labels("en", str(folder))["verdict"] == "Verdict"
