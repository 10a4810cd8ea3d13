"""Reports people read: HTML (checked in real headless Chromium with the network disabled), PDF
(checked with poppler's pdftotext/pdftoppm), XLSX (read back with openpyxl), inline SVG charts,
escaping of anything from inputs, templates of one's own, and byte-identical output.

Declarations are copies of the shipped room air conditioner example, edited in tmp_path. The
Chromium runs are shared by module-scoped fixtures (each costs about a second).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from benchmark.batch import evaluate_files
from benchmark.catalogue import data_file, load_catalogue
from benchmark.cli import main
from benchmark.declaration import load_declaration
from benchmark.errors import InputError
from benchmark.evaluation import evaluate_declaration
from benchmark.report import labels
from benchmark.report.html import render_html
from benchmark.report.pdf import CHROMIUM_FLAGS, fix_dates, html_to_pdf
from benchmark.report.svg import LevelEdge, Mark, bullet_chart, histogram_chart
from benchmark.report.xlsx import Sheet, workbook_bytes

DATE = dt.date(2026, 11, 23)
EXAMPLE = data_file("examples", "declarations", "room-ac-kfr-32gw.yaml")
SCRIPT_NAME = "<script>alert(1)</script>"
FORMULA_NAME = '=HYPERLINK("http://x","y")'
# the Chromium the reports print with (BENCHMARK_CHROMIUM, else chromium on the PATH); setting
# BENCHMARK_CHROMIUM to a missing file runs the suite as on a machine without it
CHROMIUM = shutil.which(os.environ.get("BENCHMARK_CHROMIUM") or "chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed: the browser and PDF tests need it "
    "(make sysdeps as root or with sudo, or set BENCHMARK_CHROMIUM)")
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils is not installed: the PDF text "
    "tests need pdftotext and pdftoppm (make sysdeps as root or with sudo)")
# the network is off for the HTML checks: any fetch would go to a dead proxy and resolve nothing
OFFLINE = ("--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND")


def declaration(folder: Path, enterprise: str, name: str = "ac") -> Path:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["enterprise"]["name"] = enterprise
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def chromium(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        cmd = [str(CHROMIUM), *CHROMIUM_FLAGS, *OFFLINE, f"--user-data-dir={profile}", *args]
        return subprocess.run(cmd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """Every format of one declaration whose enterprise name is a script tag (shenzhen: not
    eligible), in Chinese."""
    folder = tmp_path_factory.mktemp("reports")
    decl = declaration(folder, SCRIPT_NAME)
    formats = ["json", "md", "html", "xlsx"] + (["pdf"] if CHROMIUM else [])
    evaluate_files([decl], "shenzhen", DATE, folder / "out", formats, "zh")
    return folder / "out"


@pytest.fixture(scope="module")
def result(reports):
    return json.loads((reports / "ac.json").read_text(encoding="utf-8"))


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text of <style> elements."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def parse(html: str) -> Tags:
    p = Tags()
    p.feed(html)
    return p


# --- HTML --------------------------------------------------------------------------------------


def test_html_is_self_contained(reports):
    html = (reports / "ac.zh.html").read_text(encoding="utf-8")
    tags = parse(html)
    names = {t for t, _ in tags.tags}
    assert not names & {"script", "link", "img", "iframe", "object", "embed", "base", "audio",
                        "video"}
    for tag, attrs in tags.tags:
        for key in ("src", "href", "xlink:href", "action", "data", "poster", "srcset"):
            value = (attrs.get(key) or "").strip().lower()
            assert not value.startswith(("http:", "https:", "//", "ftp:")), (tag, key, value)
    css = "".join(tags.styles)
    assert not re.search(r"url\(|@import|@font-face", css, re.I)
    assert "http://" not in html and "https://" not in html
    csp = [a for t, a in tags.tags
           if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0]["content"]
    assert "Noto Sans CJK SC" in css and "<svg" in html


def test_html_escapes_inputs(reports):
    html = (reports / "ac.zh.html").read_text(encoding="utf-8")
    assert SCRIPT_NAME not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@needs_chromium
def test_html_in_chromium_dom_and_screenshot(reports, tmp_path):
    page = (reports / "ac.zh.html").resolve()
    shot = tmp_path / "report.png"
    done = chromium("--hide-scrollbars", f"--screenshot={shot}", "--window-size=1280,2000",
                    "--dump-dom", page.as_uri())
    dom = done.stdout.decode("utf-8")
    assert "无法评价" in dom  # the verdict in words (JP APF is indicative: JIS C 9612)
    assert "全年能源消耗效率" in dom and "室内机噪声" in dom  # Chinese indicator names
    assert "未核实" in dom  # JP Top Runner is unverified
    assert not any(t == "script" for t, _ in parse(dom).tags)  # the enterprise name stayed text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 30_000
    assert struct.unpack(">II", png[16:24]) == (1280, 2000)


# --- PDF ---------------------------------------------------------------------------------------


@needs_chromium
@needs_poppler
def test_pdf_text_and_glyphs(reports, tmp_path):
    pdf = reports / "ac.zh.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                          check=True).stdout.decode("utf-8")
    assert "无法评价" in text
    for name in ("全年能源消耗效率", "认证资格评价报告", "房间空气调节器", "未核实"):
        assert name in text, name
    assert "\ufffd" not in text and "\u25a1" not in text  # no replacement characters, no boxes
    assert "2026-11-23" in text
    subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-png", str(pdf),
                    str(tmp_path / "p")], check=True)
    pages = list(tmp_path.glob("p*.png"))
    assert pages and pages[0].stat().st_size > 5_000
    # the print time is replaced by the evaluation date
    assert b"/CreationDate (D:20261123000000" in pdf.read_bytes()


@needs_chromium
def test_pdf_is_deterministic_for_the_same_html(reports):
    """Same HTML, same Chromium and fonts: the same bytes (the print time is replaced)."""
    html = (reports / "ac.zh.html").read_text(encoding="utf-8")
    assert html_to_pdf(html, DATE) == (reports / "ac.zh.pdf").read_bytes()


def test_fix_dates_keeps_length():
    raw = b"<< /CreationDate (D:20991231235959+00'00')\n/ModDate (D:20991231235959+00'00') >>"
    fixed = fix_dates(raw, DATE)
    assert len(fixed) == len(raw) and fixed.count(b"D:20261123000000+00'00'") == 2


def test_pdf_renderer_missing_is_an_input_error(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHMARK_CHROMIUM", str(tmp_path / "no-such-chromium"))
    decl = declaration(tmp_path, "示例企业")
    with pytest.raises(InputError) as exc:
        evaluate_files([decl], "leader", DATE, tmp_path / "out", ["json", "pdf"], "zh")
    assert exc.value.code == "pdf_renderer_missing" and "make sysdeps" in exc.value.problems[0].hint
    assert not (tmp_path / "out").exists()  # nothing written
    run = CliRunner().invoke(main, ["evaluate", str(decl), "--format", "pdf",
                                    "-o", str(tmp_path / "o")])
    assert run.exit_code == 2 and "pdf_renderer_missing" in run.output


# --- XLSX --------------------------------------------------------------------------------------


def test_xlsx_numbers_units_and_frozen_headers(reports, result):
    wb = openpyxl.load_workbook(reports / "ac.zh.xlsx")
    L = labels("zh")
    assert [ws.title for ws in wb.worksheets] == [L["sheet_summary"], L["sheet_indicators"],
                                                 L["sheet_comparisons"], L["sheet_values"],
                                                 L["sheet_references"]]
    for ws in wb.worksheets:
        assert ws.freeze_panes is not None and ws.freeze_panes.endswith("2")
    values = wb[L["sheet_values"]]
    header = [c.value for c in values[1]]
    assert "全年能源消耗效率 [W·h/W·h]" in header
    apf_col = header.index("全年能源消耗效率 [W·h/W·h]") + 1
    declared = values.cell(row=2, column=apf_col)
    apf = next(i for i in result["indicators"] if i["id"] == "apf")
    assert declared.data_type == "n" and declared.value == pytest.approx(apf["value"])
    jp = next(r for r in values.iter_rows(min_row=3) if r[0].value.startswith("JP TopRunner"))
    assert L["unverified"] in jp[0].value  # a number cannot carry the mark: its row does
    assert jp[apf_col - 1].data_type == "n"
    comps = wb[L["sheet_comparisons"]]
    head = [c.value for c in comps[1]]
    for row in comps.iter_rows(min_row=2):
        for label in ("threshold", "margin_abs", "margin_rel"):
            cell = row[head.index(L[label])]
            assert cell.data_type == "n" and isinstance(cell.value, (int, float))
    rel = comps.cell(row=2, column=head.index(L["margin_rel"]) + 1)
    assert rel.number_format == "0.00%"


def test_xlsx_formula_text_stays_text(tmp_path):
    decl = declaration(tmp_path, FORMULA_NAME)
    evaluate_files([decl], "leader", DATE, tmp_path / "out", ["xlsx"], "en")
    path = tmp_path / "out" / "ac.en.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb[labels("en")["sheet_summary"]]
    cell = next(r[1] for r in ws.iter_rows(min_row=2) if r[0].value == "Applicant")
    assert cell.data_type == "s" and cell.value == "'" + FORMULA_NAME
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in sheets)


def test_workbook_bytes_reusable_and_safe():
    sheet = Sheet("Rankings [test]", ["Standard", "APF [W·h/W·h]", "Share"],
                  [["=1+1", 5.2, 0.25], ["+cmd", 4, None], ["-2", 3.5, 0.5], ["@SUM(A1)", 1, 1],
                   ["\tx", 2, 0], ["plain", float("nan"), 0.1]], formats={2: "0.0%"})
    data = workbook_bytes([sheet], DATE)
    assert data == workbook_bytes([sheet], DATE)
    ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert ws.title == "Rankings _test_" and ws.freeze_panes == "A2"
    texts = [ws.cell(row=r, column=1) for r in range(2, 8)]
    assert [c.value for c in texts] == ["'=1+1", "'+cmd", "'-2", "'@SUM(A1)", "'\tx", "plain"]
    assert all(c.data_type == "s" for c in texts)
    assert ws.cell(row=2, column=2).data_type == "n" and ws.cell(row=7, column=2).value is None
    assert ws.cell(row=2, column=3).number_format == "0.0%"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert {i.date_time for i in z.infolist()} == {(2026, 11, 23, 0, 0, 0)}
        assert b"2026-11-23T00:00:00Z" in z.read("docProps/core.xml")


# --- determinism -------------------------------------------------------------------------------


def test_html_and_xlsx_byte_identical(tmp_path):
    decl = declaration(tmp_path, "珠海澜湾制冷设备有限公司")
    for out in ("a", "b"):
        evaluate_files([decl], "leader", DATE, tmp_path / out, ["html", "xlsx"], "zh")
    for name in ("ac.zh.html", "ac.zh.xlsx"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


# --- charts ------------------------------------------------------------------------------------


def _numbers(svg: str, attr: str) -> list[float]:
    return [float(x) for x in re.findall(rf'{attr}="(-?[\d.]+)"', svg)]


def test_bullet_chart_is_direction_aware_and_escaped():
    common = dict(title="噪声 <&>", unit="dB(A)", value_label="声明值", floor_label="不符合",
                  better_label="更优", unverified_label="未核实")
    lower = bullet_chart(direction="lower", value=35.0, marks=[Mark("EU <x>", 30.0, False, "<")],
                         edges=[LevelEdge("符合", 40.0)], **common)
    assert "噪声 &lt;&amp;&gt;" in lower and "EU &lt;x&gt;" in lower and "<x>" not in lower
    assert "← 更优" in lower and "未核实" in lower and 'stroke-dasharray="4 3"' in lower
    higher = bullet_chart(direction="higher", value=35.0, marks=[Mark("EU", 30.0)],
                          edges=[LevelEdge("符合", 40.0)], **common)
    assert "更优 →" in higher
    # the applicant's bar runs from the worse end: the right end when lower is better
    bar = r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="10"'
    (x_low, w_low), (x_high, _) = re.search(bar, lower).groups(), re.search(bar, higher).groups()
    assert float(x_low) > float(x_high)
    assert float(x_low) + float(w_low) == pytest.approx(664.0, abs=0.2)
    assert float(x_high) == pytest.approx(16.0)
    # the "符合" band lies below 40 when lower is better, above 40 when higher is better
    band = (r'<rect x="([\d.]+)" y="34.0" width="([\d.]+)" height="30.0" fill="[^"]+">'
            r"<title>符合</title>")
    xl, _ = map(float, re.search(band, lower).groups())
    xh, wh = map(float, re.search(band, higher).groups())
    assert xl == pytest.approx(16.0) and xh + wh == pytest.approx(664.0, abs=0.2)


def test_evaluation_charts_in_html(result):
    html = render_html(result, "zh")
    assert html.count('<svg class="chart"') == 1  # APF is the only indicator with references
    svg = html[html.index("<svg"):html.index("</svg>")]
    # values at the indicator's digits (APF: 2)
    assert "JP TopRunner AC FY2027 ≥ 6.60 (未核实)" in svg and "GB 21455-2019 (1) ≥ 5.00" in svg
    assert "声明值 = 5.20" in svg and "国际先进" in svg


def test_peer_distribution_chart(result):
    peers = {"apf": {"n": 12, "edges": [4.0, 4.5, 5.0, 5.5, 6.0], "counts": [2, 5, 4, 1],
                     "threshold": 5.4, "method": "top 20 % <percentile>", "unit": "W·h/W·h"}}
    html = render_html({**result, "peers": peers}, "zh")
    assert labels("zh")["peers"] in html and 'id="peers-apf"' in html
    assert "n = 12" in html and "top 20 % &lt;percentile&gt;" in html
    assert "门槛 = 5.4" in html and "声明值 = 5.2" in html
    bars = r'<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+" fill="#9fb4d6"'
    assert len(re.findall(bars, html)) == 4
    assert "peers-apf" not in render_html(result, "zh")
    svg = histogram_chart(title="t", unit=None, edges=[0, 1], counts=[3], value=None,
                          value_label="v", threshold=None, threshold_label="x")
    assert svg.startswith("<svg") and svg.endswith("</svg>")


# --- templates of one's own --------------------------------------------------------------------


def test_template_dir_overrides_by_file_name(tmp_path, result):
    own = tmp_path / "templates"
    own.mkdir()
    (own / "letterhead.html.j2").write_text(
        '<div class="letterhead">示例认证中心 — {{ ev.declaration.enterprise }}</div>\n',
        encoding="utf-8")
    (own / "labels.yaml").write_text("zh:\n  title: 先进标准认证评价报告\n", encoding="utf-8")
    bad = dict(result, declaration=dict(result["declaration"], enterprise=SCRIPT_NAME))
    html = render_html(bad, "zh", str(own))
    assert "示例认证中心 — &lt;script&gt;" in html and SCRIPT_NAME not in html
    assert "先进标准认证评价报告" in html and labels("zh")["verdict"] in html  # merged wording
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "evaluation.html.j2").write_text("{{ ev.declaration.enterprise }} {% if %}",
                                               encoding="utf-8")
    with pytest.raises(InputError) as exc:
        render_html(result, "zh", str(broken))
    assert exc.value.code == "template_error"


def test_english_report(catalogue, tmp_path):
    decl = load_declaration(declaration(tmp_path, "Example Co."), catalogue)
    res = evaluate_declaration(decl, catalogue, "leader", DATE).to_dict()
    html = render_html(res, "en")
    assert labels("en")[res["verdict"]] in html and "Annual performance factor (APF)" in html
    assert 'lang="en"' in html
