"""The writers of per-row tables: the XLSX row workbook made from column arrays (read back by
openpyxl: values, number formats, filters, panes, print set-up, escaping, a split past the row
limit), the verdict table in words (CSV, XLSX) and in codes (Parquet), the gap's value required
(hand-worked from GB 18613-2020 Table 1, and equal to the engine's one-row `required_value` on
every failing row), reports synced once, and `verify` skipping a verdict summary."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import sys
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from benchmark.catalogue import load_catalogue
from benchmark.cli import main
from benchmark.engine.compare import Method
from benchmark.engine.levels import required_value, required_values
from benchmark.report import labels
from benchmark.report.xlsx import RowSheet, write_row_workbook

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_verdict_table import DATE, SET, motor_frame

ON = dt.date(2026, 11, 23)


def run(*args) -> object:
    return CliRunner().invoke(main, [str(a) for a in args])


def workbook(sheets, **kw) -> bytes:
    out = io.BytesIO()
    write_row_workbook(out, sheets, ON, **kw)
    return out.getvalue()


def frame_1000() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    i = np.arange(1000)
    text = np.array(["=SUM(A1)", "a<b & c>d", "bell\x07here", "+86 10", " lead", "型号-7",
                     "@x", "plain"], dtype=object)
    return pd.DataFrame({
        "row": i + 1,
        "value": np.round(rng.uniform(0, 10, 1000), 3),
        "share": np.where(i % 10 == 0, np.nan, rng.uniform(0, 1, 1000)),
        "text": text[i % len(text)],
        "segment": pd.Categorical(np.where(i % 2, "分体式", "整体式")),
        "shortlisted": i % 3 == 0,
        "model": np.char.mod("%06d", i).astype(object),  # "000007" stays text
    })


HEADER = ["行号", "数值 [W/W]", "占比", "文字", "分段", "入围", "型号"]


def sheet(frame: pd.DataFrame, chunks: int = 1) -> RowSheet:
    parts = np.array_split(np.arange(len(frame)), chunks)
    return RowSheet("排名：分档 / 1", HEADER, len(frame),
                    frames=[frame.iloc[p] for p in parts], formats={1: "0.00", 2: "0.0%"},
                    freeze_columns=2)


def test_row_workbook_reads_back_with_values_formats_and_layout():
    frame = frame_1000()
    data = workbook([sheet(frame, chunks=3)])
    wb = openpyxl.load_workbook(io.BytesIO(data))
    (ws,) = wb.worksheets
    assert ws.title == "排名：分档 _ 1"  # "/" is not allowed in a sheet name
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == tuple(HEADER) and len(rows) == 1001
    assert ws.cell(1, 1).font.b and ws.cell(1, 1).fill.fgColor.rgb.endswith("F0F0F0")
    assert ws.freeze_panes == "C2" and ws.auto_filter.ref == "A1:G1001"
    assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.orientation == "landscape"
    assert ws.print_title_rows == "$1:$1"
    for k in (0, 1, 9, 10, 500, 999):
        got, want = rows[k + 1], frame.iloc[k]
        assert got[0] == k + 1 and isinstance(got[0], int)
        assert got[1] == pytest.approx(want["value"]) and isinstance(got[1], float)
        assert (got[2] is None) if np.isnan(want["share"]) else got[2] == pytest.approx(
            want["share"])
        assert got[4] == want["segment"] and got[5] is bool(want["shortlisted"])
        assert got[6] == want["model"]
    assert ws.cell(2, 2).number_format == "0.00" and ws.cell(3, 3).number_format == "0.0%"
    texts = {r[3] for r in rows[1:]}
    assert texts == {"'=SUM(A1)", "a<b & c>d", "bellhere", "'+86 10", " lead", "型号-7", "'@x",
                     "plain"}  # formula starts quoted, XML's forbidden characters removed
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_row_workbook_is_the_same_bytes_on_a_rerun_and_whatever_the_chunks():
    frame = frame_1000()
    first = workbook([sheet(frame, chunks=1)])
    assert workbook([sheet(frame, chunks=1)]) == first
    assert workbook([sheet(frame, chunks=7)]) == first  # the chunking does not show
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert {i.date_time for i in z.infolist()} == {(2026, 11, 23, 0, 0, 0)}


def test_row_workbook_splits_past_the_row_limit_into_noted_parts():
    frame = frame_1000()
    said: list[tuple[str, int]] = []
    data = workbook([sheet(frame, chunks=3)], max_rows=301,
                    split=lambda title, parts: said.append((title, parts)))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert said == [("排名：分档 / 1", 4)]
    assert [ws.title for ws in wb.worksheets] == [f"排名：分档 _ 1 ({k})" for k in range(1, 5)]
    rows: list = []
    for k, ws in enumerate(wb.worksheets, start=1):
        assert ws.max_row <= 301 and ws.cell(1, 1).value == "行号"
        assert ws.auto_filter.ref == f"A1:G{ws.max_row}"
        first, last = (k - 1) * 300 + 1, min(k * 300, 1000)
        assert ws.cell(1, 1).comment.text == f"part {k} of 4: rows {first}–{last}"
        rows += [r[0] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert rows == list(range(1, 1001))  # every row once, in order, across the parts


def test_row_workbook_of_small_rows_keeps_per_cell_formats():
    rows = [["a", (0.1234, "0.00%"), 3], ["=b", (5.0, "0.0"), None], [None, "text", float("nan")]]
    data = workbook([RowSheet("small", ["k", "v", "n"], 3, rows, pairs=True, formats={2: "0"})])
    ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert [[c.value for c in r] for r in ws.iter_rows(min_row=2)] == [
        ["a", 0.1234, 3], ["'=b", 5.0, None], [None, "text", None]]
    assert ws.cell(2, 2).number_format == "0.00%" and ws.cell(3, 2).number_format == "0.0"
    assert ws.cell(2, 3).number_format == "0"


# --- the verdict table in words and in codes ---------------------------------------------------


@pytest.fixture(scope="module")
def zh_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("zh")
    frame = motor_frame(400, seed=11)
    path = tmp / "motors.csv"
    frame.to_csv(path, index=False)
    out = tmp / "out"
    res = run("evaluate", path, "--set", SET, "--date", DATE, "--no-audit", "-o", out)
    assert res.exit_code == 0, res.output
    csv = pd.read_csv(out / "motors.verdicts.csv", encoding="utf-8-sig", dtype=str,
                      keep_default_na=False)
    parquet = pd.read_parquet(out / "motors.verdicts.parquet")
    return out, csv, parquet


def test_verdict_cells_are_words_in_csv_and_xlsx_and_codes_in_parquet(zh_run):
    out, csv, parquet = zh_run
    L = labels("zh")
    cat = load_catalogue()
    ladder = cat.sets[SET].programmes["leader"].ladder
    names = {lv.id: lv.names.zh for lv in ladder.levels}
    assert set(parquet["verdict"]) <= {"eligible", "not_eligible", "not_evaluable"}
    assert list(csv["结论"]) == [L[v] for v in parquet["verdict"]]
    assessed = parquet["level:efficiency"].isin(names)
    assert assessed.any()
    assert list(csv.loc[assessed, "水平：额定效率"]) == [
        names[v] for v in parquet.loc[assessed, "level:efficiency"]]
    between = parquet["overall_level"].str.contains("..", regex=False)
    for code, word in zip(parquet.loc[between, "overall_level"], csv.loc[between, "总体水平"],
                          strict=True):
        low, high = code.split("..")
        assert word == f"{names[low]}至{names[high]}"
    failing = parquet["failed_rules"].str.contains("level_below(efficiency)", regex=False)
    assert failing.any()
    assert csv.loc[failing, "未通过的规则（原因）"].str.contains(
        "低于要求的水平（额定效率）", regex=False).all()
    assert not csv["未通过的规则（原因）"].str.contains("level_below", regex=False).any()
    rows = list(openpyxl.load_workbook(out / "motors.verdicts.zh.xlsx", read_only=True)
                .worksheets[0].iter_rows(values_only=True))
    assert rows[0][8] == "结论" and [r[8] for r in rows[1:]] == list(csv["结论"])
    gap = rows[0].index("差距")
    assert [(r[gap] if len(r) > gap else None) or "" for r in rows[1:]] == list(csv["差距"])


def test_a_verdict_workbook_past_the_row_limit_is_split_and_said_so(tmp_path, monkeypatch):
    import benchmark.report.xlsx as xlsx

    monkeypatch.setattr(xlsx, "EXCEL_MAX_ROWS", 151)  # 150 rows a worksheet, under the header
    path = tmp_path / "m.csv"
    motor_frame(400, seed=13).to_csv(path, index=False)
    res = run("evaluate", path, "--set", SET, "--date", DATE, "--no-audit", "-o",
              tmp_path / "out")
    assert res.exit_code == 0, res.output
    assert "m.verdicts.zh.xlsx：行数超过一个工作表的容量，分为 3 个工作表" in res.output
    wb = openpyxl.load_workbook(tmp_path / "out" / "m.verdicts.zh.xlsx")
    assert [ws.title for ws in wb.worksheets] == ["结论 (1)", "结论 (2)", "结论 (3)"]
    rows = [r[0] for ws in wb.worksheets for r in ws.iter_rows(min_row=2, values_only=True)]
    assert rows == list(range(1, 401))
    assert wb.worksheets[2].cell(1, 1).comment.text.startswith("第 3 部分（共 3 部分）")


def test_gap_never_says_improve_by_zero(zh_run):
    _, csv, parquet = zh_run
    improve = parquet["gap"].str.extractall(r"improve by (-?[\d.e+-]+)")[0].astype(float)
    assert len(improve) and (improve > 0).all()
    assert not csv["差距"].str.contains(r"需改善 -?0(?:\.0+)? ", regex=True).any()


def test_gap_of_a_hand_worked_motor(tmp_path):
    """GB 18613-2020 Table 1 (reference_standards/GB_18613-2020.yaml), 4-pole 1.5 kW: grade 3
    85.3 %, grade 1 (the strictest domestic value) 90.4 %; rounded-value method, 1 digit
    (golden case motor-4p-1p5kw-rounding-equal-not-better). The Leader programme's
    graded-core-leading rule requires domestic leading, i.e. beating 90.4 %: one rounding step
    above it, 90.5 %.
    - "≥ 90.45 %" rounds to 90.4: at grade 1, equal and not better → improve by 0.1 %, never 0.
    - "≥ 86.0 %": 90.5 − 86.0 = 4.5 %."""
    frame = motor_frame(25, seed=1)
    frame["rated_power [kW]"] = 1.5
    frame["poles"] = 4
    frame["mandatory_conformity"] = "是"
    frame.loc[0, "efficiency"] = "≥ 90.45 %"
    frame.loc[1, "efficiency"] = "≥ 86.0 %"
    path = tmp_path / "m.csv"
    frame.to_csv(path, index=False)
    res = run("evaluate", path, "--set", SET, "--date", DATE, "--no-audit", "--lang", "en",
              "-o", tmp_path / "out")
    assert res.exit_code == 0, res.output
    parquet = pd.read_parquet(tmp_path / "out" / "m.verdicts.parquet")
    csv = pd.read_csv(tmp_path / "out" / "m.verdicts.csv", encoding="utf-8-sig", dtype=str,
                      keep_default_na=False)
    assert parquet.loc[0, "gap"] == ("efficiency = 90.4 %; required ≥ 90.5 % (GB 18613-2020); "
                                     "improve by 0.1 %")
    assert parquet.loc[1, "gap"] == ("efficiency = 86 %; required ≥ 90.5 % (GB 18613-2020); "
                                     "improve by 4.5 %")
    assert csv.loc[1, "What blocks"] == ("Rated efficiency = 86 %; required ≥ 90.5 % "
                                         "(GB 18613-2020); improve by 4.5 %")


def test_required_values_equal_the_one_row_engine_function():
    """The vectorised value required equals `required_value` (what a report's gap shows) row
    by row, for every level of the ladder, on a generated motor table."""
    from benchmark.batch import assess_table, read_table_input

    cat = load_catalogue()
    frame = motor_frame(300, seed=17)
    path = Path(sys.modules[__name__].__file__).parent / "_required_values.csv"
    try:
        frame.to_csv(path, index=False)
        pop = read_table_input(path, cat, SET, None)
    finally:
        path.unlink(missing_ok=True)
    a = assess_table("t", pop, cat, "leader", ON)
    ind = cat.sets[SET].indicators["efficiency"]
    method = Method.of(ind)
    ladder = a.programme.ladder
    checked = 0
    for chunk in a.indicators["efficiency"].resolved:
        for level in ladder.levels[1:]:
            need, ref, strict = required_values(ladder, level.id, chunk.applied, method)
            for k in range(0, len(chunk.rows), 7):
                one = [x.__class__(x.edition, x.value, x.applies[k:k + 1],
                                   [_cut(t, k) for t in x.limits],
                                   [_cut(c, k) for c in x.classes], x.indicative)
                       for x in chunk.applied]
                v, b, s = required_value(ladder, level.id, one, method, 0)
                assert (v is None) == np.isnan(need[k])
                if v is not None:
                    assert need[k] == pytest.approx(v) and ref[k] == b and strict[k] == s
                    checked += 1
    assert checked > 50


def _cut(th, k):
    if th is None:
        return None
    return th.__class__(th.op, th.low[k:k + 1], th.high[k:k + 1], th.ruled[k:k + 1], th.label,
                        th.note)


# --- many reports, verify ----------------------------------------------------------------------


def test_many_reports_are_synced_once_and_complete(tmp_path, monkeypatch):
    import benchmark.report as report

    calls: list[int] = []
    real = report.sync_files
    monkeypatch.setattr(report, "sync_files", lambda paths: (calls.append(len(paths)),
                                                             real(paths))[1])
    frame = motor_frame(150, seed=2)
    path = tmp_path / "a.csv"
    frame.to_csv(path, index=False)
    res = run("evaluate", path, "--set", SET, "--date", DATE, "--reports", "all", "--format",
              "md,json", "-o", tmp_path / "out")
    assert res.exit_code == 0, res.output
    assert len(list((tmp_path / "out").glob("a-row*.zh.md"))) == 150
    assert calls == [150 * 2 + 6]  # 300 reports, summary.csv, 3 verdict tables, 2 summaries
    assert not list((tmp_path / "out").glob(".staging-*"))


def test_verify_skips_a_verdict_summary_saying_so(tmp_path):
    frame = motor_frame(30, seed=4)
    path = tmp_path / "a.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "out"
    res = run("evaluate", path, "--set", SET, "--date", DATE, "--reports", "3", "--format",
              "json", "--table-format", "parquet", "-o", out)
    assert res.exit_code == 0, res.output
    reports = sorted(out.glob("*.json"))
    summary = out / "a.summary.json"
    assert summary in reports and len(reports) == 2
    assert json.loads(summary.read_text(encoding="utf-8"))["kind"] == "verdict_summary"
    done = run("verify", *reports, "--base-dir", tmp_path)
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert [x for x in lines if x.startswith(str(summary))] == [
        f"{summary}: skipped (verdict_summary: records no inputs to recompute)"]
    assert any(re.search(r"a-row3-.*\.json: matches$", x) for x in lines), done.output


# --- the CSV kernel (report/frames.py): the bytes pandas writes, built column-wise ----------

AWKWARD_FLOATS = [1e-05, 1e16, 1e15, 0.1 + 0.2, -0.0, 0.0, 1.0, np.nan, np.inf, -np.inf, 2.5e-7,
                  1e-4, 9.999999999999999e-5, 1e10, 9999999999.999998, 5e-324,
                  1.7976931348623157e308, 2.0 ** 53, 2.0 ** 63, -1e-4, 123456789.0, 100.0]
AWKWARD_TEXT = ["plain", "a,b", 'say "hi"', "two\nlines", "cr\rhere", " lead", "=SUM(A1)",
                "+86 10", "-5", "@x", "\ttab", "'quoted", "", None, "型号,7", "企业\"名\"",
                "x\r\ny"]


def awkward_frame(n: int = 1000) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    i = np.arange(n)
    floats = np.array(AWKWARD_FLOATS)
    bits = rng.integers(0, 2 ** 63, n, dtype=np.int64).view(np.float64)  # every exponent
    text = np.array(AWKWARD_TEXT, dtype=object)[i % len(AWKWARD_TEXT)]
    return pd.DataFrame({
        "row": i + 1,
        "small": np.arange(n, dtype=np.int8) % 5,
        "big": np.int64(2) ** 62 - i,
        "maybe": pd.array([None if k % 4 == 0 else int(k) for k in i], dtype="Int64"),
        "float": floats[i % len(floats)],
        "bits": bits,
        "score": np.round(rng.uniform(0, 1, n), 10),
        "flag": i % 3 == 0,
        "object text": text,
        "str text": pd.Series(text, dtype="str"),
        "segment": pd.Categorical(np.array(["分体式", "=整体式", "a,b", None],
                                           dtype=object)[i % 4]),
        "words": pd.Categorical.from_codes(i % 2, ["否", "是"]),
    })


def test_csv_is_the_bytes_pandas_writes_for_awkward_values_whatever_the_chunks():
    from benchmark.report.frames import csv_lines, neutralised, write_csv

    frame = awkward_frame()
    assert csv_lines(frame) is not None  # every column through the pyarrow kernel
    want = "\ufeff" + neutralised(frame).to_csv(index=False, lineterminator="\n")
    for chunk in (1000, 333, 1):
        out = io.BytesIO()
        write_csv(frame, out, chunk_rows=chunk)
        assert out.getvalue() == want.encode("utf-8"), chunk
    assert '"\'=整体式"' not in want and "'=整体式" in want and '"say ""hi"""' in want


def test_csv_floats_are_python_repr_on_every_exponent():
    from benchmark.report.frames import float_text

    rng = np.random.default_rng(3)
    values = np.concatenate([np.array(AWKWARD_FLOATS),
                             rng.integers(0, 2 ** 63, 100_000, dtype=np.int64).view(np.float64),
                             np.round(10.0 ** rng.uniform(-8, 18, 100_000), 3)])
    got = float_text(values).to_pylist()
    assert got == [None if np.isnan(v) else repr(float(v)) for v in values]


def test_csv_of_a_column_of_lists_is_written_by_pandas_with_lists_joined():
    from benchmark.report.frames import write_csv

    frame = pd.DataFrame({"k": ["a", "=b"], "v": [[1, 2], ["x"]]})
    out = io.BytesIO()
    write_csv(frame, out)
    assert out.getvalue().decode("utf-8") == "\ufeffk,v\na,1; 2\n'=b,x\n"


def test_frame_writers_tell_the_rows_written():
    from benchmark.report.frames import write_csv, write_parquet

    frame = awkward_frame()
    for write in (write_csv, write_parquet):
        told: list[int] = []
        write(frame, io.BytesIO(), chunk_rows=300, progress=told.append)
        assert told == [300, 600, 900, 1000], write


def test_the_writing_stage_shows_each_files_rows_and_rows_per_second(tmp_path, monkeypatch):
    import contextlib

    import test_memory

    from benchmark import cli

    monkeypatch.setattr(cli.StageProgress, "REDRAW_SECONDS", 0.0)
    bar = test_memory._Bar()

    @contextlib.contextmanager
    def recorded(label, stages, lang="en"):
        yield cli.StageProgress(bar, lang)

    monkeypatch.setattr(cli, "stage_progress", recorded)
    test_memory._rank_1000(tmp_path, "csv,parquet,xlsx")
    out = tmp_path / "out"
    shown = {}
    for d in bar.drawn:
        m = re.fullmatch(r"writing (\S+) ([\d,]+) rows, [\d,]+ rows/s", d)
        if m:
            shown[m[1]] = int(m[2].replace(",", ""))
    for name in ("tiers", "composite", "excluded"):
        rows = len(pd.read_parquet(out / f"{name}.parquet"))
        assert shown[f"{name}.csv"] == shown[f"{name}.parquet"] == rows > 0
    sheets = openpyxl.load_workbook(out / "ranking.xlsx").worksheets
    assert shown["ranking.xlsx"] == sum(ws.max_row - 1 for ws in sheets)


def test_row_workbook_keeps_spaces_at_either_end_of_inline_and_shared_text():
    n = 400
    distinct = [f" lead {k}" if k % 3 == 0 else f"trail {k} " if k % 3 == 1 else f"mid {k}"
                for k in range(n)]  # too many distinct values to share: inline strings
    repeated = [" a", "b ", "c\rd", "e&f"] * (n // 4)  # shared strings
    frame = pd.DataFrame({"d": distinct, "r": pd.Series(repeated, dtype="str")})
    data = workbook([RowSheet("t", ["d", "r"], n, frames=[frame])])
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet_xml = z.read("xl/worksheets/sheet1.xml").decode()
        assert 't="s"' in sheet_xml and 't="inlineStr"' in sheet_xml
        assert "sharedStrings.xml" in z.read("[Content_Types].xml").decode()
    ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert rows == list(zip(distinct, repeated, strict=True))


def test_row_workbook_raises_an_error_of_the_sheet_xml_worker_and_stops():
    frame = frame_1000()

    def frames():
        yield frame.iloc[:500]
        raise ValueError("a chunk that cannot be made")

    with pytest.raises(ValueError, match="cannot be made"):
        workbook([RowSheet("t", HEADER, 1000, frames=frames())])
    import threading

    assert not [t for t in threading.enumerate() if t.name == "sheet-xml"]  # none left running


@pytest.fixture(scope="module")
def ranked_1000(tmp_path_factory):
    """A ranking of 1,000 generated room ACs (composite, tiers and excluded rows)."""
    from test_dask import room_air_conditioners

    from benchmark.engine import assess
    from benchmark.leaders import rank_population
    from benchmark.population import load_population

    path = tmp_path_factory.mktemp("ranked") / "room-ac.csv"
    room_air_conditioners(1_000, seed=5).to_csv(path, index=False)
    catalogue = load_catalogue()
    pop = load_population(path, catalogue, "room-air-conditioner")
    on = dt.date(2026, 11, 23)
    return rank_population(assess(pop, catalogue, "leader", on, population="self"))


def test_a_table_put_in_words_a_chunk_at_a_time_is_the_csv_of_the_whole_table(ranked_1000):
    """Segment names, yes/no and exclusion reasons made per chunk (their categories differ
    from chunk to chunk) write the bytes of the table put in words at once."""
    from benchmark.report.frames import write_csv
    from benchmark.report.ranking import ranking_result, shown_frame, table_frames

    r = ranked_1000
    result = ranking_result(r, {}, "0" * 64)
    R = labels("zh")["ranking"]
    frames = table_frames(r)
    assert {"composite", "tiers", "excluded"} <= set(frames)
    for name in ("composite", "tiers", "excluded"):
        frame = frames[name]
        whole = io.BytesIO()
        write_csv(shown_frame(frame, result, R, "zh"), whole)
        for chunk in (1000, 97, 1):
            out = io.BytesIO()
            write_csv(frame, out, chunk_rows=chunk,
                      shown=lambda part: shown_frame(part, result, R, "zh"))
            assert out.getvalue() == whole.getvalue(), (name, chunk)
    assert frames["excluded"]["reason_code"].nunique() > 1  # more than one reason in words


def test_identity_objects_are_stored_as_the_text_a_text_column_is(ranked_1000):
    """The identity columns, held as the population's codes into its distinct texts or as
    positions into its arrow text, give the Parquet bytes of the same table with pandas' own
    text columns."""
    from benchmark.leaders import as_written, is_positions, text_fields
    from benchmark.report.frames import write_parquet
    from benchmark.report.ranking import table_frames, table_parquet

    for name, frame in table_frames(ranked_1000).items():
        held = text_fields(frame)
        if name in ("composite", "tiers", "excluded"):
            assert held and all(isinstance(frame[f].dtype, pd.CategoricalDtype)
                                or is_positions(frame[f]) for f in held), name
        written = as_written(frame)  # positions as text ("" for none), counts and ranks int64
        as_text = written.assign(**{f: written[f].astype("str") for f in held})
        assert not as_text[held].isna().any().any(), name
        want = io.BytesIO()
        write_parquet(as_text, want)
        got = io.BytesIO()
        table_parquet(frame)(got)
        assert got.getvalue() == want.getvalue(), name
        small, want = io.BytesIO(), io.BytesIO()
        write_parquet(frame, small, chunk_rows=97, text=held, shown=as_written)
        write_parquet(as_text, want, chunk_rows=97)
        assert small.getvalue() == want.getvalue(), name
