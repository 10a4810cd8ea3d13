"""Hostile and broken inputs through the real command line: the catalogue in tests/bad_inputs/.

Every case in tests/bad_inputs/cases.yaml is run with click's CliRunner (the `benchmark` command
in-process). A refused input must exit with status 2, print no traceback, name the file, give a
location (line and/or JSON pointer) and the expected reason code, and write nothing into the
output folder. Valid inputs that only look hostile must succeed, and a named property of their
output is checked. Oversized files and hostile file names are generated here, not committed.
"""

from __future__ import annotations

import builtins
import copy
import csv
import json
import pathlib
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from benchmark import catalogue, loading
from benchmark.cli import main

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent / "bad_inputs"
CASES = yaml.safe_load((HERE / "cases.yaml").read_text(encoding="utf-8"))["cases"]
DEFAULT_DECLARATION = REPO / "examples/declarations/room-ac-kfr-32gw.yaml"
VALID = HERE / "valid/fullwidth-values.yaml"
DATE = "2026-11-23"


@pytest.fixture(autouse=True)
def _no_data_env(monkeypatch):
    monkeypatch.delenv("BENCHMARK_DATA", raising=False)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)


_PARSED: dict[tuple[str, str, bytes], tuple] = {}


@pytest.fixture(autouse=True)
def _parse_catalogue_files_once(monkeypatch):
    """Speed only: the catalogue loader parses each distinct (name, content) once per run and
    gets a deep copy after that; hostile files are still parsed for real the first time."""
    real = catalogue.read_document

    def memo(path, display=None):
        key = (Path(path).suffix, str(display), Path(path).read_bytes()
               if Path(path).is_file() and Path(path).stat().st_size <= loading.MAX_BYTES else b"")
        if not key[2]:
            return real(path, display)
        if key not in _PARSED:
            _PARSED[key] = real(path, display)
        return copy.deepcopy(_PARSED[key])

    monkeypatch.setattr(catalogue, "read_document", memo)


def copy_catalogue(root: Path) -> Path:
    for folder in ("indicator_sets", "ladders", "programmes", "reference_standards"):
        shutil.copytree(REPO / folder, root / folder)
    return root


def invoke(args: list[str]):
    result = CliRunner().invoke(main, args)
    # an exception other than SystemExit means a crash, whatever the exit code says
    assert result.exc_info is None or result.exc_info[0] is SystemExit, result.output
    assert "Traceback" not in result.output
    return result


def located(output: str, display: str, code: str) -> list[re.Match]:
    """The problem lines `file[:line][ /pointer]: error [code]` for `display` and `code`."""
    pattern = re.compile(rf"^{re.escape(display)}(?::(?P<line>\d+))?(?: (?P<pointer>/.*?))?: "
                         rf"error \[{re.escape(code)}\] ", re.MULTILINE)
    return list(pattern.finditer(output))


def case_args(case: dict) -> list[str]:
    """The case's extra arguments, {HERE} and {REPO} standing for the two folders."""
    return [str(a).replace("{HERE}", str(HERE)).replace("{REPO}", str(REPO))
            for a in case.get("args", [])]


def run_case(case: dict, tmp_path: Path):
    """Run one case; returns (result, output folder, name the problems must give the file)."""
    source = HERE / case["file"]
    args = case["command"].split()
    declaration = REPO / case["declaration"] if "declaration" in case else source
    if "install" in case:
        root = copy_catalogue(tmp_path / "catalogue")
        (root / case["install"]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, root / case["install"])
        args += ["--data-dir", str(root)]
        display = case["install"]
        declaration = REPO / case.get("declaration", DEFAULT_DECLARATION)
    else:
        display = str(source)
    out = tmp_path / "out"
    out.mkdir()
    if case["command"] in ("evaluate", "rank"):
        args += [str(declaration), "-o", str(out), "--date", DATE]
    elif "install" not in case:
        args += [str(declaration)]
    return invoke(args + case_args(case)), out, display


@pytest.mark.parametrize("case", CASES, ids=[c["file"] + "".join(c.get("args", [])) for c in CASES])
def test_case(case, tmp_path):
    result, out, display = run_case(case, tmp_path)
    expected_exit = case.get("exit", 2)
    assert result.exit_code == expected_exit, result.output
    if expected_exit == 0:
        assert "error [" not in result.output, result.output
        if "expect" in case:
            CHECKS[case["expect"]](out, Path(case["file"]).stem)
        return
    assert display in result.output, f"the file is not named:\n{result.output}"
    for code in case["codes"]:
        hits = located(result.output, display, code)
        assert hits, f"no [{code}] problem for {display}:\n{result.output}"
        if case.get("where") != "file":
            assert any(m["line"] or m["pointer"] for m in hits), \
                f"[{code}] has neither line nor pointer:\n{result.output}"
    assert list(out.iterdir()) == [], "something was written"


def test_manifest_is_complete():
    """Every file in tests/bad_inputs is a case (or named by a case's arguments), and there are at
    least 40 refused inputs."""
    listed = {c["file"] for c in CASES}
    listed |= {str(Path(a).relative_to(HERE)) for c in CASES for a in case_args(c)
               if a.startswith(str(HERE)) and Path(a).is_file()}
    files = {str(p.relative_to(HERE)) for p in HERE.rglob("*")
             if p.is_file() and p.name != "cases.yaml"}
    assert files == listed
    assert sum(1 for c in CASES if c.get("exit", 2) == 2) >= 40
    assert all(set(c) <= {"file", "command", "install", "declaration", "codes", "exit", "where",
                          "args", "expect"} for c in CASES)


# --- checks on the output of valid inputs ---------------------------------------------------

def _report(out: Path, stem: str) -> dict:
    return json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))


def _indicator(report: dict, ind: str) -> dict:
    return next(i for i in report["indicators"] if i["id"] == ind)


def fullwidth_read(out: Path, stem: str) -> None:
    report = _report(out, stem)
    assert _indicator(report, "efficiency")["value"] == 90.6
    assert _indicator(report, "vibration")["value"] == 1.8
    assert report["segment"]["id"] == "p4"  # "１．５ ｋＷ" read as 1.5 kW
    assert report["verdict"] == "eligible"


def bom_read(out: Path, stem: str) -> None:
    report = _report(out, stem)
    assert report["declaration"]["enterprise"] == "测试电机有限公司"
    assert report["verdict"] == "eligible"


def html_shown_as_text(out: Path, stem: str) -> None:
    raw = yaml.safe_load((HERE / "valid" / f"{stem}.yaml").read_text(encoding="utf-8"))
    report = _report(out, stem)
    assert report["declaration"]["enterprise"] == raw["enterprise"]["name"]  # JSON: the text, as is
    md = (out / f"{stem}.zh.md").read_text(encoding="utf-8")
    assert re.search(r"(?<!\\)<(script|/script|img|b>|/b>)", md) is None  # no live tag
    assert "[link](javascript" not in md and "**bold**" not in md
    assert r"\<script\>alert('x')\</script\>" in md
    assert r"\<b\>T-1\</b\> \| col" in md


def formulas_neutralised(out: Path, stem: str) -> None:
    raw = yaml.safe_load((HERE / "valid" / f"{stem}.yaml").read_text(encoding="utf-8"))
    assert _report(out, stem)["declaration"]["enterprise"] == raw["enterprise"]["name"]
    with open(out / "summary.csv", encoding="utf-8", newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["enterprise"] == "'" + raw["enterprise"]["name"]
    assert row["standard"] == "'" + raw["standard"]["number"]
    assert row["model"] == "'" + raw["product"]["model"]


def outputs_inside(out: Path, stem: str) -> None:
    names = sorted(p.name for p in out.rglob("*"))
    assert names == sorted([f"{stem}.json", f"{stem}.zh.md", "summary.csv", "audit.sqlite",
                            "audit.sqlite.anchor"])
    assert all(p.resolve().is_relative_to(out.resolve()) for p in out.rglob("*"))
    assert not (out.parent.parent / "tmp").exists() and not Path("/tmp/evil").exists()


def not_evaluable_outside(out: Path, stem: str) -> None:
    report = _report(out, stem)
    assert report["verdict"] == "not_evaluable"
    assert report["segment"] is None
    scope = next(r for r in report["rules"] if r["id"] == "in-scope")
    assert scope["outcome"] == "not_evaluable"
    assert "Rated output power: 5000" in scope["reasons"][0]["message"]["en"]


def chinese_table_read(out: Path, stem: str) -> None:
    """GBK or UTF-8 with BOM: Chinese headers recognised, Chinese text and full-width values
    read."""
    with open(out / "summary.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["enterprise"] for r in rows] == ["测试电机有限公司", "第二电机股份有限公司"]
    first = _report(out, f"{stem}-row1-YE5-90L-4")
    assert first["declaration"]["standard_title"] == "三相异步电动机"
    assert _indicator(first, "efficiency")["value"] == 90.6
    assert _indicator(first, "mandatory_conformity")["label"] is True  # "符合"
    second = _report(out, f"{stem}-row2-YE4-90L-4")
    assert _indicator(second, "efficiency")["value"] == 89.5  # "８９．５"
    assert second["segment"]["id"] == "p4"


def decimal_comma_read(out: Path, stem: str) -> None:
    """A mapping with `decimal: comma`: "90,6" is 90.6 and "1,5" kW is 1.5 kW (issue 15)."""
    report = _report(out, f"{stem}-row1-YE5-90L-4")
    assert _indicator(report, "efficiency")["value"] == 90.6
    assert _indicator(report, "vibration")["value"] == 1.8
    assert report["segment"]["id"] == "p4"


def control_characters_escaped(out: Path, stem: str) -> None:
    """ESC, BEL, NUL and a lone surrogate from names reach no output as they are (issue 15)."""
    import zipfile

    for path in out.iterdir():
        data = path.read_bytes()
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as archive:
                data = b"".join(archive.read(n) for n in archive.namelist())
        elif path.suffix == ".sqlite":
            continue  # a database file; its records are checked through the report hashes
        assert not re.search(rb"[\x00\x07\x1b]", data.replace(b"\x00", b"")
                             if path.suffix == ".xlsx" else data), path.name
        assert "\ud800".encode("utf-8", "surrogatepass") not in data, path.name
    report = _report(out, stem)
    assert report["declaration"]["enterprise"] == "测试\\x1b[31m电机\\x07有限\\x00公司\\ud800"


CHECKS = {f.__name__: f for f in (fullwidth_read, bom_read, html_shown_as_text,
                                  formulas_neutralised, outputs_inside, not_evaluable_outside,
                                  chinese_table_read, decimal_comma_read,
                                  control_characters_escaped)}


def test_every_expect_names_a_check():
    assert {c["expect"] for c in CASES if "expect" in c} <= set(CHECKS)


# --- generated cases ------------------------------------------------------------------------

@pytest.mark.parametrize("size", [loading.MAX_BYTES + 1, 10 * loading.MAX_BYTES],
                         ids=["just-over-limit", "ten-times-limit"])
def test_oversized_file_refused_from_its_size(size, tmp_path, monkeypatch):
    """Refused with file_too_large, and the reader never opens the file: the size decides."""
    big = tmp_path / "big.yaml"
    with open(big, "wb") as fh:
        fh.write(VALID.read_bytes())
        fh.write(b"#")
        fh.truncate(size)  # sparse: no disk space, the size is what matters
    assert big.stat().st_size == size
    opened: list[str] = []
    real_open, real_path_open = builtins.open, pathlib.Path.open

    def guard(file, *args, **kwargs):
        if isinstance(file, (str, Path)) and Path(file).name == "big.yaml":
            opened.append(str(file))
            raise AssertionError("the oversized file was opened")
        return real_open(file, *args, **kwargs)

    def path_guard(self, *args, **kwargs):
        if self.name == "big.yaml":
            opened.append(str(self))
            raise AssertionError("the oversized file was opened")
        return real_path_open(self, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guard)
    monkeypatch.setattr(pathlib.Path, "open", path_guard)
    out = tmp_path / "out"
    out.mkdir()
    result = invoke(["evaluate", str(big), "-o", str(out), "--date", DATE])
    monkeypatch.undo()
    assert result.exit_code == 2, result.output
    assert located(result.output, str(big), "file_too_large")
    assert f"{size:,} 字节" in result.output  # the size told (in zh: the default --lang)
    assert opened == []
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("name", ["..\\..\\evil.yaml", ".hidden.yaml", "..yaml",
                                  "a b;rm -rf ~.yaml", "%2e%2e%2fescape.yaml", "CON.yaml"])
def test_file_names_cannot_leave_the_output_folder(name, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copyfile(VALID, inputs / name)
    out = tmp_path / "deep" / "out"
    result = invoke(["evaluate", str(inputs / name), "-o", str(out), "--date", DATE])
    assert result.exit_code == 0, result.output
    written = list(out.iterdir())
    assert len(written) == 5  # json, md, summary.csv, the audit database and its anchor
    for path in written:
        assert path.resolve().parent == out.resolve()
        assert not path.name.startswith(".")
        assert "/" not in path.name and "\\" not in path.name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep", "in"]
    assert sorted(p.name for p in (tmp_path / "deep").iterdir()) == ["out"]
