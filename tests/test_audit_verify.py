"""The audit record (benchmark.audit) and report verification (benchmark.verify).

Each test evaluates a copy of the USB-charger example against a copy of the shipped catalogue
(`--data-dir`), so that the input, the catalogue and the report can be edited afterwards.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmark import __version__, audit
from benchmark.cli import main
from benchmark.errors import InputError
from benchmark.verify import verify_report

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "declarations" / "eps-usb-charger-10w.yaml"
DATE = "2026-11-23"
EU = "reference_standards/EU_2019-1782.yaml"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    monkeypatch.delenv("BENCHMARK_DATA", raising=False)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)


@pytest.fixture
def setup(tmp_path):
    """(catalogue copy, declaration copy, output folder)."""
    cat = tmp_path / "catalogue"
    for folder in ("indicator_sets", "ladders", "programmes", "reference_standards"):
        shutil.copytree(REPO / folder, cat / folder)
    decl = tmp_path / "in" / "charger.yaml"
    decl.parent.mkdir()
    shutil.copyfile(EXAMPLE, decl)
    return cat, decl, tmp_path / "out"


def evaluate(decl, cat: Path, out: Path, *extra: str) -> Path:
    result = CliRunner().invoke(main, ["evaluate", str(decl), "--data-dir", str(cat),
                                       "-o", str(out), "--date", DATE, "--format", "json,md",
                                       *extra])
    assert result.exit_code == 0, result.output
    return out / f"{Path(decl).stem}.json"


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- verify ---------------------------------------------------------------------------------

def test_untouched_report_verifies(setup):
    cat, decl, out = setup
    report = evaluate(decl, cat, out)
    check = verify_report(report, data_dir=cat)
    assert check.ok, [f.format() for f in check.findings]
    assert check.findings == []
    assert check.recomputed == json.loads(report.read_text(encoding="utf-8"))


def test_edited_report_field_is_named(setup):
    cat, decl, out = setup
    report = evaluate(decl, cat, out, "--programme", "shenzhen")
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["verdict"] == "not_eligible"
    data["verdict"] = "eligible"
    data["indicators"][1]["value"] = 99.0
    report.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    check = verify_report(report, data_dir=cat)
    assert not check.ok
    assert set(check.codes()) == {"report_field_changed"}
    changed = {f.pointer for f in check.findings}
    assert changed == {"/verdict", "/indicators/1/value"}
    verdict = next(f for f in check.findings if f.pointer == "/verdict")
    assert '"eligible"' in verdict.message and '"not_eligible"' in verdict.message


def test_edited_input_is_named(setup):
    cat, decl, out = setup
    report = evaluate(decl, cat, out)
    replace_once(decl, "average_efficiency: ≥ 80.0 %", "average_efficiency: ≥ 89.0 %")
    check = verify_report(report, data_dir=cat)
    assert not check.ok
    (changed,) = [f for f in check.findings if f.code == "input_changed"]
    assert changed.file == str(decl) and str(decl) in changed.message
    assert "report_field_changed" not in check.codes()  # explained by the input, not an edit
    pointers = {f.pointer for f in check.findings if f.code == "result_changed"}
    average = next(i for i, ind in enumerate(check.recomputed["indicators"])
                   if ind["id"] == "average_efficiency")
    assert f"/indicators/{average}/declared" in pointers
    assert not any(p.startswith("/provenance/inputs") for p in pointers)  # said by input_changed


def test_edited_reference_value_names_the_file(setup):
    cat, decl, out = setup
    report = evaluate(decl, cat, out)
    used = json.loads(report.read_text(encoding="utf-8"))["references_used"]
    assert EU in {r["file"] for r in used}
    # the charger's no-load limit
    replace_once(cat / EU, 'low-voltage EPS, Po ≤ 49 W"}\n    limit: {le: 0.10}',
                 'low-voltage EPS, Po ≤ 49 W"}\n    limit: {le: 0.12}')
    check = verify_report(report, data_dir=cat)
    assert not check.ok
    assert check.codes()[:2] == ["catalogue_changed", "reference_file_changed"]
    (ref,) = [f for f in check.findings if f.code == "reference_file_changed"]
    assert ref.file == EU and EU in ref.message
    assert "input_changed" not in check.codes()
    assert "report_field_changed" not in check.codes()
    changed = {f.pointer: f.message for f in check.findings if f.code == "result_changed"}
    assert any(p.endswith("/threshold") and "0.12" in m for p, m in changed.items()), changed


def test_change_in_an_unused_catalogue_file_is_told_apart(setup):
    cat, decl, out = setup
    report = evaluate(decl, cat, out)
    replace_once(cat / "reference_standards/GB_18613-2020.yaml", "\n", "\n# edited\n")
    check = verify_report(report, data_dir=cat)
    assert check.codes() == ["catalogue_changed"]
    assert "no reference file the report used has changed" in check.findings[0].message


def test_relative_input_found_from_base_dir(setup, tmp_path, monkeypatch):
    cat, _decl, out = setup
    monkeypatch.chdir(tmp_path)
    report = evaluate(Path("in/charger.yaml"), cat, out)
    assert list(json.loads(report.read_text())["provenance"]["inputs"]) == ["in/charger.yaml"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    missing = verify_report(report, data_dir=cat)
    assert missing.codes() == ["input_missing"] and not missing.ok
    assert missing.findings[0].file == "in/charger.yaml"
    found = verify_report(report, data_dir=cat, base_dir=tmp_path)
    assert found.ok, [f.format() for f in found.findings]


def test_other_engine_version_is_a_warning(setup):
    cat, decl, out = setup
    report = evaluate(decl, cat, out)
    data = json.loads(report.read_text(encoding="utf-8"))
    data["engine_version"] = data["provenance"]["engine_version"] = "0.0.1"
    report.write_text(json.dumps(data), encoding="utf-8")
    check = verify_report(report, data_dir=cat)
    assert check.codes() == ["engine_version_changed"]
    assert check.ok and check.findings[0].severity == "warning"


@pytest.mark.parametrize("content, code", [
    ("{not json", "report_unreadable"),
    ('{"verdict": "eligible"}', "report_without_provenance"),
])
def test_not_a_report(tmp_path, content, code):
    path = tmp_path / "x.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        verify_report(path)
    assert exc.value.code == code


# --- audit ----------------------------------------------------------------------------------

def test_two_evaluations_append_two_records(setup, tmp_path):
    cat, decl, out = setup
    db = tmp_path / "audit" / "audit.sqlite"
    written = []
    for programme in ("leader", "shenzhen"):
        folder = out / programme
        report = evaluate(decl, cat, folder, "--programme", programme)
        paths = sorted(folder.iterdir())
        written.append(audit.append_record(db, json.loads(report.read_text(encoding="utf-8")),
                                           paths, {"programme": programme, "date": DATE,
                                                   "out": folder}))
    rows = audit.records(db)
    assert [r["seq"] for r in rows] == [1, 2]
    assert [r["programme"] for r in rows] == ["leader", "shenzhen"]
    for row, returned in zip(rows, written, strict=True):
        assert row["record_hash"] == returned["record_hash"]
        assert row["intact"]
        assert row["inputs"] == {str(decl): sha256(decl)}
        folder = Path(row["options"]["out"])
        assert row["reports"] == {str(p): sha256(p) for p in sorted(folder.iterdir())}
        assert row["references"][EU] == sha256(cat / EU)
        assert row["engine_version"] == __version__ and row["evaluation_date"] == DATE
        assert row["include_superseded"] is False
        assert row["recorded_at"]
    assert rows[0]["previous_hash"] == "" and rows[1]["previous_hash"] == rows[0]["record_hash"]
    leader = json.loads((out / "leader" / "charger.json").read_text(encoding="utf-8"))
    assert rows[0]["verdict"] == leader["verdict"]
    assert rows[0]["catalogue_sha256"] == leader["provenance"]["catalogue_sha256"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == audit.SCHEMA_VERSION


def test_records_are_deterministic_and_tampering_shows(setup, tmp_path):
    cat, decl, out = setup
    report = evaluate(decl, cat, out, "--programme", "shenzhen")
    result, paths = json.loads(report.read_text(encoding="utf-8")), sorted(out.iterdir())
    first = audit.append_record(tmp_path / "a.sqlite", result, paths, {"programme": "leader"})
    second = audit.append_record(tmp_path / "b.sqlite", result, paths, {"programme": "leader"})
    assert first["record_hash"] == second["record_hash"]  # no clock in the record
    with sqlite3.connect(tmp_path / "a.sqlite") as conn:
        conn.execute("UPDATE evaluations SET record = replace(record, 'not_eligible', 'eligible')")
    assert [r["intact"] for r in audit.records(tmp_path / "a.sqlite")] == [False]


def test_missing_report_file_is_an_input_error(setup, tmp_path):
    cat, decl, out = setup
    report = evaluate(decl, cat, out)
    with pytest.raises(InputError) as exc:
        audit.append_record(tmp_path / "a.sqlite", json.loads(report.read_text()),
                            [out / "nope.json"], {})
    assert exc.value.code == "audit_report_unreadable"


# --- through the command line: audit by default, verify of table rows and populations -------------


def test_cli_audits_and_verifies_table_rows_with_a_population(tmp_path):
    from click.testing import CliRunner

    from benchmark.audit import records
    from benchmark.cli import main

    root = Path(__file__).resolve().parents[1]
    table = tmp_path / "rows.csv"
    lines = (root / "examples/populations/room-air-conditioners.csv").read_text(
        encoding="utf-8").splitlines()
    table.write_text("\n".join(lines[:4]) + "\n", encoding="utf-8")
    population = root / "examples/populations/room-air-conditioners.csv"
    out = tmp_path / "out"
    runner = CliRunner()
    res = runner.invoke(main, ["evaluate", str(table), "--set", "room-air-conditioner",
                               "--population", str(population), "--date", "2026-11-23",
                               "-o", str(out)])
    assert res.exit_code == 0, res.output
    audit = records(out / "audit.sqlite")
    assert len(audit) == 3 and all(r["intact"] for r in audit)
    assert {r["declaration"] for r in audit} == {f"{table}#row{i}" for i in (1, 2, 3)}
    reports = sorted(str(p) for p in out.glob("rows-row*.json"))  # not rows.summary.json
    res = runner.invoke(main, ["verify", *reports])
    assert res.exit_code == 0, res.output
    assert res.output.count("matches") == 3
    # one value of row 2 edited in the table: every report names the changed input
    table.write_text("\n".join(lines[:4]).replace(",5.68,", ",5.70,") + "\n", encoding="utf-8")
    res = runner.invoke(main, ["verify", *reports])
    assert res.exit_code == 1 and res.output.count("input_changed") == 3, res.output
