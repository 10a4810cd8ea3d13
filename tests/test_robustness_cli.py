"""Issue 15: hostile inputs that are generated rather than committed, through the real CLI.

Each test here failed before the issue was fixed (a traceback, a hang, a wrong report, a file
written): an XLSX that unzips far past its size, a table with a million columns, a Parquet list
column, a FIFO or a device given as a file, numeric options out of range, SOURCE_DATE_EPOCH or a
size setting that is not a number, a file name too long, a symlink out of a template folder,
control characters on the terminal, a formula or derived value not finite at the declared
parameters, and any unexpected exception (exit 70, one line, a crash log). Refusals exit 2 with a
reason code and write nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from benchmark import units
from benchmark.cli import main

REPO = Path(__file__).resolve().parents[1]
HERE = REPO / "tests" / "bad_inputs"
MOTOR = HERE / "valid" / "fullwidth-values.yaml"
MOTOR_TABLE = HERE / "valid" / "bom-population.csv"
FRIDGE = REPO / "examples" / "declarations" / "refrigerator-bcd-400.yaml"
DATE = "2026-11-23"


def run(*args, env: dict | None = None):
    result = CliRunner().invoke(main, [str(a) for a in args], env=env)
    assert result.exc_info is None or result.exc_info[0] is SystemExit, result.output
    assert "Traceback" not in result.output
    return result


def refused(result, code: str, out: Path | None = None) -> None:
    assert result.exit_code == 2, result.output
    assert f"error [{code}]" in result.output, result.output
    if out is not None:
        assert not out.exists() or list(out.iterdir()) == [], "something was written"


# --- class 5: small inputs, large costs --------------------------------------------------------

def test_xlsx_is_checked_on_its_unzipped_size(tmp_path, monkeypatch):
    """A small XLSX whose sheet unzips past the limit is refused from the zip directory: the
    sheet is never parsed."""
    monkeypatch.setenv("BENCHMARK_MAX_XLSX_BYTES", "1M")
    table = tmp_path / "bomb.xlsx"
    pd.DataFrame({"型号": ["M"] * 30_000, "额定功率 [kW]": [1.5] * 30_000}).to_excel(table,
                                                                                 index=False)
    with zipfile.ZipFile(table) as archive:
        unzipped = sum(i.file_size for i in archive.infolist())
    assert unzipped > 1 << 20 > table.stat().st_size  # compresses well: a bomb in miniature
    monkeypatch.setattr(pd, "read_excel", lambda *a, **k: pytest.fail("the sheet was parsed"))
    out = tmp_path / "out"
    for command in (["evaluate", table, "--set", "three-phase-induction-motor"],
                    ["rank", table, "--set", "three-phase-induction-motor"]):
        result = run(*command, "-o", out, "--date", DATE)
        refused(result, "file_too_large", out)
        assert f"XLSX 解压后为 {unzipped:,} 字节" in result.output  # evaluate and rank: zh


def test_a_million_columns_are_refused_from_the_header_line(tmp_path, monkeypatch):
    table = tmp_path / "wide.csv"
    table.write_text(",".join(f"c{i}" for i in range(1_000_000)) + "\n" + "1," * 999_999 + "1\n",
                     encoding="utf-8")
    monkeypatch.setattr(pd, "read_csv", lambda *a, **k: pytest.fail("the table was parsed"))
    out = tmp_path / "out"
    result = run("rank", table, "--set", "three-phase-induction-motor", "-o", out)
    refused(result, "too_many_columns", out)  # from the header line: never parsed (above)
    assert "at least 1" in result.output and "columns (in its first MiB)" in result.output


def test_parquet_list_column_is_a_located_problem(tmp_path):
    table = tmp_path / "lists.parquet"
    frame = pd.read_csv(MOTOR_TABLE, encoding="utf-8-sig")
    frame["额定效率 [%]"] = [[90.6, 91.0], [89.5]]
    frame.to_parquet(table)
    out = tmp_path / "out"
    for command in ("evaluate", "rank"):
        result = run(command, table, "--set", "three-phase-induction-motor", "-o", out)
        refused(result, "column_type_unsupported", out)
        assert "额定效率 [%]" in result.output


@pytest.mark.parametrize("command", ["validate", "evaluate", "rank"])
def test_a_fifo_or_a_device_is_refused_not_read_forever(command, tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero")):
        args = [command, path] + (["--set", "three-phase-induction-motor"] if command == "rank"
                                  else [])
        result = run(*args, "-o", tmp_path / "out") if command != "validate" else run(*args)
        refused(result, "file_not_regular", tmp_path / "out")


def test_a_fifo_in_the_catalogue_is_refused(tmp_path):
    root = tmp_path / "catalogue"
    for folder in ("indicator_sets", "ladders", "programmes", "reference_standards"):
        shutil.copytree(REPO / folder, root / folder)
    os.mkfifo(root / "reference_standards" / "zz-pipe.yaml")
    result = run("validate", "--data-dir", root)
    refused(result, "file_not_regular")
    assert "reference_standards/zz-pipe.yaml" in result.output


def test_spelling_hints_for_thousands_of_bad_units_are_bounded(monkeypatch):
    """Each distinct bad unit costs a few ms of hints: only HINT_BUDGET texts get them."""
    import difflib

    calls = []
    real = difflib.get_close_matches
    monkeypatch.setattr(difflib, "get_close_matches",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    units.reset_hint_budget(50)
    try:
        for i in range(3000):
            with pytest.raises(units.UnitError):
                units.parse_unit(f"zq{i}unit")
    finally:
        units.reset_hint_budget()
    assert 50 <= len(calls) <= 50 * 6  # a few searches per hinted text, none for the rest
    with pytest.raises(units.UnitError) as again:  # the budget back: hints again
        units.parse_unit("kWhx")
    assert "did you mean" in again.value.problems[0].hint


def test_a_table_with_thousands_of_distinct_bad_units_spends_a_bounded_number_of_hints(
        tmp_path, monkeypatch):
    """Every distinct bad unit is refused, but only the hint budget's worth get a spelling search:
    the cost of a table of bad units does not grow with a search per row."""
    import difflib

    calls = []
    real = difflib.get_close_matches
    monkeypatch.setattr(difflib, "get_close_matches",
                        lambda word, *a, **k: calls.append(word) or real(word, *a, **k))
    frame = pd.read_csv(MOTOR_TABLE, encoding="utf-8-sig")
    frame = pd.concat([frame] * 1500, ignore_index=True)
    frame["额定效率 [%]"] = [f"≥ 90.6 q{i}z" for i in range(len(frame))]
    table = tmp_path / "units.csv"
    frame.to_csv(table, index=False)
    result = run("rank", table, "--set", "three-phase-induction-motor", "-o", tmp_path / "out",
                 "--date", DATE)
    assert "unit_unknown" in result.output
    searched = {word for word in calls if "q" in word}
    assert 0 < len(searched) <= units.HINT_BUDGET < len(frame)


@pytest.mark.parametrize("option, value", [
    ("--seed", "-1"), ("--tiers", "0"), ("--tiers", "100000000"), ("--shortlist", "0"),
    ("--method", "percentile:5e-324"), ("--method", "topk:1000000000"),
])
def test_rank_options_out_of_range(option, value, tmp_path):
    out = tmp_path / "out"
    result = run("rank", MOTOR_TABLE, "--set", "three-phase-induction-motor", option, value,
                 "-o", out, "--date", DATE)
    refused(result, "option_out_of_range", out)
    assert option in result.output


# --- class 6: templates -------------------------------------------------------------------------

def test_a_template_symlink_leading_outside_is_refused(tmp_path):
    outside = tmp_path / "secret.j2"
    outside.write_text("{{ ev.verdict }} and a secret\n", encoding="utf-8")
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "evaluation.md.j2").symlink_to(outside)
    out = tmp_path / "out"
    result = run("evaluate", MOTOR, "--template-dir", folder, "-o", out, "--date", DATE)
    refused(result, "template_error", out)
    assert "outside its template folder" in result.output


def test_the_shipped_templates_render_in_the_sandbox(tmp_path):
    out = tmp_path / "out"
    result = run("evaluate", MOTOR, "-o", out, "--date", DATE, "--format", "json,md,html,xlsx")
    assert result.exit_code == 0, result.output
    import jinja2.sandbox

    from benchmark.report import environment

    assert isinstance(environment(None, True), jinja2.sandbox.SandboxedEnvironment)


# --- class 8: other tracebacks ------------------------------------------------------------------

@pytest.mark.parametrize("epoch", ["abc", "1.5", "-5", "99999999999999999999", "1e9"])
def test_source_date_epoch_not_a_number(epoch, tmp_path):
    out = tmp_path / "out"
    result = run("evaluate", MOTOR, "-o", out, env={"SOURCE_DATE_EPOCH": epoch})
    refused(result, "source_date_epoch_invalid", out)


def test_source_date_epoch_still_sets_the_date(tmp_path):
    result = run("evaluate", MOTOR, "-o", tmp_path / "out", env={"SOURCE_DATE_EPOCH": "1795435200"})
    assert result.exit_code == 0 and "2026-11-23" in result.output


def test_table_size_setting_with_a_suffix(tmp_path):
    ok = run("evaluate", MOTOR_TABLE, "--set", "three-phase-induction-motor", "-o",
             tmp_path / "a", "--date", DATE, env={"BENCHMARK_MAX_TABLE_BYTES": "512M"})
    assert ok.exit_code == 0, ok.output
    small = run("evaluate", MOTOR_TABLE, "--set", "three-phase-induction-motor", "-o",
                tmp_path / "b", "--date", DATE, env={"BENCHMARK_MAX_TABLE_BYTES": "100"})
    refused(small, "file_too_large", tmp_path / "b")
    bad = run("evaluate", MOTOR_TABLE, "--set", "three-phase-induction-motor", "-o",
              tmp_path / "c", "--date", DATE, env={"BENCHMARK_MAX_TABLE_BYTES": "lots"})
    refused(bad, "setting_invalid", tmp_path / "c")


@pytest.mark.parametrize("command", ["validate", "evaluate"])
def test_a_file_name_too_long(command, tmp_path):
    name = tmp_path / ("x" * 300 + ".yaml")
    args = [command, name] + (["-o", tmp_path / "out"] if command == "evaluate" else [])
    refused(run(*args), "file_unreadable", tmp_path / "out")


def test_output_folder_is_a_device(tmp_path):
    refused(run("evaluate", MOTOR, "-o", "/dev/full", "--date", DATE), "output_not_a_folder")
    for command in (["rank", MOTOR_TABLE, "--set", "three-phase-induction-motor"],
                    ["compare", "--set", "three-phase-induction-motor"]):
        refused(run(*command, "-o", "/dev/full", "--date", DATE), "output_not_a_folder")


# --- class 9: control characters on the terminal ----------------------------------------------

def test_control_characters_never_reach_the_terminal(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    bad = folder / "evil\x1b[2J\x07name.yaml"
    bad.write_text("schema: declaration/1\nenterprise: {name: \"\\e[31mX\"}\n", encoding="utf-8")
    good = folder / "ok\x1b]0;title\x07.yaml"
    shutil.copyfile(HERE / "valid" / "control-characters-in-names.yaml", good)
    for path in (bad, good):
        result = run("evaluate", path, "-o", tmp_path / "out", "--date", DATE)
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", result.output), repr(result.output)
        assert "\\x1b" in result.output


# --- class 4 at run time: thresholds and derived values at the declared parameters --------------

def test_derived_value_dividing_by_a_declared_zero(tmp_path):
    decl = tmp_path / "fridge.yaml"
    decl.write_text(FRIDGE.read_text(encoding="utf-8").replace(
        "standard_annual_energy: 550.8 kWh/a", "standard_annual_energy: 0 kWh/a"), encoding="utf-8")
    out = tmp_path / "out"
    result = run("evaluate", decl, "-o", out, "--date", DATE)
    refused(result, "derived_not_finite", out)
    assert re.search(rf"{re.escape(str(decl))}:\d+ /indicators/eei: error", result.output)


def test_threshold_not_finite_at_the_declared_parameter_is_a_located_error(tmp_path):
    """A formula that validate cannot check (its parameter has no band and no possible range) and
    that is infinite at the declared value: refused at run time, naming the parameter and the
    reference file — never evaluated as "no threshold"."""
    root = tmp_path / "catalogue"
    for folder in ("indicator_sets", "ladders", "programmes", "reference_standards"):
        shutil.copytree(REPO / folder, root / folder)
    iset = (root / "indicator_sets" / "room-air-conditioner.yaml")
    text = iset.read_text(encoding="utf-8")
    text = text.replace("parameters:\n", "parameters:\n  offset_k:\n"
                        "    names: {zh: 偏置, en: Offset}\n    kind: quantity\n    unit: '1'\n", 1)
    iset.write_text(text, encoding="utf-8")
    ref = (HERE / "catalogue" / "ok-reference.yaml").read_text(encoding="utf-8").replace(
        '{label: "1", ge: 5.00}', '{label: "1", ge: {formula: "5 + 1/(offset_k - 2)"}}')
    (root / "reference_standards" / "zz-test.yaml").write_text(ref, encoding="utf-8")
    assert run("validate", "--data-dir", root).exit_code == 0
    decl = tmp_path / "ac.yaml"
    text = (REPO / "examples/declarations/room-ac-kfr-32gw.yaml").read_text(encoding="utf-8")
    decl.write_text(text.replace("    type: heat_pump\n", "    type: heat_pump\n    offset_k: 2\n"),
                    encoding="utf-8")
    out = tmp_path / "out"
    result = run("evaluate", decl, "--data-dir", root, "-o", out, "--date", DATE)
    refused(result, "threshold_not_finite", out)
    assert "/product/parameters/offset_k" in result.output and "zz-test.yaml" in result.output
    fine = decl.read_text(encoding="utf-8").replace("offset_k: 2", "offset_k: 3")
    decl.write_text(fine, encoding="utf-8")
    assert run("evaluate", decl, "--data-dir", root, "-o", out, "--date", DATE).exit_code == 0


# --- issue 10: any unexpected exception is one line and a crash log, exit 70 -------------------

@pytest.mark.parametrize("command", [
    ["evaluate", MOTOR], ["validate"], ["list", "sets"],
    ["rank", MOTOR_TABLE, "--set", "three-phase-induction-motor"],
    ["compare", "--set", "three-phase-induction-motor"], ["verify", "x.json"],
    ["audit", "verify", "x.sqlite"],
])
def test_an_unexpected_exception_exits_70_with_a_crash_log(command, tmp_path, monkeypatch):
    import benchmark.audit
    import benchmark.catalogue
    import benchmark.verify

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug \x1b[31m")

    benchmark.catalogue._cached.cache_clear()  # the catalogue is loaded afresh, and fails
    for module, name in ((benchmark.catalogue, "check_catalogue"),
                         (benchmark.verify, "_read_report"),
                         (benchmark.audit, "verify_database")):
        monkeypatch.setattr(module, name, broken)
    out = tmp_path / "out"
    args = [*command] + (["-o", out] if command[0] in ("evaluate", "rank", "compare") else [])
    result = run(*args)
    assert result.exit_code == 70, result.output
    lines = result.output.strip().splitlines()
    assert len([line for line in lines if "internal error" in line]) == 1
    assert "ZeroDivisionError: a bug \\x1b[31m" in result.output
    log = Path(re.search(r"the traceback is in (\S+\.log)", result.output)[1])
    assert log.parent == tmp_path / "state" / "benchmark"
    assert "Traceback (most recent call last)" in log.read_text(encoding="utf-8")
    assert "ZeroDivisionError" in log.read_text(encoding="utf-8")
    assert not out.exists() or list(out.iterdir()) == []


def test_crash_log_falls_back_when_the_state_folder_cannot_be_written(tmp_path, monkeypatch):
    import benchmark.catalogue

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    monkeypatch.setenv("HOME", str(blocker))
    monkeypatch.setattr(benchmark.catalogue, "check_catalogue",
                        lambda *a, **k: (_ for _ in ()).throw(KeyError("boom")))
    result = run("validate")
    assert result.exit_code == 70
    log = Path(re.search(r"the traceback is in (\S+\.log)", result.output)[1])
    assert log.exists() and "KeyError" in log.read_text(encoding="utf-8")
    log.unlink()


def test_input_errors_still_exit_2(tmp_path):
    refused(run("evaluate", HERE / "declarations" / "empty.yaml", "-o", tmp_path / "out"),
            "file_empty", tmp_path / "out")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_mistake_on_thousands_of_rows_is_listed_then_counted(tmp_path, lang):
    """A 1,000-row export with an unreadable cell on 600 rows and a unit of another quantity on
    100: the first SHOWN_PROBLEMS are listed one a line, the rest counted by reason code in one
    line; --verbose lists every one. The refusal writes nothing."""
    from test_verdict_table import SET, motor_frame

    from benchmark.cli import SHOWN_PROBLEMS

    frame = motor_frame(1000, seed=3)
    frame.loc[:599, "efficiency"] = "high"
    frame.loc[900:, "noise"] = "≤ 60 dBq"
    table = tmp_path / "export.csv"
    frame.to_csv(table, index=False)
    args = ["evaluate", table, "--set", SET, "--date", DATE, "--lang", lang, "--no-audit"]
    result = run(*args, "-o", tmp_path / "out")
    refused(result, "requirement_unreadable", tmp_path / "out")
    lines = result.output.strip().splitlines()
    listed = [line for line in lines if " error [" in line]
    assert len(listed) == SHOWN_PROBLEMS
    more = "more problem(s) not listed" if lang == "en" else "个问题未逐条列出"
    (counted,) = [line for line in lines if more in line]
    assert f" {700 - SHOWN_PROBLEMS:,} " in counted
    assert f"requirement_unreadable {600 - SHOWN_PROBLEMS:,}, unit_dimension_mismatch 100" \
        in counted
    assert lines[-1].startswith("700 ")  # the count of errors; nothing written
    every = run(*args, "-v", "-o", tmp_path / "verbose")
    assert every.exit_code == 2
    assert sum(" error [" in line for line in every.output.splitlines()) == 700
    assert more not in every.output
