"""Single-indicator boards (benchmark/report/boards.py) of the golden population
tests/golden/populations/room-ac-hp-le4500: `rank --format boards` writes HTML and XLSX in zh and
en; the APF board has the hand-worked tiers (A, B tier 1; C 3; D 4; E 5), the boundary 3.30 of the
lowest tier stated as the domestic mandatory value, the suppressed boards and the exclusions with
reasons; the HTML opens in headless Chromium with the network off and makes no request."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from benchmark.catalogue import load_catalogue
from benchmark.cli import main
from benchmark.report.pdf import CHROMIUM_FLAGS

GOLDEN = Path(__file__).parent / "golden" / "populations" / "room-ac-hp-le4500.csv"
CHROMIUM = shutil.which("chromium")
OFFLINE = ("--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND")
FILES = ("boards.zh.html", "boards.en.html", "boards.zh.xlsx", "boards.en.xlsx")


@pytest.fixture(scope="module")
def boards(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("boards")
    res = CliRunner().invoke(main, ["rank", str(GOLDEN), "--set", "room-air-conditioner",
                                    "-p", "leader-selection", "--date", "2026-11-23",
                                    "--format", "json,boards", "-o", str(out)])
    assert res.exit_code == 0, res.output
    return out


def test_rank_writes_boards_in_both_languages(boards):
    assert all((boards / f).is_file() for f in FILES)
    assert (boards / "ranking.json").is_file()


def test_the_apf_board_holds_the_hand_worked_tiers_floor_and_exclusions(boards):
    wb = load_workbook(boards / "boards.en.xlsx")
    rows = list(wb["Boards"].iter_rows(values_only=True))
    header = rows[0]
    apf = [dict(zip(header, r, strict=True)) for r in rows[1:]
           if r[1] == "Annual performance factor (APF)"]
    assert [(r["Tier"], r["Enterprise"], r["Standard number"], r["Model"]) for r in apf] == [
        (1, "A", "Q/AKT 001-2025", "KFR-35GW/A"), (1, "B", "Q/BKT 001-2025", "KFR-35GW/B"),
        (3, "C", "Q/CKT 001-2025", "KFR-35GW/C"), (4, "D", "Q/DKT 001-2025", "KFR-35GW/D"),
        (5, "E", "Q/EKT 001-2025", "KFR-35GW/E")]
    assert [r["Tier boundary"] for r in apf] == [5.5, 5.5, 5.4, 5.2, 3.3]
    assert {r["Domestic mandatory value"] for r in apf} == {3.3}
    assert {r["Standard name"] for r in apf} == {"房间空气调节器"}
    suppressed = list(wb["Suppressed"].iter_rows(values_only=True))[1:]
    assert len(suppressed) == 3 and all("equal" in r[3] for r in suppressed)
    excluded = {r[1]: r[4] for r in list(wb["Excluded"].iter_rows(values_only=True))[1:]}
    iset = load_catalogue().sets["room-air-conditioner"]
    rules = {r.id: r for r in iset.programmes["leader-selection"].rules}
    assert set(excluded) == {"F", "G"}  # each reason in words: the rule, the indicator by name
    assert rules["references-valid"].description.en in excluded["F"]
    assert f"{iset.indicators['apf'].names.en} below the domestic mandatory" in excluded["G"]
    zh = load_workbook(boards / "boards.zh.xlsx")
    assert zh.sheetnames == ["排行榜", "不发布排行", "不参加排行"]


def test_boards_are_deterministic(boards, tmp_path):
    res = CliRunner().invoke(main, ["rank", str(GOLDEN), "--set", "room-air-conditioner",
                                    "-p", "leader-selection", "--date", "2026-11-23",
                                    "--format", "boards", "-o", str(tmp_path)])
    assert res.exit_code == 0, res.output
    for f in FILES:
        assert (tmp_path / f).read_bytes() == (boards / f).read_bytes(), f


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
def test_html_opens_offline_with_the_tier_table_and_the_chart(boards, tmp_path):
    page = (boards / "boards.zh.html").resolve()
    html = page.read_text(encoding="utf-8")
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "") \
        and "https://" not in html  # nothing to fetch: inline CSS and SVG only
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, *OFFLINE, f"--user-data-dir={profile}",
                               "--enable-logging=stderr", "--v=1", "--dump-dom", page.as_uri()],
                              capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    dom = done.stdout.decode("utf-8")
    assert 'class="tiers"' in dom and "第1档" in dom and "Q/AKT 001-2025" in dom
    assert "<svg" in dom and 'class="threshold"' in dom and 'class="boundary"' in dom
    assert "最低档边界为国内强制性要求值" in dom  # the floor is stated
    log = done.stderr.decode("utf-8", "replace")
    # the page asks for nothing: no resource failed to load (the network is off) and the
    # Content-Security-Policy refused nothing (Chromium's own background fetches aside)
    assert "Content Security Policy" not in log and "Failed to load resource" not in log
    assert ":CONSOLE:" not in log  # the page logged nothing (a blocked fetch would be logged)
    assert " src=" not in dom and "<link" not in dom and "url(" not in dom
