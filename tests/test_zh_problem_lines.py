"""The problem lines a user of `rank` and `evaluate` meets most, under --lang zh, fully in zh:
rows with the wrong number of cells, unusable cells (an unreadable requirement and why, a unit
of the wrong dimension with pint's dimension names, a value not in the category's list, a yes/no
cell that is neither, a value no product can have, a number that is not finite), a missing
required column, a close spelling or the known ids or the table's columns as a hint, a
declaration file's problems and an option's. The particulars are worded in reports/labels.yaml
(`problem_messages`, `reading_hints`, `dimensions`) with the problem's own values
(`Problem.message_code`, `Problem.params`, a `Hint`'s code); the English line and the JSON form
(`as_dict`) are the engine's as before.

A 1,000-row room-AC table (the generator of tests/test_ranking_scale.py) is changed cell by
cell, and the example room-AC declaration line by line, and run through click's CliRunner."""

from __future__ import annotations

import html
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from test_ranking_scale import table

from benchmark.cli import main
from benchmark.errors import Problem, worded
from benchmark.report import labels
from benchmark.thresholds import METHOD_FORMS

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


def zh_said(line: str, *kept: str) -> str:
    """A zh line's particulars with what it quotes and the ids it names (`kept`) taken out: what
    is left must be Chinese."""
    said = QUOTED.sub("", particulars(line))
    for text in sorted(kept, key=len, reverse=True):
        said = said.replace(text, "")
    return said


def both(*args: str) -> tuple[list[str], list[str]]:
    """The lines of one command in zh and in en (each its own output folder)."""
    *head, out = args
    return (run(*head, "--lang", "zh", "-o", f"{out}/zh"),
            run(*head, "--lang", "en", "-o", f"{out}/en"))


def test_a_close_spelling_or_the_known_values_are_hinted_in_zh(tmp_path):
    """`catalogue.close`: the ids spelt like the one given ("did you mean"), else every known id."""
    from benchmark.catalogue import load_catalogue

    path = table(tmp_path, 1_000)
    hints = labels("zh")["reading_hints"]
    zh, en = both("rank", str(path), "--set", "room-air-conditionr", "--date", DATE, tmp_path)
    (line,) = [x for x in zh if "[unknown_category]" in x]
    assert line.endswith(f"（提示：{hints['did_you_mean'].format(matches=SET)}）")
    assert "“room-air-conditionr”" in line and not ENGLISH.findall(zh_said(line, SET))
    assert [x for x in en if "[unknown_category]" in x] == [
        "<input>: error [unknown_category] unknown product category 'room-air-conditionr' "
        f"(hint: did you mean '{SET}'?)"]
    known = ", ".join(sorted(load_catalogue().sets))
    zh, en = both("rank", str(path), "--set", "xyz", "--date", DATE, tmp_path)
    (line,) = [x for x in zh if "[unknown_category]" in x]
    assert line.endswith(f"（提示：{hints['known'].format(choices=known)}）")
    assert not ENGLISH.findall(zh_said(line, *known.split(", ")))
    assert [x for x in en if "[unknown_category]" in x] == [
        f"<input>: error [unknown_category] unknown product category 'xyz' (hint: known: {known})"]


def test_a_missing_mapped_column_is_hinted_with_the_table_s_columns_in_zh(tmp_path):
    path = table(tmp_path, 1_000)
    headers = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    mapping = tmp_path / "m.yaml"
    mapping.write_text("schema: mapping/1\ncolumns:\n  APF值: {indicator: apf}\n", encoding="utf-8")
    zh, en = both("rank", str(path), "--set", SET, "--date", DATE, "--mapping", str(mapping),
                  tmp_path)
    (line,) = [x for x in zh if "[column_missing]" in x]
    listed = ", ".join(headers)
    hint = labels("zh")["reading_hints"]["columns"].format(choices=listed)
    assert line.endswith(f"（提示：{hint}）")
    assert not ENGLISH.findall(zh_said(line, *headers))
    assert [x for x in en if "[column_missing]" in x] == [
        f"{mapping}:3 /columns/APF值: error [column_missing] the table has no column 'APF值' "
        f"(hint: columns: {listed})"]


def declaration(tmp_path: Path, **indicators: str) -> Path:
    """The example room-AC declaration with some of its lines written otherwise."""
    text = (Path(__file__).parents[1] / "examples/declarations/room-ac-kfr-32gw.yaml").read_text(
        encoding="utf-8")
    for key, value in indicators.items():
        text = re.sub(rf"(?m)^(\s+{key}:).*$", rf"\1 {value}", text)
    path = tmp_path / "d.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def told_at(lines: list[str], pointer: str) -> str:
    (line,) = [x for x in lines if f" {pointer}: error [" in x]
    return line


def test_a_declaration_s_impossible_or_uncomparable_value_is_told_in_zh(tmp_path):
    path = declaration(tmp_path, apf='"≥ -5"', cooling_capacity="9e15 kW")
    zh, en = both("evaluate", str(path), "--date", DATE, "--no-audit", tmp_path)
    apf = told_at(zh, "/indicators/apf")
    capacity = told_at(zh, "/product/parameters/cooling_capacity")
    assert "[value_out_of_range]" in apf and "[number_not_representable]" in capacity
    assert "“≥ -5”折算为 apf = -5 W·h/W·h，低于可能的最小值 0 W·h/W·h" in apf
    assert "“9e15 kW”折算为 cooling_capacity = 9e+18 W" in capacity
    for line, ids in ((apf, ("apf", "W·h/W·h")), (capacity, ("cooling_capacity",))):
        assert not ENGLISH.findall(zh_said(line, *ids)), line
    assert particulars(told_at(en, "/indicators/apf")) == (
        "'≥ -5' gives apf = -5 W·h/W·h, which is impossible: below the smallest possible value "
        "0 W·h/W·h (hint: check the sign, the unit and the decimal point)")
    assert particulars(told_at(en, "/product/parameters/cooling_capacity")) == (
        "'9e15 kW' gives cooling_capacity = 9e+18 W, which a float64 cannot compare "
        "(hint: check the number and its unit)")


def test_an_unreadable_requirement_says_why_in_zh(tmp_path):
    path = declaration(tmp_path, noise_indoor='"30 dB(A) ~ 40 dB"', eer='"≤ 5,200"',
                       apf='"≥ inf"', noise_outdoor='"(40 ~ 50 dB) dB"')
    zh, en = both("evaluate", str(path), "--date", DATE, "--no-audit", tmp_path)
    expected = {  # pointer → (code, what the zh line says, the English as the engine writes it)
        "/indicators/noise_indoor": ("requirement_unreadable", "两端的单位不同（“dB(A)”与“dB”）",
                                     "the two ends have different units ('dB(A)', 'dB')"),
        "/indicators/eer": ("number_comma_ambiguous", "数字之间有逗号",
                            "has a comma between digits"),
        "/indicators/apf": ("requirement_not_finite", "“≥ inf”不是有限数",
                            "is not a finite number"),
        "/indicators/noise_outdoor": ("requirement_unreadable", "括号内外都写了单位",
                                      "a unit both inside and after the brackets"),
    }
    for pointer, (code, said, english) in expected.items():
        line = told_at(zh, pointer)
        assert f"[{code}] {labels('zh')['problems'][code]}" in line and said in line, line
        said = zh_said(line.split("请写成如")[0], "`decimal: comma`")  # a mapping file's key
        assert not ENGLISH.findall(said), line
        assert english in told_at(en, pointer)


def test_unit_problems_word_pint_s_dimensions_in_zh(tmp_path):
    path = declaration(tmp_path, eer='"≥ 3.60 kW"', apf='"≥ 5 kWx"')
    zh, en = both("evaluate", str(path), "--date", DATE, "--no-audit", tmp_path)
    eer, apf = told_at(zh, "/indicators/eer"), told_at(zh, "/indicators/apf")
    dims = labels("zh")["dimensions"]
    assert (f"量纲为 {dims['[mass]']} * {dims['[length]']} ** 2 / {dims['[time]']} ** 3，而标准单位"
            f"“W/W”的量纲为 {dims['dimensionless']}") in eer
    assert "“kWx”不是已知的单位" in apf and "是否应为：kW" in apf
    for line in (eer, apf):
        assert not ENGLISH.findall(zh_said(line, "kW", "kpx", "klx")), line
    assert "[mass] * [length] ** 2 / [time] ** 3, but the canonical unit 'W/W' has dimension " \
           "dimensionless" in told_at(en, "/indicators/eer")
    assert particulars(told_at(en, "/indicators/apf")).startswith(
        "unknown unit 'kWx' for 'apf' (hint: did you mean: kW")


@pytest.mark.parametrize(("args", "code", "said"), [
    (("rank", "T", "--set", SET, "--format", "csv,nope"), "format_unknown", "“nope”"),
    (("rank", "T", "--set", SET, "--shortlist", "0"), "option_out_of_range",
     "--shortlist 的值为 0"),
    (("rank", "T", "--set", SET, "--method", "percentile:200"), "method_invalid",
     "百分数须在 (0, 100] 之内"),
    (("evaluate", "T", "--table-format", "zz"), "table_format_unknown", "“zz”"),
])
def test_option_problems_are_told_in_the_command_s_language(tmp_path, args, code, said):
    """An option's problem, found before any work (some while the options are read), in the
    command's --lang; in en as the engine writes it."""
    path = table(tmp_path, 1_000)
    args = tuple(str(path) if a == "T" else a for a in args)
    zh, en = both(*args, "--date", DATE, tmp_path)
    (line,) = [x for x in zh if f"[{code}]" in x]
    assert labels("zh")["problems"][code] in line and said in line, line
    offered = line.split("可选：")[1].rstrip("）").split(", ") if "可选：" in line else []
    ids = (args[-2], METHOD_FORMS, *offered)  # the option, the methods and formats it offers
    assert not ENGLISH.findall(zh_said(line, *ids)), line
    assert zh[-1] == "1 个错误；未写入任何文件。"
    (line,) = [x for x in en if f"[{code}]" in x]
    assert not re.search(r"[\u4e00-\u9fff]", line) and en[-1] == "1 error(s); nothing was written."


def test_a_declaration_s_other_problems_are_told_in_zh(tmp_path):
    path = declaration(tmp_path, cooling_capacity="3000~3500 W", region="general\n    apf_x: 1",
                       apf="≤ 5.2\n  apff: 5", noise_indoor="≥ 30 dB(A)",
                       mandatory_conformity='{value: true, text: "否"}',
                       eer='{value: 3.6, bound: ge, text: "≥ 3.5"}', refrigerant_gwp="true")
    zh, en = both("evaluate", str(path), "--date", DATE, "--no-audit", tmp_path)
    expected = {  # pointer → code, the ids the zh line names
        "/product/parameters/cooling_capacity": ("parameter_not_a_value", "cooling_capacity"),
        "/product/parameters/apf_x": ("unknown_parameter", SET),
        "/indicators/mandatory_conformity": ("text_value_mismatch", "True"),
        "/indicators/apf": ("bound_direction_mismatch", "apf"),
        "/indicators/apff": ("unknown_indicator", "apf"),
        "/indicators/eer": ("text_value_mismatch", "ge"),
        "/indicators/noise_indoor": ("bound_direction_mismatch", "noise_indoor"),
        "/indicators/refrigerant_gwp": ("value_type", ""),
    }
    for pointer, (code, ids) in expected.items():
        line = told_at(zh, pointer)
        assert f"[{code}] {labels('zh')['problems'][code]}（" in line, line
        assert not ENGLISH.findall(zh_said(line, ids)), line
        assert not re.search(r"[\u4e00-\u9fff]", told_at(en, pointer).replace("'否'", "")), line
    assert particulars(told_at(en, "/indicators/apff")) == (
        f"category '{SET}' has no indicator 'apff' (hint: did you mean 'apf'?)")


def test_an_unusable_rows_problem_in_the_zh_ranking_files_says_its_particulars(cells, tmp_path):
    """`rank` under --lang zh: excluded.csv, the workbook's sheet of excluded rows, the
    Markdown and HTML summaries and the zh boards (page and workbook) word an unusable row's
    problem with its particulars in zh (the cell as written), as its command line does; under en
    the engine's English message as before. Each distinct problem is worded once, whatever the
    rows holding it."""
    for lang in ("zh", "en"):
        run("rank", str(cells), "--set", SET, "--date", DATE, "--lang", lang, "--format",
            "csv,md,html,xlsx,boards", "-o", str(tmp_path / lang))
    R = labels("zh")["ranking"]
    shown = pd.read_csv(tmp_path / "zh" / "excluded.csv", dtype=str, keep_default_na=False,
                        encoding="utf-8-sig").set_index(R["columns"]["row"])
    english = pd.read_csv(tmp_path / "en" / "excluded.csv", dtype=str, keep_default_na=False,
                          encoding="utf-8-sig").set_index("Row")
    book = openpyxl.load_workbook(tmp_path / "zh" / "ranking.xlsx", read_only=True)
    sheet = [list(row) for row in book[R["sheet_excluded"]].iter_rows(values_only=True)]
    in_book = {str(row[0]): row[-1] for row in sheet[1:]}
    summary = (tmp_path / "zh" / "ranking.zh.md").read_text(encoding="utf-8")
    page = (tmp_path / "zh" / "ranking.zh.html").read_text(encoding="utf-8")
    B = labels("zh")["boards"]
    boards = openpyxl.load_workbook(tmp_path / "zh" / "boards.zh.xlsx", read_only=True)
    in_boards = {str(row[0]): row[-1] for row in list(
        boards[B["sheet_excluded"]].iter_rows(values_only=True))[1:]}
    boards_page = (tmp_path / "zh" / "boards.zh.html").read_text(encoding="utf-8")
    for row, (_, _, code, quoted) in CELLS.items():
        reason = shown.loc[str(row + 1), R["columns"]["reason"]]
        assert in_book[str(row + 1)] == reason
        assert in_boards[str(row + 1)] == reason
        assert html.escape(reason, quote=False) in boards_page
        words = labels("zh")["problems"][code]
        said = reason.split(f"[{code}] ", 1)[1].split("：", 1)[1]  # after the column
        assert said.startswith(f"{words}（") and f"“{quoted}”" in said, reason
        assert not ENGLISH.findall(QUOTED.sub("", said)), reason
        unescaped = reason.split("：", 1)[1].replace("\\", "")  # Markdown escapes: \[ \_ \*
        assert unescaped in summary.replace("\\", "")
        assert html.escape(said, quote=False) in page
        assert "cannot read" not in reason and "[W·h/W·h]" not in QUOTED.sub("", said)
    assert english.loc["11", "Reason"].endswith("cannot read the requirement 'abc'")
