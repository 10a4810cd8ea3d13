"""Texts of the catalogue (clauses, notes, descriptions) as a plain string or as {zh, en}: the
loader takes either, `validate` locates a bad form, and each report quotes its own language.

The catalogue is a copy of the shipped motor files in tmp_path, with one clause and one note of
GB 18613-2020 rewritten; the 4-pole 0.75–200 kW clause is the one the example motor (1.5 kW,
4 poles) is compared with.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from test_catalogue import run_cli as run

from benchmark.catalogue import load_catalogue, text_form
from benchmark.model import Names

REPO = Path(__file__).resolve().parents[1]
GB = "reference_standards/GB_18613-2020.yaml"
FILES = ("ladders/cn-advancement.yaml", "programmes/leader.yaml", "programmes/shenzhen.yaml",
         "indicator_sets/three-phase-induction-motor.yaml",
         "indicator_sets/line-start-pm-motor.yaml",
         "reference_standards/EU_2019-1781.yaml", GB,
         "reference_standards/IEC_60034-30-1-2014.yaml")
CLAUSE = 'clause: {zh: "表1，4 极，0.75–200 kW", en: "表1 (Table 1), 4-pole, 0.75–200 kW"}'
ZH, EN = "表1（四极电动机一行）", "Table 1 (the four-pole row)"
MOTOR = REPO / "examples/declarations/motor-leader.yaml"


def catalogue(root: Path, clause: str) -> Path:
    for rel in FILES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / rel, root / rel)
    path = root / GB
    text = path.read_text(encoding="utf-8")
    assert text.count(CLAUSE) == 1
    path.write_text(text.replace(CLAUSE, clause), encoding="utf-8")
    return root


def test_a_plain_string_reads_the_same_in_both_languages():
    assert text_form("Annex I") == Names(zh="Annex I", en="Annex I")
    assert text_form(None) is None and text_form("") is None


def test_a_language_left_out_takes_the_other_languages_words():
    assert text_form({"zh": "表1"}) == Names(zh="表1", en="表1")
    assert text_form({"en": "Table 1"}) == Names(zh="Table 1", en="Table 1")
    assert text_form({"zh": "表1", "en": "Table 1"}) == Names(zh="表1", en="Table 1")


def test_a_clause_in_zh_and_en_loads_with_both_forms(tmp_path):
    root = catalogue(tmp_path, f'clause: {{zh: "{ZH}", en: "{EN}"}}')
    cat = load_catalogue(root)
    clauses = [v.clause for v in cat.references["GB 18613-2020"].values]
    assert Names(zh=ZH, en=EN) in clauses
    # the file's other clauses, written as {zh, en} or plain, keep their own forms
    assert all(isinstance(c, Names) and c.zh and c.en for c in clauses)
    result = run("validate", "--data-dir", str(root))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("lang, shown, other", [("zh", ZH, EN), ("en", EN, ZH)])
def test_each_report_quotes_the_clause_in_its_own_language(tmp_path, lang, shown, other):
    root = catalogue(tmp_path / "cat", f'clause: {{zh: "{ZH}", en: "{EN}"}}')
    out = tmp_path / "out"
    result = run("evaluate", str(MOTOR), "--programme", "leader", "--date", "2025-06-01",
                 "--data-dir", str(root), "--lang", lang, "--format", "json,md,html,xlsx",
                 "-o", str(out))
    assert result.exit_code in (0, 1), result.output
    for suffix in ("md", "html"):
        text = (out / f"motor-leader.{lang}.{suffix}").read_text(encoding="utf-8")
        assert shown in text.replace("\\", "")  # Markdown escapes brackets
        assert other not in text.replace("\\", "")
    import openpyxl
    book = openpyxl.load_workbook(out / f"motor-leader.{lang}.xlsx", read_only=True)
    cells = {str(c) for s in book.worksheets for r in s.iter_rows(values_only=True) for c in r}
    assert shown in cells and other not in cells
    data = json.loads((out / "motor-leader.json").read_text(encoding="utf-8"))
    clauses = [c["clause"] for i in data["indicators"] for c in i["comparisons"]]
    assert {"zh": ZH, "en": EN} in clauses


@pytest.mark.parametrize("bad", [
    'clause: {zh: "表1", fr: "Tableau 1"}',  # a language the catalogue does not know
    "clause: {}",  # no words at all
    "clause: 3",  # not a text
    'clause: {zh: "", en: ""}',  # empty words
])
def test_a_bad_text_form_is_reported_with_file_line_and_pointer(tmp_path, bad):
    root = catalogue(tmp_path, bad + "  # BAD")
    result = run("validate", "--data-dir", str(root))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = (root / GB).read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.endswith("# BAD"))
    located = [out for out in result.output.splitlines() if out.startswith(f"{GB}:{line} ")]
    assert located, result.output
    assert any("/clause" in out for out in located), located
    # where the form itself is wrong, the hint says what the two forms are
    assert all("{zh, en}" in out for out in located if "[schema_oneOf]" in out), located


def test_a_rule_description_written_in_one_language_reads_in_both(tmp_path):
    """A programme's rule description in zh only (the en form falls back to it)."""
    root = catalogue(tmp_path, CLAUSE)
    path = root / "programmes/leader.yaml"
    text = path.read_text(encoding="utf-8")
    old = "description: {zh: 基础指标均符合, en: Every basic indicator is met}"
    assert text.count(old) == 1
    path.write_text(text.replace(old, "description: {zh: 基础指标均符合}"), encoding="utf-8")
    cat = load_catalogue(root)
    rule = next(r for r in cat.sets["three-phase-induction-motor"].programmes["leader"].rules
                if r.id == "basic-pass")
    assert rule.description == Names(zh="基础指标均符合", en="基础指标均符合")
