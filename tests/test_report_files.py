"""Files people open: the peer-ranking report (HTML in real headless Chromium with a network log,
PDF through pdftotext), spreadsheets read back with openpyxl, CSVs with a BOM, Parquet read back
with pandas, tables as Excel writes them (UTF-16 "Unicode text", semicolons with decimal commas,
a title row above the header, standard input), numbers as people read them, and --quiet /
--verbose on every command.

The population is the shipped fictitious example (examples/populations/room-air-conditioners.csv,
40 rows, one deliberately unusable); every other table here is that file re-saved another way, so
each must read to the same ranking.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
import subprocess
import tempfile
import threading
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from test_reports import CHROMIUM, chromium, needs_chromium, needs_poppler

from benchmark.catalogue import data_file, load_catalogue
from benchmark.cli import main
from benchmark.leaders import EXCLUSION_COLUMNS
from benchmark.population import load_population
from benchmark.report import labels, md_escape, render_markdown
from benchmark.report.numbers import (
    fmt_difference,
    fmt_number,
    fmt_percent,
    fmt_quantity,
    fmt_signed,
)
from benchmark.report.pdf import html_to_pdf, renumber_nodes

DATE = "2026-11-23"
POPULATION = data_file("examples", "populations", "room-air-conditioners.csv")
SET = "room-air-conditioner"
ALL_FORMATS = "json,csv,parquet,xlsx,md,html" + (",pdf" if CHROMIUM else "")
R = {lang: labels(lang)["ranking"] for lang in ("zh", "en")}


def rank(*args, input=None) -> object:
    result = CliRunner().invoke(main, ["rank", *map(str, args), "--set", SET, "--date", DATE],
                                input=input)
    return result


@pytest.fixture(scope="module")
def ranked(tmp_path_factory):
    """Every format of the example ranking, in Chinese (and the HTML in English)."""
    out = tmp_path_factory.mktemp("ranking")
    res = rank(POPULATION, "--format", ALL_FORMATS, "--lang", "zh", "-o", out / "zh")
    assert res.exit_code == 0, res.output
    res = rank(POPULATION, "--format", "html", "--lang", "en", "-o", out / "en")
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="module")
def result(ranked):
    return json.loads((ranked / "zh" / "ranking.json").read_text(encoding="utf-8"))


def pdftotext(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", "-layout", str(pdf), "-"],
                          capture_output=True, check=True).stdout.decode("utf-8")


def pdf_pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, check=True).stdout.decode()
    found = re.search(r"^Pages:\s+(\d+)", info, re.M)
    assert found, info
    return int(found.group(1))


# --- the ranking report in HTML ----------------------------------------------------------------


def page_requests(html_file: Path) -> list[str]:
    """URLs the page itself asked for, from Chromium's network log. Chromium's own background
    requests (component updates, accounts) carry the initiator "not an origin"; a request made
    by a file:// page carries its opaque origin, "null"."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "net.json"
        done = chromium(f"--log-net-log={log}", "--dump-dom", html_file.resolve().as_uri())
        assert done.returncode == 0, done.stderr[-500:]
        data = json.loads(log.read_text(encoding="utf-8"))
    start = data["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [e["params"]["url"] for e in data["events"]
            if e["type"] == start and "url" in (e.get("params") or {})
            and e["params"].get("initiator") != "not an origin"]


@needs_chromium
def test_ranking_html_makes_no_request(ranked, tmp_path):
    assert page_requests(ranked / "zh" / "ranking.zh.html") == []
    # the check can fail: a page that fetches an image and a style sheet is caught
    control = tmp_path / "control.html"
    control.write_text('<img src="http://example.invalid/x.png">'
                       '<link rel="stylesheet" href="https://fonts.example.invalid/a.css">',
                       encoding="utf-8")
    assert sorted(page_requests(control)) == ["http://example.invalid/x.png",
                                              "https://fonts.example.invalid/a.css"]


@needs_chromium
def test_ranking_html_in_chromium_has_charts_and_tier_tables(ranked, result, tmp_path):
    page = (ranked / "zh" / "ranking.zh.html").resolve()
    shot = tmp_path / "ranking.png"
    done = chromium("--hide-scrollbars", f"--screenshot={shot}", "--window-size=1100,1600",
                    "--dump-dom", page.as_uri())
    dom = done.stdout.decode("utf-8")
    segments = {t["segment"] for t in result["thresholds"]}
    assert dom.count('<section class="segment"') == len(segments)
    # one chart per indicator and segment, each with the leader threshold line
    charts = re.findall(r'<svg class="chart".*?</svg>', dom, re.S)
    assert len(charts) == len(result["distributions"]) == len(result["thresholds"])
    assert all('class="threshold"' in c for c in charts)
    # tier bands on the charts and tier tables under them, as many rows as tiers
    tiers = sum(len(d["tiers"]) for d in result["distributions"])
    assert sum(c.count('class="band"') for c in charts) == tiers
    assert dom.count("<table class=\"tiers\">") == len(result["distributions"])
    for word in (R["zh"]["title"], R["zh"]["tier_table"], R["zh"]["shortlist_here"],
                 R["zh"]["excluded"], R["zh"]["saturation"], "全年能源消耗效率", "房间空气调节器",
                 "第 1 档"):
        assert word in dom, word
    shortlisted = [c for s in result["by_segment"] for c in s["shortlist"]]
    assert shortlisted and all(c["shortlisted"] for c in shortlisted)
    assert all(c["enterprise"] in dom for c in shortlisted)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
    en = (ranked / "en" / "ranking.en.html").read_text(encoding="utf-8")
    assert R["en"]["title"] in en and "Annual performance factor (APF)" in en and 'lang="en"' in en


def test_ranking_html_is_self_contained_and_escaped(tmp_path):
    rows = list(csv.reader(POPULATION.open(encoding="utf-8")))
    rows[1][0] = "<script>alert(1)</script> R&D"
    bad = tmp_path / "bad.csv"
    with bad.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    res = rank(bad, "--format", "html,md", "-o", tmp_path / "out")
    assert res.exit_code == 0, res.output
    html = (tmp_path / "out" / "ranking.zh.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; R&amp;D" in html
    assert "http://" not in html and "https://" not in html and "url(" not in html
    assert "default-src 'none'" in html
    md = (tmp_path / "out" / "ranking.zh.md").read_text(encoding="utf-8")
    assert r"\<script\>alert(1)\</script\> R&D" in md


# --- PDF -----------------------------------------------------------------------------------------


@needs_chromium
@needs_poppler
def test_ranking_pdf_has_page_numbers_report_id_and_date(ranked, result):
    pdf = ranked / "zh" / "ranking.zh.pdf"
    pages = pdf_pages(pdf)
    text = pdftotext(pdf)
    found = [(int(a), int(b)) for a, b in re.findall(r"第 (\d+) 页，共 (\d+) 页", text)]
    assert found == [(k, pages) for k in range(1, pages + 1)]
    html = (ranked / "zh" / "ranking.zh.html").read_text(encoding="utf-8")
    rid = re.search(r'<span class="hash">([0-9A-F]{12})</span>', html).group(1)
    assert text.count(f"报告编号 {rid} · {DATE}") == pages
    assert "全年能源消耗效率" in text and "\ufffd" not in text


@needs_chromium
@needs_poppler
def test_study_and_evaluation_pdfs_have_page_x_of_y(tmp_path):
    res = CliRunner().invoke(main, ["compare", "--set", "three-phase-induction-motor", "--param",
                                    "rated_power=1.5kW", "--date", DATE, "--lang", "en",
                                    "--format", "pdf", "-o", str(tmp_path / "study")])
    assert res.exit_code == 0, res.output
    (study,) = (tmp_path / "study").glob("*.pdf")
    res = CliRunner().invoke(main, ["evaluate", str(data_file("examples", "declarations",
                                                              "motor-leader.yaml")),
                                    "--date", DATE, "--format", "pdf", "--no-audit",
                                    "-o", str(tmp_path / "ev")])
    assert res.exit_code == 0, res.output
    (evaluation,) = (tmp_path / "ev").glob("*.pdf")
    for pdf, pattern in ((study, r"Page (\d+) of (\d+)"),
                         (evaluation, r"第 (\d+) 页，共 (\d+) 页")):
        pages = pdf_pages(pdf)
        found = [(int(a), int(b)) for a, b in re.findall(pattern, pdftotext(pdf))]
        assert found == [(k, pages) for k in range(1, pages + 1)], pdf.name


@needs_chromium
def test_pdfs_printed_at_the_same_time_are_identical(ranked):
    """Issue 15: two prints of the same HTML differed on a loaded machine (the tagged-PDF element
    ids follow Chromium's DOM node counter); printed three at a time they are the same bytes."""
    html = (ranked / "zh" / "ranking.zh.html").read_text(encoding="utf-8")
    out: list[bytes] = []
    threads = [threading.Thread(target=lambda: out.append(html_to_pdf(html, dt.date(2026, 11, 23))))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(out) == 3 and len(set(out)) == 1
    assert out[0] == (ranked / "zh" / "ranking.zh.pdf").read_bytes()


def test_structure_ids_renumbered_keep_length():
    one = b"/ID (node00000018)>> /Headers [(node00000018)] /ID (node00000021) (node123456789)"
    shifted = b"/ID (node00000017)>> /Headers [(node00000017)] /ID (node00000020) (node123456788)"
    fixed = renumber_nodes(one)
    assert fixed == renumber_nodes(shifted) and len(fixed) == len(one)
    assert fixed == b"/ID (node00000001)>> /Headers [(node00000001)] /ID (node00000002) " \
                    b"(node000000003)"


def test_pdf_without_chromium_is_a_located_problem(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHMARK_CHROMIUM", str(tmp_path / "no-chromium"))
    for cmd in (["rank", str(POPULATION), "--set", SET],
                ["compare", "--set", SET]):
        res = CliRunner().invoke(main, [*cmd, "--format", "html,pdf", "-o", str(tmp_path / "o")])
        assert res.exit_code == 2, res.output
        assert "--format pdf: error [pdf_renderer_missing]" in res.output
        assert "PDF reports (--format pdf) need Chromium" in res.output
        assert not (tmp_path / "o").exists()


# --- XLSX, CSV, Parquet ------------------------------------------------------------------------


def test_ranking_xlsx_headers_formats_filter_and_print_setup(ranked, result):
    wb = openpyxl.load_workbook(ranked / "zh" / "ranking.xlsx")
    cols = R["zh"]["columns"]
    assert [ws.title for ws in wb.worksheets][:3] == [R["zh"]["sheet_composite"],
                                                     R["zh"]["sheet_tiers"],
                                                     R["zh"]["sheet_thresholds"]]
    for ws in wb.worksheets:
        assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}"
        assert ws.freeze_panes is not None and ws.freeze_panes.endswith("2")
        assert int(ws.page_setup.paperSize) == 9  # A4
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.print_title_rows == "$1:$1"
    ranking = wb[R["zh"]["sheet_composite"]]
    header = [c.value for c in ranking[1]]
    assert header[:3] == [cols["row"], cols["segment"], cols["rank"]]
    assert cols["weighted_score"] in header and cols["enterprise"] in header
    assert ranking.freeze_panes == "G2"  # row, segment, rank, enterprise, standard, model
    seg = ranking.cell(2, 2).value
    first = result["by_segment"][0]["top"][0]  # the composite sheet starts with it
    assert seg == result["segments"][first["segment"]]["zh"]  # a name, not an id
    score = ranking.cell(2, header.index(cols["weighted_score"]) + 1)
    assert score.data_type == "n" and score.number_format == "0.0000"
    saturation = wb[R["zh"]["sheet_saturation"]]
    head = [c.value for c in saturation[1]]
    share = saturation.cell(2, head.index(cols["share"]) + 1)
    assert share.data_type == "n" and share.number_format == "0.0%"
    assert share.value == pytest.approx(result["saturation"][0]["share"])
    assert saturation.cell(2, head.index(cols["indicator"]) + 1).value == "全年能源消耗效率"
    thresholds = wb[R["zh"]["sheet_thresholds"]]
    head = [c.value for c in thresholds[1]]
    assert head[head.index(cols["indicator"]) + 1] == cols["unit"]
    def row_of(name):
        return next(r for r in thresholds.iter_rows(min_row=2)
                    if r[head.index(cols["indicator"])].value == name)

    inds = load_catalogue().sets[SET].indicators
    assert inds["apf"].digits == 2 and inds["noise_indoor"].digits is None  # as the set says
    apf, noise = row_of("全年能源消耗效率"), row_of("室内机噪声")
    assert apf[head.index(cols["threshold"])].number_format == "#,##0.00"  # its 2 digits
    assert noise[head.index(cols["threshold"])].number_format == "General"  # compared in full
    assert noise[head.index(cols["unit"])].value == "dB(A)"
    en = rank(POPULATION, "--format", "xlsx", "--lang", "en", "-o", ranked / "en-x")
    assert en.exit_code == 0
    wb_en = openpyxl.load_workbook(ranked / "en-x" / "ranking.xlsx")
    assert wb_en.worksheets[0].cell(1, 3).value == R["en"]["columns"]["rank"]


def test_every_csv_has_a_bom_and_reads_back(ranked, result, tmp_path):
    csvs = sorted((ranked / "zh").glob("*.csv"))
    assert {p.stem for p in csvs} == {k for k in ("composite", "tiers", "thresholds", "excluded",
                                                  "suppressed", "saturation", "top_runner")
                                      if result["tables"].get(k)}
    res = CliRunner().invoke(main, ["evaluate", str(data_file("examples", "declarations")),
                                    "--date", DATE, "--format", "json", "--no-audit",
                                    "-o", str(tmp_path / "ev")])
    assert res.exit_code == 0, res.output
    for path in [*csvs, tmp_path / "ev" / "summary.csv"]:
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") and not raw.startswith(b"\xef\xbb\xbf\xef\xbb\xbf")
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        assert not frame.columns[0].startswith("\ufeff")
    composite = pd.read_csv(ranked / "zh" / "composite.csv", encoding="utf-8-sig", dtype=str)
    enterprise = labels("zh")["ranking"]["columns"]["enterprise"]  # headers in the --lang
    assert len(composite) == result["tables"]["composite"]
    assert composite[enterprise].tolist() == pd.read_parquet(
        ranked / "zh" / "composite.parquet")["enterprise"].tolist()  # as written
    top = [c["enterprise"] for c in result["by_segment"][0]["top"]]
    assert composite[enterprise].tolist()[:len(top)] == top


def test_parquet_beside_csv_reads_back_the_same_table(ranked, result):
    columns = labels("zh")["ranking"]["columns"]
    for name in ("composite", "thresholds", "excluded"):
        frame = pd.read_parquet(ranked / "zh" / f"{name}.parquet")  # ids and codes
        shown = pd.read_csv(ranked / "zh" / f"{name}.csv", encoding="utf-8-sig", dtype=str)
        assert len(frame) == len(shown) == result["tables"][name]
        # the CSV is the same table for people: its headers in words, the reason codes and
        # their parameters as one reason column
        kept = [c for c in frame.columns if c not in EXCLUSION_COLUMNS]
        assert list(shown.columns) == [columns[c] for c in kept] + (
            [columns["reason"]] if "reason_code" in frame else [])
        assert not {"row", "segment", "indicator", "reason_code"} & set(shown.columns)
    assert set(pd.read_parquet(ranked / "zh" / "thresholds.parquet").columns) == set(
        result["thresholds"][0])
    composite = pd.read_parquet(ranked / "zh" / "composite.parquet")
    assert composite["weighted_score"].dtype.kind == "f" and composite["rank"].dtype.kind == "i"
    assert composite["weighted_score"].tolist() == pytest.approx(pd.read_csv(
        ranked / "zh" / "composite.csv", encoding="utf-8-sig")[columns["weighted_score"]].tolist())
    top = result["by_segment"][0]["top"]
    assert composite["weighted_score"].tolist()[:len(top)] == pytest.approx(
        [c["weighted_score"] for c in top])
    thresholds = pd.read_parquet(ranked / "zh" / "thresholds.parquet")
    assert thresholds["threshold"].tolist() == pytest.approx(
        [t["threshold"] for t in result["thresholds"]])
    again = rank(POPULATION, "--format", "parquet", "-o", ranked / "again")
    assert again.exit_code == 0
    for path in (ranked / "zh").glob("*.parquet"):
        assert path.read_bytes() == (ranked / "again" / path.name).read_bytes(), path.name


# --- tables as people save them ----------------------------------------------------------------


def resaved(tmp_path: Path, name: str, delimiter: str, encoding: str, title: str | None = None,
            decimal_comma: bool = False) -> Path:
    rows = list(csv.reader(POPULATION.open(encoding="utf-8")))
    if decimal_comma:
        rows = [[re.sub(r"^(\d+)\.(\d+)$", r"\1,\2", c) for c in r] for r in rows]
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    if title:
        writer.writerow([title])
    writer.writerows(rows)
    path = tmp_path / name
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def same_population(a, b) -> None:
    assert a.rows.tolist() == b.rows.tolist()
    assert [(p.code, p.pointer) for p in a.excluded] == [(p.code, p.pointer) for p in b.excluded]
    for name in ("values", "parameters", "fields"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.keys() == y.keys()
        for key in x:
            assert list(pd.Series(x[key]).astype(str)) == list(pd.Series(y[key]).astype(str))


def test_utf16_unicode_text_and_semicolon_tables_read_as_the_original(tmp_path):
    cat = load_catalogue()
    original = load_population(POPULATION, cat, SET)
    unicode_text = resaved(tmp_path, "export.txt", "\t", "utf-16")  # Excel's "Unicode text"
    assert unicode_text.read_bytes()[:2] == b"\xff\xfe"
    same_population(original, load_population(unicode_text, cat, SET))
    semicolons = resaved(tmp_path, "export.csv", ";", "utf-8-sig", decimal_comma=True)
    assert "4,88" in semicolons.read_text(encoding="utf-8-sig")
    same_population(original, load_population(semicolons, cat, SET))
    gbk = resaved(tmp_path, "gbk.csv", ",", "gb18030")
    same_population(original, load_population(gbk, cat, SET))


def test_header_row_for_a_template_with_a_title(tmp_path):
    cat = load_catalogue()
    original = load_population(POPULATION, cat, SET)
    titled = resaved(tmp_path, "titled.csv", ",", "utf-8", title="房间空调器申报模板（2026年）")
    res = rank(titled, "--format", "json", "-o", tmp_path / "a")
    assert res.exit_code == 2 and "[table_one_column]" in res.output and "--header-row" in \
        res.output and not (tmp_path / "a").exists()
    res = rank(titled, "--header-row", "2", "--format", "json", "-o", tmp_path / "a")
    assert res.exit_code == 0, res.output
    ranked = json.loads((tmp_path / "a" / "ranking.json").read_text(encoding="utf-8"))
    assert ranked["population"]["usable_rows"] == len(original)
    # the unusable row is located on its line in the file: one more than without the title
    (bad,) = original.excluded
    assert f"titled.csv:{bad.line + 1} " in res.output
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["房间空调器申报模板（2026年）"])
    for row in csv.reader(POPULATION.open(encoding="utf-8")):
        ws.append([float(c) if re.fullmatch(r"\d+(\.\d+)?", c) else c for c in row])
    xlsx = tmp_path / "template.xlsx"
    wb.save(xlsx)
    res = rank(xlsx, "--format", "json", "-o", tmp_path / "x")
    assert res.exit_code == 2 and "[table_title_row]" in res.output and "--header-row 2" in \
        res.output
    mapping = tmp_path / "m.yaml"
    mapping.write_text("schema: mapping/1\nheader_row: 2\nignore_other_columns: false\n"
                       "columns:\n  企业名称: {field: enterprise}\n", encoding="utf-8")
    res = rank(xlsx, "--mapping", mapping, "--format", "json", "-o", tmp_path / "x")
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "x" / "ranking.json").read_text(encoding="utf-8"))[
        "by_segment"] == ranked["by_segment"]


def test_one_column_header_is_said_clearly(tmp_path):
    piped = resaved(tmp_path, "piped.csv", "|", "utf-8")
    res = rank(piped, "--format", "json", "-o", tmp_path / "o")
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "piped.csv:1: error [table_one_column] " in res.output  # the stable head, any --lang
    assert labels("zh")["problems"]["table_one_column"] in res.output  # the default --lang zh
    assert "the header (line 1) reads as one column" in res.output and "delimiter" in res.output


def test_standard_input_is_a_table(tmp_path):
    data = POPULATION.read_bytes()
    res = rank("-", "--format", "json", "-o", tmp_path / "stdin", input=data)
    assert res.exit_code == 0, res.output
    got = json.loads((tmp_path / "stdin" / "ranking.json").read_text(encoding="utf-8"))
    res = rank(POPULATION, "--format", "json", "-o", tmp_path / "file")
    want = json.loads((tmp_path / "file" / "ranking.json").read_text(encoding="utf-8"))
    assert got["by_segment"] == want["by_segment"] and list(got["provenance"]["inputs"]) == \
        ["<stdin>"]
    assert got["provenance"]["inputs"]["<stdin>"] == want["provenance"]["inputs"][str(POPULATION)]
    wb_bytes = io.BytesIO()
    pd.read_csv(POPULATION, dtype=str, keep_default_na=False).to_excel(wb_bytes, index=False)
    res = rank("-", "--input-format", "xlsx", "--format", "json", "-o", tmp_path / "x",
               input=wb_bytes.getvalue())
    assert res.exit_code == 0, res.output
    rows = "\n".join(POPULATION.read_text(encoding="utf-8").splitlines()[:4])
    res = CliRunner().invoke(main, ["evaluate", "-", "--set", SET, "--date", DATE, "--no-audit",
                                    "--format", "json", "-o", str(tmp_path / "ev")],
                             input=rows.encode("utf-8"))
    assert res.exit_code == 0, res.output
    assert len(list((tmp_path / "ev").glob("stdin-row*.json"))) == 3  # a report per row
    assert (tmp_path / "ev" / "stdin.summary.json").exists()


def test_missing_identity_column_is_reported_once(tmp_path):
    rows = list(csv.reader(POPULATION.open(encoding="utf-8")))
    drop = rows[0].index("标准编号")
    table = tmp_path / "no-number.csv"
    with table.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([r[:drop] + r[drop + 1:] for r in rows])
    res = CliRunner().invoke(main, ["evaluate", str(table), "--set", SET, "--date", DATE,
                                    "--no-audit", "-o", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert res.output.count("standard_number") == 2  # message and hint of one problem
    assert "no-number.csv:1: error [column_missing]" in res.output and "“标准编号”" in res.output
    assert "schema_required" not in res.output and not (tmp_path / "o").exists()


# --- numbers for people ----------------------------------------------------------------------


def test_numbers_at_digits_with_separators_and_never_an_exponent():
    assert fmt_number(70.7233) == "70.72" and fmt_signed(1.29644) == "+1.296"
    assert fmt_number(5.2, 2) == "5.20" and fmt_number(38.0, 0) == "38"
    assert fmt_number(2.5, 0) == "2" and fmt_number(3.5, 0) == "4"  # GB/T 8170: half to even
    assert fmt_number(1e6) == "1,000,000" and fmt_number(1234567) == "1,234,567"
    assert fmt_number(0.000123) == "0.000123" and fmt_signed(-0.0001, 2) == "0.00"
    assert fmt_percent(0.024) == "+2.4 %" and fmt_percent(0.625, signed=False) == "62.5 %"
    zh, en = labels("zh")["percentage_points"], labels("en")["percentage_points"]
    assert fmt_difference(2.2, "%", en, 1) == "+2.2 percentage points"
    assert fmt_difference(2.2, "%", zh, 1) == "+2.2 个百分点"
    assert fmt_difference(-0.05, "W", en) == "-0.05 W" and fmt_difference(3.0, "1", en) == "+3"


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15),
       st.one_of(st.none(), st.integers(0, 4)))
def test_numbers_read_back(x, digits):
    text = fmt_number(x, digits)
    assert re.fullmatch(r"-?\d{1,3}(,\d{3})*(\.\d+)?", text), text
    back = float(text.replace(",", ""))
    places = len(text.split(".")[1]) if "." in text else 0
    tolerance = 0.5 * 10 ** -places if digits is not None else max(abs(x) * 5e-4, 0.5 * 10 ** -12)
    assert math.isclose(back, x, abs_tol=tolerance * 1.000001 + 1e-9), (x, digits, text)


def test_markdown_keeps_ampersands_and_escapes_entities():
    assert md_escape("R&D 研发 & 测试") == "R&D 研发 & 测试"
    assert md_escape("&amp; &#60;") == r"\&amp; &\#60;"  # neither reads as an entity


def test_percentage_indicator_margins_in_points(tmp_path):
    res = CliRunner().invoke(main, ["evaluate", str(data_file("examples", "declarations",
                                                              "eps-usb-charger-10w.yaml")),
                                    "--date", DATE, "--lang", "en", "--format", "json,md,html",
                                    "--no-audit", "-o", str(tmp_path)])
    assert res.exit_code == 0, res.output
    md = (tmp_path / "eps-usb-charger-10w.en.md").read_text(encoding="utf-8")
    html = (tmp_path / "eps-usb-charger-10w.en.html").read_text(encoding="utf-8")
    result = json.loads((tmp_path / "eps-usb-charger-10w.json").read_text(encoding="utf-8"))
    eff = next(i for i in result["indicators"] if i["id"] == "average_efficiency")
    c = eff["comparisons"][0]
    shown = f"{fmt_signed(c['margin_abs'])} percentage points ({fmt_percent(c['margin_rel'])})"
    assert shown in md and re.search(r"\d\.\d{5}", md) is None  # not "+1.29644"
    assert "Margin [percentage points]" in html and "e+0" not in md + html


def test_markdown_rules_reasons_and_peers_are_lists_and_tables(tmp_path):
    res = CliRunner().invoke(main, ["evaluate", str(data_file("examples", "declarations",
                                                              "room-ac-kfr-32gw.yaml")),
                                    "--population", str(POPULATION), "--programme", "shenzhen",
                                    "--date", DATE, "--format", "json,md", "--no-audit",
                                    "-o", str(tmp_path)])
    assert res.exit_code == 0, res.output
    result = json.loads((tmp_path / "room-ac-kfr-32gw.json").read_text(encoding="utf-8"))
    md = render_markdown(result, "zh")
    L = labels("zh")
    peers = md[md.index(f"## {L['peers']}"):md.index(f"## {L['rules']}")]
    for k, p in result["peers"].items():
        name = next(i["names"]["zh"] for i in result["indicators"] if i["id"] == k)
        line = next(x for x in peers.splitlines() if x.startswith(f"| {name} |"))
        assert f"| {p['n']} |" in line and line.count(": ") == len(p["counts"])
    rules = md[md.index(f"## {L['rules']}"):md.index(f"## {L['findings']}")]
    items = [x for x in rules.splitlines() if x.startswith("- **")]
    assert len(items) == len(result["rules"])
    reasons = [x for r in result["rules"] for x in r["reasons"]]
    assert reasons and len([x for x in rules.splitlines() if x.startswith("  - ")]) == len(reasons)
    top = md[md.index(f"## {L['reasons']}"):md.index(f"## {L['gaps']}")]
    names = {r["id"]: r["description"]["zh"] for r in result["rules"]}
    shown = [x for x in top.splitlines() if x.startswith("- ")]
    assert shown == [f"- {names[x['rule']]}: {md_escape(x['message']['zh'])}" for x in reasons]


# --- --quiet and --verbose ---------------------------------------------------------------------


def test_every_command_has_quiet_and_verbose():
    import click

    def leaves(group, prefix=""):
        for name, command in group.commands.items():
            if isinstance(command, click.Group):
                yield from leaves(command, f"{prefix}{name} ")
            else:
                yield prefix + name, command

    for name, command in leaves(main):
        options = {o for p in command.params for o in getattr(p, "opts", [])}
        assert {"--quiet", "-q", "--verbose", "-v"} <= options, name


def test_quiet_verbose_and_no_progress_off_a_terminal(tmp_path):
    quiet = rank(POPULATION, "--format", "json", "-q", "-o", tmp_path / "q")
    assert quiet.exit_code == 0 and quiet.stdout == "" and quiet.stderr == ""
    normal = rank(POPULATION, "--format", "json", "-o", tmp_path / "n")
    assert "警告：" in normal.stderr and "ranking.json" in normal.stdout  # zh: the report language
    assert "ranking" not in normal.stderr.split("警告：")[0]  # no progress bar: not a terminal
    verbose = CliRunner().invoke(main, ["evaluate", str(data_file("examples", "declarations")),
                                        "--date", DATE, "--format", "json", "--no-audit", "-v",
                                        "-o", str(tmp_path / "v")])
    assert verbose.exit_code == 0
    assert all(str(p) in verbose.stdout for p in (tmp_path / "v").iterdir())
    bad = rank(tmp_path / "missing.csv", "-q", "-o", tmp_path / "b")
    assert bad.exit_code == 2 and "file_not_found" in bad.stderr  # errors still said
    both = rank(POPULATION, "-q", "-v")
    assert both.exit_code == 2 and "exclude each other" in both.output


# --- gap to eligibility, digits from the indicator set -------------------------------------------


def _leader_result(tmp_path, name: str) -> dict:
    res = CliRunner().invoke(main, ["evaluate", str(data_file("examples", "declarations",
                                                              f"{name}.yaml")),
                                    "--programme", "leader", "--date", DATE, "--format", "json",
                                    "--no-audit", "-o", str(tmp_path)])
    assert res.exit_code == 0, res.output
    return json.loads((tmp_path / f"{name}.json").read_text(encoding="utf-8"))


def test_gap_to_eligibility_says_what_blocks_when_no_value_would(tmp_path):
    """A refrigerator citing a superseded normative reference is not eligible with no value to
    improve: the gap section names the rule and its reason, never "none"."""
    result = _leader_result(tmp_path, "refrigerator-bcd-400")
    assert result["verdict"] == "not_eligible" and result["gaps"] == []
    failed = [(r, x) for r in result["rules"] if r["outcome"] == "fail" for x in r["reasons"]]
    assert failed
    L = labels("zh")
    md = render_markdown(result, "zh")
    gap = md[md.index(f"## {L['gaps']}"):md.index(f"## {L['indicators']}")]
    assert L["gaps_blocked"] in gap and f"\n{L['none']}\n" not in gap
    for rule, reason in failed:
        assert f"- {rule['description']['zh']}: {md_escape(reason['message']['zh'])}" in gap
    eligible = _leader_result(tmp_path / "ok", "room-ac-kfr-32gw")
    assert eligible["verdict"] == "eligible"
    md = render_markdown(eligible, "zh")
    assert f"## {L['gaps']}\n{L['none']}" in md


def test_values_at_the_indicator_sets_digits(tmp_path):
    """The engine writes each indicator's `digits` (the indicator set's); the report shows values
    with them, and a result without them (an older one) with four significant digits."""
    from benchmark.report import indicator_digits

    result = _leader_result(tmp_path, "room-ac-kfr-32gw")
    iset = load_catalogue().sets["room-air-conditioner"]
    digits = indicator_digits(result)
    assert digits == {k: iset.indicators[k].digits for k in digits}
    assert digits["apf"] is not None
    apf = next(i for i in result["indicators"] if i["id"] == "apf")
    row = next(x for x in render_markdown(result, "zh").splitlines()
               if x.startswith(f"| {apf['names']['zh']} |"))
    assert fmt_quantity(apf["value"], apf["unit"], digits["apf"]) in row
    older = {**result, "indicators": [{k: v for k, v in i.items() if k != "digits"}
                                      for i in result["indicators"]]}
    assert set(indicator_digits(older).values()) == {None}
