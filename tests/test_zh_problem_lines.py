"""The problem lines a user of `rank` and `evaluate` meets most, under --lang zh, fully in zh:
rows with the wrong number of cells, unusable cells (an unreadable requirement, a unit of the
wrong dimension, a value not in the category's list, a yes/no cell that is neither, a value no
product can have, a number that is not finite) and a
missing required column. The particulars are worded in reports/labels.yaml
(`problem_messages`, `reading_hints`) with the problem's own values (`Problem.message_code`,
`Problem.params`); the English line and the JSON form (`as_dict`) are the engine's as before.

A 1,000-row room-AC table (the generator of tests/test_ranking_scale.py) is changed cell by
cell and run through click's CliRunner."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from test_ranking_scale import table

from benchmark.cli import main
from benchmark.errors import Problem, worded
from benchmark.report import labels

SET, DATE = "room-air-conditioner", "2026-11-23"
ENGLISH = re.compile(r"[A-Za-z]{3,}")
QUOTED = re.compile(r"“[^”]*”")
CELLS = {  # data row (0 = the first) → (column, cell, its problem's code, what the zh line quotes)
    10: ("apf [W·h/W·h]", "abc", "requirement_unreadable", "abc"),
    11: ("apf [W·h/W·h]", "5.2 kW", "unit_dimension_mismatch", "kW"),
    12: ("type", "windowish", "unknown_category", "windowish"),
    13: ("mandatory_conformity", "maybe", "value_type", "maybe"),
    14: ("type", "window\x1b[31m", "unknown_category", "window\\x1b[31m"),  # shown, not acted on
    15: ("apf [W·h/W·h]", "-5", "value_out_of_range", "apf [W·h/W·h]"),  # below 0: impossible
    16: ("seer [W·h/W·h]", "inf", "value_not_finite", "seer [W·h/W·h]"),
}


def run(*args: str) -> list[str]:
    res = CliRunner().invoke(main, list(args))
    assert res.exit_code in (0, 2) and "Traceback" not in res.output, res.output
    return res.output.splitlines()


def particulars(line: str) -> str:
    """What a problem line says after its stable head (`file:line /pointer: error [code] `)."""
    return line.split("] ", 1)[1]


@pytest.fixture(scope="module")
def cells(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cells")
    path = table(root, 1_000)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for row, (column, cell, _, _) in CELLS.items():
        frame.loc[row, column] = cell
    frame.to_csv(path, index=False, lineterminator="\n")
    return path


@pytest.mark.parametrize("command", ["rank", "evaluate"])
def test_unusable_cells_are_told_in_zh_with_the_cells_as_written(cells, tmp_path, command):
    zh = run(command, str(cells), "--set", SET, "--date", DATE, "--lang", "zh",
             "-o", str(tmp_path / "zh"))
    en = run(command, str(cells), "--set", SET, "--date", DATE, "--lang", "en",
             "-o", str(tmp_path / "en"))
    for row, (column, _, code, shown) in CELLS.items():
        head = f"{cells}:{row + 2} /{row + 1}/{column}: error [{code}]"
        (line_zh,) = [x for x in zh if x.startswith(head)]
        (line_en,) = [x for x in en if x.startswith(head)]
        text = particulars(line_zh)
        assert f"“{shown}”" in text and "\x1b" not in line_zh
        said = QUOTED.sub("", text)
        if code == "unit_dimension_mismatch":  # pint's dimensions are symbols, not wording
            said = re.sub(r"\[\w+\]|dimensionless", "", said)
        if code == "requirement_unreadable":  # the hint's examples are forms to write
            said = said.split("请写成如")[0]
        if code == "unknown_category":  # the values a cell may hold are ids, kept as text
            said, allowed = said.split("可选：")
            assert allowed.rstrip("）") == "heat_pump, cooling_only"
        assert not ENGLISH.findall(said), line_zh
        assert labels("zh")["problems"][code] in text
        assert not re.search(r"[\u4e00-\u9fff]", particulars(line_en).split("(hint:")[0])
    (unreadable,) = [x for x in en if x.startswith(f"{cells}:12 ")]
    assert "cannot read the requirement 'abc'" in unreadable  # the engine's English, as before


def test_rows_of_the_wrong_width_say_their_cells_and_the_header_in_zh(tmp_path):
    path = table(tmp_path, 1_000)
    lines = path.read_text(encoding="utf-8").splitlines()
    width = lines[0].count(",") + 1
    short = list(range(5, 5 + 60))  # more rows than are listed one by one
    for n in short:
        lines[n] = lines[n].rsplit(",", 1)[0]
    lines[200] += ",extra,cells"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    zh = run("rank", str(path), "--set", SET, "--date", DATE, "--lang", "zh",
             "-o", str(tmp_path / "zh"))
    en = run("rank", str(path), "--set", SET, "--date", DATE, "--lang", "en",
             "-o", str(tmp_path / "en"))
    told = [x for x in zh if "[table_syntax]" in x]
    assert len(told) == 51  # 50 rows, then how many more
    assert particulars(told[0]).startswith(
        f"{labels('zh')['problems']['table_syntax']}（该行有 {width - 1} 个单元格，表头有 "
        f"{width} 个）")
    assert told[0].startswith(f"{path}:6: error [table_syntax]")
    assert particulars(told[-1]).endswith(f"（另有 {61 - 50} 行的单元格数与表头不符）")
    assert not any(ENGLISH.findall(particulars(x)) for x in told)
    assert next(x for x in en if "[table_syntax]" in x).endswith(
        f"the row has {width - 1} cells; the header has {width} "
        "(hint: quote a cell holding the delimiter, or add the missing cells)")


def test_a_missing_required_column_is_told_in_zh(tmp_path):
    path = table(tmp_path, 1_000)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.drop(columns=["企业名称"]).to_csv(path, index=False, lineterminator="\n")
    zh = run("evaluate", str(path), "--set", SET, "--date", DATE, "--lang", "zh",
             "-o", str(tmp_path / "zh"))
    en = run("evaluate", str(path), "--set", SET, "--date", DATE, "--lang", "en",
             "-o", str(tmp_path / "en"))
    (line_zh,) = [x for x in zh if "[column_missing]" in x]
    (line_en,) = [x for x in en if "[column_missing]" in x]
    assert line_zh.startswith(f"{path}:1: error [column_missing] ")
    assert "“enterprise”" in line_zh and "“企业名称”" in line_zh
    assert not ENGLISH.findall(QUOTED.sub("", particulars(line_zh)))
    assert line_en == (f"{path}:1: error [column_missing] no column holds 'enterprise', which "
                       "every declaration needs (hint: add a column headed 'enterprise' or "
                       "'企业名称', or map one in a mapping file)")


def test_the_wording_of_a_problem_is_not_in_its_json_form():
    p = Problem("table_syntax", "the row has 3 cells; the header has 4", file="t.csv", line=2,
                hint_code="wrong_width", **worded("row_width", cells=3, header=4))
    assert p.as_dict() == {"code": "table_syntax", "file": "t.csv", "line": 2,
                           "message": "the row has 3 cells; the header has 4",
                           "severity": "error"}
    assert len(dict.fromkeys([p, p.at("other.csv")])) == 1  # hashable: problems said once


def test_an_unused_column_is_told_in_zh(tmp_path):
    """The warning of a column that holds nothing of the category (`Population.warnings`)."""
    from benchmark.catalogue import load_catalogue
    from benchmark.cli import problem_line
    from benchmark.population import load_population

    path = table(tmp_path, 1_000)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["颜色"] = "红"
    frame.to_csv(path, index=False, lineterminator="\n")
    pop = load_population(path, load_catalogue(), SET)
    (unused,) = [p for p in pop.warnings if p.code == "column_unused"]
    line = problem_line(unused, "zh")
    assert line == (f"{path}: warning [column_unused] {labels('zh')['problems']['column_unused']}"
                    f"（“颜色”列不是“{SET}”的指标、参数或字段，已忽略）")
    assert problem_line(unused, "en").endswith(
        f"column '颜色' is not an indicator, parameter or field of '{SET}'; it is ignored")


@pytest.mark.parametrize("command", ["rank", "evaluate"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_column_the_category_does_not_use_is_told_unless_quiet(tmp_path, command, lang):
    """`rank` and `evaluate` tell the warnings of the table they read (once, in the command's
    language), and --quiet leaves them out."""
    path = table(tmp_path, 1_000)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["颜色"] = "红"
    if command == "evaluate":  # evaluate refuses a table with an unusable row
        frame = frame.drop(index=3)
    frame.to_csv(path, index=False, lineterminator="\n")
    args = [command, str(path), "--set", SET, "--date", DATE, "--lang", lang]
    told = [line for line in run(*args, "-o", str(tmp_path / "out"))
            if "warning [column_unused]" in line]
    assert len(told) == 1 and "颜色" in told[0], told
    if lang == "zh":
        assert labels("zh")["problems"]["column_unused"] in told[0]
    quiet = run(*args, "-q", "-o", str(tmp_path / "quiet"))
    assert not [line for line in quiet if "column_unused" in line]
